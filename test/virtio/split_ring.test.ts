import { describe, expect, it } from 'vitest';
import { createGuestMemory } from '../../src/virtio/guest_memory.js';
import {
  availEvent,
  availIdx,
  availRing,
  availRingSize,
  descAddr,
  descFlags,
  descLen,
  descNext,
  descTableSize,
  isValidQueueSize,
  setAvailEvent,
  setAvailIdx,
  setAvailRing,
  setUsedElem,
  setUsedEvent,
  setUsedIdx,
  splitRingLayout,
  usedElemId,
  usedElemLen,
  usedEvent,
  usedIdx,
  usedRingSize,
  vringNeedEvent,
  writeDesc,
} from '../../src/virtio/split_ring.js';

/** Linux uapi `vring_size(num, align)`, written out from the header's formula. */
function linuxVringSize(num: number, align: number): number {
  return ((16 * num + 2 * (3 + num) + align - 1) & ~(align - 1)) + 2 * 3 + 8 * num;
}

describe('split ring layout', () => {
  it('matches the Linux uapi virtio_ring.h offsets for a 256-entry queue at 4096 alignment', () => {
    const base = 0x4000_0000;
    const l = splitRingLayout(256, base);
    expect(l.descGpa).toBe(base);
    expect(l.availGpa).toBe(base + 4096); // desc = 16 * 256
    expect(l.usedEventGpa).toBe(l.availGpa + 4 + 2 * 256); // vring_used_event = &avail->ring[num]
    expect(l.usedGpa).toBe(base + 8192); // align(4096 + 6 + 512, 4096)
    expect(l.availEventGpa).toBe(l.usedGpa + 4 + 8 * 256); // vring_avail_event = &used->ring[num]
    expect(l.totalSize).toBe(10246);
    expect(l.totalSize).toBe(linuxVringSize(256, 4096));
  });

  it('matches the legacy vring_size formula for every queue size and common alignments', () => {
    for (let q = 1; q <= 32768; q *= 2) {
      for (const align of [4, 16, 4096, 65536]) {
        const l = splitRingLayout(q, 0x8000_0000, align);
        expect(l.totalSize).toBe(linuxVringSize(q, align));
        expect((l.usedGpa - l.descGpa) % align).toBe(0);
        expect(l.usedGpa).toBeGreaterThanOrEqual(l.availGpa + availRingSize(q));
      }
    }
  });

  it('sizes the areas as the spec does: 16Q, 6+2Q and 6+8Q bytes', () => {
    expect(descTableSize(128)).toBe(2048);
    expect(availRingSize(128)).toBe(262);
    expect(usedRingSize(128)).toBe(1030);
  });

  it('accepts only powers of two up to 32768 as queue sizes', () => {
    expect(isValidQueueSize(1)).toBe(true);
    expect(isValidQueueSize(256)).toBe(true);
    expect(isValidQueueSize(32768)).toBe(true);
    expect(isValidQueueSize(0)).toBe(false);
    expect(isValidQueueSize(3)).toBe(false);
    expect(isValidQueueSize(65536)).toBe(false);
    expect(isValidQueueSize(2.5)).toBe(false);
  });

  it('puts every field at its little-endian byte offset', () => {
    const base = 0x1000;
    const mem = createGuestMemory(base, 0x8000);
    const q = 8;
    const l = splitRingLayout(q, base);
    const b = mem.bytes;
    writeDesc(mem, l.descGpa, 3, 0x1_2345_6789, 0xaabbccdd, 0x0003, 0x0102);
    const d = l.descGpa - base + 16 * 3;
    expect([...b.subarray(d, d + 16)]).toEqual([
      0x89, 0x67, 0x45, 0x23, 0x01, 0, 0, 0, 0xdd, 0xcc, 0xbb, 0xaa, 0x03, 0x00, 0x02, 0x01,
    ]);
    expect(descAddr(mem, l.descGpa, 3)).toBe(0x1_2345_6789);
    expect(descLen(mem, l.descGpa, 3)).toBe(0xaabbccdd);
    expect(descFlags(mem, l.descGpa, 3)).toBe(3);
    expect(descNext(mem, l.descGpa, 3)).toBe(0x0102);

    setAvailIdx(mem, l.availGpa, 0x1234);
    setAvailRing(mem, l.availGpa, 5, 0x0607);
    setUsedEvent(mem, l.availGpa, q, 0xbeef);
    const a = l.availGpa - base;
    expect([b[a + 2], b[a + 3]]).toEqual([0x34, 0x12]);
    expect([b[a + 4 + 10], b[a + 4 + 11]]).toEqual([0x07, 0x06]);
    expect([b[a + 4 + 2 * q], b[a + 5 + 2 * q]]).toEqual([0xef, 0xbe]);
    expect(availIdx(mem, l.availGpa)).toBe(0x1234);
    expect(availRing(mem, l.availGpa, 5)).toBe(0x0607);
    expect(usedEvent(mem, l.availGpa, q)).toBe(0xbeef);

    setUsedIdx(mem, l.usedGpa, 0x10002); // u16: wraps to 2
    setUsedElem(mem, l.usedGpa, 7, 0x11223344, 1526);
    setAvailEvent(mem, l.usedGpa, q, 0xcafe);
    const u = l.usedGpa - base;
    expect([b[u + 2], b[u + 3]]).toEqual([2, 0]);
    expect([...b.subarray(u + 4 + 56, u + 4 + 64)]).toEqual([0x44, 0x33, 0x22, 0x11, 0xf6, 0x05, 0, 0]);
    expect([b[u + 4 + 8 * q], b[u + 5 + 8 * q]]).toEqual([0xfe, 0xca]);
    expect(usedIdx(mem, l.usedGpa)).toBe(2);
    expect(usedElemId(mem, l.usedGpa, 7)).toBe(0x11223344);
    expect(usedElemLen(mem, l.usedGpa, 7)).toBe(1526);
    expect(availEvent(mem, l.usedGpa, q)).toBe(0xcafe);
  });
});

describe('vringNeedEvent', () => {
  it('is true exactly when the event index is among the entries just published, across the u16 wrap', () => {
    for (const old of [0, 1, 100, 65530, 65535]) {
      for (let count = 0; count <= 12; count++) {
        const newIdx = (old + count) & 0xffff;
        for (let d = -3; d <= 15; d++) {
          const event = (old + d) & 0xffff;
          expect(vringNeedEvent(event, newIdx, old)).toBe(d >= 0 && d < count);
        }
      }
    }
  });
});
