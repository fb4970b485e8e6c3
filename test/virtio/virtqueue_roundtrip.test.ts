import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHAIN_ANY, ChainOut } from '../../src/virtio/chain_out.js';
import { createGuestMemory, type GuestMemory } from '../../src/virtio/guest_memory.js';
import { splitRingLayout } from '../../src/virtio/split_ring.js';
import { BufferChain, UsedOut, VirtqueueDriver } from '../../src/virtio/virtqueue_driver.js';
import { VirtqueueDevice } from '../../src/virtio/virtqueue_device.js';
import { VQ_EMPTY, VQ_OK } from '../../src/virtio/virtqueue_violation.js';

const BASE = 0x4000_0000;
const MEM_SIZE = 1 << 20;
const RING_GPA = BASE + 0x1000;
const DATA_GPA = BASE + 0x2_0000;
const SLOT_SIZE = 4096;

type Cmd =
  | { kind: 'add'; readable: number[]; writable: number[] }
  | { kind: 'device'; n: number }
  | { kind: 'driver'; n: number }
  | { kind: 'kick' }
  | { kind: 'callbacks'; on: boolean; delayed: boolean }
  | { kind: 'notify'; on: boolean };

const segLen = fc.integer({ min: 0, max: 900 });
const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .record({
        kind: fc.constant('add' as const),
        readable: fc.array(segLen, { maxLength: 3 }),
        writable: fc.array(segLen, { maxLength: 3 }),
      })
      .filter((c) => c.readable.length + c.writable.length > 0),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('device' as const), n: fc.integer({ min: 1, max: 8 }) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('driver' as const), n: fc.integer({ min: 1, max: 8 }) }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('kick' as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('callbacks' as const),
      on: fc.boolean(),
      delayed: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('notify' as const), on: fc.boolean() }) },
);

interface InFlight {
  slot: number;
  head: number;
  segGpa: number[];
  segLen: number[];
  segWrite: boolean[];
  readData: Uint8Array;
  writableBytes: number;
  /** Set once the device completed it. */
  written: number;
  pattern: number;
}

/** Raw little-endian u16 read, independent of the code under test. */
function raw16(mem: GuestMemory, gpa: number): number {
  const o = gpa - mem.gpaBase;
  return mem.bytes[o]! | (mem.bytes[o + 1]! << 8);
}

/** Reference for "did moving the index from old over `count` entries pass `event`", by enumeration. */
function passes(event: number, old: number, count: number): boolean {
  for (let k = 0; k < count; k++) if (((old + k) & 0xffff) === event) return true;
  return false;
}

function runScenario(q: number, eventIdx: boolean, start: number, cmds: Cmd[]): void {
  const mem = createGuestMemory(BASE, MEM_SIZE);
  const layout = splitRingLayout(q, RING_GPA);
  const drv = new VirtqueueDriver(mem, q, layout.descGpa, layout.availGpa, layout.usedGpa, {
    eventIdx,
    startIndex: start,
  });
  const dev = new VirtqueueDevice(mem, 256);
  expect(dev.configure(q, layout.descGpa, layout.availGpa, layout.usedGpa, eventIdx, start)).toBe(VQ_OK);

  const chain = new BufferChain(8);
  const walk = new ChainOut(256);
  const used = new UsedOut();
  const host = new Uint8Array(8192);
  const freeSlots: number[] = [];
  for (let s = q - 1; s >= 0; s--) freeSlots.push(s);
  const byHead = new Map<number, InFlight>();
  const bySlot = new Map<number, InFlight>();
  let seq = 1;
  let added = 0;
  let returned = 0;
  let addedSinceKick = 0;
  let callbacksOn = true;
  let deviceArmed = false;
  let addedSinceArm = 0;
  let lastUsedModel = start;

  const deviceStep = (n: number): void => {
    const oldUsed = dev.usedIdx;
    const driverCaughtUp = lastUsedModel === oldUsed;
    let pushed = 0;
    for (let k = 0; k < n; k++) {
      const st = dev.popAvail(walk);
      if (st === VQ_EMPTY) break;
      expect(st).toBe(VQ_OK);
      deviceArmed = false;
      expect(dev.walkChain(walk.head, walk, CHAIN_ANY)).toBe(VQ_OK);
      const f = byHead.get(walk.head);
      expect(f).toBeDefined();
      if (f === undefined) return;
      expect(walk.count).toBe(f.segLen.length);
      expect(walk.readableBytes).toBe(f.readData.length);
      expect(walk.writableBytes).toBe(f.writableBytes);
      for (let i = 0; i < walk.count; i++) {
        expect(walk.gpa[i]).toBe(f.segGpa[i]);
        expect(walk.len[i]).toBe(f.segLen[i]);
        expect(walk.writable[i] === 1).toBe(f.segWrite[i]);
      }
      const skip = f.readData.length > 0 ? seq % (f.readData.length + 1) : 0;
      const got = dev.readChain(walk, host, 0, skip, host.length);
      expect(got).toBe(f.readData.length - skip);
      expect(host.subarray(0, got)).toEqual(f.readData.subarray(skip));
      // Write a slightly short answer, in two pieces to exercise `skip`.
      const want = Math.max(0, f.writableBytes - (f.pattern % 5));
      for (let i = 0; i < want; i++) host[i] = (f.pattern + i * 7) & 0xff;
      const first = Math.min(3, want);
      let w = dev.writeChain(walk, host, 0, first, 0);
      w += dev.writeChain(walk, host, first, want - first, first);
      expect(w).toBe(want);
      f.written = want;
      expect(dev.pushUsed(walk.head, want)).toBe(true);
      pushed++;
    }
    const newUsed = dev.usedIdx;
    const ev = raw16(mem, layout.usedEventGpa);
    const noInt = (raw16(mem, layout.availGpa) & 1) === 1;
    const expectInt = eventIdx ? passes(ev, oldUsed, pushed) : pushed > 0 && !noInt;
    const need = dev.needInterrupt(oldUsed);
    expect(need).toBe(expectInt);
    // No lost wake-up: a driver waiting with callbacks on must hear about the first completion.
    if (callbacksOn && driverCaughtUp && pushed > 0) expect(need).toBe(true);
    expect(newUsed).toBe((oldUsed + pushed) & 0xffff);
  };

  const driverStep = (n: number): void => {
    for (let k = 0; k < n; k++) {
      if (!drv.getUsed(used)) break;
      lastUsedModel = (lastUsedModel + 1) & 0xffff;
      const f = bySlot.get(used.token);
      expect(f).toBeDefined();
      if (f === undefined) return;
      expect(used.id).toBe(f.head);
      expect(used.len).toBe(f.written);
      // The first `written` bytes of the writable segments hold the device's pattern.
      let i = 0;
      for (let s = 0; s < f.segLen.length && i < f.written; s++) {
        if (!f.segWrite[s]) continue;
        const o = f.segGpa[s]! - BASE;
        for (let b = 0; b < f.segLen[s]! && i < f.written; b++, i++) {
          expect(mem.bytes[o + b]).toBe((f.pattern + i * 7) & 0xff);
        }
      }
      byHead.delete(f.head);
      bySlot.delete(f.slot);
      freeSlots.push(f.slot);
      returned++;
    }
  };

  for (const c of cmds) {
    switch (c.kind) {
      case 'add': {
        const nseg = c.readable.length + c.writable.length;
        if (freeSlots.length === 0 || nseg > drv.numFree) {
          if (freeSlots.length > 0) {
            chain.clear();
            for (let i = 0; i < nseg; i++) chain.push(DATA_GPA, 0, i >= c.readable.length);
            expect(drv.addBuf(chain)).toBe(-1);
          }
          break;
        }
        const slot = freeSlots.pop()!;
        const f: InFlight = {
          slot,
          head: -1,
          segGpa: [],
          segLen: [],
          segWrite: [],
          readData: new Uint8Array(c.readable.reduce((a, b) => a + b, 0)),
          writableBytes: c.writable.reduce((a, b) => a + b, 0),
          written: -1,
          pattern: seq++,
        };
        chain.clear();
        let gpa = DATA_GPA + slot * SLOT_SIZE;
        let r = 0;
        for (const len of c.readable) {
          for (let i = 0; i < len; i++) {
            const v = (f.pattern * 13 + r * 3) & 0xff;
            mem.bytes[gpa - BASE + i] = v;
            f.readData[r++] = v;
          }
          chain.push(gpa, len, false);
          f.segGpa.push(gpa);
          f.segLen.push(len);
          f.segWrite.push(false);
          gpa += len;
        }
        for (const len of c.writable) {
          mem.bytes.fill(0xee, gpa - BASE, gpa - BASE + len);
          chain.push(gpa, len, true);
          f.segGpa.push(gpa);
          f.segLen.push(len);
          f.segWrite.push(true);
          gpa += len;
        }
        const head = drv.addBuf(chain, slot);
        expect(head).toBeGreaterThanOrEqual(0);
        expect(byHead.has(head)).toBe(false);
        f.head = head;
        byHead.set(head, f);
        bySlot.set(slot, f);
        added++;
        addedSinceKick++;
        addedSinceArm++;
        break;
      }
      case 'device':
        deviceStep(c.n);
        break;
      case 'driver':
        driverStep(c.n);
        break;
      case 'kick': {
        const newAvail = raw16(mem, layout.availGpa + 2);
        const old = (newAvail - addedSinceKick) & 0xffff;
        const expectKick = eventIdx
          ? passes(raw16(mem, layout.availEventGpa), old, addedSinceKick)
          : (raw16(mem, layout.usedGpa) & 1) === 0;
        const kick = drv.kickPrepare();
        expect(kick).toBe(expectKick);
        // No lost kick: a device that re-armed with nothing pending must hear about new buffers.
        if (deviceArmed && addedSinceArm > 0) {
          expect(kick).toBe(true);
          deviceArmed = false;
        }
        addedSinceKick = 0;
        break;
      }
      case 'callbacks':
        if (c.on) {
          const quiet = c.delayed ? drv.enableCallbacksDelayed() : drv.enableCallbacks();
          const pending = (dev.usedIdx - lastUsedModel) & 0xffff;
          if (!c.delayed) expect(quiet).toBe(pending === 0);
          // Delayed mode can leave the driver waiting on a later entry: only model the plain one.
          callbacksOn = !c.delayed;
        } else {
          drv.disableCallbacks();
          callbacksOn = false;
        }
        break;
      case 'notify':
        if (c.on) {
          const more = dev.enableNotify();
          expect(more).toBe(dev.availPending() !== 0);
          deviceArmed = !more;
          addedSinceArm = 0;
        } else {
          dev.disableNotify();
          deviceArmed = false;
        }
        break;
    }
  }

  // Drain: every buffer comes back exactly once.
  for (let round = 0; round < 4 * q && byHead.size > 0; round++) {
    deviceStep(q);
    driverStep(q);
  }
  expect(byHead.size).toBe(0);
  expect(returned).toBe(added);
  expect(drv.numFree).toBe(q);
  expect(drv.broken).toBe(false);
  expect(dev.counters.violations).toBe(0);
  expect(dev.counters.popped).toBe(added);
  expect(drv.counters.used).toBe(added);
  expect(raw16(mem, layout.availGpa + 2)).toBe((start + added) & 0xffff);
  expect(raw16(mem, layout.usedGpa + 2)).toBe((start + added) & 0xffff);
}

describe('driver and device sides over shared guest memory', () => {
  const startArb = fc.oneof(
    fc.constant(0),
    fc.integer({ min: 65500, max: 65535 }),
    fc.integer({ min: 0, max: 65535 }),
  );

  it('return every buffer exactly once with the right length and data, with EVENT_IDX', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 2, 4, 8, 16, 32),
        startArb,
        fc.array(cmdArb, { maxLength: 80 }),
        (q, start, cmds) => {
          runScenario(q, true, start, cmds);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('return every buffer exactly once with the right length and data, without EVENT_IDX', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 2, 4, 8, 16, 32),
        startArb,
        fc.array(cmdArb, { maxLength: 80 }),
        (q, start, cmds) => {
          runScenario(q, false, start, cmds);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('keep working across the u16 index wrap over many rounds', () => {
    const cmds: Cmd[] = [];
    for (let i = 0; i < 40; i++) {
      cmds.push({ kind: 'add', readable: [10], writable: [] });
      cmds.push({ kind: 'add', readable: [], writable: [20, 5] });
      cmds.push({ kind: 'kick' }, { kind: 'device', n: 2 }, { kind: 'driver', n: 2 });
    }
    runScenario(4, true, 65500, cmds);
    runScenario(4, false, 65500, cmds);
  });

  it('suppress kicks and interrupts with EVENT_IDX when the other side asked for none yet', () => {
    const mem = createGuestMemory(BASE, MEM_SIZE);
    const l = splitRingLayout(8, RING_GPA);
    const drv = new VirtqueueDriver(mem, 8, l.descGpa, l.availGpa, l.usedGpa, { eventIdx: true });
    const dev = new VirtqueueDevice(mem, 8);
    dev.configure(8, l.descGpa, l.availGpa, l.usedGpa, true);
    const chain = new BufferChain(1).push(DATA_GPA, 64, true);
    dev.setAvailEvent(2); // kick me once entry 2 is published
    drv.addBuf(chain);
    expect(drv.kickPrepare()).toBe(false);
    drv.addBuf(chain);
    expect(drv.kickPrepare()).toBe(false);
    drv.addBuf(chain);
    expect(drv.kickPrepare()).toBe(true);
    drv.disableCallbacks();
    const out = new ChainOut(8);
    const old = dev.usedIdx;
    while (dev.popAvail(out) === VQ_OK) dev.pushUsed(out.head, 0);
    expect(dev.needInterrupt(old)).toBe(false);
    expect(drv.enableCallbacks()).toBe(false); // three pending: poll, don't wait
  });
});
