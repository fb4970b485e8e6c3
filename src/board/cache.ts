import { copyBytes } from '../net/bytes.js';
import type { CoherenceLog } from './coherence.js';
import { COHERENCE_CPU_READ_STALE, COHERENCE_DIRTY_OVER_DMA, COHERENCE_DMA_READ_DIRTY } from './coherence.js';
import type { Region } from './memory.js';

export const CACHE_LINE = 64;
const LINE_SHIFT = 6;

const INVALID = 0;
const CLEAN = 1;
const DIRTY = 2;

/**
 * Write-back data cache over one DMA-capable region. CPUs of the board are coherent
 * with each other (one cache model per region suffices); DMA is not coherent with
 * any of them, which is the whole reason sDDF's virtualisers clean and invalidate.
 *
 * Simplification, chosen for determinism: lines are never evicted for capacity, so a
 * missing clean always leaves the device reading old bytes and a missing invalidate
 * always leaves the CPU reading old bytes. Real hardware would sometimes hide the
 * bug by evicting; the simulator never does.
 *
 * Per line we keep: state (invalid / clean / dirty) and whether DRAM was written by a
 * device after the line was filled (`stale`): a CPU hit on such a line returns the
 * old cached bytes and is recorded in the coherence log.
 */
export class RegionCache {
  readonly region: Region;
  /** The cached copy of every line (only meaningful where state != INVALID). */
  readonly data: Uint8Array;
  readonly state: Uint8Array;
  readonly stale: Uint8Array;
  log: CoherenceLog | null = null;
  /** Who last dirtied each line (an index into `writers`), so a report can name the writer. */
  readonly writerOf: Uint16Array;
  private readonly writers: string[] = [''];
  private writerIndex(who: string): number {
    let i = this.writers.indexOf(who);
    if (i < 0) {
      i = this.writers.length;
      this.writers.push(who);
    }
    return i;
  }
  /** Word views of the cache copy and of DRAM: a line moves as 16 words, no views made per line. */
  private readonly data32: Uint32Array;
  private readonly dram32: Uint32Array;

  constructor(region: Region) {
    this.region = region;
    this.data = new Uint8Array(region.size);
    this.data32 = new Uint32Array(this.data.buffer);
    this.dram32 = new Uint32Array(region.bytes.buffer, region.bytes.byteOffset, region.size >>> 2);
    const lines = Math.ceil(region.size / CACHE_LINE);
    this.state = new Uint8Array(lines);
    this.writerOf = new Uint16Array(lines);
    this.stale = new Uint8Array(lines);
  }

  private fill(line: number): void {
    const w = line << 4;
    const d = this.data32;
    const m = this.dram32;
    for (let i = 0; i < 16; i++) d[w + i] = m[w + i]!;
    this.state[line] = CLEAN;
    this.stale[line] = 0;
  }

  /** CPU load of `len` bytes at region offset `off` into dst. */
  cpuRead(off: number, dst: Uint8Array, dstOff: number, len: number, who: string): void {
    if (len <= 0) return;
    const first = off >>> LINE_SHIFT;
    const last = (off + len - 1) >>> LINE_SHIFT;
    this.fillRange(first, last);
    if (this.log !== null) {
      for (let l = first; l <= last; l++) {
        if (this.stale[l] === 1) this.log.record(COHERENCE_CPU_READ_STALE, who, this.region.name, l);
      }
    }
    const data = this.data;
    // A cached copy within this region loads straight into `data`: no view needed.
    if (dst === data) dst.copyWithin(dstOff, off, off + len);
    // `data` is this cache's own buffer and nothing makes other views of it, so a dst that is not
    // data itself cannot overlap it.
    else copyBytes(data, off, dst, dstOff, len);
  }

  /**
   * Fills every invalid line in [first, last], moving each run of consecutive invalid
   * lines with one copy (a frame is two dozen lines in a row).
   */
  private fillRange(first: number, last: number): void {
    const state = this.state;
    let l = first;
    while (l <= last) {
      if (state[l] !== INVALID) {
        l++;
        continue;
      }
      let end = l;
      while (end < last && state[end + 1] === INVALID) end++;
      if (end - l >= 3) {
        this.data.set(this.region.bytes.subarray(l << LINE_SHIFT, (end + 1) << LINE_SHIFT), l << LINE_SHIFT);
        for (let k = l; k <= end; k++) {
          state[k] = CLEAN;
          this.stale[k] = 0;
        }
      } else {
        for (let k = l; k <= end; k++) this.fill(k);
      }
      l = end + 1;
    }
  }

  /** Writes back every dirty line in [first, last], a run at a time. */
  private writeBackRange(first: number, last: number): void {
    const state = this.state;
    let l = first;
    while (l <= last) {
      if (state[l] !== DIRTY) {
        l++;
        continue;
      }
      let end = l;
      while (end < last && state[end + 1] === DIRTY) end++;
      if (end - l >= 3) {
        this.region.bytes.set(this.data.subarray(l << LINE_SHIFT, (end + 1) << LINE_SHIFT), l << LINE_SHIFT);
        for (let k = l; k <= end; k++) state[k] = CLEAN;
      } else {
        for (let k = l; k <= end; k++) this.writeBack(k);
      }
      l = end + 1;
    }
  }

  /** CPU load of a little-endian integer of `width` bytes. */
  cpuReadInt(off: number, width: number, who: string): number {
    const last = (off + width - 1) >>> LINE_SHIFT;
    for (let l = off >>> LINE_SHIFT; l <= last; l++) {
      if (this.state[l] === INVALID) this.fill(l);
      else if (this.stale[l] === 1 && this.log !== null)
        this.log.record(COHERENCE_CPU_READ_STALE, who, this.region.name, l);
    }
    const d = this.data;
    if (width === 1) return d[off]!;
    if (width === 2) return d[off]! | (d[off + 1]! << 8);
    return (d[off]! | (d[off + 1]! << 8) | (d[off + 2]! << 16) | (d[off + 3]! << 24)) >>> 0;
  }

  /** CPU store (write-allocate): the bytes stay in the cache until cleaned. */
  cpuWrite(off: number, src: Uint8Array, srcOff: number, len: number, who = ''): void {
    if (len <= 0) return;
    this.touchForWrite(off, len, who);
    this.data.set(src.subarray(srcOff, srcOff + len), off);
  }

  /** Write-allocates [off, off+len) and marks it dirty; the caller then stores into `data`. */
  touchForWrite(off: number, len: number, who = ''): void {
    const w = who === '' ? 0 : this.writerIndex(who);
    const first = off >>> LINE_SHIFT;
    const last = (off + len - 1) >>> LINE_SHIFT;
    // Whole lines about to be overwritten need no fill, only their partial ends do.
    const wholeFirst = (off & (CACHE_LINE - 1)) === 0 ? first : first + 1;
    const wholeLast = ((off + len) & (CACHE_LINE - 1)) === 0 ? last : last - 1;
    const state = this.state;
    for (let l = first; l <= last; l++) {
      if (state[l] === INVALID) {
        if (l < wholeFirst || l > wholeLast) this.fill(l);
        else this.stale[l] = 0;
      }
      state[l] = DIRTY;
      this.writerOf[l] = w;
    }
  }

  cpuWriteInt(off: number, width: number, value: number, who = ''): void {
    const w = who === '' ? 0 : this.writerIndex(who);
    const first = off >>> LINE_SHIFT;
    const last = (off + width - 1) >>> LINE_SHIFT;
    for (let l = first; l <= last; l++) {
      if (this.state[l] === INVALID) this.fill(l);
      this.state[l] = DIRTY;
      this.writerOf[l] = w;
    }
    const d = this.data;
    d[off] = value & 0xff;
    if (width >= 2) d[off + 1] = (value >>> 8) & 0xff;
    if (width === 4) {
      d[off + 2] = (value >>> 16) & 0xff;
      d[off + 3] = (value >>> 24) & 0xff;
    }
  }

  /** dc cvac over [off, off+len): write dirty lines back. Returns lines touched. */
  clean(off: number, len: number): number {
    if (len <= 0) return 0;
    const first = off >>> LINE_SHIFT;
    const last = (off + len - 1) >>> LINE_SHIFT;
    this.writeBackRange(first, last);
    return last - first + 1;
  }

  /** dc ivac: drop lines, discarding dirty data (that is what invalidate means). */
  invalidate(off: number, len: number): number {
    if (len <= 0) return 0;
    const first = off >>> LINE_SHIFT;
    const last = (off + len - 1) >>> LINE_SHIFT;
    for (let l = first; l <= last; l++) {
      this.state[l] = INVALID;
      this.stale[l] = 0;
    }
    return last - first + 1;
  }

  /** dc civac: write back dirty lines, then drop them. */
  cleanInvalidate(off: number, len: number): number {
    if (len <= 0) return 0;
    const first = off >>> LINE_SHIFT;
    const last = (off + len - 1) >>> LINE_SHIFT;
    this.writeBackRange(first, last);
    for (let l = first; l <= last; l++) {
      this.state[l] = INVALID;
      this.stale[l] = 0;
    }
    return last - first + 1;
  }

  /** A device read of DRAM: a dirty line means the device sees older bytes than the CPU wrote. */
  dmaRead(off: number, len: number, who: string): void {
    if (len <= 0 || this.log === null) return;
    const first = off >>> LINE_SHIFT;
    const last = (off + len - 1) >>> LINE_SHIFT;
    for (let l = first; l <= last; l++) {
      if (this.state[l] === DIRTY) {
        // The device reads memory the CPU has newer bytes for: name who wrote them.
        const writer = this.writers[this.writerOf[l]!] ?? '';
        this.log.record(
          COHERENCE_DMA_READ_DIRTY,
          writer === '' ? who : `${writer} (read by ${who})`,
          this.region.name,
          l,
        );
      }
    }
  }

  /** A device wrote DRAM: any cached copy is now stale. */
  dmaWrite(off: number, len: number, who: string): void {
    if (len <= 0) return;
    const first = off >>> LINE_SHIFT;
    const last = (off + len - 1) >>> LINE_SHIFT;
    for (let l = first; l <= last; l++) {
      const s = this.state[l];
      if (s === INVALID) continue;
      this.stale[l] = 1;
      // A later write-back of this line would clobber what the device just wrote.
      if (s === DIRTY && this.log !== null)
        this.log.record(COHERENCE_DIRTY_OVER_DMA, who, this.region.name, l);
    }
  }

  private writeBack(l: number): void {
    const w = l << 4;
    const d = this.data32;
    const m = this.dram32;
    for (let i = 0; i < 16; i++) m[w + i] = d[w + i]!;
    this.state[l] = CLEAN;
  }

  /** Number of lines currently dirty (for tests and snapshots). */
  dirtyLines(): number {
    let n = 0;
    for (let l = 0; l < this.state.length; l++) if (this.state[l] === DIRTY) n++;
    return n;
  }
}
