// The invariant checker on the native-driver 'full' system: silent on a healthy run, unchanged
// trace hash, and loud when a buffer is duplicated or dropped behind the components' backs.
import { describe, expect, it } from 'vitest';
import type { Region } from '../../src/board/memory.js';
import type { NetClient } from '../../src/sddf/client.js';
import { buildSimulation, type Simulation } from '../../src/scenario/build.js';
import { InvariantChecker, type ViolationKind } from '../../src/scenario/invariants.js';
import { loadScenarioText } from '../../src/scenario/load.js';
import { runScenario, runSimulation } from '../../src/scenario/run.js';
import type { Scenario } from '../../src/scenario/schema.js';

function scenario(check: boolean, system = 'echo-server'): Scenario {
  const text = `
name: invariants
seed: 3
duration: 50ms
warmup: 5ms
system: ${system}
clients:
  - { name: c0, kind: native, app: echo }
  - { name: c1, kind: native, app: echo }
load:
  - { to: c0, rate: 300Mbps }
  - { to: c1, rate: 300Mbps }
invariants: { check: ${check} }
`;
  const r = loadScenarioText(text, 'invariants.yaml');
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.scenario;
}

function region(sim: Simulation, name: string): Region {
  return sim.board.memory.region(name);
}

/** A queue's length from its header (tail u16 @0, head u16 @2). */
function queueLength(r: Region): number {
  return (r.view.getUint16(0, true) - r.view.getUint16(2, true)) & 0xffff;
}

/** Appends a copy of the queue's head descriptor (16 bytes from @8): one buffer now appears twice. */
function duplicateHead(r: Region, capacity: number): void {
  const v = r.view;
  const tail = v.getUint16(0, true);
  const head = v.getUint16(2, true);
  const from = 8 + (head % capacity) * 16;
  const to = 8 + (tail % capacity) * 16;
  r.bytes.copyWithin(to, from, from + 16);
  v.setUint16(0, (tail + 1) & 0xffff, true);
}

/** Takes back the last enqueued descriptor: its buffer is nowhere any more. */
function dropLast(r: Region): void {
  r.view.setUint16(0, (r.view.getUint16(0, true) - 1) & 0xffff, true);
}

/** A built system run for 10 ms with a checker that checks only when asked. */
function started(): { sim: Simulation; checker: InvariantChecker } {
  const sim = buildSimulation(scenario(false));
  const checker = new InvariantChecker({ every: 1e12 });
  checker.attach(sim);
  sim.board.run(10e6);
  checker.check(10e6);
  expect(checker.checks).toBe(1);
  expect(checker.violations).toEqual([]);
  return { sim, checker };
}

function kinds(c: InvariantChecker): ViolationKind[] {
  return c.violations.map((v) => v.kind);
}

const RX_FREE = 'net/queue/ethernet_driver/net_virt_rx/free';
const TX_FREE_C1 = 'net/queue/net_virt_tx/c1/free';

describe('InvariantChecker', () => {
  it('finds no violation in a healthy echo run, checks many times, and leaves the trace hash alone', () => {
    const off = runScenario(scenario(false));
    const checker = new InvariantChecker();
    const watched = runSimulation(buildSimulation(scenario(false)), { observers: [checker] });
    expect(checker.checks).toBeGreaterThan(10);
    expect(checker.framesChecked).toBeGreaterThan(1000);
    expect(checker.skipped).toBeNull();
    expect(checker.violations).toEqual([]);
    expect(checker.corruptQueues + checker.foreignEntries).toBe(0);
    expect(watched.invariants.violations).toEqual([]);
    expect(watched.trace_hash).toBe(off.trace_hash);
    const on = runScenario(scenario(true));
    expect(on.invariants.violations).toEqual([]);
    expect(on.trace_hash).toBe(off.trace_hash);
    expect(on.clients[0]!.rx_frames).toBeGreaterThan(0);
  });

  it('accepts a broadcast frame shared by both clients with a reference count', () => {
    const { sim, checker } = started();
    const frame = new Uint8Array(64);
    frame.fill(0xff, 0, 6);
    frame.set([0x02, 0, 0, 0, 0, 0x99, 0x88, 0xb5], 6);
    const before = checker.framesChecked;
    expect(sim.board.wire.sendToNic(frame, 0, frame.length)).toBe(true);
    sim.board.run(12e6);
    checker.check(12e6);
    expect(sim.net!.virtRx!.broadcasts).toBeGreaterThan(0);
    expect(checker.framesChecked).toBeGreaterThan(before);
    expect(checker.violations).toEqual([]);
  });

  it('reports a duplicated RX DMA buffer', () => {
    const { sim, checker } = started();
    const r = region(sim, RX_FREE);
    expect(queueLength(r)).toBeGreaterThan(0);
    duplicateHead(r, 512);
    checker.check(10e6);
    expect(kinds(checker)).toEqual(['rx-buffer-duplicated']);
    // The same fault seen again is not a new violation.
    checker.check(10e6);
    expect(checker.violationCount).toBe(1);
  });

  it('reports a lost RX DMA buffer', () => {
    const { sim, checker } = started();
    const r = region(sim, RX_FREE);
    expect(queueLength(r)).toBeGreaterThan(0);
    dropLast(r);
    checker.check(10e6);
    expect(kinds(checker)).toEqual(['rx-buffer-lost']);
  });

  it('reports an RX buffer whose reference count disagrees with the copier queues', () => {
    const { sim, checker } = started();
    // Pretend virt_rx handed out a buffer the driver still has posted.
    const meta = region(sim, 'net/rx/virt_metadata');
    const r = region(sim, RX_FREE);
    const idx =
      (r.view.getUint32(8 + (r.view.getUint16(2, true) % 512) * 16, true) - sim.net!.rxDma.paddr) / 2048;
    meta.bytes[idx] = 1;
    checker.check(10e6);
    expect(kinds(checker)).toEqual(['rx-buffer-lost']);
    expect(checker.violations[0]!.detail).toContain(`buffer ${idx} `);
  });

  it('reports a duplicated TX buffer', () => {
    const { sim, checker } = started();
    const r = region(sim, TX_FREE_C1);
    expect(queueLength(r)).toBeGreaterThan(0);
    duplicateHead(r, 512);
    checker.check(10e6);
    expect(kinds(checker)).toEqual(['tx-buffer-duplicated']);
    expect(checker.violations[0]!.detail).toContain('client c1');
  });

  it('reports a lost TX buffer', () => {
    const { sim, checker } = started();
    const r = region(sim, TX_FREE_C1);
    expect(queueLength(r)).toBeGreaterThan(0);
    dropLast(r);
    checker.check(10e6);
    expect(kinds(checker)).toEqual(['tx-buffer-lost']);
  });

  it('reports a frame delivered to a client whose MAC it does not carry', () => {
    const { sim, checker } = started();
    const frame = new Uint8Array(64);
    frame.set([0x02, 0, 0, 0, 0, 0x11], 0); // c1's address, delivered to c0
    (sim.clients[0]!.pd as NetClient).onFrame!(0, 10e6, frame, 0, 64);
    expect(kinds(checker)).toEqual(['frame-to-wrong-client']);
    expect(checker.violations[0]!.detail).toContain('client c0');
  });

  it('blames a frame a client read out of the RX DMA pool itself on that client, the addressee its victim', () => {
    const { sim, checker } = started();
    const c0 = sim.clients[0]!.pd as NetClient;
    const frame = new Uint8Array(64);
    frame.set([0x02, 0, 0, 0, 0, 0x11], 0); // c1's address, snooped by c0
    c0.snooping = true;
    c0.onFrame!(0, 10e6, frame, 0, 64);
    frame.fill(0xff, 0, 6); // broadcast is anyone's
    c0.onFrame!(0, 10e6, frame, 0, 64);
    c0.snooping = false;
    expect(checker.violations).toEqual([
      expect.objectContaining({ kind: 'frame-to-wrong-client', component: 'c0', victim: 'client c1' }),
    ]);
    expect(checker.violations[0]!.detail).toContain('out of the shared RX DMA pool');
  });

  it('skips buffer conservation, with a reason, on systems other than the full one', () => {
    const sim = buildSimulation(scenario(false, 'sddf-4pd'));
    const checker = new InvariantChecker();
    checker.attach(sim);
    sim.board.run(5e6);
    checker.check(5e6);
    expect(checker.skipped).toMatch(/full/);
    expect(checker.checks).toBe(0);
  });
});

describe('InvariantChecker with a driver VM', () => {
  const DVM = `
name: invariants-dvm
seed: 3
duration: 60ms
warmup: 30ms
board: { cores: 2 }
driver: { kind: vm, core: 1 }
clients:
  - { name: g0, kind: vm, app: echo, core: 0 }
  - { name: c1, kind: native, app: echo, core: 0 }
load:
  - { to: g0, rate: 10Mbps }
  - { to: c1, rate: 10Mbps }
`;
  function startedDvm(extra = ''): { sim: Simulation; checker: InvariantChecker } {
    const r = loadScenarioText(DVM + extra, 'dvm.yaml');
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const sim = buildSimulation(r.scenario);
    const checker = new InvariantChecker({ every: 1e12 });
    checker.attach(sim);
    sim.board.run(25e6);
    checker.check(25e6);
    expect(checker.skipped).toBeNull();
    expect(checker.checks).toBe(1);
    expect(checker.violations).toEqual([]);
    return { sim, checker };
  }

  it('checks conservation through the crash and reboot of the driver VM and finds nothing wrong', () => {
    const { sim, checker } = startedDvm(
      'faults:\n  - { at: 35ms, kind: driver-crash, target: driver, duration: 4ms }\n  - { at: 60ms, kind: driver-restart, target: driver }\n',
    );
    for (let t = 26e6; t <= 90e6; t += 0.5e6) {
      sim.board.run(t);
      checker.check(t);
    }
    expect(checker.checks).toBeGreaterThan(100);
    expect(checker.violations).toEqual([]);
    expect(sim.board.kernel.faultLog.map((f) => f.thread)).toEqual([
      'ethernet_driver_vmm_vcpu',
      'ethernet_driver_vmm_vcpu',
    ]);
  });

  it('reports a buffer that leaves the driver VM ledger behind everyone’s back as lost', () => {
    const { sim, checker } = startedDvm();
    const ledger = sim.driverVm!.vmm!.poolLedger() as number[];
    expect(ledger.length).toBeGreaterThan(0);
    ledger.pop();
    checker.check(25e6);
    expect(kinds(checker)).toEqual(['rx-buffer-lost']);
  });

  it('reports a duplicated RX buffer and a lost TX buffer on the driver VM’s queues', () => {
    const { sim, checker } = startedDvm();
    const r = region(sim, RX_FREE);
    expect(queueLength(r)).toBeGreaterThan(0);
    duplicateHead(r, sim.driverVm!.vmm!.cfg.virtRx.capacity);
    const t = region(sim, TX_FREE_C1);
    expect(queueLength(t)).toBeGreaterThan(0);
    dropLast(t);
    checker.check(25e6);
    expect(kinds(checker).sort()).toEqual(['rx-buffer-duplicated', 'tx-buffer-lost']);
  });
});
