// driver-crash and driver-restart against the native ethernet driver: its monitor restarts it, the
// re-init takes back every buffer (the invariant checker stays silent across the outage), traffic
// resumes and the result says when. Nothing here depends on wall time.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NativeDriverResult, ResultDocument } from '../../src/report/result.js';
import { buildSimulation, type Simulation } from '../../src/scenario/build.js';
import { loadScenarioText } from '../../src/scenario/load.js';
import { runSimulation } from '../../src/scenario/run.js';
import type { Scenario } from '../../src/scenario/schema.js';
import type { EthDriver, RingState } from '../../src/sddf/eth_driver.js';

const TWO_NATIVE = `
system: echo-server
clients:
  - { name: c0, kind: native, app: echo }
  - { name: c1, kind: native, app: echo }
load:
  - { to: c0, rate: 300Mbps }
  - { to: c1, rate: 300Mbps }
`;

const MIXED = `
board: { cores: 2 }
clients:
  - { name: g0, kind: vm, app: echo, core: 1 }
  - { name: g1, kind: vm, app: echo, core: 1 }
  - { name: n0, kind: native, app: echo }
  - { name: n1, kind: native, app: echo }
load:
  - { to: g0, rate: 20Mbps }
  - { to: g1, rate: 20Mbps }
  - { to: n0, rate: 200Mbps }
  - { to: n1, rate: 200Mbps }
`;

function scenario(system: string, faults: string, seed = 3): Scenario {
  const text = `name: native-driver-restart
seed: ${seed}
duration: 60ms
warmup: 10ms
${system}
faults:
${faults}
invariants: { check: true }
`;
  const r = loadScenarioText(text, 'native_driver_restart.yaml');
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.scenario;
}

function run(s: Scenario): { sim: Simulation; doc: ResultDocument; driver: NativeDriverResult } {
  const sim = buildSimulation(s);
  const doc = runSimulation(sim);
  expect(doc.driver).toBeDefined();
  return { sim, doc, driver: doc.driver! };
}

function queueLength(sim: Simulation, name: string): number {
  const v = sim.board.memory.region(`net/queue/${name}`).view;
  return (v.getUint16(0, true) - v.getUint16(2, true)) & 0xffff;
}

/**
 * After the drain the system is idle: every RX DMA buffer is posted in the hardware ring or on the
 * driver's free queue, and every client has all its TX buffers back on its free queue.
 */
function expectEveryBufferBack(sim: Simulation): void {
  const ring = {} as RingState;
  expect((sim.net!.driver as EthDriver).ringState(ring)).toBe(true);
  expect(ring.rxTail - ring.rxHead + queueLength(sim, 'ethernet_driver/net_virt_rx/free')).toBe(
    ring.rxQueueCapacity,
  );
  expect(ring.txTail - ring.txHead).toBe(0);
  sim.net!.clientConfigs.forEach((cfg, i) => {
    const name = sim.clients[i]!.name;
    // A guest's VMM keeps some of its TX buffers on its side of the queue; a native client has them all.
    if (sim.clients[i]!.kind === 'native')
      expect(queueLength(sim, `net_virt_tx/${name}/free`)).toBe(cfg.tx.capacity);
  });
}

describe('native driver crash and restart', () => {
  it('crash then restart (checker on): no violation, every buffer back, traffic resumes at a reported time', () => {
    const { sim, doc, driver } = run(
      scenario(TWO_NATIVE, '  - { at: 30ms, kind: driver-crash, target: driver, duration: 5ms }'),
    );
    expect(doc.invariants.violation_count).toBe(0);
    expect(doc.invariants.checks).toBeGreaterThan(0);
    expect(doc.faults).toEqual([expect.objectContaining({ thread: 'ethernet_driver', kind: 'vm-fault' })]);
    expect(driver.reclaim_violations).toBe(0);
    expect(driver.recoveries).toHaveLength(1);
    const r = driver.recoveries[0]!;
    expect(r.kind).toBe('crash');
    expect(r.crash_ms).toBeGreaterThanOrEqual(30);
    expect(r.crash_ms).toBeLessThan(30.2);
    // The reboot delay, plus however long the monitor waits for the core (entries run to completion).
    expect(r.restart_ms - r.crash_ms).toBeGreaterThanOrEqual(5);
    expect(r.restart_ms - r.crash_ms).toBeLessThan(5.1);
    expect(r.resume_ms).toBeGreaterThan(r.restart_ms);
    expect(r.first_rx_ms).toBe(r.resume_ms);
    expect(r.first_tx_ms).toBeGreaterThan(r.restart_ms);
    expect(r.outage_ms).toBeCloseTo(r.resume_ms - r.crash_ms, 2);
    expect(r.recovery_ms).toBeLessThan(1);
    // The dead driver held the whole RX ring (posted or filled) and the RX pool is 512 buffers.
    expect(r.reclaimed_rx).toBeGreaterThan(0);
    expect(r.reclaimed_rx).toBeLessThanOrEqual(256);
    expect(r.lost_in_ring).toBeGreaterThan(0);
    expect(r.nic_drops).toBeGreaterThanOrEqual(0);
    expectEveryBufferBack(sim);
    // Traffic came back: the echoes lost are about the outage's worth (600 Mb/s of 1514-byte
    // frames is ~50 frames per ms), not the rest of the run.
    const lost = doc.clients.reduce((n, c) => n + (c.drops['lost'] ?? 0), 0);
    expect(lost).toBeGreaterThan(0);
    expect(lost).toBeLessThan(50 * (r.outage_ms + 2));
    // 300 Mb/s of 1514-byte frames is ~25 frames per ms: 60 ms less the outage.
    for (const c of doc.clients) expect(c.rx_frames).toBeGreaterThan(25 * (60 - r.outage_ms - 2));
    expect(doc.pds.find((p) => p.name === 'driver_monitor')).toBeDefined();
  });

  it('crash without restart: the rest keeps running, the NIC counts the frames it drops', () => {
    const { sim, doc, driver } = run(
      scenario(TWO_NATIVE, '  - { at: 30ms, kind: driver-crash, target: driver, duration: 10s }'),
    );
    expect(doc.invariants.violation_count).toBe(0);
    const r = driver.recoveries[0]!;
    expect(r.restart_ms).toBe(-1);
    expect(r.resume_ms).toBe(-1);
    expect(doc.nic['rxDropNoDescriptor']).toBeGreaterThan(100);
    // Only the driver stopped; every other component and client is still there.
    expect(doc.faults.map((f) => f.thread)).toEqual(['ethernet_driver']);
    for (const p of doc.pds) if (p.name !== 'ethernet_driver') expect(p.faults).toBe(0);
    expect(sim.net!.driver.state).toBe(4);
    for (const c of doc.clients) {
      expect(c.rx_frames).toBeGreaterThan(500);
      expect(c.drops['lost']).toBeGreaterThan(500);
    }
  });

  it('driver-restart is an orderly stop and restart: no fault logged, buffers back, traffic resumes', () => {
    const { sim, doc, driver } = run(
      scenario(TWO_NATIVE, '  - { at: 30ms, kind: driver-restart, target: driver }'),
    );
    expect(doc.invariants.violation_count).toBe(0);
    expect(doc.faults).toEqual([]);
    const r = driver.recoveries[0]!;
    expect(r.kind).toBe('restart');
    expect(r.restart_ms).toBe(r.crash_ms);
    expect(r.resume_ms).toBeGreaterThan(r.restart_ms);
    expect(r.first_tx_ms).toBeGreaterThan(0);
    expectEveryBufferBack(sim);
  });

  it('survives restarts and crashes under load with 2 guests and 2 native clients', () => {
    const { sim, doc, driver } = run(
      scenario(
        MIXED,
        [
          '  - { at: 20ms, kind: driver-restart, target: driver, duration: 1ms }',
          '  - { at: 35ms, kind: driver-crash, target: driver, duration: 2ms }',
          '  - { at: 50ms, kind: driver-crash, target: driver }',
        ].join('\n'),
      ),
    );
    expect(doc.invariants.violation_count).toBe(0);
    expect(doc.invariants.skipped).toBeUndefined();
    expect(driver.reclaim_violations).toBe(0);
    expect(driver.recoveries.map((r) => r.kind)).toEqual(['restart', 'crash', 'crash']);
    for (const r of driver.recoveries) {
      expect(r.restart_ms).toBeGreaterThan(r.crash_ms);
      expect(r.resume_ms).toBeGreaterThan(r.restart_ms);
    }
    expect(doc.faults.map((f) => f.thread)).toEqual(['ethernet_driver', 'ethernet_driver']);
    // Every client, guests included, has traffic again between the second outage and the third.
    const w = doc.fairness.windows!.find((x) => x.t_ms >= driver.recoveries[1]!.resume_ms)!;
    expect(w.t_ms + 10).toBeLessThanOrEqual(driver.recoveries[2]!.crash_ms);
    for (const mbps of w.throughput_mbps) expect(mbps).toBeGreaterThan(5);
    expectEveryBufferBack(sim);
  });

  it('crashes an idle driver too (the monitor wakes it), and driver-restart revives one left down', () => {
    const idle = `clients:\n  - { name: n0, kind: native, app: echo }\n`;
    const { doc, driver } = run(
      scenario(
        idle,
        [
          '  - { at: 20ms, kind: driver-crash, target: driver, duration: 10s }',
          '  - { at: 40ms, kind: driver-restart, target: driver }',
        ].join('\n'),
      ),
    );
    expect(doc.invariants.violation_count).toBe(0);
    expect(driver.recoveries).toHaveLength(1);
    const r = driver.recoveries[0]!;
    // Nothing wakes an idle driver: the bug strikes when the monitor's wait (100 us) is over.
    expect(r.crash_ms).toBeGreaterThanOrEqual(20.1);
    expect(r.crash_ms).toBeLessThan(20.2);
    expect(r.restart_ms).toBeGreaterThanOrEqual(40);
    expect(r.restart_ms).toBeLessThan(40.1);
    expect(r.resume_ms).toBe(-1);
  });

  it('gives the same trace hash and result for the same seed', () => {
    const faults = '  - { at: 30ms, kind: driver-crash, target: driver, duration: 3ms }';
    const a = run(scenario(TWO_NATIVE, faults)).doc;
    const b = run(scenario(TWO_NATIVE, faults)).doc;
    expect(b.trace_hash).toBe(a.trace_hash);
    expect(b).toEqual(a);
    expect(run(scenario(TWO_NATIVE, faults, 4)).doc.trace_hash).not.toBe(a.trace_hash);
  });

  it('refuses driver faults on the Linux baseline, which has no sDDF driver PD', () => {
    const linux = `system: linux\nclients:\n  - { name: c0, kind: native, app: echo }\n`;
    expect(() =>
      buildSimulation(scenario(linux, '  - { at: 30ms, kind: driver-crash, target: driver }')),
    ).toThrow(/system 'linux' has no sDDF driver PD/);
  });

  it('composes no monitor when no fault targets the native driver', () => {
    const sim = buildSimulation(scenario(TWO_NATIVE, '  - { at: 30ms, kind: double-enqueue, target: c1 }'));
    expect(sim.driverMonitor).toBeUndefined();
    expect(sim.pds.map((p) => p.name)).not.toContain('driver_monitor');
    expect(sim.board.kernel.threads.map((t) => t.name)).not.toContain('driver_monitor');
  });

  it('property: any crash time and reboot delay leaves no violation and the driver resumes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 12_000, max: 45_000 }),
        fc.integer({ min: 0, max: 4_000 }),
        fc.boolean(),
        (atUs, downUs, crash) => {
          const kind = crash ? 'driver-crash' : 'driver-restart';
          const { doc, driver } = run(
            scenario(
              TWO_NATIVE,
              `  - { at: ${atUs}us, kind: ${kind}, target: driver, duration: ${downUs}us }`,
            ),
          );
          expect(doc.invariants.violation_count).toBe(0);
          expect(driver.reclaim_violations).toBe(0);
          const r = driver.recoveries[0]!;
          expect(r.resume_ms).toBeGreaterThan(r.restart_ms);
          expect(r.restart_ms - r.crash_ms).toBeGreaterThanOrEqual(downUs / 1000 - 1e-9);
          expect(r.restart_ms - r.crash_ms).toBeLessThan(downUs / 1000 + 0.1);
        },
      ),
      { numRuns: 5, seed: 9 },
    );
  });
});
