import { describe, expect, it } from 'vitest';
import { loadScenarioText } from '../../src/scenario/load.js';
import { runScenario } from '../../src/scenario/run.js';
import { defaultScenario } from '../../src/scenario/default_scenario.js';
import type { Scenario } from '../../src/scenario/schema.js';

function scenario(text: string): Scenario {
  const r = loadScenarioText(text, 'test.yaml');
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('; '));
  return r.scenario;
}

/** Two echo guests on their own cores, 100 Mb/s each, checker on; `faults` is a YAML block. */
function twoGuests(name: string, faults: string): string {
  return `name: ${name}
duration: 100ms
warmup: 20ms
board: { cores: 2 }
clients:
  - { name: g0, kind: vm, app: echo, core: 0 }
  - { name: g1, kind: vm, app: echo, core: 1 }
load:
  - { to: g0, rate: 100Mbps }
  - { to: g1, rate: 100Mbps }
invariants: { check: true }
${faults}`;
}

describe('guest VM scenarios', () => {
  it('gives four echo guests under equal load each their share within 5%', () => {
    const s = defaultScenario();
    s.duration = 100e6;
    s.warmup = 50e6;
    const doc = runScenario(s);
    const got = doc.load.map((l) => l.achieved_mbps);
    const mean = got.reduce((a, b) => a + b, 0) / got.length;
    expect(mean).toBeGreaterThan(190);
    for (const g of got) expect(Math.abs(g - mean) / mean).toBeLessThan(0.05);
    for (const c of doc.clients) expect(c.kind).toBe('vm');
    expect(doc.faults).toEqual([]);
    expect(doc.coherence).toEqual([]);
  });

  it('runs 64 guests on one board, each echoing its own flow', () => {
    const n = 64;
    const clients = Array.from(
      { length: n },
      (_, i) => `  - { name: g${i}, kind: vm, app: echo, core: ${i % 4}, guest: { ram: 4MiB } }`,
    ).join('\n');
    const load = Array.from({ length: n }, (_, i) => `  - { to: g${i}, rate: 2Mbps }`).join('\n');
    const s = scenario(
      `name: many\nduration: 60ms\nwarmup: 40ms\nboard: { cores: 4 }\nclients:\n${clients}\nload:\n${load}\n`,
    );
    const doc = runScenario(s);
    expect(doc.clients).toHaveLength(n);
    for (const l of doc.load) {
      expect(l.achieved_mbps).toBeGreaterThan(1.5);
      expect(l.lost).toBe(0);
    }
  });

  it('mixes native clients and guests on one NIC', () => {
    const s = scenario(`name: mixed
duration: 50ms
warmup: 20ms
clients:
  - { name: g0, kind: vm, app: echo }
  - { name: n0, kind: native, app: echo }
load:
  - { to: g0, rate: 100Mbps }
  - { to: n0, rate: 100Mbps }
`);
    const doc = runScenario(s);
    for (const l of doc.load) expect(Math.abs(l.achieved_mbps - 100) / 100).toBeLessThan(0.03);
  });

  it('injects a guest crash at its time: that guest stops, the other keeps its throughput', () => {
    const text = (faults: string) => twoGuests('crash', faults);
    const base = runScenario(scenario(text('')));
    const crashed = runScenario(scenario(text('faults:\n  - { at: 60ms, kind: guest-crash, target: g1 }\n')));
    const g0 = (d: typeof base) => d.load.find((l) => l.to === 'g0')!.achieved_mbps;
    const g1 = (d: typeof base) => d.load.find((l) => l.to === 'g1')!.achieved_mbps;
    expect(g1(crashed)).toBeLessThan(0.6 * g1(base));
    expect(g0(crashed)).toBeGreaterThan(0.95 * g0(base));
    expect(crashed.faults.some((f) => f.thread === 'g1_vcpu')).toBe(true);
    // No trusted pool lost or duplicated a buffer because a guest died.
    expect(crashed.invariants.checks).toBeGreaterThan(5);
    expect(crashed.invariants.violations).toEqual([]);
  });

  it('refuses a client fault aimed at a guest, naming the fault and its target', () => {
    const r = loadScenarioText(
      `name: f
clients:
  - { name: g0, kind: vm, app: echo }
faults:
  - { at: 100ms, kind: notification-storm, target: g0 }
`,
      'test.yaml',
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toEqual([
      expect.objectContaining({
        line: 5,
        path: 'faults[0].target',
        message: "fault 'notification-storm' targets 'g0', which is not a native client",
      }),
    ]);
  });

  it('a hung guest stops taking and sending frames; its neighbour and the trusted pools are unaffected', () => {
    const text = (faults: string) => twoGuests('hang', faults);
    const base = runScenario(scenario(text('')));
    const hung = runScenario(scenario(text('faults:\n  - { at: 50ms, kind: guest-hang, target: g1 }\n')));
    const rate = (d: typeof base, n: string) => d.load.find((l) => l.to === n)!.achieved_mbps;
    expect(rate(hung, 'g1')).toBeLessThan(0.5 * rate(base, 'g1'));
    expect(rate(hung, 'g0')).toBeGreaterThan(0.95 * rate(base, 'g0'));
    // A hang is not a crash: nothing faulted, and the VMM drops what the guest no longer takes.
    expect(hung.faults).toEqual([]);
    expect(hung.clients.find((c) => c.name === 'g1')!.drops['no_guest_buffer']).toBeGreaterThan(0);
    expect(hung.invariants.violations).toEqual([]);
  });

  it('a restarted guest reboots, probes its device again and carries traffic; the report says how soon', () => {
    const text = (faults: string) => twoGuests('restart', faults);
    const base = runScenario(scenario(text('')));
    const doc = runScenario(scenario(text('faults:\n  - { at: 50ms, kind: guest-restart, target: g1 }\n')));
    const g1 = doc.clients.find((c) => c.name === 'g1')!;
    expect(base.clients.find((c) => c.name === 'g1')!.restarts).toBeUndefined();
    expect(g1.restarts).toHaveLength(1);
    const r = g1.restarts![0]!;
    expect(r.restart_ms).toBe(50);
    // Traffic came back both ways after the reboot, and the resume time is the later of the two.
    expect(r.first_rx_ms).toBeGreaterThan(50);
    expect(r.first_tx_ms).toBeGreaterThan(50);
    expect(r.resume_ms).toBeCloseTo(Math.max(r.first_rx_ms, r.first_tx_ms) - 50, 6);
    expect(r.resume_ms).toBeLessThan(10);
    const rate = (d: typeof base, n: string) => d.load.find((l) => l.to === n)!.achieved_mbps;
    expect(rate(doc, 'g0')).toBeGreaterThan(0.95 * rate(base, 'g0'));
    expect(rate(doc, 'g1')).toBeGreaterThan(0.5 * rate(base, 'g1'));
    expect(doc.invariants.violations).toEqual([]);
  });
});
