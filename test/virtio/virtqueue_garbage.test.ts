import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHAIN_ANY, CHAIN_READABLE, CHAIN_WRITABLE, ChainOut } from '../../src/virtio/chain_out.js';
import type { GuestMemory } from '../../src/virtio/guest_memory.js';
import { splitRingLayout } from '../../src/virtio/split_ring.js';
import { VirtqueueDevice } from '../../src/virtio/virtqueue_device.js';
import {
  isViolation,
  VQ_BAD_FIRST,
  VQ_BAD_LAST,
  VQ_EMPTY,
  VQ_OK,
} from '../../src/virtio/virtqueue_violation.js';

const BASE = 0x4000_0000;
const SIZE = 1 << 20;
const GUARD = 4096;
const CANARY = 0xa5;
const RING_GPA = BASE + 0x1000;

interface Tracked {
  mem: GuestMemory;
  /** Out-of-bounds accesses seen, as descriptions. */
  oob: string[];
  /** Calls into the memory's DataView (a bound on work done). */
  viewCalls: number;
  /** True when every guard byte around guest RAM still holds the canary. */
  guardsIntact(): boolean;
}

function isIndex(p: string | symbol): boolean {
  return typeof p === 'string' && p !== '' && String(Number(p)) === p;
}

const WIDTH: Record<string, number> = {
  getUint8: 1,
  setUint8: 1,
  getInt8: 1,
  setInt8: 1,
  getUint16: 2,
  setUint16: 2,
  getInt16: 2,
  setInt16: 2,
  getUint32: 4,
  setUint32: 4,
  getInt32: 4,
  setInt32: 4,
  getFloat32: 4,
  setFloat32: 4,
  getFloat64: 8,
  setFloat64: 8,
  getBigUint64: 8,
  setBigUint64: 8,
  getBigInt64: 8,
  setBigInt64: 8,
};

/**
 * Guest RAM placed between two canary-filled guard zones of one buffer, reached only through
 * proxies that record any index, DataView offset, subarray range or set target outside RAM.
 */
function trackedMemory(): Tracked {
  const buf = new ArrayBuffer(SIZE + 2 * GUARD);
  const all = new Uint8Array(buf);
  all.fill(CANARY);
  const inner = new Uint8Array(buf, GUARD, SIZE);
  inner.fill(0);
  const innerView = new DataView(buf, GUARD, SIZE);
  const t: Tracked = {
    mem: undefined as unknown as GuestMemory,
    oob: [],
    viewCalls: 0,
    guardsIntact() {
      for (let i = 0; i < GUARD; i++) if (all[i] !== CANARY || all[GUARD + SIZE + i] !== CANARY) return false;
      return true;
    },
  };
  const check = (what: string, off: unknown, len: number): void => {
    const o = Number(off);
    if (!Number.isInteger(o) || o < 0 || len < 0 || o + len > SIZE)
      t.oob.push(`${what}(${String(off)}, ${len})`);
  };
  const view = new Proxy(innerView, {
    get(target, p) {
      const v = Reflect.get(target, p, target) as unknown;
      if (typeof v !== 'function') return v;
      const width = WIDTH[String(p)];
      return (...args: unknown[]) => {
        t.viewCalls++;
        if (width !== undefined) check(String(p), args[0], width);
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  const bytes = new Proxy(inner, {
    get(target, p) {
      if (isIndex(p)) {
        check('index', p, 1);
        return target[Number(p)];
      }
      if (p === 'subarray') {
        return (b: number, e: number) => {
          check('subarray', b, e - b);
          return target.subarray(b, e);
        };
      }
      if (p === 'set') {
        return (src: ArrayLike<number>, off = 0) => {
          check('set', off, src.length);
          target.set(src, off);
        };
      }
      const v = Reflect.get(target, p, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
    set(target, p, value) {
      if (isIndex(p)) {
        check('store', p, 1);
        target[Number(p)] = value as number;
        return true;
      }
      return Reflect.set(target, p, value, target);
    },
  });
  t.mem = { bytes, view, gpaBase: BASE, size: SIZE };
  return t;
}

interface Case {
  q: number;
  eventIdx: boolean;
  start: number;
  garbage: Uint8Array;
  /** Per descriptor: address into RAM, length below 4 KiB, flags and next near valid, so walks get deeper. */
  tame: boolean[];
  /** Keep avail idx within reach of the device and ring entries near the queue, so pops and walks happen. */
  tameIdx: boolean;
  needs: number[];
}

const caseArb: fc.Arbitrary<Case> = fc.constantFrom(1, 2, 4, 8, 16, 32, 64).chain((q) => {
  const total = splitRingLayout(q, RING_GPA).totalSize;
  return fc.record({
    q: fc.constant(q),
    eventIdx: fc.boolean(),
    start: fc.integer({ min: 0, max: 0xffff }),
    garbage: fc.uint8Array({ minLength: total, maxLength: total }),
    tame: fc.array(fc.boolean(), { minLength: q, maxLength: q }),
    tameIdx: fc.boolean(),
    needs: fc.array(fc.constantFrom(CHAIN_ANY, CHAIN_READABLE, CHAIN_WRITABLE), {
      minLength: 1,
      maxLength: 8,
    }),
  });
});

describe('device side over random ring memory', () => {
  it('never throws, never reaches outside guest RAM and always terminates', () => {
    let okWalks = 0;
    const reasons = new Set<number>();
    fc.assert(
      fc.property(caseArb, (c) => {
        const t = trackedMemory();
        const mem = t.mem;
        const l = splitRingLayout(c.q, RING_GPA);
        const raw = new Uint8Array(mem.bytes.buffer, mem.bytes.byteOffset, SIZE);
        raw.set(c.garbage, RING_GPA - BASE);
        const dv = new DataView(raw.buffer, raw.byteOffset, SIZE);
        for (let i = 0; i < c.q; i++) {
          if (!c.tame[i]) continue;
          const o = l.descGpa - BASE + 16 * i;
          dv.setUint32(o, BASE + (dv.getUint32(o, true) % SIZE), true);
          dv.setUint32(o + 4, 0, true);
          dv.setUint32(o + 8, dv.getUint32(o + 8, true) % 4096, true);
          dv.setUint16(o + 12, dv.getUint16(o + 12, true) & 7, true);
          dv.setUint16(o + 14, dv.getUint16(o + 14, true) % (c.q + 1), true);
        }
        if (c.tameIdx) {
          const o = l.availGpa - BASE;
          dv.setUint16(o + 2, (c.start + (dv.getUint16(o + 2, true) % (c.q + 1))) & 0xffff, true);
          for (let i = 0; i < c.q; i++)
            dv.setUint16(o + 4 + 2 * i, dv.getUint16(o + 4 + 2 * i, true) % (c.q + 1), true);
        }

        const dev = new VirtqueueDevice(mem, 64);
        expect(dev.configure(c.q, l.descGpa, l.availGpa, l.usedGpa, c.eventIdx, c.start)).toBe(VQ_OK);
        const out = new ChainOut(64);
        const host = new Uint8Array(8192).fill(0x5a);
        const iterations = 2 * c.q + 2;
        let walks = 0;
        const callsBefore = t.viewCalls;
        for (let k = 0; k < iterations; k++) {
          const old = dev.usedIdx;
          const st = dev.popAvail(out);
          if (st === VQ_EMPTY) break;
          if (isViolation(st)) break; // the back-end would set DEVICE_NEEDS_RESET here
          expect(st).toBe(VQ_OK);
          const need = c.needs[k % c.needs.length]!;
          const res = dev.walkChain(out.head, out, need);
          walks++;
          expect(out.count).toBeLessThanOrEqual(c.q);
          let written = 0;
          reasons.add(res);
          if (res === VQ_OK) {
            okWalks++;
            expect(dev.readChain(out, host, 0, k, host.length)).toBeLessThanOrEqual(out.readableBytes);
            written = dev.writeChain(out, host, 0, host.length, k % 3);
            expect(written).toBeLessThanOrEqual(out.writableBytes);
          } else {
            expect(isViolation(res)).toBe(true);
          }
          dev.pushUsed(out.head, written);
          dev.needInterrupt(old);
          dev.enableNotify();
        }
        expect(t.oob).toEqual([]);
        expect(t.guardsIntact()).toBe(true);
        // Each walk reads at most Q+1 descriptors (5 fields each); pops and completions are O(1).
        expect(t.viewCalls - callsBefore).toBeLessThanOrEqual(walks * (c.q + 1) * 5 + iterations * 16 + 16);
        let sum = 0;
        for (let r = VQ_BAD_FIRST; r <= VQ_BAD_LAST; r++) sum += dev.counters.byReason[r]!;
        expect(sum).toBe(dev.counters.violations);
      }),
      { numRuns: 300 },
    );
    // The random rings must reach both accepted chains and several violation classes.
    expect(okWalks).toBeGreaterThan(0);
    expect(reasons.size).toBeGreaterThan(6);
  });

  it('has a tracker that notices accesses outside guest RAM', () => {
    const t = trackedMemory();
    expect(t.mem.bytes[SIZE]).toBeUndefined();
    t.mem.bytes.subarray(SIZE - 4, SIZE + 4);
    expect(() => t.mem.view.getUint16(SIZE - 1, true)).toThrow(RangeError);
    expect(t.oob.length).toBe(3);
  });
});
