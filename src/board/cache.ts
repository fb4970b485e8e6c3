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
 *
 * A clean line that no device has written since it was filled holds exactly what DRAM
 * holds, so its bytes are not copied into `data`: the CPU reads DRAM for it. `data` holds
 * a line only where the CPU's view differs or may differ from DRAM (dirty, or stale: the
 * device's write snapshots the old line first). That halves the bytes moved on the data
 * path without changing a single byte any component sees.
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

  /** Copies DRAM's line into `data`: from now on the cache's copy is the CPU's view of it. */
  private hold(line: number): void {
    const w = line << 4;
    const d = this.data32;
    const m = this.dram32;
    for (let i = 0; i < 16; i++) d[w + i] = m[w + i]!;
  }

  /** True where `data` holds the line (dirty or stale); a clean line is read from DRAM. */
  private held(line: number): boolean {
    return this.state[line] === DIRTY || this.stale[line] === 1;
  }

  /** CPU load of `len` bytes at region offset `off` into dst. */
  cpuRead(off: number, dst: Uint8Array, dstOff: number, len: number, who: string): void {
    if (len <= 0) return;
    const first = off >>> LINE_SHIFT;
    const last = (off + len - 1) >>> LINE_SHIFT;
    const state = this.state;
    const stale = this.stale;
    let anyHeld = false;
    for (let l = first; l <= last; l++) {
      if (state[l] === INVALID) {
        // A fill: the line now caches DRAM's bytes, which stay where they are.
        state[l] = CLEAN;
        stale[l] = 0;
      } else if (state[l] === DIRTY || stale[l] === 1) anyHeld = true;
    }
    if (this.log !== null) {
      for (let l = first; l <= last; l++) {
        if (stale[l] === 1) this.log.record(COHERENCE_CPU_READ_STALE, who, this.region.name, l);
      }
    }
    if (!anyHeld) {
      dst.set(this.region.bytes.subarray(off, off + len), dstOff);
      return;
    }
    // Mixed: copy each run of lines from where the CPU's view of it lives.
    const end = off + len;
    let a = off;
    while (a < end) {
      const fromCache = this.held(a >>> LINE_SHIFT);
      let b = ((a >>> LINE_SHIFT) + 1) << LINE_SHIFT;
      while (b < end && this.held(b >>> LINE_SHIFT) === fromCache) b += CACHE_LINE;
      if (b > end) b = end;
      const src = fromCache ? this.data : this.region.bytes;
      dst.set(src.subarray(a, b), dstOff + (a - off));
      a = b;
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
    const first = off >>> LINE_SHIFT;
    const last = (off + width - 1) >>> LINE_SHIFT;
    for (let l = first; l <= last; l++) {
      if (this.state[l] === INVALID) {
        this.state[l] = CLEAN;
        this.stale[l] = 0;
      } else if (this.stale[l] === 1 && this.log !== null)
        this.log.record(COHERENCE_CPU_READ_STALE, who, this.region.name, l);
    }
    if (first === last) {
      const d = this.held(first) ? this.data : this.region.bytes;
      if (width === 1) return d[off]!;
      if (width === 2) return d[off]! | (d[off + 1]! << 8);
      return (d[off]! | (d[off + 1]! << 8) | (d[off + 2]! << 16) | (d[off + 3]! << 24)) >>> 0;
    }
    let v = 0;
    for (let i = width - 1; i >= 0; i--) {
      const a = off + i;
      const d = this.held(a >>> LINE_SHIFT) ? this.data : this.region.bytes;
      v = v * 256 + d[a]!;
    }
    return v;
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
    const stale = this.stale;
    for (let l = first; l <= last; l++) {
      const s = state[l];
      if (s === INVALID) {
        // A line written only in part is filled first: the rest of it is DRAM's.
        if (l < wholeFirst || l > wholeLast) this.hold(l);
        stale[l] = 0;
      } else if (s === CLEAN && stale[l] === 0 && (l < wholeFirst || l > wholeLast)) {
        this.hold(l);
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
      const s = this.state[l];
      if (s === INVALID) {
        this.hold(l);
        this.stale[l] = 0;
      } else if (s === CLEAN && this.stale[l] === 0) this.hold(l);
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

  /**
   * A device is about to write DRAM (call before the bytes change): any cached copy is now
   * stale. A clean line's copy was DRAM itself, so its old bytes are kept in `data` first.
   */
  dmaWrite(off: number, len: number, who: string): void {
    if (len <= 0) return;
    const first = off >>> LINE_SHIFT;
    const last = (off + len - 1) >>> LINE_SHIFT;
    for (let l = first; l <= last; l++) {
      const s = this.state[l];
      if (s === INVALID) continue;
      if (s === CLEAN && this.stale[l] === 0) this.hold(l);
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
