import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RateLimiter, TokenBucket } from '../../src/sddf/token_bucket.js';

describe('TokenBucket', () => {
  it('starts full and refills at its rate from elapsed time, never above its size', () => {
    const b = new TokenBucket(1000, 500); // 1000 tokens/s: one per ms
    expect(b.allows(0, 500)).toBe(true);
    b.take(500);
    expect(b.allows(0, 1)).toBe(false);
    expect(b.allows(100e6, 100)).toBe(true); // 100 ms later: 100 tokens
    expect(b.allows(100e6, 101)).toBe(false);
    b.refill(10e9);
    expect(b.tokens).toBe(500);
  });

  it('waitNs is the time after which the operation is allowed, and not before', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1000, max: 1e9 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 1, maxLength: 20 }),
        (rate, size, costs) => {
          const b = new TokenBucket(rate, size);
          let now = 0;
          for (const cost of costs) {
            const w = b.waitNs(now, cost);
            if (w > 1) expect(b.allows(now + w - 1, cost)).toBe(false);
            now += Math.ceil(w) + 1;
            expect(b.allows(now, cost)).toBe(true);
            b.take(cost);
          }
        },
      ),
    );
  });

  it('lets an operation larger than the bucket through when it is full, as a debt paid off later', () => {
    const b = new TokenBucket(1e6, 100); // one token per us
    expect(b.allows(0, 1500)).toBe(true);
    b.take(1500);
    expect(b.tokens).toBe(-1400);
    // 1400 us to pay the debt, 100 more to be full enough for another large frame.
    expect(b.waitNs(0, 1500)).toBeCloseTo(1500e3, 3);
  });

  it('never lets more than size + rate x time through over any interval (the burst bound)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1e5, max: 1e9 }),
        fc.integer({ min: 1514, max: 200_000 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 200_000 }), fc.integer({ min: 60, max: 1514 })), {
          minLength: 1,
          maxLength: 80,
        }),
        (rate, size, attempts) => {
          // A sender that tries at arbitrary times; record what passed.
          const b = new TokenBucket(rate, size);
          const passed: [number, number][] = [];
          let now = 0;
          for (const [dt, len] of attempts) {
            now += dt;
            if (b.allows(now, len)) {
              b.take(len);
              passed.push([now, len]);
            }
          }
          for (let a = 0; a < passed.length; a++) {
            let sum = 0;
            for (let z = a; z < passed.length; z++) {
              sum += passed[z]![1];
              const span = passed[z]![0] - passed[a]![0];
              expect(sum).toBeLessThanOrEqual(size + (rate * span) / 1e9 + 1e-6);
            }
          }
        },
      ),
    );
  });

  it('a sender always ready for its next frame gets the rate over a long run', () => {
    const rate = 25e6; // 200 Mb/s in bytes
    const b = new TokenBucket(rate, 65536);
    let now = 0;
    let bytes = 0;
    while (now < 1e9) {
      const w = b.waitNs(now, 1514);
      now += Math.ceil(w) + 1;
      if (now >= 1e9) break;
      expect(b.allows(now, 1514)).toBe(true);
      b.take(1514);
      bytes += 1514;
    }
    // One second of the rate plus the initial bucket, within a frame.
    expect(Math.abs(bytes - (rate + 65536))).toBeLessThanOrEqual(1514 * 2);
  });

  it('refuses a rate or size that could never work', () => {
    expect(() => new TokenBucket(0, 100)).toThrow(/rate/);
    expect(() => new TokenBucket(100, -1)).toThrow(/size/);
  });
});

describe('RateLimiter (bytes and frames)', () => {
  it('counts the rate in bits per second of frame bytes', () => {
    const r = new RateLimiter({ rate: 8000, burst: 1000 }); // 1000 bytes/s
    expect(r.allows(0, 1000)).toBe(true);
    r.take(1000);
    expect(r.allows(500e6, 500)).toBe(true);
    expect(r.allows(500e6, 501)).toBe(false);
  });

  it('holds frames back by the frame bucket when pps is set, whatever their size', () => {
    const r = new RateLimiter({ rate: 1e12, burst: 1e9, pps: 1000, pps_burst: 2 });
    expect(r.allows(0, 60)).toBe(true);
    r.take(60);
    r.take(60);
    expect(r.allows(0, 60)).toBe(false);
    expect(r.waitNs(0, 60)).toBeCloseTo(1e6, 3); // one frame per ms
    expect(r.allows(1e6 + 1, 60)).toBe(true);
  });

  it('gives pps a bucket of 10 ms of frames when pps_burst is not set', () => {
    const r = new RateLimiter({ rate: 1e9, burst: 1e6, pps: 5000 });
    expect(r.frames?.size).toBe(50);
  });
});
