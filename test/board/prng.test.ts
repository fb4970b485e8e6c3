import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Prng } from '../../src/board/prng.js';

// An independent, deliberately naive BigInt rendering of splitmix64 seeding and xoshiro128**,
// written from the published algorithms, to check the optimised 32-bit implementation against.
const M64 = (1n << 64n) - 1n;
const M32 = 0xffff_ffffn;
const GAMMA = 0x9e37_79b9_7f4a_7c15n;

function refMix(z: bigint): bigint {
  z = ((z ^ (z >> 30n)) * 0xbf58_476d_1ce4_e5b9n) & M64;
  z = ((z ^ (z >> 27n)) * 0x94d0_49bb_1331_11ebn) & M64;
  return z ^ (z >> 31n);
}

function refSplitmix64(seed: bigint, count: number): bigint[] {
  const out: bigint[] = [];
  let x = seed;
  for (let i = 0; i < count; i++) {
    x = (x + GAMMA) & M64;
    out.push(refMix(x));
  }
  return out;
}

function refRotl(x: bigint, k: number): bigint {
  return ((x << BigInt(k)) | (x >> BigInt(32 - k))) & M32;
}

function refXoshiro128ss(state: bigint[], count: number): number[] {
  const s = [...state] as [bigint, bigint, bigint, bigint];
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    out.push(Number((refRotl((s[1] * 5n) & M32, 7) * 9n) & M32));
    const t = (s[1] << 9n) & M32;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = refRotl(s[3], 11);
  }
  return out;
}

function refStream(seed: number, count: number): number[] {
  const [a, b] = refSplitmix64(BigInt.asUintN(64, BigInt(seed)), 2) as [bigint, bigint];
  return refXoshiro128ss([a & M32, a >> 32n, b & M32, b >> 32n], count);
}

function draw(p: Prng, count: number): number[] {
  return Array.from({ length: count }, () => p.nextU32());
}

const GOLDEN: ReadonlyArray<readonly [number, readonly number[]]> = [
  [0, [3737715805, 2584255861, 2876756834, 3286328325, 1553311962, 1625202774, 3260698944, 2754151956]],
  [1, [1695105466, 1423115009, 634581793, 1068227753, 716759206, 4186505319, 3777694425, 2710820970]],
  [
    0xdeadbeef,
    [2848183187, 2643428161, 2173202904, 2114983966, 4104570023, 1778707404, 1578012846, 2283634591],
  ],
];

describe('Prng', () => {
  it('the reference splitmix64 reproduces the published outputs for seed 1234567', () => {
    expect(refSplitmix64(1234567n, 3)).toEqual([
      6457827717110365317n,
      3203168211198807973n,
      9817491932198370423n,
    ]);
  });

  it('xoshiro128** from state [1, 2, 3, 4] yields the hand-computed first outputs', () => {
    expect(refXoshiro128ss([1n, 2n, 3n, 4n], 4)).toEqual([11520, 0, 5927040, 70819200]);
    expect(draw(Prng.fromState([1, 2, 3, 4, 0, 0]), 4)).toEqual([11520, 0, 5927040, 70819200]);
  });

  for (const [seed, golden] of GOLDEN) {
    it(`seed ${seed} yields the recorded first 8 outputs, matching the reference`, () => {
      expect(refStream(seed, 8)).toEqual(golden);
      expect(draw(new Prng(seed), 8)).toEqual(golden);
    });
  }

  it('matches the reference over a long stream for arbitrary seeds', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), (seed) => {
        expect(draw(new Prng(seed), 64)).toEqual(refStream(seed, 64));
      }),
      { numRuns: 50 },
    );
  });

  it('the same seed always gives the same stream', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), (seed) => {
        expect(draw(new Prng(seed), 16)).toEqual(draw(new Prng(seed), 16));
      }),
    );
  });

  it('different seeds give different streams', () => {
    expect(draw(new Prng(2), 4)).not.toEqual(draw(new Prng(3), 4));
  });

  it('nextInt always lands in [0, n)', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), fc.integer({ min: 1, max: 2 ** 32 }), (seed, n) => {
        const p = new Prng(seed);
        for (let i = 0; i < 20; i++) {
          const v = p.nextInt(n);
          expect(Number.isInteger(v) && v >= 0 && v < n).toBe(true);
        }
      }),
    );
  });

  it('nextInt rejects draws from the incomplete top block instead of folding them', () => {
    // With n = 3 * 2^30 the top 2^30 values are rejected; a state whose first output lies there
    // must be skipped rather than reduced modulo n.
    const n = 3 * 2 ** 30;
    const p = new Prng(7);
    const raw = draw(new Prng(7), 200);
    const firstAccepted = raw.find((u) => u < n);
    expect(raw.some((u) => u >= n)).toBe(true);
    const expected = raw.filter((u) => u < n).slice(0, 50);
    expect(Array.from({ length: 50 }, () => p.nextInt(n))).toEqual(expected);
    expect(firstAccepted).toBe(expected[0]);
  });

  it('nextInt refuses a bound that is not an integer in [1, 2^32]', () => {
    const p = new Prng(1);
    expect(() => p.nextInt(0)).toThrow(/nextInt/);
    expect(() => p.nextInt(2.5)).toThrow(/nextInt/);
    expect(() => p.nextInt(2 ** 32 + 1)).toThrow(/nextInt/);
  });

  it('nextRange stays within [lo, hi)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1e9, max: 1e9 }),
        fc.integer({ min: 1, max: 1e6 }),
        fc.nat(),
        (lo, span, seed) => {
          const p = new Prng(seed);
          for (let i = 0; i < 20; i++) {
            const v = p.nextRange(lo, lo + span);
            expect(Number.isInteger(v) && v >= lo && v < lo + span).toBe(true);
          }
        },
      ),
    );
  });

  it('nextFloat is a multiple of 2^-32 in [0, 1) taken from one draw', () => {
    const p = new Prng(11);
    const raw = draw(new Prng(11), 1000);
    for (const u of raw) {
      const f = p.nextFloat();
      expect(f).toBe(u / 2 ** 32);
      expect(f >= 0 && f < 1).toBe(true);
    }
  });

  it('exponential has roughly the requested mean and is never negative', () => {
    const p = new Prng(5);
    let sum = 0;
    let bad = 0;
    const draws = 100_000;
    for (let i = 0; i < draws; i++) {
      const x = p.exponential(250);
      if (!(x >= 0 && Number.isFinite(x))) bad++;
      sum += x;
    }
    expect(bad).toBe(0);
    // Standard error of the mean is 250 / sqrt(1e5) ~ 0.8; allow 5%.
    expect(Math.abs(sum / draws - 250)).toBeLessThan(12.5);
  });

  it('nextInt(10) over 100k draws passes a generous chi-square test', () => {
    for (const seed of [0, 1, 0xdeadbeef]) {
      const counts = new Array<number>(10).fill(0);
      const p = new Prng(seed);
      const draws = 100_000;
      for (let i = 0; i < draws; i++) counts[p.nextInt(10)]!++;
      const expected = draws / 10;
      const chi2 = counts.reduce((acc, c) => acc + (c - expected) ** 2 / expected, 0);
      // 9 degrees of freedom: p = 0.001 at 27.9; 40 is generous but catches gross bias.
      expect(chi2).toBeLessThan(40);
    }
  });

  it('fork streams differ from the parent and from each other', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), fc.nat(), fc.nat(), (seed, a, b) => {
        fc.pre(a !== b);
        const parent = new Prng(seed);
        const fa = parent.fork(a);
        const fb = parent.fork(b);
        const streamParent = draw(new Prng(seed), 8);
        const streamA = draw(fa, 8);
        expect(streamA).not.toEqual(streamParent);
        expect(draw(fb, 8)).not.toEqual(streamA);
      }),
    );
  });

  it('fork is deterministic and independent of how far the parent has advanced', () => {
    const fresh = new Prng(42);
    const advanced = new Prng(42);
    draw(advanced, 1000);
    expect(draw(advanced.fork(3), 8)).toEqual(draw(fresh.fork(3), 8));
    expect(draw(new Prng(42).fork(1).fork(2), 8)).not.toEqual(draw(new Prng(42).fork(2).fork(1), 8));
  });

  it('drawing from a fork does not move the parent', () => {
    const p = new Prng(9);
    draw(p.fork(1), 100);
    expect(draw(p, 8)).toEqual(draw(new Prng(9), 8));
  });

  it('state() and fromState() resume the stream and its forks exactly', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), fc.nat({ max: 100 }), (seed, skip) => {
        const p = new Prng(seed);
        draw(p, skip);
        const q = Prng.fromState(p.state());
        expect(q.state()).toEqual(p.state());
        expect(draw(q.fork(4), 4)).toEqual(draw(p.fork(4), 4));
        expect(draw(q, 16)).toEqual(draw(p, 16));
      }),
    );
  });

  it('fromState refuses malformed or all-zero states', () => {
    expect(() => Prng.fromState([1, 2, 3])).toThrow(/six/);
    expect(() => Prng.fromState([1, 2, 3, -4, 0, 0])).toThrow(/six/);
    expect(() => Prng.fromState([0, 0, 0, 0, 5, 6])).toThrow(/all-zero/);
  });

  it('the constructor refuses seeds that are not safe integers', () => {
    expect(() => new Prng(1.5)).toThrow(/seed/);
    expect(() => new Prng(Number.NaN)).toThrow(/seed/);
  });
});
