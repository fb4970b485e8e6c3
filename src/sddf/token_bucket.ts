/**
 * Token buckets for per-client rate limits, with Firecracker's rate-limiter semantics
 * (firecracker src/rate_limiter): a bucket holds at most `size` tokens, starts full, and is
 * refilled passively from elapsed time at `rate` tokens per second each time it is consulted.
 * An operation passes only if its whole cost can be paid; nothing is paid otherwise. A cost larger
 * than the whole bucket passes when the bucket is full and leaves a debt (tokens below zero) that
 * later operations wait out, as Firecracker's over-consumption does, so no frame size is ever
 * refused forever.
 *
 * Time is simulated nanoseconds (a PD's `now()`), never the wall clock. Firecracker wakes its user
 * on a timer with 100 ms granularity; a simulated component can ask `waitNs` for the exact time
 * instead.
 */
export class TokenBucket {
  readonly size: number;
  /** Tokens added per nanosecond. */
  readonly perNs: number;
  /** Tokens held after the last refill; below zero while a large operation's debt is paid off. */
  tokens: number;
  private lastNs: number;

  constructor(ratePerSecond: number, size: number, nowNs = 0) {
    if (!(ratePerSecond > 0 && Number.isFinite(ratePerSecond)) || !(size >= 0 && Number.isFinite(size))) {
      throw new Error(
        `Cannot create a token bucket of size ${size} refilled at ${ratePerSecond}/s: the rate must be ` +
          'positive and the size non-negative (both finite)',
      );
    }
    this.size = size;
    this.perNs = ratePerSecond / 1e9;
    this.tokens = size;
    this.lastNs = nowNs;
  }

  refill(nowNs: number): void {
    if (nowNs <= this.lastNs) return;
    const t = this.tokens + (nowNs - this.lastNs) * this.perNs;
    this.tokens = Math.min(t, this.size);
    this.lastNs = nowNs;
  }

  /** Tokens an operation of `cost` needs to find in the bucket before it may go. */
  private need(cost: number): number {
    return Math.min(cost, this.size);
  }

  /** Whether an operation of `cost` tokens may go now (it is not paid for: see take). */
  allows(nowNs: number, cost: number): boolean {
    this.refill(nowNs);
    return this.tokens >= this.need(cost);
  }

  /** Pays for an operation that allows() let through. */
  take(cost: number): void {
    this.tokens -= cost;
  }

  /** Nanoseconds from `nowNs` until allows(cost) is true; 0 when it already is. */
  waitNs(nowNs: number, cost: number): number {
    this.refill(nowNs);
    const missing = this.need(cost) - this.tokens;
    return missing > 0 ? missing / this.perNs : 0;
  }
}

/** A client's limit as the scenario gives it, in base units. */
export interface RateLimitSpec {
  /** Bits per second of Ethernet frame bytes (header and payload, no FCS). */
  rate: number;
  /** Bucket size in bytes. */
  burst: number;
  /** Frames per second, when frames are limited too. */
  pps?: number | undefined;
  /** Frame bucket size; defaults to 10 ms worth of frames (at least 1). */
  pps_burst?: number | undefined;
}

/**
 * Firecracker's pair of buckets: bandwidth (bytes) and operations (frames). A frame goes only when
 * both allow it, and then pays both.
 */
export class RateLimiter {
  readonly bytes: TokenBucket;
  readonly frames: TokenBucket | null;

  constructor(spec: RateLimitSpec, nowNs = 0) {
    this.bytes = new TokenBucket(spec.rate / 8, spec.burst, nowNs);
    const pps = spec.pps;
    this.frames =
      pps === undefined
        ? null
        : new TokenBucket(pps, spec.pps_burst ?? Math.max(1, Math.ceil(pps / 100)), nowNs);
  }

  allows(nowNs: number, len: number): boolean {
    return this.bytes.allows(nowNs, len) && (this.frames === null || this.frames.allows(nowNs, 1));
  }

  take(len: number): void {
    this.bytes.take(len);
    this.frames?.take(1);
  }

  /** Nanoseconds until a frame of `len` bytes may go. */
  waitNs(nowNs: number, len: number): number {
    const b = this.bytes.waitNs(nowNs, len);
    const f = this.frames === null ? 0 : this.frames.waitNs(nowNs, 1);
    return Math.max(b, f);
  }
}
