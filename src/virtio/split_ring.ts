import type { GuestMemory } from './guest_memory.js';

/**
 * Split virtqueue memory layout (virtio 1.x split-ring.tex; identical to Linux uapi
 * `linux/virtio_ring.h`). Q is the queue size, a power of two <= 32768. All fields are
 * little-endian. The three areas may live anywhere in guest RAM at these alignments.
 *
 * Descriptor table, `struct virtq_desc[Q]`, 16*Q bytes, align 16. Entry i at desc + 16*i:
 * | off | size | field                                                 |
 * |   0 |    8 | addr   guest-physical buffer address                  |
 * |   8 |    4 | len    buffer length in bytes                         |
 * |  12 |    2 | flags  NEXT=1, WRITE=2 (device-writable), INDIRECT=4  |
 * |  14 |    2 | next   index of the next descriptor when NEXT is set  |
 *
 * Available ring (driver area), `struct virtq_avail`, 6 + 2*Q bytes, align 2:
 * | off   | size | field                                              |
 * |     0 |    2 | flags       NO_INTERRUPT=1 (ignored with EVENT_IDX)  |
 * |     2 |    2 | idx         free-running; next slot is idx mod Q     |
 * |     4 |  2*Q | ring[Q]     descriptor chain heads                   |
 * | 4+2*Q |    2 | used_event  (EVENT_IDX only) interrupt me past this  |
 *
 * Used ring (device area), `struct virtq_used`, 6 + 8*Q bytes, align 4:
 * | off   | size | field                                              |
 * |     0 |    2 | flags        NO_NOTIFY=1 (ignored with EVENT_IDX)    |
 * |     2 |    2 | idx          free-running; next slot is idx mod Q    |
 * |     4 |  8*Q | ring[Q]      { le32 id (chain head); le32 len }      |
 * | 4+8*Q |    2 | avail_event  (EVENT_IDX only) kick me past this      |
 */

export const VIRTQ_DESC_SIZE = 16;
export const VIRTQ_DESC_ALIGN = 16;
export const VIRTQ_AVAIL_ALIGN = 2;
export const VIRTQ_USED_ALIGN = 4;
export const VIRTQ_USED_ELEM_SIZE = 8;

// Field offsets inside a descriptor.
const D_ADDR = 0;
const D_LEN = 8;
const D_FLAGS = 12;
const D_NEXT = 14;
// Offsets inside the avail and used rings.
const R_FLAGS = 0;
const R_IDX = 2;
const R_RING = 4;
const TWO_32 = 0x1_0000_0000;

export function descTableSize(q: number): number {
  return VIRTQ_DESC_SIZE * q;
}

/** Includes used_event; the spec sizes the area the same with or without EVENT_IDX. */
export function availRingSize(q: number): number {
  return 6 + 2 * q;
}

/** Includes avail_event. */
export function usedRingSize(q: number): number {
  return 6 + VIRTQ_USED_ELEM_SIZE * q;
}

export function isValidQueueSize(q: number): boolean {
  return Number.isInteger(q) && q >= 1 && q <= 32768 && (q & (q - 1)) === 0;
}

/** Offset of used_event inside the avail ring. */
export function usedEventOffset(q: number): number {
  return R_RING + 2 * q;
}

/** Offset of avail_event inside the used ring. */
export function availEventOffset(q: number): number {
  return R_RING + VIRTQ_USED_ELEM_SIZE * q;
}

/**
 * The legacy contiguous layout (virtio 1.x "Legacy Interfaces: A Note on Virtqueue Layout",
 * Linux `vring_init`/`vring_size`): descriptor table at base, avail ring right after it, used
 * ring at the next multiple of `usedAlign`. Modern drivers may place the areas apart; this is the
 * layout Linux's `vring_create_virtqueue` uses and the one the guest driver here allocates.
 */
export interface SplitRingLayout {
  readonly num: number;
  readonly descGpa: number;
  readonly availGpa: number;
  readonly usedGpa: number;
  /** avail + 4 + 2*Q. */
  readonly usedEventGpa: number;
  /** used + 4 + 8*Q. */
  readonly availEventGpa: number;
  /** Bytes from descGpa to the end of the used ring: Linux `vring_size(num, align)`. */
  readonly totalSize: number;
}

export function splitRingLayout(q: number, baseGpa: number, usedAlign = 4096): SplitRingLayout {
  const availGpa = baseGpa + descTableSize(q);
  const usedOff = alignUp(descTableSize(q) + availRingSize(q), usedAlign);
  const usedGpa = baseGpa + usedOff;
  return {
    num: q,
    descGpa: baseGpa,
    availGpa,
    usedGpa,
    usedEventGpa: availGpa + usedEventOffset(q),
    availEventGpa: usedGpa + availEventOffset(q),
    totalSize: usedOff + usedRingSize(q),
  };
}

function alignUp(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}

// Accessors. Callers guarantee the whole area is inside guest RAM (the device checks this once
// when a queue becomes ready, the driver allocates it) and that `i` < Q.

export function descAddrLo(mem: GuestMemory, desc: number, i: number): number {
  return mem.view.getUint32(desc - mem.gpaBase + VIRTQ_DESC_SIZE * i + D_ADDR, true);
}

export function descAddrHi(mem: GuestMemory, desc: number, i: number): number {
  return mem.view.getUint32(desc - mem.gpaBase + VIRTQ_DESC_SIZE * i + D_ADDR + 4, true);
}

/** The address as a number; inexact above 2^53, which is far outside any guest RAM. */
export function descAddr(mem: GuestMemory, desc: number, i: number): number {
  return descAddrHi(mem, desc, i) * TWO_32 + descAddrLo(mem, desc, i);
}

export function descLen(mem: GuestMemory, desc: number, i: number): number {
  return mem.view.getUint32(desc - mem.gpaBase + VIRTQ_DESC_SIZE * i + D_LEN, true);
}

export function descFlags(mem: GuestMemory, desc: number, i: number): number {
  return mem.view.getUint16(desc - mem.gpaBase + VIRTQ_DESC_SIZE * i + D_FLAGS, true);
}

export function descNext(mem: GuestMemory, desc: number, i: number): number {
  return mem.view.getUint16(desc - mem.gpaBase + VIRTQ_DESC_SIZE * i + D_NEXT, true);
}

/** Write one whole descriptor; `addr` must be an integer below 2^53. */
export function writeDesc(
  mem: GuestMemory,
  desc: number,
  i: number,
  addr: number,
  len: number,
  flags: number,
  next: number,
): void {
  const o = desc - mem.gpaBase + VIRTQ_DESC_SIZE * i;
  const v = mem.view;
  v.setUint32(o + D_ADDR, addr % TWO_32, true);
  v.setUint32(o + D_ADDR + 4, Math.floor(addr / TWO_32), true);
  v.setUint32(o + D_LEN, len, true);
  v.setUint16(o + D_FLAGS, flags, true);
  v.setUint16(o + D_NEXT, next, true);
}

export function availFlags(mem: GuestMemory, avail: number): number {
  return mem.view.getUint16(avail - mem.gpaBase + R_FLAGS, true);
}

export function setAvailFlags(mem: GuestMemory, avail: number, flags: number): void {
  mem.view.setUint16(avail - mem.gpaBase + R_FLAGS, flags, true);
}

export function availIdx(mem: GuestMemory, avail: number): number {
  return mem.view.getUint16(avail - mem.gpaBase + R_IDX, true);
}

export function setAvailIdx(mem: GuestMemory, avail: number, idx: number): void {
  mem.view.setUint16(avail - mem.gpaBase + R_IDX, idx & 0xffff, true);
}

/** ring[slot], slot already reduced mod Q. */
export function availRing(mem: GuestMemory, avail: number, slot: number): number {
  return mem.view.getUint16(avail - mem.gpaBase + R_RING + 2 * slot, true);
}

export function setAvailRing(mem: GuestMemory, avail: number, slot: number, head: number): void {
  mem.view.setUint16(avail - mem.gpaBase + R_RING + 2 * slot, head, true);
}

export function usedEvent(mem: GuestMemory, avail: number, q: number): number {
  return mem.view.getUint16(avail - mem.gpaBase + usedEventOffset(q), true);
}

export function setUsedEvent(mem: GuestMemory, avail: number, q: number, idx: number): void {
  mem.view.setUint16(avail - mem.gpaBase + usedEventOffset(q), idx & 0xffff, true);
}

export function usedFlags(mem: GuestMemory, used: number): number {
  return mem.view.getUint16(used - mem.gpaBase + R_FLAGS, true);
}

export function setUsedFlags(mem: GuestMemory, used: number, flags: number): void {
  mem.view.setUint16(used - mem.gpaBase + R_FLAGS, flags, true);
}

export function usedIdx(mem: GuestMemory, used: number): number {
  return mem.view.getUint16(used - mem.gpaBase + R_IDX, true);
}

export function setUsedIdx(mem: GuestMemory, used: number, idx: number): void {
  mem.view.setUint16(used - mem.gpaBase + R_IDX, idx & 0xffff, true);
}

export function usedElemId(mem: GuestMemory, used: number, slot: number): number {
  return mem.view.getUint32(used - mem.gpaBase + R_RING + VIRTQ_USED_ELEM_SIZE * slot, true);
}

export function usedElemLen(mem: GuestMemory, used: number, slot: number): number {
  return mem.view.getUint32(used - mem.gpaBase + R_RING + VIRTQ_USED_ELEM_SIZE * slot + 4, true);
}

export function setUsedElem(mem: GuestMemory, used: number, slot: number, id: number, len: number): void {
  const o = used - mem.gpaBase + R_RING + VIRTQ_USED_ELEM_SIZE * slot;
  mem.view.setUint32(o, id >>> 0, true);
  mem.view.setUint32(o + 4, len >>> 0, true);
}

export function availEvent(mem: GuestMemory, used: number, q: number): number {
  return mem.view.getUint16(used - mem.gpaBase + availEventOffset(q), true);
}

export function setAvailEvent(mem: GuestMemory, used: number, q: number, idx: number): void {
  mem.view.setUint16(used - mem.gpaBase + availEventOffset(q), idx & 0xffff, true);
}

/**
 * `vring_need_event` from the spec (and Linux uapi): true when `event` lies in [old, newIdx)
 * mod 2^16, i.e. the entry the other side asked to be told about is among those just published
 * by moving the index from `old` to `newIdx`. All arithmetic is u16.
 */
export function vringNeedEvent(event: number, newIdx: number, old: number): boolean {
  return ((newIdx - event - 1) & 0xffff) < ((newIdx - old) & 0xffff);
}
