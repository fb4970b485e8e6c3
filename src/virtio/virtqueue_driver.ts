import { assert } from '../board/assert.js';
import {
  VIRTQ_AVAIL_F_NO_INTERRUPT,
  VIRTQ_DESC_F_NEXT,
  VIRTQ_DESC_F_WRITE,
  VIRTQ_USED_F_NO_NOTIFY,
} from './constants.js';
import { type GuestMemory, gpaOffset, inRange } from './guest_memory.js';
import {
  availEvent,
  availRingSize,
  descTableSize,
  isValidQueueSize,
  setAvailFlags,
  setAvailIdx,
  setAvailRing,
  setUsedEvent,
  setUsedIdx,
  usedElemId,
  usedElemLen,
  usedFlags,
  usedIdx,
  usedRingSize,
  VIRTQ_AVAIL_ALIGN,
  VIRTQ_DESC_ALIGN,
  VIRTQ_USED_ALIGN,
  vringNeedEvent,
  writeDesc,
} from './split_ring.js';

/**
 * The segments of one buffer a driver offers: device-readable ones first, then device-writable
 * ones (the spec's order). Preallocated and reused; `clear()` before filling it again.
 */
export class BufferChain {
  readonly gpa: Float64Array;
  readonly len: Uint32Array;
  /** 1 when the device may write the segment (VIRTQ_DESC_F_WRITE). */
  readonly write: Uint8Array;
  count = 0;

  constructor(capacity: number) {
    this.gpa = new Float64Array(capacity);
    this.len = new Uint32Array(capacity);
    this.write = new Uint8Array(capacity);
  }

  clear(): this {
    this.count = 0;
    return this;
  }

  push(gpa: number, len: number, write: boolean): this {
    assert(this.count < this.gpa.length, 'BufferChain.push: chain is full');
    this.gpa[this.count] = gpa;
    this.len[this.count] = len;
    this.write[this.count] = write ? 1 : 0;
    this.count++;
    return this;
  }
}

/** What `getUsed` fills in: the chain head, the bytes the device says it wrote, the caller's token. */
export class UsedOut {
  id = 0;
  len = 0;
  token = 0;
}

export interface VirtqueueDriverCounters {
  added: number;
  /** addBuf refused because too few descriptors were free. */
  full: number;
  kicks: number;
  kicksSuppressed: number;
  used: number;
  /** Used entries naming a descriptor that is not an in-flight head, or a used idx that ran ahead. */
  badUsed: number;
}

export interface VirtqueueDriverOptions {
  /** VIRTIO_F_EVENT_IDX was negotiated. */
  readonly eventIdx: boolean;
  /** Initial avail/used index (0 on a fresh queue); lets tests and snapshot restores start near a wrap. */
  readonly startIndex?: number;
}

/**
 * The driver (guest) side of one split virtqueue, modelled on Linux `virtio_ring.c`
 * (`virtqueue_add_split`, `virtqueue_kick_prepare_split`, `virtqueue_get_buf_ctx_split`,
 * `detach_buf_split`, `virtqueue_{enable,disable}_cb_split`). The driver owns the ring memory and
 * keeps private shadows of everything it needs (free list, chain lengths, indices), so a device
 * scribbling over the rings can only make it stop (`broken`), never corrupt its free list.
 *
 * Costs: addBuf O(segments), getUsed O(chain length), everything else O(1); no allocation.
 */
export class VirtqueueDriver {
  readonly mem: GuestMemory;
  readonly num: number;
  readonly descGpa: number;
  readonly availGpa: number;
  readonly usedGpa: number;
  readonly eventIdx: boolean;
  /** Set when the device returned something impossible; the queue then refuses all work. */
  broken = false;
  readonly counters: VirtqueueDriverCounters = {
    added: 0,
    full: 0,
    kicks: 0,
    kicksSuppressed: 0,
    used: 0,
    badUsed: 0,
  };

  private freeHead = 0;
  private freeCount: number;
  /** Shadow of each descriptor's `next`: links chains in flight and the free list. */
  private readonly nextShadow: Uint16Array;
  /** Descriptors in the chain headed by i; 0 when i is not an in-flight head. */
  private readonly chainLen: Uint16Array;
  private readonly tokens: Float64Array;
  private availIdxShadow: number;
  private numAdded = 0;
  private lastUsedIdx: number;
  private availFlagsShadow = 0;

  constructor(
    mem: GuestMemory,
    num: number,
    descGpa: number,
    availGpa: number,
    usedGpa: number,
    options: VirtqueueDriverOptions,
  ) {
    assert(isValidQueueSize(num), `VirtqueueDriver: queue size ${num} is not a power of two <= 32768`);
    assert(
      inRange(mem, descGpa, descTableSize(num)) &&
        inRange(mem, availGpa, availRingSize(num)) &&
        inRange(mem, usedGpa, usedRingSize(num)),
      'VirtqueueDriver: ring areas must lie inside guest RAM',
    );
    assert(
      descGpa % VIRTQ_DESC_ALIGN === 0 &&
        availGpa % VIRTQ_AVAIL_ALIGN === 0 &&
        usedGpa % VIRTQ_USED_ALIGN === 0,
      'VirtqueueDriver: ring areas are misaligned (desc 16, avail 2, used 4)',
    );
    this.mem = mem;
    this.num = num;
    this.descGpa = descGpa;
    this.availGpa = availGpa;
    this.usedGpa = usedGpa;
    this.eventIdx = options.eventIdx;
    this.freeCount = num;
    this.nextShadow = new Uint16Array(num);
    for (let i = 0; i < num; i++) this.nextShadow[i] = (i + 1) & (num - 1);
    this.chainLen = new Uint16Array(num);
    this.tokens = new Float64Array(num);
    const start = (options.startIndex ?? 0) & 0xffff;
    this.availIdxShadow = start;
    this.lastUsedIdx = start;
    // The spec has the driver allocate and zero the queue memory before handing it over.
    mem.bytes.fill(0, gpaOffset(mem, descGpa), gpaOffset(mem, descGpa) + descTableSize(num));
    mem.bytes.fill(0, gpaOffset(mem, availGpa), gpaOffset(mem, availGpa) + availRingSize(num));
    mem.bytes.fill(0, gpaOffset(mem, usedGpa), gpaOffset(mem, usedGpa) + usedRingSize(num));
    setAvailIdx(mem, availGpa, start);
    setUsedIdx(mem, usedGpa, start);
    // Callbacks start enabled: interrupt on the first used entry (0 = start on a fresh queue).
    setUsedEvent(mem, availGpa, num, start);
  }

  /** Free descriptors. */
  get numFree(): number {
    return this.freeCount;
  }

  /**
   * Expose a buffer to the device (`virtqueue_add_split`): writes its descriptors, puts the
   * head in the avail ring and publishes the new avail idx. Returns the head, or -1 when there
   * are not enough free descriptors (or the queue is broken). `token` comes back from getUsed.
   */
  addBuf(chain: BufferChain, token = 0): number {
    const n = chain.count;
    assert(n >= 1, 'addBuf: empty chain');
    let sawWritable = false;
    for (let k = 0; k < n; k++) {
      const w = chain.write[k] === 1;
      assert(!(sawWritable && !w), 'addBuf: device-readable segment after a device-writable one');
      sawWritable ||= w;
    }
    if (this.broken) return -1;
    if (n > this.freeCount) {
      this.counters.full++;
      return -1;
    }
    const mem = this.mem;
    const head = this.freeHead;
    let i = head;
    for (let k = 0; k < n; k++) {
      const next = this.nextShadow[i]!;
      const flags = (chain.write[k] === 1 ? VIRTQ_DESC_F_WRITE : 0) | (k < n - 1 ? VIRTQ_DESC_F_NEXT : 0);
      writeDesc(mem, this.descGpa, i, chain.gpa[k]!, chain.len[k]!, flags, next);
      i = next;
    }
    this.freeHead = i;
    this.freeCount -= n;
    this.chainLen[head] = n;
    this.tokens[head] = token;
    // Descriptors and ring slot are written before idx; on real hardware a write barrier sits here.
    setAvailRing(mem, this.availGpa, this.availIdxShadow & (this.num - 1), head);
    this.availIdxShadow = (this.availIdxShadow + 1) & 0xffff;
    setAvailIdx(mem, this.availGpa, this.availIdxShadow);
    this.numAdded++;
    this.counters.added++;
    return head;
  }

  /**
   * Whether the device wants a QueueNotify for what was added since the last call
   * (`virtqueue_kick_prepare_split`): with EVENT_IDX, when avail_event lies among the newly
   * published entries; otherwise unless the device set VIRTQ_USED_F_NO_NOTIFY.
   */
  kickPrepare(): boolean {
    const newIdx = this.availIdxShadow;
    const old = (newIdx - this.numAdded) & 0xffff;
    this.numAdded = 0;
    const need = this.eventIdx
      ? vringNeedEvent(availEvent(this.mem, this.usedGpa, this.num), newIdx, old)
      : (usedFlags(this.mem, this.usedGpa) & VIRTQ_USED_F_NO_NOTIFY) === 0;
    if (need) this.counters.kicks++;
    else this.counters.kicksSuppressed++;
    return need;
  }

  /** True when the device has returned buffers not yet taken with getUsed (`virtqueue_poll`). */
  hasUsed(): boolean {
    return usedIdx(this.mem, this.usedGpa) !== this.lastUsedIdx;
  }

  /**
   * Take the next used buffer (`virtqueue_get_buf`): fills `out` and returns its descriptors to
   * the free list. False when there is none, or when the device returned an impossible entry
   * (counted in badUsed; the queue is then broken, as Linux's BAD_RING makes it).
   */
  getUsed(out: UsedOut): boolean {
    if (this.broken) return false;
    const mem = this.mem;
    const devIdx = usedIdx(mem, this.usedGpa);
    if (devIdx === this.lastUsedIdx) return false;
    const inFlight = this.num - this.freeCount;
    if (((devIdx - this.lastUsedIdx) & 0xffff) > inFlight) return this.markBroken();
    const slot = this.lastUsedIdx & (this.num - 1);
    const id = usedElemId(mem, this.usedGpa, slot);
    if (id >= this.num || this.chainLen[id] === 0) return this.markBroken();
    out.id = id;
    out.len = usedElemLen(mem, this.usedGpa, slot);
    out.token = this.tokens[id]!;
    this.detach(id);
    this.lastUsedIdx = (this.lastUsedIdx + 1) & 0xffff;
    // Like Linux: while callbacks are on, keep used_event at the next entry we will read.
    if ((this.availFlagsShadow & VIRTQ_AVAIL_F_NO_INTERRUPT) === 0) {
      setUsedEvent(mem, this.availGpa, this.num, this.lastUsedIdx);
    }
    this.counters.used++;
    return true;
  }

  /**
   * Ask the device not to interrupt (`virtqueue_disable_cb_split`). Without EVENT_IDX this sets
   * VIRTQ_AVAIL_F_NO_INTERRUPT. With EVENT_IDX the flag is ignored by the device, so used_event is
   * parked one behind the entries it can still produce: lastUsed-1 is outside every window
   * [old, new) the device can publish before the driver re-enables (Linux writes 0, a value it
   * calls a hack).
   */
  disableCallbacks(): void {
    if ((this.availFlagsShadow & VIRTQ_AVAIL_F_NO_INTERRUPT) !== 0) return;
    this.availFlagsShadow |= VIRTQ_AVAIL_F_NO_INTERRUPT;
    if (this.eventIdx) setUsedEvent(this.mem, this.availGpa, this.num, this.lastUsedIdx - 1);
    else setAvailFlags(this.mem, this.availGpa, this.availFlagsShadow);
  }

  /**
   * Re-enable interrupts (`virtqueue_enable_cb`). Returns false when used buffers are already
   * pending, in which case the caller must poll again rather than wait for an interrupt that
   * may never come.
   */
  enableCallbacks(): boolean {
    this.clearNoInterrupt();
    setUsedEvent(this.mem, this.availGpa, this.num, this.lastUsedIdx);
    return !this.hasUsed();
  }

  /**
   * Re-enable interrupts but, with EVENT_IDX, ask for one only after about 3/4 of the buffers in
   * flight have come back (`virtqueue_enable_cb_delayed`, used for TX completions). Same return
   * convention as enableCallbacks.
   */
  enableCallbacksDelayed(): boolean {
    this.clearNoInterrupt();
    const bufs = Math.floor((((this.availIdxShadow - this.lastUsedIdx) & 0xffff) * 3) / 4);
    setUsedEvent(this.mem, this.availGpa, this.num, this.lastUsedIdx + bufs);
    const pending = (usedIdx(this.mem, this.usedGpa) - this.lastUsedIdx) & 0xffff;
    return pending <= bufs;
  }

  snapshot(): Record<string, unknown> {
    return {
      num: this.num,
      numFree: this.freeCount,
      availIdx: this.availIdxShadow,
      lastUsedIdx: this.lastUsedIdx,
      callbacks: (this.availFlagsShadow & VIRTQ_AVAIL_F_NO_INTERRUPT) === 0,
      eventIdx: this.eventIdx,
      broken: this.broken,
      counters: { ...this.counters },
    };
  }

  private clearNoInterrupt(): void {
    if ((this.availFlagsShadow & VIRTQ_AVAIL_F_NO_INTERRUPT) === 0) return;
    this.availFlagsShadow &= ~VIRTQ_AVAIL_F_NO_INTERRUPT;
    if (!this.eventIdx) setAvailFlags(this.mem, this.availGpa, this.availFlagsShadow);
  }

  /** `detach_buf_split`: the chain's descriptors go back to the front of the free list. */
  private detach(head: number): void {
    const n = this.chainLen[head]!;
    let tail = head;
    for (let k = 1; k < n; k++) tail = this.nextShadow[tail]!;
    this.nextShadow[tail] = this.freeHead;
    this.freeHead = head;
    this.freeCount += n;
    this.chainLen[head] = 0;
  }

  private markBroken(): false {
    this.counters.badUsed++;
    this.broken = true;
    return false;
  }
}
