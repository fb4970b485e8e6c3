// The readable summary `sddfsim run` prints: what each client got, what each PD and core spent,
// what was dropped, and anything that went wrong.

import { nicDrops, totalDrops } from '../report/drops.js';
import type { ResultDocument } from '../report/result.js';
import type { Styler } from './style.js';
import { textTable } from './text_table.js';

const MS = 1e6;

export function runSummary(doc: ResultDocument, style: Styler): string {
  const out: string[] = [];
  const window = (doc.window_ns.end - doc.window_ns.start) / MS;
  out.push(
    `${style('bold', doc.scenario)}  seed ${doc.seed}  window ${doc.window_ns.start / MS}..${doc.window_ns.end / MS} ms ` +
      `(${window} ms measured)  ${doc.events} events  trace ${doc.trace_hash}`,
  );
  out.push('');
  out.push(
    textTable(
      [
        'client',
        'kind',
        'app',
        'rx Mb/s',
        'tx Mb/s',
        'rx frames',
        'tx frames',
        'RTT mean us',
        'p99 us',
        'drops',
      ],
      doc.clients.map((c) => [
        c.name,
        c.kind,
        c.app,
        c.rx_mbps.toFixed(3),
        c.tx_mbps.toFixed(3),
        c.rx_frames,
        c.tx_frames,
        c.rtt_us.mean.toFixed(2),
        c.rtt_us.p99.toFixed(2),
        dropText(c.drops),
      ]),
    ),
  );
  out.push('');
  out.push(
    textTable(
      ['PD', 'core', 'CPU %', 'kernel %', 'notified', 'suppressed', 'dispatches', 'throttles', 'faults'],
      doc.pds.map((p) => [
        p.name,
        p.core,
        pct(p.cpu_util),
        pct(p.kernel_util),
        p.notifications_sent,
        p.notifications_suppressed,
        p.dispatches,
        p.throttles,
        p.faults,
      ]),
    ),
  );
  out.push('');
  out.push(
    `cores: ${doc.cores.map((c) => `core ${c.id} ${pct(c.cpu_util)} %`).join(', ')}   Jain fairness ${doc.fairness.jain}`,
  );
  const nd = nicDrops(doc);
  const nicText = Object.entries(nd)
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${k} ${v}`);
  out.push(`NIC drops: ${nicText.length === 0 ? 'none' : style('yellow', nicText.join(', '))}`);
  if (doc.coherence.length === 0) out.push('coherence problems: none');
  else {
    out.push(style('red', `coherence problems: ${doc.coherence.length}`));
    for (const c of doc.coherence) {
      out.push(
        `  ${c.kind} in ${c.component}, region ${c.region}: ${c.count} (lines ${c.lines.slice(0, 8).join(' ')})`,
      );
    }
  }
  if (doc.faults.length === 0) out.push('faults: none');
  else {
    out.push(style('red', `faults: ${doc.faults.length}`));
    for (const f of doc.faults) out.push(`  ${f.time_ns / MS} ms ${f.thread}: ${f.kind} ${f.detail}`);
  }
  out.push(...virtioLines(doc, style));
  for (const r of doc.driver?.recoveries ?? []) {
    const at = (ms: number) => (ms < 0 ? 'never' : `${ms} ms`);
    if (r.gave_up) {
      out.push(
        `driver ${r.kind} at ${r.crash_ms} ms: left down, its restart budget spent (driver.restart_budget)`,
      );
      continue;
    }
    out.push(
      `driver ${r.kind} at ${r.crash_ms} ms: restarted ${at(r.restart_ms)}, first RX ${at(r.first_rx_ms)}, ` +
        `first TX ${at(r.first_tx_ms)}; took back ${r.reclaimed_rx} RX and ${r.reclaimed_tx} TX buffers, ` +
        `${r.lost_in_ring} frames lost in the ring${r.nic_drops >= 0 ? `, ${r.nic_drops} dropped by the NIC` : ''}`,
    );
  }
  const inv = doc.invariants;
  if (inv.violations.length > 0) {
    out.push(style('red', `invariant violations: ${inv.violation_count ?? inv.violations.length}`));
    for (const v of inv.violations.slice(0, 10)) out.push(`  ${JSON.stringify(v)}`);
  } else if (inv.checks !== undefined) {
    out.push(
      `invariants: ${inv.checks} checks, no violation${inv.skipped !== undefined ? ` (buffer checks skipped: ${inv.skipped})` : ''}`,
    );
  }
  return `${out.join('\n')}\n`;
}

/**
 * One line for the guests' virtio-net devices when all is well; otherwise a line per guest whose
 * device ended not live, found malformed rings or register misuse, or asked for a reset.
 */
function virtioLines(doc: ResultDocument, style: Styler): string[] {
  const guests = doc.clients.filter((c) => c.virtio !== undefined);
  if (guests.length === 0) return [];
  const lines: string[] = [];
  for (const c of guests) {
    const v = c.virtio!;
    const live =
      v.status.includes('driver_ok') &&
      !v.status.includes('failed') &&
      !v.status.includes('device_needs_reset');
    const ring = [
      ...Object.entries(v.violations.rx).map(([k, n]) => ['rx', k, n] as const),
      ...Object.entries(v.violations.tx).map(([k, n]) => ['tx', k, n] as const),
    ];
    const ringTotal = ring.reduce((a, [, , n]) => a + n, 0);
    const regTotal = Object.values(v.register_violations).reduce((a, n) => a + n, 0);
    const vcpu = c.vm?.vcpu ?? 'running';
    if (live && ringTotal === 0 && regTotal === 0 && v.needs_reset === 0 && vcpu === 'running') continue;
    const parts: string[] = [];
    if (vcpu === 'stopped') parts.push('its vCPU stopped (see faults)');
    else if (vcpu === 'hung')
      parts.push('the guest hung (guest-hang): its vCPU runs, its kernel does nothing');
    if (!live) {
      const d = v.guest_driver;
      parts.push(
        `not live at the end (status ${v.status.join('|') || 'reset'})` +
          (d?.last_failure != null ? `, probe failed: ${d.last_failure}` : ''),
      );
    }
    if (ringTotal > 0) {
      const byClass = ring.sort((a, b) => b[2] - a[2]).map(([q, k, n]) => `${q} ${k} ${n}`);
      parts.push(`${ringTotal} ring violations (${byClass.join(', ')})`);
    }
    if (regTotal > 0) {
      const byKind = Object.entries(v.register_violations).map(([k, n]) => `${k} ${n}`);
      parts.push(`${regTotal} register violations (${byKind.join(', ')})`);
    }
    if (v.needs_reset > 0) parts.push(`DEVICE_NEEDS_RESET ${v.needs_reset} times, ${v.resets} device resets`);
    lines.push(`  ${c.name}: ${parts.join('; ')}`);
  }
  if (lines.length === 0) return [`virtio: ${guests.length} guest device(s) live, no violations`];
  return [style('yellow', `virtio: ${lines.length} of ${guests.length} guest(s) with problems`), ...lines];
}

function pct(x: number): string {
  return (x * 100).toFixed(2);
}

function dropText(drops: Record<string, number>): string {
  const total = totalDrops(drops);
  if (total === 0) return '0';
  const parts = Object.entries(drops)
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${k}=${v}`);
  return `${total} (${parts.join(' ')})`;
}
