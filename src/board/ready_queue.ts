import { assert } from './assert.js';

/**
 * seL4's per-core ready queues: 256 priorities, FIFO within a priority, and a bitmap
 * to find the highest non-empty level quickly. Threads are small integer ids; each
 * level is a ring buffer of ids, grown by doubling (only at set-up sizes).
 */
export class ReadyQueue {
  private readonly bitmap = new Uint32Array(8);
  /** Bit w set when bitmap[w] is not 0 (seL4's two-level bitmap): the top level is one clz away. */
  private words = 0;
  private readonly rings: Int32Array[] = [];
  private readonly heads = new Int32Array(256);
  private readonly counts = new Int32Array(256);
  size = 0;

  constructor() {
    for (let p = 0; p < 256; p++) this.rings.push(new Int32Array(4));
  }

  push(thread: number, prio: number): void {
    // The message is built only on failure (a string per push otherwise).
    if (!(prio >= 0 && prio <= 255)) assert(false, `bad priority ${prio}`);
    let ring = this.rings[prio]!;
    const n = this.counts[prio]!;
    if (n === ring.length) {
      const bigger = new Int32Array(ring.length * 2);
      const h = this.heads[prio]!;
      for (let i = 0; i < n; i++) bigger[i] = ring[(h + i) % ring.length]!;
      this.rings[prio] = bigger;
      this.heads[prio] = 0;
      ring = bigger;
    }
    // Ring lengths are powers of two (4, doubled when full): masking is the modulo without a division.
    ring[(this.heads[prio]! + n) & (ring.length - 1)] = thread;
    this.counts[prio] = n + 1;
    this.bitmap[prio >>> 5]! |= 1 << (prio & 31);
    this.words |= 1 << (prio >>> 5);
    this.size++;
  }

  /** Highest priority with a ready thread, or -1. */
  highest(): number {
    const words = this.words;
    if (words === 0) return -1;
    const w = 31 - Math.clz32(words);
    return w * 32 + 31 - Math.clz32(this.bitmap[w]!);
  }

  /** Removes and returns the first thread at the highest priority, or -1. */
  pop(): number {
    const p = this.highest();
    if (p < 0) return -1;
    const ring = this.rings[p]!;
    const h = this.heads[p]!;
    const t = ring[h]!;
    this.heads[p] = (h + 1) & (ring.length - 1);
    const n = this.counts[p]! - 1;
    this.counts[p] = n;
    if (n === 0) this.clear(p);
    this.size--;
    return t;
  }

  /** Removes a specific thread (used when a thread is stopped while ready). */
  remove(thread: number, prio: number): boolean {
    const ring = this.rings[prio]!;
    const n = this.counts[prio]!;
    const h = this.heads[prio]!;
    for (let i = 0; i < n; i++) {
      if (ring[(h + i) % ring.length] === thread) {
        for (let j = i; j < n - 1; j++) ring[(h + j) % ring.length] = ring[(h + j + 1) % ring.length]!;
        this.counts[prio] = n - 1;
        if (n - 1 === 0) this.clear(prio);
        this.size--;
        return true;
      }
    }
    return false;
  }

  /** Marks priority `prio` empty. */
  private clear(prio: number): void {
    const w = prio >>> 5;
    const bits = this.bitmap[w]! & ~(1 << (prio & 31));
    this.bitmap[w] = bits;
    if (bits === 0) this.words &= ~(1 << w);
  }
}
