import { assert } from './assert.js';
import type { Prng } from './prng.js';

/** Round-trip-time summary in ns; every field is 0 when count is 0. */
export interface RttSummary {
  count: number;
  min: number;
  mean: number;
  median: number;
  p99: number;
  max: number;
  /** Population standard deviation (divides by n). */
  stdev: number;
}

export interface RttHistogram {
  binNs: number;
  /** Lower edge of counts[0]: the minimum rounded down to a multiple of binNs. */
  startNs: number;
  counts: number[];
}

/** Default number of samples kept: 2^22 (32 MiB of float64 when full). */
export const RTT_DEFAULT_CAP = 1 << 22;
const MAX_HISTOGRAM_BINS = 1_000_000;
const TWO_POW_32 = 4294967296;

/**
 * RTT samples in one growable Float64Array, no per-sample objects.
 *
 * count, min, max, mean and stdev are exact over every sample (Welford's running mean and
 * variance). The median, p99 and histogram come from the kept samples: all of them up to `cap`,
 * beyond that a uniform reservoir (Vitter's algorithm R, drawing from the Prng), so they are
 * exact below the cap and an unbiased estimate above it.
 *
 * Quantiles: median is the middle sample (mean of the two middle ones for an even count); p99 is
 * the nearest-rank value, the ceil(0.99 n)-th smallest.
 *
 * | operation          | cost                                  |
 * |--------------------|---------------------------------------|
 * | add                | O(1) amortised (doubling growth)      |
 * | summary            | O(k), by selection on a copy          |
 * | quantile           | O(k log k) the first time after adds  |
 * | histogram          | O(k) plus the sort if not sorted      |
 */
export class RttStats {
  readonly cap: number;
  /** Samples seen (kept or not). */
  count = 0;
  private samples: Float64Array;
  private kept = 0;
  private sorted = true;
  private minV = Number.POSITIVE_INFINITY;
  private maxV = Number.NEGATIVE_INFINITY;
  private meanV = 0;
  private m2 = 0;
  private readonly prng: Prng;

  constructor(prng: Prng, cap: number = RTT_DEFAULT_CAP, initialCapacity = 1024) {
    assert(Number.isInteger(cap) && cap >= 1, `RTT sample cap ${cap} is not a positive integer`);
    this.prng = prng;
    this.cap = cap;
    this.samples = new Float64Array(Math.max(1, Math.min(initialCapacity, cap)));
  }

  /** Samples currently kept for quantiles (min(count, cap)). */
  /** The kept samples (a view; valid until the next add). */
  keptSamples(): Float64Array {
    return this.samples.subarray(0, this.kept);
  }

  get keptCount(): number {
    return this.kept;
  }

  add(x: number): void {
    const n = ++this.count;
    if (x < this.minV) this.minV = x;
    if (x > this.maxV) this.maxV = x;
    const d = x - this.meanV;
    this.meanV += d / n;
    this.m2 += d * (x - this.meanV);
    if (this.kept < this.cap) {
      if (this.kept === this.samples.length) this._grow();
      this.samples[this.kept++] = x;
      this.sorted = false;
      return;
    }
    const j = this.prng.nextInt(Math.min(n, TWO_POW_32));
    if (j < this.cap) {
      this.samples[j] = x;
      this.sorted = false;
    }
  }

  reset(): void {
    this.count = 0;
    this.kept = 0;
    this.sorted = true;
    this.minV = Number.POSITIVE_INFINITY;
    this.maxV = Number.NEGATIVE_INFINITY;
    this.meanV = 0;
    this.m2 = 0;
  }

  get min(): number {
    return this.count === 0 ? 0 : this.minV;
  }

  get max(): number {
    return this.count === 0 ? 0 : this.maxV;
  }

  get mean(): number {
    return this.meanV;
  }

  get stdev(): number {
    return this.count === 0 ? 0 : Math.sqrt(this.m2 / this.count);
  }

  /** Nearest-rank quantile over the kept samples, q in (0, 1]; 0 when empty. */
  quantile(q: number): number {
    assert(q > 0 && q <= 1, `quantile ${q} outside (0, 1]`);
    if (this.kept === 0) return 0;
    this._sort();
    const rank = Math.ceil(q * this.kept);
    return this.samples[Math.max(rank, 1) - 1]!;
  }

  get median(): number {
    const k = this.kept;
    if (k === 0) return 0;
    this._sort();
    const s = this.samples;
    const h = k >>> 1;
    return (k & 1) === 1 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
  }

  get p99(): number {
    return this.quantile(0.99);
  }

  /** Fills `out` (or a new object) with the summary. */
  summary(out?: RttSummary): RttSummary {
    const o = out ?? { count: 0, min: 0, mean: 0, median: 0, p99: 0, max: 0, stdev: 0 };
    o.count = this.count;
    o.min = this.min;
    o.mean = this.mean;
    if (this.sorted || this.kept === 0) {
      o.median = this.median;
      o.p99 = this.p99;
    } else selectQuantiles(this.samples, this.kept, o);
    o.max = this.max;
    o.stdev = this.stdev;
    return o;
  }

  /** Counts of kept samples per bin of `binNs`, from the bin holding the minimum. */
  histogram(binNs: number): RttHistogram {
    assert(binNs > 0, `histogram bin ${binNs} ns is not positive`);
    if (this.kept === 0) return { binNs, startNs: 0, counts: [] };
    this._sort();
    const s = this.samples;
    const first = Math.floor(s[0]! / binNs);
    const last = Math.floor(s[this.kept - 1]! / binNs);
    const bins = last - first + 1;
    assert(bins <= MAX_HISTOGRAM_BINS, `histogram would need ${bins} bins: choose a wider bin`);
    const counts = new Array<number>(bins).fill(0);
    for (let i = 0; i < this.kept; i++) counts[Math.floor(s[i]! / binNs) - first]!++;
    return { binNs, startNs: first * binNs, counts };
  }

  private _sort(): void {
    if (this.sorted) return;
    const kept = this.samples.subarray(0, this.kept);
    if (!radixSortNonNegative(kept)) kept.sort();
    this.sorted = true;
  }

  /**
   * Makes room for `n` samples (at most the cap) before the first is added, so that a run whose
   * sample count is known ahead does not grow the array by doubling: each doubling copied every
   * sample so far and touched a fresh array's pages (a page fault per 4 KiB), a main source of
   * page faults in a long run. Pages of the reserved array are touched only as samples fill them.
   */
  reserve(n: number): void {
    const want = Math.min(this.cap, Math.ceil(n));
    if (this.kept !== 0 || !(want > this.samples.length)) return;
    this.samples = new Float64Array(want);
  }

  private _grow(): void {
    const next = new Float64Array(Math.min(this.cap, this.samples.length * 2));
    next.set(this.samples);
    this.samples = next;
  }
}

let selectScratch = new Float64Array(0);

/**
 * Sets o.median and o.p99 of the first k samples of `samples` exactly as the sorted array gives
 * them, by selection on a copy: the samples keep their order (the reservoir replaces samples by
 * index, so reordering them would change later results) and are not marked sorted. A sort of a
 * long run's samples cost about as much as the rest of the summary together (65 ms of a 5 s R2
 * run, for 800k samples over nine statistics); two selections are linear.
 */
function selectQuantiles(samples: Float64Array, k: number, o: RttSummary): void {
  if (selectScratch.length < k) selectScratch = new Float64Array(Math.max(k, selectScratch.length * 2));
  const a = selectScratch;
  a.set(samples.subarray(0, k));
  const h = k >>> 1;
  select(a, 0, k - 1, h);
  // a[0..h-1] are all <= a[h]: the largest of them is the (h-1)-th smallest.
  let below = a[h]!;
  if ((k & 1) === 0) {
    below = a[0]!;
    for (let i = 1; i < h; i++) if (a[i]! > below) below = a[i]!;
  }
  o.median = (k & 1) === 1 ? a[h]! : (below + a[h]!) / 2;
  const r = Math.max(Math.ceil(0.99 * k), 1) - 1;
  if (r > h) select(a, h + 1, k - 1, r);
  else if (r < h) select(a, 0, h - 1, r);
  o.p99 = a[r]!;
}

/**
 * Rearranges a[lo..hi] so that a[k] holds the value a sort would put there, with nothing larger
 * before it and nothing smaller after it (Hoare's selection with a median-of-three pivot, which
 * splits runs of equal values evenly). After 2 log2(n) + 8 rounds without converging it sorts what
 * is left, so the worst case stays O(n log n).
 */
function select(a: Float64Array, lo: number, hi: number, k: number): void {
  let rounds = 2 * Math.ceil(Math.log2(hi - lo + 2)) + 8;
  while (hi > lo) {
    if (rounds-- === 0) {
      a.subarray(lo, hi + 1).sort();
      return;
    }
    const mid = lo + ((hi - lo) >>> 1);
    // Median of three into a[mid].
    if (a[mid]! < a[lo]!) swap(a, mid, lo);
    if (a[hi]! < a[lo]!) swap(a, hi, lo);
    if (a[hi]! < a[mid]!) swap(a, hi, mid);
    const pivot = a[mid]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    // Now a[lo..j] <= pivot <= a[i..hi], and a[j+1..i-1] == pivot.
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}

/**
 * Below this many samples the built-in sort wins: the radix sort's four passes over 65,536 counters
 * are a fixed cost (measured on Node 20: 0.6 ms against 0.4 at 6,000 samples, 2.7 against 4.3 at
 * 48,000).
 */
const RADIX_MIN = 16384;
const RADIX_BINS = 1 << 16;
let radixCounts: Uint32Array | null = null;
/**
 * The sort's second buffer, kept between sorts (a run summarises a dozen or more statistics of up
 * to hundreds of thousands of samples each): a new one per sort faulted in its pages every time.
 */
let radixScratch = new Float64Array(0);

/**
 * Sorts `a` in place, ascending, if every value is finite and not negative (RTTs are); returns
 * false, leaving `a` untouched, otherwise or when `a` is short. For such doubles the IEEE-754 bit
 * pattern read as an unsigned 64-bit integer orders exactly as the number does (+0 is all zero
 * bits; -0 and NaN are excluded), so a least-significant-digit radix sort over four 16-bit digits
 * yields the very array Float64Array.prototype.sort would, in linear time (the built-in sort was
 * ~1.5% of an R2 run, at the end, over tens of thousands of samples per statistic).
 */
function radixSortNonNegative(a: Float64Array): boolean {
  const n = a.length;
  if (n < RADIX_MIN) return false;
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    // Rejects NaN, negatives and -0 (1 / -0 is -Infinity) and infinities.
    if (!(x >= 0 && x < Number.POSITIVE_INFINITY) || (x === 0 && 1 / x < 0)) return false;
  }
  const counts = radixCounts ?? new Uint32Array(RADIX_BINS);
  radixCounts = counts;
  let src: Float64Array<ArrayBufferLike> = a;
  if (radixScratch.length < n) radixScratch = new Float64Array(n);
  let dst: Float64Array<ArrayBufferLike> = radixScratch.subarray(0, n);
  let srcWords: Uint32Array<ArrayBufferLike> = new Uint32Array(src.buffer, src.byteOffset, n * 2);
  let dstWords: Uint32Array<ArrayBufferLike> = new Uint32Array(dst.buffer, dst.byteOffset, n * 2);
  const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  // Digit d (0 = least significant 16 bits) of element i lives in 32-bit word 2i + (d >> 1) on a
  // little-endian host (2i + 1 - (d >> 1) on a big-endian one), shifted by 16 * (d & 1).
  for (let d = 0; d < 4; d++) {
    const wordOff = littleEndian ? d >> 1 : 1 - (d >> 1);
    const shift = (d & 1) * 16;
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[(srcWords[2 * i + wordOff]! >>> shift) & 0xffff]!++;
    let sum = 0;
    for (let b = 0; b < RADIX_BINS; b++) {
      const c = counts[b]!;
      counts[b] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const w0 = srcWords[2 * i]!;
      const w1 = srcWords[2 * i + 1]!;
      const j = counts[((wordOff === 0 ? w0 : w1) >>> shift) & 0xffff]!++;
      dstWords[2 * j] = w0;
      dstWords[2 * j + 1] = w1;
    }
    const t = src;
    src = dst;
    dst = t;
    const tw = srcWords;
    srcWords = dstWords;
    dstWords = tw;
  }
  // Four passes: the sorted values are back in `a`.
  return true;
}
