import { copyBytes } from '../net/bytes.js';
import { CHAIN_READABLE, CHAIN_WRITABLE, type ChainOut } from './chain_out.js';
import {
  VIRTQ_AVAIL_F_NO_INTERRUPT,
  VIRTQ_DESC_F_INDIRECT,
  VIRTQ_DESC_F_NEXT,
  VIRTQ_DESC_F_WRITE,
  VIRTQ_MAX_SIZE,
  VIRTQ_USED_F_NO_NOTIFY,
} from './constants.js';
import { type GuestMemory, gpaOffset, inRange } from './guest_memory.js';
import {
  availFlags,
  availIdx,
  availRing,
  availRingSize,
  descAddrHi,
  descAddrLo,
  descFlags,
  descLen,
  descNext,
  descTableSize,
  isValidQueueSize,
  setAvailEvent,
  setUsedElem,
  setUsedFlags,
  setUsedIdx,
  usedEvent,
  usedRingSize,
  VIRTQ_AVAIL_ALIGN,
  VIRTQ_DESC_ALIGN,
  VIRTQ_USED_ALIGN,
  vringNeedEvent,
} from './split_ring.js';
import {
  VirtqueueDeviceCounters,
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
} from './virtqueue_violation.js';

const TWO_32 = 0x1_0000_0000;
const U32_MAX = 0xffff_ffff;

/**
 * The device (VMM) side of one split virtqueue. It never trusts guest memory: it keeps its own
 * shadows of the indices it owns (last avail idx seen, used idx), checks the ring areas once when
 * the queue is configured, and validates every chain before touching a buffer. Every guest
 * mistake returns a VQ_BAD_* code and is counted in `counters`; nothing here throws on guest data
 * and every guest access stays inside `mem`. Mirrors the roles of libvmm's virtio.c (pop_avail,
 * add_used, the chain walkers) with the checks libvmm lacks.
 *
 * Typical back-end loop (TX):
 *   const old = vq.usedIdx;
 *   while (vq.popAvail(chain) === VQ_OK) {
 *     if (vq.walkChain(chain.head, chain, CHAIN_READABLE) === VQ_OK) vq.readChain(chain, buf, 0, 12, max);
 *     vq.pushUsed(chain.head, 0);            // or stop and set DEVICE_NEEDS_RESET on a violation
 *   }
 *   if (vq.needInterrupt(old)) mmio.raiseUsedInterrupt();
 *
 * Costs: popAvail, pushUsed, needInterrupt O(1); walkChain, readChain, writeChain O(chain length).
 */
export class VirtqueueDevice {
  readonly mem: GuestMemory;
  /** Largest queue size this device accepts (its QueueNumMax). */
  readonly maxNum: number;
  readonly counters = new VirtqueueDeviceCounters();
  num = 0;
  descGpa = 0;
  availGpa = 0;
  usedGpa = 0;
  ready = false;
  eventIdx = false;
  /** Next avail slot the device will take (free-running u16). */
  lastAvailIdx = 0;
  private usedIdxShadow = 0;
  /** Loop detection: visitStamp[i] === stamp when descriptor i is already in the current chain. */
  private readonly visitStamp: Uint32Array;
  private stamp = 0;

  constructor(mem: GuestMemory, maxNum: number = VIRTQ_MAX_SIZE) {
    this.mem = mem;
    this.maxNum = Math.min(Math.max(1, maxNum | 0), VIRTQ_MAX_SIZE);
    this.visitStamp = new Uint32Array(this.maxNum);
  }

  /** The device's used idx (what it last published). Capture it before pushUsed for needInterrupt. */
  get usedIdx(): number {
    return this.usedIdxShadow;
  }

  /**
   * Take the queue into use with the driver's QueueNum and area addresses (on QueueReady=1).
   * Returns VQ_OK, or VQ_BAD_QUEUE_SIZE / VQ_BAD_RING_ALIGN / VQ_BAD_RING_ADDR (counted; the queue
   * stays not ready). `startIndex` is the initial avail/used index: 0 on a real queue, other values
   * only to restore a snapshot or to test index wrap.
   */
  configure(
    num: number,
    descGpa: number,
    availGpa: number,
    usedGpa: number,
    eventIdx: boolean,
    startIndex = 0,
  ): number {
    this.ready = false;
    let bad = VQ_OK;
    if (!isValidQueueSize(num) || num > this.maxNum) bad = VQ_BAD_QUEUE_SIZE;
    else if (
      descGpa % VIRTQ_DESC_ALIGN !== 0 ||
      availGpa % VIRTQ_AVAIL_ALIGN !== 0 ||
      usedGpa % VIRTQ_USED_ALIGN !== 0
    )
      bad = VQ_BAD_RING_ALIGN;
    else if (
      !inRange(this.mem, descGpa, descTableSize(num)) ||
      !inRange(this.mem, availGpa, availRingSize(num)) ||
      !inRange(this.mem, usedGpa, usedRingSize(num))
    )
      bad = VQ_BAD_RING_ADDR;
    if (bad !== VQ_OK) {
      this.counters.count(bad);
      return bad;
    }
    this.num = num;
    this.descGpa = descGpa;
    this.availGpa = availGpa;
    this.usedGpa = usedGpa;
    this.eventIdx = eventIdx;
    this.lastAvailIdx = startIndex & 0xffff;
    this.usedIdxShadow = startIndex & 0xffff;
    this.ready = true;
    // Ask for a kick on the first new entry (a no-op on a fresh, zeroed queue starting at 0).
    if (eventIdx) setAvailEvent(this.mem, usedGpa, num, this.lastAvailIdx);
    return VQ_OK;
  }

  /** Device or queue reset: forget the rings. Counters survive (they are run totals). */
  reset(): void {
    this.ready = false;
    this.num = 0;
    this.descGpa = 0;
    this.availGpa = 0;
    this.usedGpa = 0;
    this.lastAvailIdx = 0;
    this.usedIdxShadow = 0;
  }

  /** Avail entries published by the driver and not yet taken (0 when not ready; may exceed num on a bad ring). */
  availPending(): number {
    if (!this.ready) return 0;
    return (availIdx(this.mem, this.availGpa) - this.lastAvailIdx) & 0xffff;
  }

  /**
   * Take the next chain head from the avail ring into `out.head` (libvmm `pop_avail`). Returns
   * VQ_OK, VQ_EMPTY, VQ_NOT_READY, or VQ_BAD_AVAIL_IDX when the driver moved idx by more than the
   * queue size (nothing is taken; the ring cannot be trusted any more).
   */
  popAvail(out: { head: number }): number {
    if (!this.ready) return VQ_NOT_READY;
    const pending = (availIdx(this.mem, this.availGpa) - this.lastAvailIdx) & 0xffff;
    if (pending === 0) return VQ_EMPTY;
    if (pending > this.num) {
      this.counters.count(VQ_BAD_AVAIL_IDX);
      return VQ_BAD_AVAIL_IDX;
    }
    out.head = availRing(this.mem, this.availGpa, this.lastAvailIdx & (this.num - 1));
    this.lastAvailIdx = (this.lastAvailIdx + 1) & 0xffff;
    this.counters.popped++;
    return VQ_OK;
  }

  /**
   * Walk and validate the chain starting at `head` into `out`, in chain order. `need` is
   * CHAIN_ANY, CHAIN_READABLE (TX) or CHAIN_WRITABLE (RX). Checks, in order per descriptor:
   * index < Q (head, then every next), no descriptor twice (loop), at most min(Q, out.capacity)
   * descriptors, no INDIRECT, addr+len not wrapping 2^64, [addr, addr+len) inside guest RAM,
   * readable before writable, the WRITE direction `need` asks for, readable and writable totals
   * below 2^32. Returns VQ_OK or the first violation's code (also in out.result; counted).
   */
  walkChain(head: number, out: ChainOut, need: number): number {
    out.head = head;
    out.count = 0;
    out.firstWritable = 0;
    out.readableBytes = 0;
    out.writableBytes = 0;
    out.badDesc = -1;
    if (!this.ready) return (out.result = VQ_NOT_READY);
    const mem = this.mem;
    const desc = this.descGpa;
    const num = this.num;
    if (head >>> 0 !== head || head >= num) return this.fail(out, VQ_BAD_HEAD, head);
    const limit = Math.min(num, out.capacity);
    const stamp = this.nextStamp();
    let i = head;
    let readable = 0;
    let writable = 0;
    for (;;) {
      if (this.visitStamp[i] === stamp) return this.fail(out, VQ_BAD_LOOP, i);
      this.visitStamp[i] = stamp;
      if (out.count >= limit) return this.fail(out, VQ_BAD_CHAIN_TOO_LONG, i);
      const flags = descFlags(mem, desc, i);
      if ((flags & VIRTQ_DESC_F_INDIRECT) !== 0) return this.fail(out, VQ_BAD_INDIRECT, i);
      const lo = descAddrLo(mem, desc, i);
      const hi = descAddrHi(mem, desc, i);
      const len = descLen(mem, desc, i);
      // addr + len >= 2^64 exactly when the high word is all ones and the low word carries out.
      if (hi === U32_MAX && lo + len > U32_MAX) return this.fail(out, VQ_BAD_ADDR_OVERFLOW, i);
      const addr = hi * TWO_32 + lo;
      if (!inRange(mem, addr, len)) return this.fail(out, VQ_BAD_ADDR, i);
      const w = (flags & VIRTQ_DESC_F_WRITE) !== 0;
      if (w) {
        if (need === CHAIN_READABLE) return this.fail(out, VQ_BAD_DIRECTION, i);
        writable += len;
      } else {
        if (out.firstWritable < out.count) return this.fail(out, VQ_BAD_ORDER, i);
        if (need === CHAIN_WRITABLE) return this.fail(out, VQ_BAD_DIRECTION, i);
        readable += len;
        out.firstWritable = out.count + 1;
      }
      if (readable > U32_MAX || writable > U32_MAX) return this.fail(out, VQ_BAD_TOTAL_LEN, i);
      const k = out.count;
      out.gpa[k] = addr;
      out.len[k] = len;
      out.writable[k] = w ? 1 : 0;
      out.count = k + 1;
      out.readableBytes = readable;
      out.writableBytes = writable;
      if ((flags & VIRTQ_DESC_F_NEXT) === 0) break;
      i = descNext(mem, desc, i);
      if (i >= num) return this.fail(out, VQ_BAD_NEXT, i);
    }
    return (out.result = VQ_OK);
  }

  /**
   * Copy up to `max` bytes of the chain's device-readable data, after skipping `skip` bytes (the
   * 12-byte net header, say), into dst[dstOff..]. Clamped to dst's length; returns bytes copied.
   * Only for a chain walkChain accepted.
   */
  readChain(out: ChainOut, dst: Uint8Array, dstOff: number, skip: number, max: number): number {
    const room = dst.length - dstOff;
    if (max > room) max = room;
    if (out.result !== VQ_OK || max <= 0 || dstOff < 0) return 0;
    const bytes = this.mem.bytes;
    let copied = 0;
    for (let k = 0; k < out.firstWritable && copied < max; k++) {
      const segLen = out.len[k]!;
      if (skip >= segLen) {
        skip -= segLen;
        continue;
      }
      const start = gpaOffset(this.mem, out.gpa[k]!) + skip;
      const n = Math.min(segLen - skip, max - copied);
      skip = 0;
      copyBytes(bytes, start, dst, dstOff + copied, n);
      copied += n;
    }
    return copied;
  }

  /**
   * Copy `len` bytes of src[srcOff..] into the chain's device-writable buffers, starting `skip`
   * bytes into them. Clamped to src and to the writable space; returns bytes written. Never
   * writes a device-readable buffer (the spec's MUST NOT).
   */
  writeChain(out: ChainOut, src: Uint8Array, srcOff: number, len: number, skip = 0): number {
    const have = src.length - srcOff;
    if (len > have) len = have;
    if (out.result !== VQ_OK || len <= 0 || srcOff < 0) return 0;
    const bytes = this.mem.bytes;
    let written = 0;
    for (let k = out.firstWritable; k < out.count && written < len; k++) {
      const segLen = out.len[k]!;
      if (skip >= segLen) {
        skip -= segLen;
        continue;
      }
      const start = gpaOffset(this.mem, out.gpa[k]!) + skip;
      const n = Math.min(segLen - skip, len - written);
      skip = 0;
      copyBytes(src, srcOff + written, bytes, start, n);
      written += n;
    }
    return written;
  }

  /**
   * Publish a used element {id, len} and advance used idx (libvmm `add_used`): the element is
   * written before idx, as the spec requires. False (and nothing written) when not ready.
   */
  pushUsed(id: number, len: number): boolean {
    if (!this.ready) return false;
    setUsedElem(this.mem, this.usedGpa, this.usedIdxShadow & (this.num - 1), id, len);
    this.usedIdxShadow = (this.usedIdxShadow + 1) & 0xffff;
    setUsedIdx(this.mem, this.usedGpa, this.usedIdxShadow);
    this.counters.completed++;
    return true;
  }

  /**
   * Whether the driver wants a used-buffer notification for the entries published since
   * `oldUsedIdx`: with EVENT_IDX when used_event lies among them (vring_need_event); otherwise
   * when something was published and VIRTQ_AVAIL_F_NO_INTERRUPT is clear.
   */
  needInterrupt(oldUsedIdx: number): boolean {
    if (!this.ready) return false;
    const newIdx = this.usedIdxShadow;
    const need = this.eventIdx
      ? vringNeedEvent(usedEvent(this.mem, this.availGpa, this.num), newIdx, oldUsedIdx & 0xffff)
      : newIdx !== (oldUsedIdx & 0xffff) &&
        (availFlags(this.mem, this.availGpa) & VIRTQ_AVAIL_F_NO_INTERRUPT) === 0;
    if (need) this.counters.interrupts++;
    else this.counters.interruptsSuppressed++;
    return need;
  }

  /** Write avail_event: with EVENT_IDX, ask for a kick once the driver publishes entry `idx`. */
  setAvailEvent(idx: number): void {
    if (this.ready) setAvailEvent(this.mem, this.usedGpa, this.num, idx);
  }

  /**
   * Ask for kicks again after draining the queue (vhost's enable_notify): avail_event at the next
   * entry with EVENT_IDX, else clear VIRTQ_USED_F_NO_NOTIFY. Returns true when entries arrived in
   * the meantime, so the caller must process again instead of waiting for a kick.
   */
  enableNotify(): boolean {
    if (!this.ready) return false;
    if (this.eventIdx) setAvailEvent(this.mem, this.usedGpa, this.num, this.lastAvailIdx);
    else setUsedFlags(this.mem, this.usedGpa, 0);
    return this.availPending() !== 0;
  }

  /** Tell the driver not to kick while the device is polling anyway (no-op with EVENT_IDX). */
  disableNotify(): void {
    if (this.ready && !this.eventIdx) setUsedFlags(this.mem, this.usedGpa, VIRTQ_USED_F_NO_NOTIFY);
  }

  snapshot(): Record<string, unknown> {
    return {
      ready: this.ready,
      num: this.num,
      descGpa: this.descGpa,
      availGpa: this.availGpa,
      usedGpa: this.usedGpa,
      eventIdx: this.eventIdx,
      lastAvailIdx: this.lastAvailIdx,
      usedIdx: this.usedIdxShadow,
      counters: this.counters.snapshot(),
    };
  }

  private fail(out: ChainOut, code: number, desc: number): number {
    out.badDesc = desc;
    out.result = code;
    this.counters.count(code);
    return code;
  }

  private nextStamp(): number {
    this.stamp = (this.stamp + 1) >>> 0;
    if (this.stamp === 0) {
      this.visitStamp.fill(0);
      this.stamp = 1;
    }
    return this.stamp;
  }
}
