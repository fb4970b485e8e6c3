import { describe, expect, it } from 'vitest';
import { VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } from '../../src/virtio/constants.js';
import { createGuestMemory } from '../../src/virtio/guest_memory.js';
import {
  availFlags,
  availIdx,
  availRing,
  descAddr,
  descFlags,
  descLen,
  descNext,
  setUsedElem,
  setUsedIdx,
  splitRingLayout,
  usedEvent,
} from '../../src/virtio/split_ring.js';
import { BufferChain, UsedOut, VirtqueueDriver } from '../../src/virtio/virtqueue_driver.js';

const BASE = 0x4000_0000;
const DATA = BASE + 0x1_0000;

function make(q: number, eventIdx: boolean) {
  const mem = createGuestMemory(BASE, 1 << 20);
  const l = splitRingLayout(q, BASE + 0x1000);
  const drv = new VirtqueueDriver(mem, q, l.descGpa, l.availGpa, l.usedGpa, { eventIdx });
  return { mem, l, drv };
}

describe('VirtqueueDriver', () => {
  it('writes a chain as linked descriptors with NEXT and WRITE flags and publishes its head', () => {
    const { mem, l, drv } = make(8, false);
    const chain = new BufferChain(4)
      .push(DATA, 12, false)
      .push(DATA + 12, 100, false)
      .push(DATA + 512, 1526, true);
    const head = drv.addBuf(chain);
    expect(head).toBe(0);
    expect(availIdx(mem, l.availGpa)).toBe(1);
    expect(availRing(mem, l.availGpa, 0)).toBe(head);
    let i = head;
    const seen: [number, number, number][] = [];
    for (;;) {
      const f = descFlags(mem, l.descGpa, i);
      seen.push([descAddr(mem, l.descGpa, i), descLen(mem, l.descGpa, i), f & ~VIRTQ_DESC_F_NEXT]);
      if ((f & VIRTQ_DESC_F_NEXT) === 0) break;
      i = descNext(mem, l.descGpa, i);
    }
    expect(seen).toEqual([
      [DATA, 12, 0],
      [DATA + 12, 100, 0],
      [DATA + 512, 1526, VIRTQ_DESC_F_WRITE],
    ]);
    expect(drv.numFree).toBe(5);
  });

  it('refuses a chain that needs more descriptors than are free, and counts it', () => {
    const { drv } = make(4, false);
    const three = new BufferChain(3).push(DATA, 1, false).push(DATA, 1, false).push(DATA, 1, false);
    expect(drv.addBuf(three)).toBeGreaterThanOrEqual(0);
    expect(drv.addBuf(three)).toBe(-1);
    expect(drv.counters.full).toBe(1);
    expect(drv.numFree).toBe(1);
  });

  it('rejects a readable segment after a writable one as a caller bug', () => {
    const { drv } = make(4, false);
    const bad = new BufferChain(2).push(DATA, 1, true).push(DATA, 1, false);
    expect(() => drv.addBuf(bad)).toThrow(/readable segment after/);
  });

  it('takes back used buffers, returning the token and length, and frees their descriptors', () => {
    const { mem, l, drv } = make(4, false);
    const chain = new BufferChain(2).push(DATA, 10, false).push(DATA + 64, 64, true);
    const h = drv.addBuf(chain, 42);
    setUsedElem(mem, l.usedGpa, 0, h, 33);
    setUsedIdx(mem, l.usedGpa, 1);
    const out = new UsedOut();
    expect(drv.getUsed(out)).toBe(true);
    expect([out.id, out.len, out.token]).toEqual([h, 33, 42]);
    expect(drv.numFree).toBe(4);
    expect(drv.getUsed(out)).toBe(false);
  });

  it('stops, marked broken, when the device returns a descriptor that is not an in-flight head', () => {
    const { mem, l, drv } = make(4, false);
    const chain = new BufferChain(2).push(DATA, 10, false).push(DATA, 10, false);
    drv.addBuf(chain);
    setUsedElem(mem, l.usedGpa, 0, 1, 0); // descriptor 1 is the chain's second, not a head
    setUsedIdx(mem, l.usedGpa, 1);
    const out = new UsedOut();
    expect(drv.getUsed(out)).toBe(false);
    expect(drv.broken).toBe(true);
    expect(drv.counters.badUsed).toBe(1);
    expect(drv.addBuf(chain)).toBe(-1);
  });

  it('stops when the device moves used idx past the buffers in flight', () => {
    const { mem, l, drv } = make(4, false);
    drv.addBuf(new BufferChain(1).push(DATA, 10, true));
    setUsedElem(mem, l.usedGpa, 0, 0, 0);
    setUsedIdx(mem, l.usedGpa, 2);
    expect(drv.getUsed(new UsedOut())).toBe(false);
    expect(drv.broken).toBe(true);
  });

  it('uses avail.flags NO_INTERRUPT without EVENT_IDX and used_event with it', () => {
    const a = make(8, false);
    a.drv.disableCallbacks();
    expect(availFlags(a.mem, a.l.availGpa)).toBe(1);
    expect(a.drv.enableCallbacks()).toBe(true);
    expect(availFlags(a.mem, a.l.availGpa)).toBe(0);

    const b = make(8, true);
    b.drv.disableCallbacks();
    expect(availFlags(b.mem, b.l.availGpa)).toBe(0);
    expect(usedEvent(b.mem, b.l.availGpa, 8)).toBe(0xffff);
    expect(b.drv.enableCallbacks()).toBe(true);
    expect(usedEvent(b.mem, b.l.availGpa, 8)).toBe(0);
    for (let i = 0; i < 4; i++) b.drv.addBuf(new BufferChain(1).push(DATA, 10, true));
    expect(b.drv.enableCallbacksDelayed()).toBe(true);
    expect(usedEvent(b.mem, b.l.availGpa, 8)).toBe(3); // 3/4 of 4 in flight
  });
});
