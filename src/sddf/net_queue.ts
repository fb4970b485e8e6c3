/**
 * sDDF network queue pair: `include/sddf/network/queue.h`, byte for byte.
 *
 * A queue lives in memory shared with a peer protection domain. The simulator hands each side a
 * DataView over the region holding the queue and the byte offset where the queue starts; both
 * sides read and write the same bytes, so everything a component learns about the queue comes
 * from those bytes, exactly as in C (nothing is cached between calls, except the capacity).
 *
 * net_queue_t (header 8 bytes, then `capacity` descriptors), little-endian as on AArch64:
 *
 * | offset         | size | field                | written by                                    |
 * |----------------|------|----------------------|-----------------------------------------------|
 * | 0              | 2    | tail (u16)           | producer: next index to write                 |
 * | 2              | 2    | head (u16)           | consumer: next index to read                  |
 * | 4              | 4    | consumer_signalled   | both: 0 = consumer wants a signal, else not   |
 * | 8 + 16*slot    | 16   | buffers[slot]        | producer (net_buff_desc_t below)              |
 *
 * net_buff_desc_t (16 bytes, natural C alignment):
 *
 * | offset | size | field                  | notes                                              |
 * |--------|------|------------------------|----------------------------------------------------|
 * | 0      | 8    | io_or_offset (u64)     | read as lo u32 + hi u32 * 2^32, see below          |
 * | 8      | 2    | len (u16)              |                                                    |
 * | 10     | 1    | oid : 6 (bitfield, u8) | low 6 bits; we write the top 2 bits as 0           |
 * | 11     | 5    | padding                | written as 0 on enqueue (a whole-struct store)     |
 *
 * Indices are free-running u16 that wrap at 65536; slot = index & (capacity - 1), which equals C's
 * `index % capacity` because capacity is a power of two dividing 65536. Length is
 * `(tail - head) & 0xffff`. C's net_queue_length truncates to u16 the same way, but
 * net_queue_full_* compares the int-promoted, unmasked `tail - head` with capacity, so once tail has
 * wrapped below head a full queue does not look full in C: a latent quirk, we use the masked form.
 *
 * io_or_offset is a u64 in memory but a JS number here. Every value the simulator uses (region
 * offsets, IO addresses) is an integer below 2^53 and round-trips exactly. A garbage high word
 * written by a peer yields a huge (possibly rounded) number, which the component's own validation
 * (offset < region size, address inside a known IO range) rejects.
 *
 * Untrusted peer: the peer may write anything into head, tail, consumer_signalled or descriptors at
 * any time. This side never throws, never loops, and never touches bytes outside
 * [off, off + 8 + 16*capacity): slots are masked with the private capacity, never read from shared
 * memory. If the observed length exceeds capacity the queue is corrupt: it reads as empty (dequeue
 * fails) and as full (enqueue fails), and `violations` counts each such observation. sDDF's C code
 * has no such check: it would dequeue stale slots, and enqueue over live ones.
 *
 * No fences: the simulator runs one entry point at a time, so C's SMP release fences have no
 * observable effect here.
 */

export const NET_QUEUE_HEADER_BYTES = 8;
export const NET_BUFF_DESC_BYTES = 16;
/** Size of every sDDF network buffer (NET_BUFFER_SIZE in include/sddf/network/constants.h). */
export const NET_BUFFER_SIZE = 2048;
/**
 * Largest usable capacity: a full queue must have a u16 length equal to its capacity, so 65536
 * (whose full length would read as 0, i.e. empty) is not usable.
 */
export const NET_QUEUE_MAX_CAPACITY = 32768;

/** Byte offsets of the fields above, for code that inspects queues (snapshots, reports). */
export const NET_QUEUE_LAYOUT = {
  tail: 0,
  head: 2,
  consumerSignalled: 4,
  buffers: 8,
  descIoOrOffset: 0,
  descLen: 8,
  descOid: 10,
} as const;

/** Bytes one queue occupies: net_queue_t header plus `capacity` descriptors. */
export function netQueueBytes(capacity: number): number {
  return NET_QUEUE_HEADER_BYTES + NET_BUFF_DESC_BYTES * capacity;
}

const TAIL = 0;
const HEAD = 2;
const SIGNALLED = 4;
const DESC_IO_LO = 0;
const DESC_IO_HI = 4;
// len (u16) and oid (u8) plus the first padding byte, read and written as one little-endian u32.
const DESC_LEN_OID = 8;
const DESC_PAD_TAIL = 12;
const OID_MASK = 0x3f;
const U16_MASK = 0xffff;
const TWO_POW_32 = 4294967296;

/** One descriptor, filled by dequeue; reuse one instance per component (no per-packet garbage). */
export class NetBuffDesc {
  ioOrOffset = 0;
  len = 0;
  oid = 0;
}

function assertConfig(cond: boolean, msg: string): asserts cond {
  if (!cond) throw new Error(msg);
}

function checkQueueConfig(name: string, view: DataView, off: number, capacity: number): void {
  assertConfig(
    Number.isInteger(off) && off >= 0 && off + netQueueBytes(capacity) <= view.byteLength,
    `Cannot create net queue handle: ${name} queue at offset ${off} with capacity ${capacity} needs ` +
      `${netQueueBytes(capacity)} bytes but the view holds ${view.byteLength}, did the region size ` +
      `come from netQueueBytes()?`,
  );
  assertConfig(
    off % 8 === 0,
    `Cannot create net queue handle: ${name} queue offset ${off} is not 8-byte aligned, as net_queue_t ` +
      `(which holds u64 fields) must be`,
  );
}

/**
 * net_queue_handle_t: this side's private view of one free/active queue pair. The capacity is
 * trusted configuration kept here, never read from shared memory (so a peer cannot corrupt the
 * modulus).
 */
export class NetQueueHandle {
  readonly capacity: number;
  /** Number of times a queue was observed corrupt (length > capacity). */
  violations: number;
  private readonly _mask: number;
  private readonly _free: DataView;
  private readonly _freeOff: number;
  private readonly _active: DataView;
  private readonly _activeOff: number;

  // net_queue_init
  constructor(free: DataView, freeOff: number, active: DataView, activeOff: number, capacity: number) {
    assertConfig(
      Number.isInteger(capacity) &&
        capacity >= 1 &&
        capacity <= NET_QUEUE_MAX_CAPACITY &&
        (capacity & (capacity - 1)) === 0,
      `Cannot create net queue handle: capacity ${capacity} is not a power of two in ` +
        `1..${NET_QUEUE_MAX_CAPACITY} (sdfgen rounds buffer counts up to a power of two)`,
    );
    checkQueueConfig('free', free, freeOff, capacity);
    checkQueueConfig('active', active, activeOff, capacity);
    if (free.buffer === active.buffer) {
      const a = free.byteOffset + freeOff;
      const b = active.byteOffset + activeOff;
      const bytes = netQueueBytes(capacity);
      assertConfig(
        a + bytes <= b || b + bytes <= a,
        `Cannot create net queue handle: free queue at ${a} and active queue at ${b} overlap ` +
          `(${bytes} bytes each)`,
      );
    }
    this.capacity = capacity;
    this.violations = 0;
    this._mask = capacity - 1;
    this._free = free;
    this._freeOff = freeOff;
    this._active = active;
    this._activeOff = activeOff;
  }

  // net_queue_empty_free
  emptyFree(): boolean {
    return this._empty(this._free, this._freeOff);
  }

  // net_queue_empty_active
  emptyActive(): boolean {
    return this._empty(this._active, this._activeOff);
  }

  // net_queue_full_free
  fullFree(): boolean {
    return this._full(this._free, this._freeOff);
  }

  // net_queue_full_active
  fullActive(): boolean {
    return this._full(this._active, this._activeOff);
  }

  // net_queue_length(h->free)
  lengthFree(): number {
    return this._length(this._free, this._freeOff);
  }

  // net_queue_length(h->active)
  lengthActive(): number {
    return this._length(this._active, this._activeOff);
  }

  // net_enqueue_free (C returns -1 when full, here false)
  enqueueFree(ioOrOffset: number, len: number, oid = 0): boolean {
    return this._enqueue(this._free, this._freeOff, ioOrOffset, len, oid);
  }

  // net_enqueue_active (C returns -1 when full, here false)
  enqueueActive(ioOrOffset: number, len: number, oid = 0): boolean {
    return this._enqueue(this._active, this._activeOff, ioOrOffset, len, oid);
  }

  // net_dequeue_free (C returns -1 when empty, here false)
  dequeueFree(out: NetBuffDesc): boolean {
    return this._dequeue(this._free, this._freeOff, out);
  }

  // net_dequeue_active (C returns -1 when empty, here false)
  dequeueActive(out: NetBuffDesc): boolean {
    return this._dequeue(this._active, this._activeOff, out);
  }

  /**
   * Reads the descriptor at the head of the active queue without consuming it (no sDDF
   * counterpart: a consumer that schedules by size, such as virt_tx's deficit round robin, must
   * know a buffer's length before it takes it). Hardened like dequeue: false when empty or corrupt.
   * The producer may rewrite the slot before the dequeue that follows, so the dequeued descriptor,
   * not this one, is what the consumer acts on.
   */
  peekActive(out: NetBuffDesc): boolean {
    return this._read(this._active, this._activeOff, out);
  }

  /**
   * No sDDF counterpart: true when the free queue is empty and its consumer's signal is already
   * requested, so net_request_signal_free and a re-check would change nothing. A consumer of many
   * producers passes over the quiet ones with it. Tail and head are read as one word; a corrupt
   * queue answers false, leaving it to the calls that count violations.
   */
  quietFree(): boolean {
    return this._quiet(this._free, this._freeOff);
  }

  /** quietFree for the active queue. */
  quietActive(): boolean {
    return this._quiet(this._active, this._activeOff);
  }

  /** False when the active queue's length is out of range, as the counting calls would see it. */
  saneActive(): boolean {
    const w = this._active.getUint32(this._activeOff + TAIL, true);
    return ((w - (w >>> 16)) & U16_MASK) <= this.capacity;
  }

  // net_request_signal_free
  requestSignalFree(): void {
    this._free.setUint32(this._freeOff + SIGNALLED, 0, true);
  }

  // net_request_signal_active
  requestSignalActive(): void {
    this._active.setUint32(this._activeOff + SIGNALLED, 0, true);
  }

  // net_cancel_signal_free
  cancelSignalFree(): void {
    this._free.setUint32(this._freeOff + SIGNALLED, 1, true);
  }

  // net_cancel_signal_active
  cancelSignalActive(): void {
    this._active.setUint32(this._activeOff + SIGNALLED, 1, true);
  }

  // net_require_signal_free
  requireSignalFree(): boolean {
    return this._free.getUint32(this._freeOff + SIGNALLED, true) === 0;
  }

  // net_require_signal_active
  requireSignalActive(): boolean {
    return this._active.getUint32(this._activeOff + SIGNALLED, true) === 0;
  }

  /**
   * net_buffers_init: offers every buffer of a contiguous region on the free queue, buffer i at
   * `i * NET_BUFFER_SIZE + base`. C asserts each enqueue succeeds; a peer may already have
   * scribbled on the queue, so this stops at the first failure instead. Returns how many buffers
   * were enqueued (the capacity, unless the queue was not empty or was corrupt).
   */
  buffersInit(base: number): number {
    const n = this.capacity;
    for (let i = 0; i < n; i++) {
      if (!this._enqueue(this._free, this._freeOff, i * NET_BUFFER_SIZE + base, 0, 0)) return i;
    }
    return n;
  }

  // Tail is the low half of the first word, head the high half.
  private _quiet(q: DataView, off: number): boolean {
    const w = q.getUint32(off + TAIL, true);
    return (w & U16_MASK) === w >>> 16 && q.getUint32(off + SIGNALLED, true) === 0;
  }

  // Each helper reads tail and head once; a corrupt length is counted by whichever call sees it.

  private _empty(q: DataView, off: number): boolean {
    const length = (q.getUint16(off + TAIL, true) - q.getUint16(off + HEAD, true)) & U16_MASK;
    if (length > this.capacity) {
      this.violations++;
      return true;
    }
    return length === 0;
  }

  private _full(q: DataView, off: number): boolean {
    const length = (q.getUint16(off + TAIL, true) - q.getUint16(off + HEAD, true)) & U16_MASK;
    if (length > this.capacity) {
      this.violations++;
      return true;
    }
    return length === this.capacity;
  }

  // A corrupt queue has length 0: consistent with a consumer seeing it empty; a producer must rely
  // on enqueue's result, not on capacity - length.
  private _length(q: DataView, off: number): number {
    const length = (q.getUint16(off + TAIL, true) - q.getUint16(off + HEAD, true)) & U16_MASK;
    if (length > this.capacity) {
      this.violations++;
      return 0;
    }
    return length;
  }

  private _enqueue(q: DataView, off: number, ioOrOffset: number, len: number, oid: number): boolean {
    const tail = q.getUint16(off + TAIL, true);
    const length = (tail - q.getUint16(off + HEAD, true)) & U16_MASK;
    if (length >= this.capacity) {
      if (length > this.capacity) this.violations++;
      return false;
    }
    const d = off + NET_QUEUE_HEADER_BYTES + (tail & this._mask) * NET_BUFF_DESC_BYTES;
    // `>>> 0` is ToUint32 (value mod 2^32), exact for integers below 2^53; the remainder is the high
    // word. setUint32 wraps a negative high word, so -1 is stored as all ones, as a C cast would.
    const lo = ioOrOffset >>> 0;
    q.setUint32(d + DESC_IO_LO, lo, true);
    q.setUint32(d + DESC_IO_HI, (ioOrOffset - lo) / TWO_POW_32, true);
    // len (bytes 8-9), oid with its top two bits clear (byte 10), padding (byte 11).
    q.setUint32(d + DESC_LEN_OID, (len & U16_MASK) | ((oid & OID_MASK) << 16), true);
    q.setUint32(d + DESC_PAD_TAIL, 0, true);
    q.setUint16(off + TAIL, (tail + 1) & U16_MASK, true);
    return true;
  }

  private _dequeue(q: DataView, off: number, out: NetBuffDesc): boolean {
    if (!this._read(q, off, out)) return false;
    q.setUint16(off + HEAD, (q.getUint16(off + HEAD, true) + 1) & U16_MASK, true);
    return true;
  }

  // The descriptor at head into `out`; false when the queue is empty or corrupt.
  private _read(q: DataView, off: number, out: NetBuffDesc): boolean {
    const head = q.getUint16(off + HEAD, true);
    const length = (q.getUint16(off + TAIL, true) - head) & U16_MASK;
    if (length === 0) return false;
    if (length > this.capacity) {
      this.violations++;
      return false;
    }
    const d = off + NET_QUEUE_HEADER_BYTES + (head & this._mask) * NET_BUFF_DESC_BYTES;
    out.ioOrOffset = q.getUint32(d + DESC_IO_HI, true) * TWO_POW_32 + q.getUint32(d + DESC_IO_LO, true);
    const lenOid = q.getUint32(d + DESC_LEN_OID, true);
    out.len = lenOid & U16_MASK;
    out.oid = (lenOid >>> 16) & OID_MASK;
    return true;
  }
}
