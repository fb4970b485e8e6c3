// Test memory for net queues: a free and an active queue between guard bytes in one ArrayBuffer,
// views that record every access a handle makes, and raw readers that decode the layout byte by
// byte (independently of DataView's endianness flag) so the tests check the bytes, not the code.

import { NetQueueHandle, netQueueBytes } from '../../src/sddf/net_queue.js';

export const GUARD_BYTES = 64;

export interface AccessLog {
  /** Accessor calls (getUintN/setUintN/...) made through the view since the last reset. */
  calls: number;
  /** Accesses that touched a byte outside the allowed range. */
  outOfRange: number;
}

// Byte width of each DataView accessor, from its name.
function accessWidth(name: string): number {
  if (name.endsWith('8')) return 1;
  if (name.endsWith('16')) return 2;
  if (name.endsWith('32')) return 4;
  return 8;
}

/** A DataView that counts accessor calls and flags any that leave [lo, hi). */
export function checkedView(target: DataView, lo: number, hi: number, log: AccessLog): DataView {
  return new Proxy(target, {
    get(t, prop) {
      const v: unknown = Reflect.get(t, prop, t);
      if (typeof v !== 'function' || typeof prop !== 'string') return v;
      const fn = v as (...args: unknown[]) => unknown;
      if (!prop.startsWith('get') && !prop.startsWith('set')) return fn.bind(t);
      const width = accessWidth(prop);
      return (...args: unknown[]) => {
        log.calls++;
        const at = args[0] as number;
        if (!(at >= lo && at + width <= hi)) log.outOfRange++;
        return fn.apply(t, args);
      };
    },
  });
}

export class Arena {
  readonly capacity: number;
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly freeOff: number;
  readonly activeOff: number;
  readonly queueBytes: number;
  readonly freeLog: AccessLog = { calls: 0, outOfRange: 0 };
  readonly activeLog: AccessLog = { calls: 0, outOfRange: 0 };
  private readonly guardCopy: Uint8Array;

  // Layout: guard | free queue | guard | active queue | guard. Queue memory starts zeroed, as
  // fresh Microkit memory regions do; guard bytes hold a non-zero pattern.
  constructor(capacity: number) {
    this.capacity = capacity;
    this.queueBytes = netQueueBytes(capacity);
    this.freeOff = GUARD_BYTES;
    this.activeOff = this.freeOff + this.queueBytes + GUARD_BYTES;
    const total = this.activeOff + this.queueBytes + GUARD_BYTES;
    this.bytes = new Uint8Array(total);
    this.view = new DataView(this.bytes.buffer);
    for (let i = 0; i < total; i++) {
      if (!this.inQueue(i)) this.bytes[i] = (i * 37 + 11) & 0xff || 0xa5;
    }
    this.guardCopy = this.bytes.slice();
  }

  /** A handle whose every access is logged and range-checked against its own queue. */
  handle(): NetQueueHandle {
    return new NetQueueHandle(
      checkedView(this.view, this.freeOff, this.freeOff + this.queueBytes, this.freeLog),
      this.freeOff,
      checkedView(this.view, this.activeOff, this.activeOff + this.queueBytes, this.activeLog),
      this.activeOff,
      this.capacity,
    );
  }

  offsetOf(q: QueueId): number {
    return q === 'free' ? this.freeOff : this.activeOff;
  }

  inQueue(i: number): boolean {
    return (
      (i >= this.freeOff && i < this.freeOff + this.queueBytes) ||
      (i >= this.activeOff && i < this.activeOff + this.queueBytes)
    );
  }

  /** Index of the first guard byte that changed, or -1. */
  firstDamagedGuard(): number {
    for (let i = 0; i < this.bytes.length; i++) {
      if (!this.inQueue(i) && this.bytes[i] !== this.guardCopy[i]) return i;
    }
    return -1;
  }

  u8(at: number): number {
    return this.bytes[at] ?? Number.NaN;
  }

  u16(at: number): number {
    return this.u8(at) | (this.u8(at + 1) << 8);
  }

  u32(at: number): number {
    return (this.u16(at) | (this.u16(at + 2) << 16)) >>> 0;
  }

  writeU16(at: number, v: number): void {
    this.bytes[at] = v & 0xff;
    this.bytes[at + 1] = (v >>> 8) & 0xff;
  }

  writeU32(at: number, v: number): void {
    this.writeU16(at, v & 0xffff);
    this.writeU16(at + 2, (v >>> 16) & 0xffff);
  }

  rawTail(q: QueueId): number {
    return this.u16(this.offsetOf(q));
  }

  rawHead(q: QueueId): number {
    return this.u16(this.offsetOf(q) + 2);
  }

  rawFlag(q: QueueId): number {
    return this.u32(this.offsetOf(q) + 4);
  }

  rawLength(q: QueueId): number {
    return (this.rawTail(q) - this.rawHead(q)) & 0xffff;
  }

  /** Byte offset of descriptor slot `slot` of queue q. */
  descAt(q: QueueId, slot: number): number {
    return this.offsetOf(q) + 8 + 16 * slot;
  }

  /** Fills every descriptor slot of both queues with pseudo-random bytes derived from seed. */
  scribbleDescriptors(seed: number): void {
    let x = seed | 1;
    for (const q of ['free', 'active'] as const) {
      for (let i = this.descAt(q, 0); i < this.offsetOf(q) + this.queueBytes; i++) {
        x = (Math.imul(x, 1103515245) + 12345) | 0;
        this.bytes[i] = x >>> 24;
      }
    }
  }

  /** Sets head and tail directly, as a peer (or an earlier run) would have left them. */
  setIndices(q: QueueId, head: number, tail: number): void {
    this.writeU16(this.offsetOf(q), tail);
    this.writeU16(this.offsetOf(q) + 2, head);
  }
}

export type QueueId = 'free' | 'active';
