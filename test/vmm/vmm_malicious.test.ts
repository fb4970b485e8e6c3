import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { T_STOPPED } from '../../src/board/thread.js';
import { availIdx, setAvailIdx, setAvailRing, writeDesc } from '../../src/virtio/split_ring.js';
import { ScriptGuest } from './script_guest.js';
import { buildRig, sddfBuffersHome, udpToGuest } from './vmm_rig.js';

const RAM_BASE = 0x4000_0000;
const RAM_SIZE = 16 * 1024 * 1024;
const MMIO_BASE = 0x0a00_0000;

type Action =
  | { k: 'mmio'; off: number; width: 1 | 2 | 4; write: boolean; value: number }
  | { k: 'desc'; q: 0 | 1; index: number; addr: number; len: number; flags: number; next: number }
  | { k: 'publish'; q: 0 | 1; head: number; delta: number; kick: boolean }
  | { k: 'scribble'; q: 0 | 1; area: 0 | 1 | 2; off: number; bytes: Uint8Array }
  | { k: 'kick'; q: number }
  | { k: 'tx'; len: number }
  | { k: 'access'; gpa: number; width: 1 | 2 | 4; write: boolean; value: number };

const u32 = fc.oneof(
  fc.integer({ min: 0, max: 0xffff_ffff }),
  fc.integer({ min: 0, max: 300 }),
  fc.constantFrom(0, 1, 2, 3, 0x0b, 0x0f, 0x40, 0x80, 0xffff_ffff),
);
const width = fc.constantFrom<1 | 2 | 4>(1, 2, 4, 4, 4);
const queue = fc.constantFrom<0 | 1>(0, 1);
const bufAddr = fc.oneof(
  fc.integer({ min: RAM_BASE, max: RAM_BASE + RAM_SIZE - 1 }),
  fc.integer({ min: RAM_BASE + 0x80_0000, max: RAM_BASE + 0x80_0000 + 0x1_0000 }),
  fc.integer({ min: 0, max: RAM_BASE + 2 * RAM_SIZE }),
  fc.constantFrom(2 ** 64 - 4096, 2 ** 53, RAM_BASE + RAM_SIZE - 8),
);

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({
    k: fc.constant('mmio' as const),
    off: fc.oneof(
      fc.integer({ min: 0, max: 0x240 }),
      fc.integer({ min: 0, max: 0x40 }).map((x) => x * 4),
    ),
    width,
    write: fc.boolean(),
    value: u32,
  }),
  fc.record({
    k: fc.constant('desc' as const),
    q: queue,
    index: fc.integer({ min: 0, max: 255 }),
    addr: bufAddr,
    len: fc.oneof(fc.integer({ min: 0, max: 4096 }), fc.integer({ min: 0, max: 0xffff_ffff })),
    flags: fc.integer({ min: 0, max: 7 }),
    next: fc.oneof(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 0xffff })),
  }),
  fc.record({
    k: fc.constant('publish' as const),
    q: queue,
    head: fc.oneof(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 0xffff })),
    delta: fc.oneof(fc.constant(1), fc.integer({ min: -5, max: 600 })),
    kick: fc.boolean(),
  }),
  fc.record({
    k: fc.constant('scribble' as const),
    q: queue,
    area: fc.constantFrom<0 | 1 | 2>(0, 1, 2),
    off: fc.nat(8000),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 24 }),
  }),
  fc.record({ k: fc.constant('kick' as const), q: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ k: fc.constant('tx' as const), len: fc.integer({ min: 1, max: 1600 }) }),
  fc.record({
    k: fc.constant('access' as const),
    gpa: fc.oneof(
      fc.integer({ min: RAM_BASE - 0x1000, max: RAM_BASE + RAM_SIZE + 0x1000 }),
      fc.integer({ min: MMIO_BASE - 0x100, max: MMIO_BASE + 0x300 }),
    ),
    width,
    write: fc.boolean(),
    value: u32,
  }),
);

function perform(g: ScriptGuest, a: Action, frame: Uint8Array): void {
  switch (a.k) {
    case 'mmio':
      if (a.write) g.write(a.off, a.value, a.width);
      else g.read(a.off, a.width);
      return;
    case 'desc': {
      const l = g.layout(a.q);
      writeDesc(g.mem, l.descGpa, a.index & (l.num - 1), a.addr, a.len, a.flags, a.next);
      return;
    }
    case 'publish': {
      const l = g.layout(a.q);
      const idx = availIdx(g.mem, l.availGpa);
      setAvailRing(g.mem, l.availGpa, idx & (l.num - 1), a.head);
      setAvailIdx(g.mem, l.availGpa, idx + a.delta);
      if (a.kick) g.write(0x050, a.q);
      return;
    }
    case 'scribble': {
      const l = g.layout(a.q);
      const base = a.area === 0 ? l.descGpa : a.area === 1 ? l.availGpa : l.usedGpa;
      const at = base - RAM_BASE + a.off;
      if (at + a.bytes.length <= RAM_SIZE) g.mem.bytes.set(a.bytes, at);
      return;
    }
    case 'kick':
      g.write(0x050, a.q);
      return;
    case 'tx':
      g.driver.transmit(frame, 0, a.len, false);
      return;
    case 'access':
      g.access(a.gpa, a.width, a.write, a.value);
      return;
  }
}

describe('a malicious guest', () => {
  it('never makes the VMM throw or stop, touches nothing outside its regions, and every sDDF buffer comes back', () => {
    // Across all runs the fuzzer must have reached the paths it is meant to exercise.
    const seen = {
      violations: 0,
      needsReset: 0,
      unhandled: 0,
      rxFrames: 0,
      txFrames: 0,
      noGuestBuffer: 0,
      resets: 0,
    };
    fc.assert(
      fc.property(
        fc.array(action, { minLength: 1, maxLength: 60 }),
        fc.array(
          fc.record({
            at: fc.integer({ min: 1_000_000, max: 3_000_000 }),
            n: fc.integer({ min: 1, max: 6 }),
          }),
          {
            maxLength: 8,
          },
        ),
        fc.constantFrom(0, 4, 256),
        (actions, deliveries, rxBuffers) => {
          const frame = new Uint8Array(1600);
          for (let i = 0; i < frame.length; i++) frame[i] = (i * 13) & 0xff;
          const steps: ((g: ScriptGuest) => void)[] = [];
          for (let i = 0; i < actions.length; i += 4) {
            const chunk = actions.slice(i, i + 4);
            steps.push((g) => {
              for (const a of chunk) perform(g, a, frame);
            });
          }
          const rig = buildRig([
            {
              software: (vcpu, vm) =>
                new ScriptGuest(vcpu, vm, steps, { stepNs: 30_000, driver: { rxBuffers } }),
            },
            {},
          ]);
          const canaries = rig.canaries.map((c) => c.bytes.slice());
          const [bad, good] = rig.vms as [(typeof rig.vms)[0], (typeof rig.vms)[0]];
          let seq = 0;
          for (const d of deliveries) {
            const fs: Uint8Array[] = [];
            for (let i = 0; i < d.n; i++) fs.push(udpToGuest(bad, seq++));
            rig.sendAt(0, d.at, fs);
          }
          const goodFrames: Uint8Array[] = [];
          for (let i = 0; i < 10; i++) goodFrames.push(udpToGuest(good, i));
          rig.sendAt(1, 1_500_000, goodFrames);
          rig.run(6e6);

          // The VMM neither threw (runUntil would have) nor faulted on its own memory.
          expect(bad.vmm.state).not.toBe(T_STOPPED);
          expect(bad.vmm.as.faults).toBe(0);
          expect(rig.kernel.faultLog.filter((f) => f.thread === bad.vmm.name)).toEqual([]);
          // Nothing outside the guest's RAM and the VMM's own regions changed.
          rig.canaries.forEach((c, i) => {
            expect(c.bytes).toEqual(canaries[i]);
          });
          // sDDF stays consistent: every buffer is home, no queue was ever seen corrupt.
          const home = sddfBuffersHome(bad);
          expect(home.rx).toBe(home.rxCap);
          expect(home.tx).toBe(home.txCap);
          expect(bad.peer.rx.violations + bad.peer.tx.violations).toBe(0);
          expect(bad.peer.delivered).toBe(seq);
          // The honest neighbour is untouched.
          expect(good.peer.sent.length).toBe(10);
          expect(good.vmm.net.counters.violations).toBe(0);
          const n = bad.vmm.net.counters;
          seen.violations += n.violations;
          seen.needsReset += n.needsReset;
          seen.unhandled += bad.vmm.counters.unhandledFaults;
          seen.rxFrames += n.rxFrames;
          seen.txFrames += n.txFrames;
          seen.noGuestBuffer += n.rxNoGuestBuffer;
          seen.resets += bad.vmm.mmio.counters.resets;
        },
      ),
      { numRuns: 60, seed: 0x5ddf },
    );
    for (const [k, v] of Object.entries(seen)) expect(v, k).toBeGreaterThan(0);
  });
});
