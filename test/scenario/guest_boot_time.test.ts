// guest.boot_time: the guest probes its virtio-net device that long after its vCPU starts and
// after every guest-restart; the restart record's resume time includes it.
import { describe, expect, it } from 'vitest';
import type { ResultDocument } from '../../src/report/result.js';
import { buildSimulation } from '../../src/scenario/build.js';
import { loadScenarioText } from '../../src/scenario/load.js';
import { runScenario } from '../../src/scenario/run.js';
import type { Scenario } from '../../src/scenario/schema.js';

function scenario(bootTime: string | null, faults = ''): Scenario {
  const guest = bootTime === null ? '' : `, guest: { boot_time: ${bootTime} }`;
  const r = loadScenarioText(
    `name: boot
duration: 60ms
warmup: 20ms
board: { cores: 2 }
clients:
  - { name: g0, kind: vm, app: echo, core: 0 }
  - { name: g1, kind: vm, app: echo, core: 1${guest} }
load:
  - { to: g0, rate: 100Mbps }
  - { to: g1, rate: 100Mbps }
invariants: { check: true }
${faults}`,
    'boot.yaml',
  );
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('; '));
  return r.scenario;
}

const RESTART = 'faults:\n  - { at: 40ms, kind: guest-restart, target: g1 }\n';
const restartOf = (d: ResultDocument) => d.clients.find((c) => c.name === 'g1')!.restarts![0]!;

describe('guest.boot_time', () => {
  it('is unset by default, and 0ms behaves exactly like unset', () => {
    const unset = runScenario(scenario(null, RESTART));
    const zero = runScenario(scenario('0ms', RESTART));
    expect(scenario(null).clients[1]!.guest!.boot_time).toBeUndefined();
    expect(zero.trace_hash).toBe(unset.trace_hash);
  });

  it('delays the first device probe by the boot time', () => {
    const sim = buildSimulation(scenario('15ms'));
    const linux = sim.clients.find((c) => c.name === 'g1')!.vm!.linux!;
    sim.board.run(14.9e6);
    expect(linux.boots).toBe(1);
    expect(linux.driver).toBeNull();
    sim.board.run(15.1e6);
    expect(linux.driver).not.toBeNull();
  });

  it('delays the probe after a guest-restart: resume_ms includes the boot time', () => {
    const quick = restartOf(runScenario(scenario(null, RESTART)));
    const doc = runScenario(scenario('8ms', RESTART));
    const slow = restartOf(doc);
    expect(slow.restart_ms).toBe(40);
    expect(slow.first_rx_ms).toBeGreaterThanOrEqual(48);
    expect(slow.first_tx_ms).toBeGreaterThanOrEqual(48);
    expect(slow.resume_ms).toBeGreaterThanOrEqual(8);
    expect(slow.resume_ms).toBeGreaterThan(quick.resume_ms + 7);
    // While g1 boots the others are untouched and nothing is violated.
    expect(doc.load.find((l) => l.to === 'g0')!.lost).toBe(0);
    expect(doc.invariants.violations).toEqual([]);
  });

  it('rejects a boot time that is not a time', () => {
    const r = loadScenarioText(
      'name: x\nclients:\n  - { name: g, kind: vm, guest: { boot_time: soon } }\n',
      'b.yaml',
    );
    expect(r.ok).toBe(false);
  });
});
