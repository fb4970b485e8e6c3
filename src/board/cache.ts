import { takeZeroedBytes } from './byte_pool.js';
import { copyBytes } from '../net/bytes.js';
import type { CoherenceKind, CoherenceLog } from './coherence.js';
import { COHERENCE_CPU_READ_STALE, COHERENCE_DIRTY_OVER_DMA, COHERENCE_DMA_READ_DIRTY } from './coherence.js';
import type { Region } from './memory.js';

export const CACHE_LINE = 64;
const LINE_SHIFT = 6;
/** Lines per bitmap word: 32 lines of 64 bytes are 2 KiB, one sDDF buffer. */
const WORD_SHIFT = 5;

/** The bits a..b (0 <= a <= b <= 31) of a word, as an int32 mask. */
function bitsFromTo(a: number, b: number): number {
  return (0xffffffff >>> (31 - b + a)) << a;
}

/** Length of the run of set bits starting at bit `lo` of x (x's bit lo is set). */
function runLength(x: number, lo: number): number {
  const inv = ~(x >>> lo);
  return inv === 0 ? 32 : 31 - Math.clz32(inv & -inv);
}

/** The bits of bitmap word k that lines first..last cover. */
function wordMask(k: number, first: number, last: number): number {
  const a = k === first >>> WORD_SHIFT ? first & 31 : 0;
  const b = k === last >>> WORD_SHIFT ? last & 31 : 31;
  return bitsFromTo(a, b);
}

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
 * Per line we keep three bits, each in a bitmap of one bit per line and 32 lines (one 2 KiB
 * buffer) per word:
 * - `valid`: the line is cached (otherwise invalid);
 * - `dirty`: cached and newer than DRAM (implies valid);
 * - `stale`: cached, and DRAM was written by a device after the fill (implies valid): a CPU hit
 *   on it returns the old cached bytes and is recorded in the coherence log.
 * A frame's maintenance is then a mask or two over one or two words rather than a loop over two
 * dozen lines (a loop over per-line bytes cost about 7% of an R2 run).
 */
export class RegionCache {
  readonly region: Region;
  /** The cached copy of every line (only meaningful where the line is valid). */
  readonly data: Uint8Array;
  log: CoherenceLog | null = null;
  /** Who last dirtied each line (an index into `writers`), so a report can name the writer. */
  readonly writerOf: Uint16Array;
  private readonly writers: string[] = [''];
  private readonly valid: Int32Array;
  private readonly dirty: Int32Array;
  private readonly stale: Int32Array;
  /** Word views of the cache copy and of DRAM: a line moves as 16 words, no views made per line. */
  private readonly data32: Uint32Array;
  private readonly dram32: Uint32Array;

  constructor(region: Region) {
    this.region = region;
    this.data = takeZeroedBytes(region.size);
    this.data32 = new Uint32Array(this.data.buffer, 0, region.size >>> 2);
    this.dram32 = new Uint32Array(region.bytes.buffer, region.bytes.byteOffset, region.size >>> 2);
    const lines = Math.ceil(region.size / CACHE_LINE);
    const words = (lines + 31) >>> WORD_SHIFT;
    this.valid = new Int32Array(words);
    this.dirty = new Int32Array(words);
    this.stale = new Int32Array(words);
    this.writerOf = new Uint16Array(lines);
  }

  private writerIndex(who: string): number {
    let i = this.writers.indexOf(who);
    if (i < 0) {
      i = this.writers.length;
      this.writers.push(who);
    }
    return i;
  }

  private isValid(line: number): boolean {
    return (this.valid[line >>> WORD_SHIFT]! & (1 << (line & 31))) !== 0;
  }

  /** Loads one invalid line from DRAM. */
  private fill(line: number): void {
    const w = line << 4;
    const d = this.data32;
    const m = this.dram32;
    for (let i = 0; i < 16; i++) d[w + i] = m[w + i]!;
    const bit = 1 << (line & 31);
    const k = line >>> WORD_SHIFT;
    this.valid[k]! |= bit;
    this.stale[k]! &= ~bit;
  }

  /** CPU load of `len` bytes at region offset `off` into dst. */
  cpuRead(off: number, dst: Uint8Array, dstOff: number, len: number, who: string): void {
    if (len <= 0) return;
    const first = off >>> LINE_SHIFT;
    const last = (off + len - 1) >>> LINE_SHIFT;
    this.fillRange(first, last);
    // Lines just filled are not stale, so only hits on lines cached before can be.
    if (this.log !== null) this.logBits(this.stale, first, last, COHERENCE_CPU_READ_STALE, who);
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
    const valid = this.valid;
    for (let k = first >>> WORD_SHIFT; k <= last >>> WORD_SHIFT; k++) {
      const x = ~valid[k]! & wordMask(k, first, last);
      if (x === 0) continue;
      // Invalid lines are never stale, so marking them valid is all the state there is to change.
      valid[k]! |= x;
      this.copyRuns(k, x, false);
    }
  }

  /** Writes back every dirty line in [first, last], a run at a time. */
  private writeBackRange(first: number, last: number): void {
    const dirty = this.dirty;
    for (let k = first >>> WORD_SHIFT; k <= last >>> WORD_SHIFT; k++) {
      const x = dirty[k]! & wordMask(k, first, last);
      if (x === 0) continue;
      dirty[k]! &= ~x;
      this.copyRuns(k, x, true);
    }
  }

  /**
   * Copies the lines of bitmap word k whose bits are set in x between DRAM and the cached copy
   * (toDram: a write-back, else a fill), a run of consecutive lines at a time.
   */
  private copyRuns(k: number, x: number, toDram: boolean): void {
    const base = k << WORD_SHIFT;
    while (x !== 0) {
      const lo = 31 - Math.clz32(x & -x);
      const n = runLength(x, lo);
      x &= ~bitsFromTo(lo, lo + n - 1);
      const from = (base + lo) << LINE_SHIFT;
      const to = from + (n << LINE_SHIFT);
      if (n >= 4) {
        if (toDram) this.region.bytes.set(this.data.subarray(from, to), from);
        else this.data.set(this.region.bytes.subarray(from, to), from);
      } else {
        // A line or three: sixteen words each, no view.
        const d = this.data32;
        const m = this.dram32;
        if (toDram) for (let i = from >>> 2; i < to >>> 2; i++) m[i] = d[i]!;
        else for (let i = from >>> 2; i < to >>> 2; i++) d[i] = m[i]!;
      }
    }
  }

  /** Clears the valid, dirty and stale bits of [first, last]. */
  private dropRange(first: number, last: number): void {
    for (let k = first >>> WORD_SHIFT; k <= last >>> WORD_SHIFT; k++) {
      const keep = ~wordMask(k, first, last);
      this.valid[k]! &= keep;
      this.dirty[k]! &= keep;
      this.stale[k]! &= keep;
    }
  }

  /** Records `kind` for every line of [first, last] whose bit is set in `bits`. */
  private logBits(bits: Int32Array, first: number, last: number, kind: CoherenceKind, who: string): void {
    for (let k = first >>> WORD_SHIFT; k <= last >>> WORD_SHIFT; k++) {
      let x = bits[k]! & wordMask(k, first, last);
      while (x !== 0) {
        const bit = 31 - Math.clz32(x & -x);
        x &= x - 1;
        this.log!.record(kind, who, this.region.name, (k << WORD_SHIFT) + bit);
      }
    }
  }

  /** CPU load of a little-endian integer of `width` bytes. */
  cpuReadInt(off: number, width: number, who: string): number {
    const last = (off + width - 1) >>> LINE_SHIFT;
    for (let l = off >>> LINE_SHIFT; l <= last; l++) {
      if (!this.isValid(l)) this.fill(l);
      else if (this.log !== null && (this.stale[l >>> WORD_SHIFT]! & (1 << (l & 31))) !== 0)
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
    if ((off & (CACHE_LINE - 1)) !== 0 && !this.isValid(first)) this.fill(first);
    if (((off + len) & (CACHE_LINE - 1)) !== 0 && !this.isValid(last)) this.fill(last);
    for (let k = first >>> WORD_SHIFT; k <= last >>> WORD_SHIFT; k++) {
      const m = wordMask(k, first, last);
      // A line allocated without a fill was invalid, hence not stale: valid and dirty is all it is.
      this.valid[k]! |= m;
      this.dirty[k]! |= m;
    }
    this.writerOf.fill(w, first, last + 1);
  }

  cpuWriteInt(off: number, width: number, value: number, who = ''): void {
    const w = who === '' ? 0 : this.writerIndex(who);
    const first = off >>> LINE_SHIFT;
    const last = (off + width - 1) >>> LINE_SHIFT;
    for (let l = first; l <= last; l++) {
      if (!this.isValid(l)) this.fill(l);
      this.dirty[l >>> WORD_SHIFT]! |= 1 << (l & 31);
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
    this.dropRange(first, last);
    return last - first + 1;
  }

  /** dc civac: write back dirty lines, then drop them. */
  cleanInvalidate(off: number, len: number): number {
    if (len <= 0) return 0;
    const first = off >>> LINE_SHIFT;
    const last = (off + len - 1) >>> LINE_SHIFT;
    this.writeBackRange(first, last);
    this.dropRange(first, last);
    return last - first + 1;
  }

  /** A device read of DRAM: a dirty line means the device sees older bytes than the CPU wrote. */
  dmaRead(off: number, len: number, who: string): void {
    if (len <= 0 || this.log === null) return;
    const first = off >>> LINE_SHIFT;
    const last = (off + len - 1) >>> LINE_SHIFT;
    for (let k = first >>> WORD_SHIFT; k <= last >>> WORD_SHIFT; k++) {
      let x = this.dirty[k]! & wordMask(k, first, last);
      while (x !== 0) {
        const l = (k << WORD_SHIFT) + 31 - Math.clz32(x & -x);
        x &= x - 1;
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
    for (let k = first >>> WORD_SHIFT; k <= last >>> WORD_SHIFT; k++) {
      const m = wordMask(k, first, last);
      this.stale[k]! |= this.valid[k]! & m;
      if (this.log === null) continue;
      // A later write-back of these lines would clobber what the device just wrote.
      let x = this.dirty[k]! & m;
      while (x !== 0) {
        const l = (k << WORD_SHIFT) + 31 - Math.clz32(x & -x);
        x &= x - 1;
        this.log.record(COHERENCE_DIRTY_OVER_DMA, who, this.region.name, l);
      }
    }
  }

  /** Number of lines currently dirty (for tests and snapshots). */
  dirtyLines(): number {
    let n = 0;
    for (let k = 0; k < this.dirty.length; k++) {
      let x = this.dirty[k]!;
      while (x !== 0) {
        x &= x - 1;
        n++;
      }
    }
    return n;
  }
}
