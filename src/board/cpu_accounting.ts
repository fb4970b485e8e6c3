/**
 * Cycle accounting for one core, the way the benchmark's idle thread and seL4's
 * utilisation tracking see it: every cycle of the core is idle, kernel, or busy in
 * exactly one thread. Work is recorded as segments [start, start+cycles) on the
 * core's integer cycle clock and clipped to the measurement window, so the parts add
 * up to the window exactly.
 */
export const ACCT_IDLE = -1;
export const ACCT_KERNEL = -2;

/** Thread ids the per-thread sums hold before their first growth. */
const INITIAL_THREADS = 64;

export class CoreAccounting {
  readonly coreId: number;
  /** Measurement window [windowStart, windowEnd) in cycles. */
  windowStart = 0;
  windowEnd = Number.POSITIVE_INFINITY;
  idle = 0;
  kernel = 0;
  /**
   * Busy cycles per thread id (user level). A Float64Array, grown by doubling when a new thread
   * id books its first cycles: a plain array held small integers until a sum passed 2^30 and
   * then changed its element kind, which deoptimised every function storing into it; a typed
   * array is stored into without boxing the double and never changes kind.
   */
  user = new Float64Array(INITIAL_THREADS);
  /** Kernel cycles spent on behalf of each thread (syscalls, switches to it, its VM exits). */
  kernelFor = new Float64Array(INITIAL_THREADS);
  /** Time series: cycles per bucket, per thread and for idle/kernel. */
  readonly bucketCycles: number;
  readonly idleBuckets: number[] = [];
  readonly kernelBuckets: number[] = [];
  readonly userBuckets: number[][] = [];
  private lastBucket = 0;
  private lastBucketStart = 0;

  constructor(coreId: number, bucketCycles: number) {
    this.coreId = coreId;
    this.bucketCycles = bucketCycles;
    // CYCLE_FIELDS_AS_DOUBLES: absolute cycle counts pass 2^30, V8's small-integer range, after
    // 0.6 simulated s at 1.8 GHz. A field that then turns from small integer to double deprecates
    // its object's shape and throws away the optimised code of every function that touches it
    // (59 deoptimisations in a 2 s R2 run; 5.6% of a 1.25 s run's instructions). Storing a
    // fraction first makes the field a double from the start; the 0 stored next stays one.
    this.windowStart = 0.5;
    this.windowStart = 0;
    this.idle = 0.5;
    this.idle = 0;
    this.kernel = 0.5;
    this.kernel = 0;
    this.lastBucketStart = 0.5;
    this.lastBucketStart = 0;
  }

  setWindow(start: number, end: number): void {
    this.windowStart = start;
    this.windowEnd = end;
  }

  /** Records a segment of `cycles` starting at cycle `start`, for `who` (a thread id, ACCT_IDLE or ACCT_KERNEL). */
  add(who: number, start: number, cycles: number, onBehalfOf = -1): void {
    if (cycles <= 0) return;
    this.bucketise(who, start, cycles);
    const a = start > this.windowStart ? start : this.windowStart;
    const end = start + cycles;
    const b = end < this.windowEnd ? end : this.windowEnd;
    if (b <= a) return;
    const c = b - a;
    if (who === ACCT_IDLE) this.idle += c;
    else if (who === ACCT_KERNEL) {
      this.kernel += c;
      if (onBehalfOf >= 0) {
        if (onBehalfOf >= this.kernelFor.length) this.grow(onBehalfOf);
        this.kernelFor[onBehalfOf]! += c;
      }
    } else {
      if (who >= this.user.length) this.grow(who);
      this.user[who]! += c;
    }
  }

  /** Makes room in the per-thread sums for thread id `id`. */
  private grow(id: number): void {
    let n = this.user.length * 2;
    while (n <= id) n *= 2;
    const user = new Float64Array(n);
    user.set(this.user);
    this.user = user;
    const kernelFor = new Float64Array(n);
    kernelFor.set(this.kernelFor);
    this.kernelFor = kernelFor;
  }

  /**
   * Records `user` cycles of thread `who` from `start`, then `kernel` cycles on its behalf right
   * after them: the same as the two add() calls, which it makes itself unless the whole span lies
   * in the bucket of the last segment and wholly inside or outside the window (as the kernel's
   * accounting intervals do), where it books both at once.
   */
  addPair(who: number, start: number, user: number, kernel: number): void {
    const end = start + user + kernel;
    const bs = this.lastBucketStart;
    const bc = this.bucketCycles;
    const inside = start >= this.windowStart && end <= this.windowEnd;
    if (
      !(bc > 0 && start >= bs && end <= bs + bc) ||
      !(inside || end <= this.windowStart || start >= this.windowEnd)
    ) {
      this.add(who, start, user);
      this.add(ACCT_KERNEL, start + user, kernel, who);
      return;
    }
    const b = this.lastBucket;
    if (inside && who >= this.user.length) this.grow(who);
    if (user > 0) {
      addToBucket(this.series(who), b, user);
      if (inside) this.user[who]! += user;
    }
    if (kernel > 0) {
      addToBucket(this.kernelBuckets, b, kernel);
      if (inside) {
        this.kernel += kernel;
        this.kernelFor[who]! += kernel;
      }
    }
  }

  /**
   * The first cycle after `at` where a segment would be booked differently: the end of its
   * time-series bucket or a window edge. Cycles in [at, nextBoundary(at)) can be summed.
   */
  nextBoundary(at: number): number {
    const bc = this.bucketCycles;
    const bs = this.lastBucketStart;
    // Usually `at` is in the bucket of the last segment booked, whose bounds are known: no division.
    let b = !(bc > 0)
      ? Number.POSITIVE_INFINITY
      : at >= bs && at < bs + bc
        ? bs + bc
        : (Math.floor(at / bc) + 1) * bc;
    if (at < this.windowStart && this.windowStart < b) b = this.windowStart;
    if (at < this.windowEnd && this.windowEnd < b) b = this.windowEnd;
    return b;
  }

  /** Total cycles accounted inside the window. */
  get accounted(): number {
    let n = this.idle + this.kernel;
    for (const u of this.user) n += u;
    return n;
  }

  private bucketise(who: number, start: number, cycles: number): void {
    const bc = this.bucketCycles;
    if (!(bc > 0)) return;
    // Fast path: the segment lies inside the bucket the last one fell in.
    const series =
      who === ACCT_IDLE ? this.idleBuckets : who === ACCT_KERNEL ? this.kernelBuckets : this.series(who);
    if (start >= this.lastBucketStart && start + cycles <= this.lastBucketStart + bc) {
      addToBucket(series, this.lastBucket, cycles);
      return;
    }
    this.lastBucket = Math.floor(start / bc);
    this.lastBucketStart = this.lastBucket * bc;
    let s = start;
    let left = cycles;
    while (left > 0) {
      const b = Math.floor(s / bc);
      const room = (b + 1) * bc - s;
      const c = left < room ? left : room;
      addToBucket(series, b, c);
      s += c;
      left -= c;
    }
  }

  private series(thread: number): number[] {
    let s = this.userBuckets[thread];
    if (s === undefined) {
      s = [];
      this.userBuckets[thread] = s;
    }
    return s;
  }
}

/** Adds `cycles` to bucket b of a time series, growing it with empty buckets as needed. */
function addToBucket(series: number[], b: number, cycles: number): void {
  while (series.length <= b) series.push(0);
  series[b]! += cycles;
}
