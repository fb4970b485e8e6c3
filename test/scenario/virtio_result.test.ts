import { describe, expect, it } from 'vitest';
import { runSummary } from '../../src/cli/run_summary.js';
import type { ResultDocument } from '../../src/report/result.js';
import { runReportHtml } from '../../src/report/run_report.js';
import { loadScenarioText } from '../../src/scenario/load.js';
import { runScenario } from '../../src/scenario/run.js';

function run(text: string): ResultDocument {
  const r = loadScenarioText(text, 'virtio.yaml');
  if (!r.ok) throw new Error(r.problems.map((p) => `${p.path}: ${p.message}`).join('; '));
  return runScenario(r.scenario);
}

const plain = (_s: string, t: string) => t;

describe("a vm client's virtio section in the result document", () => {
  it('shows a live device with the features the guest agreed and the queue sizes it set', () => {
    const doc = run(`name: v
duration: 20ms
warmup: 5ms
clients:
  - { name: a, kind: vm, guest: { queue_size: 64 } }
  - { name: b, kind: vm, guest: { event_idx: false } }
  - { name: n, kind: native }
load:
  - { to: a, rate: 50Mbps }
  - { to: b, rate: 50Mbps }
`);
    const [a, b, n] = doc.clients;
    expect(a!.virtio).toEqual({
      status: ['acknowledge', 'driver', 'features_ok', 'driver_ok'],
      features: ['mac', 'status', 'event_idx', 'version_1'],
      queue_sizes: [64, 64],
      violations: { rx: {}, tx: {} },
      register_violations: {},
      needs_reset: 0,
      // Linux resets the device at the start of its probe.
      resets: 1,
      guest_driver: { state: 'up', probes: 1, probe_failures: 0, last_failure: null },
    });
    expect(b!.virtio!.features).toEqual(['mac', 'status', 'version_1']);
    // Without EVENT_IDX the guest kicks for every transmit: more VM exits per frame.
    expect(a!.vm!.mmio_reads).toBeGreaterThan(0);
    expect(a!.vm!.virq_injected).toBeGreaterThan(0);
    expect(b!.vm!.mmio_exits_per_frame).toBeGreaterThan(a!.vm!.mmio_exits_per_frame);
    expect(a!.vm!.mmio_exits_per_frame).toBe(
      Math.round(((a!.vm!.mmio_reads + a!.vm!.mmio_writes) / (a!.rx_frames + a!.tx_frames)) * 1000) / 1000,
    );
    expect(n!.vm).toBeUndefined();
    expect(b!.virtio!.queue_sizes).toEqual([256, 256]);
    expect(n!.virtio).toBeUndefined();
    expect(runSummary(doc, plain)).toContain('virtio: 2 guest device(s) live, no violations');
  });

  it('counts the probes of every boot: a restarted guest has probed twice', () => {
    const doc = run(`name: v
duration: 30ms
warmup: 5ms
clients:
  - { name: a, kind: vm }
load:
  - { to: a, rate: 50Mbps }
faults:
  - { at: 15ms, kind: guest-restart, target: a }
`);
    const v = doc.clients[0]!.virtio!;
    expect(v.guest_driver).toEqual({ state: 'up', probes: 2, probe_failures: 0, last_failure: null });
    expect(v.status).toContain('driver_ok');
  });

  it('says why a guest whose RAM cannot hold its rings never went live', () => {
    const doc = run(`name: v
duration: 10ms
warmup: 5ms
clients:
  - { name: small, kind: vm, guest: { ram: 64KiB } }
  - { name: fine, kind: vm }
load:
  - { to: small, rate: 10Mbps }
  - { to: fine, rate: 10Mbps }
`);
    const v = doc.clients[0]!.virtio!;
    expect(v.status).toContain('failed');
    expect(v.status).not.toContain('driver_ok');
    expect(v.queue_sizes).toEqual([0, 0]);
    expect(v.guest_driver).toEqual({
      state: 'failed',
      probes: 1,
      probe_failures: 1,
      last_failure: 'out_of_guest_ram',
    });
    expect(doc.clients[0]!.drops['device_not_live']).toBeGreaterThan(0);
    const text = runSummary(doc, plain);
    expect(text).toContain('virtio: 1 of 2 guest(s) with problems');
    expect(text).toContain(
      'small: not live at the end (status acknowledge|driver|features_ok|failed), probe failed: out_of_guest_ram',
    );
    expect(text).not.toContain('  fine:');
  });

  it('says which guests crashed or hung, whose devices stay at driver_ok', () => {
    const doc = run(`name: v
duration: 20ms
warmup: 5ms
clients:
  - { name: ok, kind: vm }
  - { name: dead, kind: vm }
  - { name: stuck, kind: vm }
load:
  - { to: ok, rate: 10Mbps }
faults:
  - { at: 10ms, kind: guest-crash, target: dead }
  - { at: 10ms, kind: guest-hang, target: stuck }
`);
    expect(doc.clients.map((c) => c.vm!.vcpu)).toEqual(['running', 'stopped', 'hung']);
    // The device does not know its guest is gone.
    expect(doc.clients[1]!.virtio!.status).toContain('driver_ok');
    const text = runSummary(doc, plain);
    expect(text).toContain('virtio: 2 of 3 guest(s) with problems');
    expect(text).toContain('  dead: its vCPU stopped (see faults)');
    expect(text).toContain('  stuck: the guest hung (guest-hang)');
    expect(text).not.toContain('  ok:');
  });

  it('counts a malformed-chain guest by class, with its resets and re-probes, and only that guest', () => {
    const doc = run(`name: v
duration: 100ms
warmup: 20ms
clients:
  - { name: good, kind: vm }
  - { name: bad, kind: vm }
load:
  - { to: good, rate: 100Mbps }
  - { to: bad, rate: 100Mbps }
faults:
  - { at: 40ms, kind: malformed-chain, target: bad }
`);
    const good = doc.clients[0]!.virtio!;
    const bad = doc.clients[1]!.virtio!;
    expect(good.violations).toEqual({ rx: {}, tx: {} });
    expect(good.needs_reset).toBe(0);
    const total =
      Object.values(bad.violations.rx).reduce((a, n) => a + n, 0) +
      Object.values(bad.violations.tx).reduce((a, n) => a + n, 0);
    expect(total).toBeGreaterThan(0);
    expect(bad.needs_reset).toBeGreaterThan(0);
    // Every DEVICE_NEEDS_RESET is answered by the guest: a reset and a fresh probe.
    expect(bad.resets).toBe(bad.needs_reset + 1);
    expect(bad.guest_driver!.probes).toBe(bad.needs_reset + 1);
    const text = runSummary(doc, plain);
    expect(text).toMatch(/ {2}bad: \d+ ring violations \(/);
    expect(text).toContain(`DEVICE_NEEDS_RESET ${bad.needs_reset} times`);
    expect(text).not.toContain('  good:');
    // report.html has the same in a table, a row per guest.
    const html = runReportHtml(doc, null);
    expect(html).toContain('Guest virtio-net devices');
    const firstClass = Object.keys(bad.violations.rx)[0] ?? Object.keys(bad.violations.tx)[0]!;
    expect(html).toContain(`${firstClass} ${bad.violations.rx[firstClass] ?? bad.violations.tx[firstClass]}`);
  });
});
