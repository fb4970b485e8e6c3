import { describe, expect, it } from 'vitest';
import { Prng } from '../../src/board/prng.js';
import type { GuestSoftware, VirtualCpu } from '../../src/board/vcpu.js';
import type { ResultDocument } from '../../src/report/result.js';
import { buildSimulation } from '../../src/scenario/build.js';
import { loadScenarioText } from '../../src/scenario/load.js';
import { runSimulation } from '../../src/scenario/run.js';

const SCENARIO = `name: malicious-neighbour
seed: 7
duration: 150ms
warmup: 30ms
board: { cores: 4 }
clients:
  - { name: g0, kind: vm, app: echo, core: 1 }
  - { name: g1, kind: vm, app: echo, core: 2 }
  - { name: bad, kind: vm, app: echo, core: 3 }
load:
  - { to: g0, rate: 150Mbps, streams: 2 }
  - { to: g1, rate: 150Mbps, streams: 2 }
  - { to: bad, rate: 150Mbps, streams: 2 }
`;

/**
 * A guest that runs the Linux-like kernel but, every 200 µs of guest time, scribbles over its
 * own virtqueues: descriptor addresses, lengths, next indices and flags, and the avail index.
 * Everything it writes is its own RAM; the question is what its VMM and the others see.
 */
class ScribblingGuest implements GuestSoftware {
  private readonly prng = new Prng(99);
  scribbles = 0;
  constructor(
    private readonly cpu: VirtualCpu,
    private readonly inner: GuestSoftware,
    private readonly rings: () => { descGpa: number; availGpa: number; num: number }[],
    private readonly ramBase: number,
    private readonly ram: Uint8Array,
  ) {}
  boot(): void {
    this.inner.boot();
    this.cpu.setTimer(this.cpu.now() + 200e3);
  }
  irq(n: number): void {
    this.inner.irq(n);
  }
  softirq(): void {
    this.inner.softirq?.();
  }
  timer(): void {
    this.inner.timer();
    for (const q of this.rings()) {
      if (q.num === 0) continue;
      for (let k = 0; k < 8; k++) {
        const d = q.descGpa - this.ramBase + 16 * this.prng.nextInt(q.num) + this.prng.nextInt(16);
        this.ram[d] = this.prng.nextU32() & 0xff;
      }
      const avail = q.availGpa - this.ramBase + 2;
      this.ram[avail] = (this.ram[avail]! + this.prng.nextInt(3)) & 0xff;
      this.scribbles++;
    }
    this.cpu.setTimer(this.cpu.now() + 200e3);
  }
}

function run(malicious: boolean): { doc: ResultDocument; scribbles: number } {
  const r = loadScenarioText(SCENARIO, 'm.yaml');
  if (!r.ok) throw new Error('bad scenario');
  const sim = buildSimulation(r.scenario);
  let guest: ScribblingGuest | null = null;
  if (malicious) {
    const vm = sim.clients.find((c) => c.name === 'bad')!.vm!;
    const vmm = vm.vmm!;
    const vcpu = vm.vcpu!;
    guest = new ScribblingGuest(
      vcpu,
      vm.guest!,
      () =>
        [0, 1].map((i) => ({
          descGpa: vmm.mmio.queue(i).descGpa,
          availGpa: vmm.mmio.queue(i).driverGpa,
          num: vmm.mmio.queue(i).ready ? vmm.mmio.queue(i).num : 0,
        })),
      vm.guestPhysBase,
      vm.ram.bytes,
    );
    vcpu.guest = guest;
  }
  return { doc: runSimulation(sim), scribbles: guest?.scribbles ?? 0 };
}

describe('a guest that writes malformed virtqueue chains', () => {
  it('hurts only itself: the other guests keep their throughput, nothing faults, nothing leaks', () => {
    const honest = run(false);
    const attacked = run(true);
    expect(attacked.scribbles).toBeGreaterThan(100);
    const rate = (d: ResultDocument, n: string) => d.load.find((l) => l.to === n)!.achieved_mbps;
    for (const n of ['g0', 'g1']) {
      expect(rate(attacked.doc, n)).toBeGreaterThan(0.95 * rate(honest.doc, n));
      expect(attacked.doc.load.find((l) => l.to === n)!.lost).toBe(0);
    }
    // The device side saw the malformed chains and counted them for the bad guest only.
    const bad = attacked.doc.clients.find((c) => c.name === 'bad')!;
    const badDrops = Object.values(bad.drops).reduce((a, b) => a + b, 0);
    expect(badDrops).toBeGreaterThan(0);
    expect(rate(attacked.doc, 'bad')).toBeLessThan(rate(honest.doc, 'bad'));
    // Trusted components never faulted; the VMM of the bad guest is still running.
    expect(attacked.doc.faults.filter((f) => !f.thread.startsWith('bad'))).toEqual([]);
    expect(attacked.doc.coherence).toEqual([]);
  });

  it('from a scenario file: the malformed-chain fault turns a guest malicious at its time', () => {
    const r = loadScenarioText(
      `${SCENARIO}invariants: { check: true }\nfaults:\n  - { at: 60ms, kind: malformed-chain, target: bad }\n`,
      'm.yaml',
    );
    if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('; '));
    const sim = buildSimulation(r.scenario);
    const doc = runSimulation(sim);
    const honest = run(false).doc;
    const rate = (d: ResultDocument, n: string) => d.load.find((l) => l.to === n)!.achieved_mbps;
    for (const n of ['g0', 'g1']) expect(rate(doc, n)).toBeGreaterThan(0.95 * rate(honest, n));
    expect(sim.clients.find((c) => c.name === 'bad')!.vm!.linux!.scribbles).toBeGreaterThan(10);
    const vmm = sim.clients.find((c) => c.name === 'bad')!.vm!.vmm!;
    expect(vmm.net.counters.violations).toBeGreaterThan(0);
    expect(doc.faults.filter((f) => !f.thread.startsWith('bad'))).toEqual([]);
    expect(doc.invariants.violations).toEqual([]);
  });
});
