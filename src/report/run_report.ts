// report.html of one run: the result tables and the plots of the run over time.

import { dropsByReason } from './drops.js';
import { page, plots, section, table } from './html_page.js';
import type { ResultDocument } from './result.js';
import { barChart, escapeXml, histogram, lineChart, type Series } from './svg_plot.js';
import type { RunSeries } from './time_series.js';

const MS = 1e6;

export function runReportHtml(doc: ResultDocument, series: RunSeries | null): string {
  const body: string[] = [];
  body.push(`<h1>sddfsim: ${escapeXml(doc.scenario)}</h1>`);
  body.push(
    `<p class="meta">seed ${doc.seed} · measurement window ${doc.window_ns.start / MS}–${doc.window_ns.end / MS} ms · ` +
      `${doc.events} events · trace hash ${escapeXml(doc.trace_hash)} · Jain fairness ${doc.fairness.jain}</p>`,
  );

  body.push(
    section(
      'Clients',
      table(
        [
          'client',
          'kind',
          'app',
          'rx Mb/s',
          'tx Mb/s',
          'rx frames',
          'tx frames',
          'RTT mean µs',
          'RTT p99 µs',
        ],
        doc.clients.map((c) => [
          c.name,
          c.kind,
          c.app,
          c.rx_mbps,
          c.tx_mbps,
          c.rx_frames,
          c.tx_frames,
          c.rtt_us.mean,
          c.rtt_us.p99,
        ]),
      ),
    ),
  );
  body.push(
    section(
      'Protection domains',
      table(
        [
          'PD',
          'core',
          'CPU %',
          'kernel %',
          'notifications',
          'suppressed',
          'dispatches',
          'throttles',
          'faults',
        ],
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
    ) +
      table(
        ['core', 'CPU %', 'idle cycles', 'kernel cycles', 'total cycles'],
        doc.cores.map((c) => [c.id, pct(c.cpu_util), c.idle_cycles, c.kernel_cycles, c.total_cycles]),
      ),
  );

  const charts: string[] = [];
  if (series !== null) {
    const xs = series.startsNs.map((t) => (t + series.bucketNs / 2) / MS);
    const marker = [{ x: series.windowStartNs / MS, label: 'window' }];
    charts.push(
      lineChart({
        title: 'Received throughput per client',
        xLabel: 'time (ms)',
        yLabel: 'Mb/s',
        series: series.clients.map((c) => ({ name: c.name, xs, ys: c.rxMbps })),
        xMarkers: marker,
      }),
      lineChart({
        title: 'Sent throughput per client',
        xLabel: 'time (ms)',
        yLabel: 'Mb/s',
        series: series.clients.map((c) => ({ name: c.name, xs, ys: c.txMbps })),
        xMarkers: marker,
      }),
      lineChart({
        title: 'CPU per PD (user level)',
        xLabel: 'time (ms)',
        yLabel: 'share of its core',
        yMin: 0,
        series: series.threads.map((t): Series => ({ name: t.name, xs, ys: t.util })),
        xMarkers: marker,
      }),
      lineChart({
        title: 'CPU per core',
        xLabel: 'time (ms)',
        yLabel: 'utilisation',
        yMin: 0,
        yMax: 1,
        series: series.cores.map((c) => ({ name: `core ${c.id}`, xs, ys: c.util })),
        xMarkers: marker,
      }),
      lineChart({
        title: 'Load balance over time (Jain over received / requested per client)',
        xLabel: 'time (ms)',
        yLabel: 'Jain index',
        yMin: 0,
        yMax: 1,
        series: [{ name: 'jain', xs, ys: series.jain }],
        xMarkers: marker,
      }),
    );
    for (const r of series.rtt) {
      charts.push(
        histogram({
          title: `RTT distribution: ${r.client}`,
          xLabel: 'RTT (µs)',
          yLabel: 'echoes',
          start: r.startNs / 1e3,
          binWidth: r.binNs / 1e3,
          counts: r.counts,
        }),
      );
    }
  }
  const drops = [...dropsByReason(doc)].map(([label, value]) => ({ label, value }));
  charts.push(barChart({ title: 'Drops by reason', xLabel: 'reason', yLabel: 'frames', bars: drops }));
  charts.push(...fairnessWindowCharts(doc));
  body.push(section('Plots', plots(charts)));
  if (series !== null) {
    body.push(
      `<p class="note">Series use ${series.bucketNs / MS} ms buckets over the whole run; the dashed line marks the start of the measurement window. ` +
        'The load-balance plot is Jain’s index over each loaded client’s received throughput relative to its requested rate; the fairness plot uses weighted max-min fair shares (docs/fairness.md).</p>',
    );
  }

  const guests = doc.clients.filter((c) => c.virtio !== undefined);
  if (guests.length > 0) body.push(section('Guest virtio-net devices', guestTable(guests)));

  const problems: string[] = [];
  if (doc.coherence.length > 0) {
    problems.push(
      section(
        'Coherence problems',
        table(
          ['kind', 'component', 'region', 'count', 'lines'],
          doc.coherence.map((c) => [c.kind, c.component, c.region, c.count, c.lines.slice(0, 8).join(' ')]),
        ),
      ),
    );
  }
  if (doc.faults.length > 0) {
    problems.push(
      section(
        'Faults',
        table(
          ['time (ms)', 'thread', 'kind', 'detail'],
          doc.faults.map((x) => [x.time_ns / MS, x.thread, x.kind, x.detail]),
        ),
      ),
    );
  }
  body.push(...problems);
  return page(`sddfsim ${doc.scenario}`, body.join('\n'));
}

/** One row per guest: its device's final state and what it counted over the run (result `virtio`). */
function guestTable(guests: ResultDocument['clients']): string {
  const counts = (r: Record<string, number>) =>
    Object.entries(r)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ') || '0';
  return table(
    [
      'guest',
      'status',
      'features',
      'queue sizes',
      'RX ring violations',
      'TX ring violations',
      'register violations',
      'needs reset',
      'resets',
      'probes',
      'last probe failure',
    ],
    guests.map((c) => {
      const v = c.virtio!;
      return [
        c.name,
        v.status.join(' '),
        v.features.join(' '),
        v.queue_sizes.join(' / '),
        counts(v.violations.rx),
        counts(v.violations.tx),
        counts(v.register_violations),
        v.needs_reset,
        v.resets,
        v.guest_driver?.probes ?? '',
        v.guest_driver?.last_failure ?? '',
      ];
    }),
  );
}

// ---- Fairness windows: maintained with src/report/fairness.ts (docs/fairness.md) ----

/** Jain's index per fairness window, and each client's throughput per window (from doc.fairness). */
function fairnessWindowCharts(doc: ResultDocument): string[] {
  const f = doc.fairness;
  const windows = f.windows;
  if (windows === undefined || windows.length === 0 || f.per_client === undefined) return [];
  const half = (f.window_ms ?? 0) / 2;
  const xs = windows.map((w) => w.t_ms + half);
  return [
    lineChart({
      title: `Fairness per ${f.window_ms} ms window (Jain over throughput / fair share)`,
      xLabel: 'time (ms)',
      yLabel: 'Jain index',
      yMin: 0,
      yMax: 1,
      series: [{ name: 'jain', xs, ys: windows.map((w) => w.jain ?? Number.NaN) }],
    }),
    lineChart({
      title: `Throughput per client per ${f.window_ms} ms window`,
      xLabel: 'time (ms)',
      yLabel: 'Mb/s of frames',
      yMin: 0,
      series: f.per_client.map((c, i) => ({
        name: c.name,
        xs,
        ys: windows.map((w) => w.throughput_mbps[i] ?? Number.NaN),
      })),
    }),
  ];
}

function pct(x: number): string {
  return (x * 100).toFixed(2);
}
