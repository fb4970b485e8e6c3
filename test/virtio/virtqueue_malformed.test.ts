import { describe, expect, it } from 'vitest';
import { CHAIN_ANY, CHAIN_READABLE, CHAIN_WRITABLE, ChainOut } from '../../src/virtio/chain_out.js';
import { VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } from '../../src/virtio/constants.js';
import { createGuestMemory, type GuestMemory } from '../../src/virtio/guest_memory.js';
import { setAvailIdx, setAvailRing, splitRingLayout, writeDesc } from '../../src/virtio/split_ring.js';
import { VirtqueueDevice } from '../../src/virtio/virtqueue_device.js';
import {
  VQ_BAD_ADDR,
  VQ_BAD_ADDR_OVERFLOW,
  VQ_BAD_AVAIL_IDX,
  VQ_BAD_CHAIN_TOO_LONG,
  VQ_BAD_DIRECTION,
  VQ_BAD_HEAD,
  VQ_BAD_INDIRECT,
  VQ_BAD_LOOP,
  VQ_BAD_NEXT,
  VQ_BAD_ORDER,
  VQ_BAD_QUEUE_SIZE,
  VQ_BAD_RING_ADDR,
  VQ_BAD_RING_ALIGN,
  VQ_BAD_TOTAL_LEN,
  VQ_EMPTY,
  VQ_NOT_READY,
  VQ_OK,
  VQ_RESULT_NAMES,
} from '../../src/virtio/virtqueue_violation.js';

const BASE = 0x4000_0000;
const SIZE = 1 << 20;
const Q = 8;
const DATA = BASE + 0x1_0000;
const N = VIRTQ_DESC_F_NEXT;
const W = VIRTQ_DESC_F_WRITE;

interface Rig {
  mem: GuestMemory;
  dev: VirtqueueDevice;
  out: ChainOut;
  l: ReturnType<typeof splitRingLayout>;
}

function rig(mem: GuestMemory = createGuestMemory(BASE, SIZE)): Rig {
  const l = splitRingLayout(Q, BASE + 0x1000);
  const dev = new VirtqueueDevice(mem, Q);
  expect(dev.configure(Q, l.descGpa, l.availGpa, l.usedGpa, false)).toBe(VQ_OK);
  return { mem, dev, out: new ChainOut(Q), l };
}

/** Publish `head` as the next avail entry, as a driver would. */
function publish(r: Rig, head: number, idx = 1): void {
  setAvailRing(r.mem, r.l.availGpa, (idx - 1) & (Q - 1), head);
  setAvailIdx(r.mem, r.l.availGpa, idx);
}

/** Pop and walk; assert the given violation is returned, recorded in `out` and counted exactly once. */
function expectViolation(r: Rig, need: number, code: number): void {
  expect(r.dev.popAvail(r.out)).toBe(VQ_OK);
  const got = r.dev.walkChain(r.out.head, r.out, need);
  expect(VQ_RESULT_NAMES[got]).toBe(VQ_RESULT_NAMES[code]);
  expect(r.out.result).toBe(code);
  expect(r.dev.counters.byReason[code]).toBe(1);
  expect(r.dev.counters.violations).toBe(1);
}

describe('device side facing malformed rings', () => {
  it('reports a head index outside the queue', () => {
    const r = rig();
    publish(r, Q);
    expectViolation(r, CHAIN_ANY, VQ_BAD_HEAD);
    expect(r.out.badDesc).toBe(Q);
  });

  it('reports a next index outside the queue', () => {
    const r = rig();
    writeDesc(r.mem, r.l.descGpa, 0, DATA, 64, N, 1);
    writeDesc(r.mem, r.l.descGpa, 1, DATA, 64, N, 0xffff);
    publish(r, 0);
    expectViolation(r, CHAIN_ANY, VQ_BAD_NEXT);
    expect(r.out.count).toBe(2);
  });

  it('reports a chain that returns to a descriptor it already used as a loop', () => {
    const r = rig();
    writeDesc(r.mem, r.l.descGpa, 2, DATA, 64, N, 5);
    writeDesc(r.mem, r.l.descGpa, 5, DATA, 64, N, 2);
    publish(r, 2);
    expectViolation(r, CHAIN_ANY, VQ_BAD_LOOP);
    expect(r.out.badDesc).toBe(2);
  });

  it('stops a chain running past the queue size at its first repeated descriptor', () => {
    const r = rig();
    for (let i = 0; i < Q; i++) writeDesc(r.mem, r.l.descGpa, i, DATA, 16, N, (i + 1) % Q);
    publish(r, 0);
    expectViolation(r, CHAIN_ANY, VQ_BAD_LOOP);
    expect(r.out.count).toBe(Q);
  });

  it('reports a chain longer than the caller can hold', () => {
    const r = rig();
    const small = new ChainOut(3);
    for (let i = 0; i < 4; i++) writeDesc(r.mem, r.l.descGpa, i, DATA, 16, i < 3 ? N : 0, i + 1);
    publish(r, 0);
    expect(r.dev.popAvail(small)).toBe(VQ_OK);
    expect(r.dev.walkChain(small.head, small, CHAIN_ANY)).toBe(VQ_BAD_CHAIN_TOO_LONG);
    expect(r.dev.counters.byReason[VQ_BAD_CHAIN_TOO_LONG]).toBe(1);
  });

  it('reports buffers that start below, end above, or lie wholly outside guest RAM', () => {
    for (const [addr, len] of [
      [BASE - 1, 16],
      [BASE + SIZE - 8, 16],
      [BASE + SIZE, 1],
      [0, 64],
      [0x1_0000_0000_0000, 64],
    ] as const) {
      const r = rig();
      writeDesc(r.mem, r.l.descGpa, 0, addr, len, 0, 0);
      publish(r, 0);
      expectViolation(r, CHAIN_ANY, VQ_BAD_ADDR);
    }
  });

  it('reports an address whose length wraps past 2^64', () => {
    const r = rig();
    const o = r.l.descGpa - BASE;
    r.mem.view.setUint32(o, 0xffff_fff0, true);
    r.mem.view.setUint32(o + 4, 0xffff_ffff, true);
    r.mem.view.setUint32(o + 8, 0x20, true);
    publish(r, 0);
    expectViolation(r, CHAIN_ANY, VQ_BAD_ADDR_OVERFLOW);
  });

  it('reports a device-readable descriptor after a device-writable one', () => {
    const r = rig();
    writeDesc(r.mem, r.l.descGpa, 0, DATA, 64, N | W, 1);
    writeDesc(r.mem, r.l.descGpa, 1, DATA + 64, 64, 0, 0);
    publish(r, 0);
    expectViolation(r, CHAIN_ANY, VQ_BAD_ORDER);
  });

  it('reports a writable descriptor on a queue the device only reads from', () => {
    const r = rig();
    writeDesc(r.mem, r.l.descGpa, 0, DATA, 12, N, 1);
    writeDesc(r.mem, r.l.descGpa, 1, DATA + 64, 64, W, 0);
    publish(r, 0);
    expectViolation(r, CHAIN_READABLE, VQ_BAD_DIRECTION);
  });

  it('reports a readable descriptor on a queue the device only writes to', () => {
    const r = rig();
    writeDesc(r.mem, r.l.descGpa, 0, DATA, 1526, 0, 0);
    publish(r, 0);
    expectViolation(r, CHAIN_WRITABLE, VQ_BAD_DIRECTION);
  });

  it('reports an INDIRECT descriptor, a feature never negotiated here', () => {
    const r = rig();
    writeDesc(r.mem, r.l.descGpa, 0, DATA, 64, VIRTQ_DESC_F_INDIRECT, 0);
    publish(r, 0);
    expectViolation(r, CHAIN_ANY, VQ_BAD_INDIRECT);
  });

  it('reports an avail index that moved by more than the queue size and takes nothing', () => {
    const r = rig();
    setAvailIdx(r.mem, r.l.availGpa, Q + 1);
    expect(r.dev.popAvail(r.out)).toBe(VQ_BAD_AVAIL_IDX);
    expect(r.dev.counters.byReason[VQ_BAD_AVAIL_IDX]).toBe(1);
    expect(r.dev.lastAvailIdx).toBe(0);
    expect(r.dev.counters.popped).toBe(0);
    // An index moved backwards is the same as one moved by almost 2^16.
    setAvailIdx(r.mem, r.l.availGpa, 0xffff);
    expect(r.dev.popAvail(r.out)).toBe(VQ_BAD_AVAIL_IDX);
  });

  it('accepts an avail index that moved by exactly the queue size', () => {
    const r = rig();
    for (let i = 0; i < Q; i++) writeDesc(r.mem, r.l.descGpa, i, DATA, 64, 0, 0);
    for (let i = 0; i < Q; i++) setAvailRing(r.mem, r.l.availGpa, i, i);
    setAvailIdx(r.mem, r.l.availGpa, Q);
    for (let i = 0; i < Q; i++) {
      expect(r.dev.popAvail(r.out)).toBe(VQ_OK);
      expect(r.dev.walkChain(r.out.head, r.out, CHAIN_ANY)).toBe(VQ_OK);
    }
    expect(r.dev.popAvail(r.out)).toBe(VQ_EMPTY);
    expect(r.dev.counters.violations).toBe(0);
  });

  it('reports a chain whose readable bytes exceed 2^32 - 1', () => {
    // A memory that claims 4 GiB: the walk only reads descriptors, never the buffers.
    const small = createGuestMemory(BASE, SIZE);
    const r = rig({ ...small, size: 2 ** 32 });
    for (let i = 0; i < 3; i++) writeDesc(r.mem, r.l.descGpa, i, BASE, 0x7000_0000, i < 2 ? N : 0, i + 1);
    publish(r, 0);
    expectViolation(r, CHAIN_ANY, VQ_BAD_TOTAL_LEN);
  });

  it('walks a well-formed mixed chain and records its segments', () => {
    const r = rig();
    writeDesc(r.mem, r.l.descGpa, 4, DATA, 12, N, 6);
    writeDesc(r.mem, r.l.descGpa, 6, DATA + 100, 0, N, 1);
    writeDesc(r.mem, r.l.descGpa, 1, DATA + 200, 300, N | W, 3);
    writeDesc(r.mem, r.l.descGpa, 3, DATA + 600, 0, W, 0);
    publish(r, 4);
    expect(r.dev.popAvail(r.out)).toBe(VQ_OK);
    expect(r.dev.walkChain(r.out.head, r.out, CHAIN_ANY)).toBe(VQ_OK);
    expect(r.out.count).toBe(4);
    expect(r.out.firstWritable).toBe(2);
    expect(r.out.readableBytes).toBe(12);
    expect(r.out.writableBytes).toBe(300);
    expect(r.dev.counters.violations).toBe(0);
  });

  it('rejects queue sizes, alignments and ring placements the spec forbids', () => {
    const mem = createGuestMemory(BASE, SIZE);
    const dev = new VirtqueueDevice(mem, 256);
    const l = splitRingLayout(256, BASE);
    expect(dev.configure(3, l.descGpa, l.availGpa, l.usedGpa, false)).toBe(VQ_BAD_QUEUE_SIZE);
    expect(dev.configure(512, l.descGpa, l.availGpa, l.usedGpa, false)).toBe(VQ_BAD_QUEUE_SIZE);
    expect(dev.configure(256, l.descGpa + 8, l.availGpa, l.usedGpa, false)).toBe(VQ_BAD_RING_ALIGN);
    expect(dev.configure(256, l.descGpa, l.availGpa + 1, l.usedGpa, false)).toBe(VQ_BAD_RING_ALIGN);
    expect(dev.configure(256, l.descGpa, l.availGpa, l.usedGpa + 2, false)).toBe(VQ_BAD_RING_ALIGN);
    expect(dev.configure(256, l.descGpa, l.availGpa, BASE + SIZE - 16, false)).toBe(VQ_BAD_RING_ADDR);
    expect(dev.configure(256, 0, l.availGpa, l.usedGpa, false)).toBe(VQ_BAD_RING_ADDR);
    expect(dev.ready).toBe(false);
    expect(dev.counters.violations).toBe(7);
    expect(dev.popAvail({ head: 0 })).toBe(VQ_NOT_READY);
    expect(dev.pushUsed(0, 0)).toBe(false);
    expect(dev.needInterrupt(0)).toBe(false);
    expect(dev.counters.violations).toBe(7);
  });

  it('copies nothing out of or into a chain that failed validation', () => {
    const r = rig();
    writeDesc(r.mem, r.l.descGpa, 0, DATA, 64, N, 1);
    writeDesc(r.mem, r.l.descGpa, 1, DATA, 64, N | W, 99);
    publish(r, 0);
    expectViolation(r, CHAIN_ANY, VQ_BAD_NEXT);
    const host = new Uint8Array(256).fill(7);
    expect(r.dev.readChain(r.out, host, 0, 0, 256)).toBe(0);
    expect(r.dev.writeChain(r.out, host, 0, 256)).toBe(0);
    expect(r.mem.bytes[DATA - BASE]).toBe(0);
  });
});
