/**
 * The simulation's only source of randomness: xoshiro128** 1.0 (Blackman and Vigna), a 32-bit
 * generator with 128 bits of state, seeded through splitmix64.
 *
 * Every stream is identified by a 64-bit key. A root generator's key is its seed; `fork(id)`
 * derives a child key from the parent key and the id, so a component's stream depends only on
 * the seed and the path of fork ids leading to it, never on how many numbers anybody else drew.
 * Adding a component therefore does not perturb the streams of the others.
 *
 * The state words s0..s3 come from two splitmix64 outputs over the key: s0 = low half of the
 * first, s1 = its high half, s2 = low half of the second, s3 = its high half.
 *
 * Seeding and forking use BigInt (they are rare); every draw is pure 32-bit integer arithmetic.
 *
 * | operation        | cost                               |
 * |------------------|------------------------------------|
 * | nextU32          | one step                           |
 * | nextFloat        | one step (32 bits of resolution)   |
 * | nextInt(n)       | one step, rarely more (rejection)  |
 * | exponential      | one step and a Math.log            |
 * | fork, fromState  | BigInt work, allocates a generator |
 */

const MASK64 = 0xffff_ffff_ffff_ffffn;
const GOLDEN_GAMMA = 0x9e37_79b9_7f4a_7c15n;
/** Separates fork-id hashing from key stepping so fork(i) of key k is unlike the root key k + i. */
const FORK_SALT = 0x5ddf_5113_c0de_f0c5n;
const TWO_POW_32 = 4294967296;
const INV_TWO_POW_32 = 1 / TWO_POW_32;

/** The splitmix64 output function (Steele, Lea, Flood), a bijection on 64-bit words. */
function _mix64(z: bigint): bigint {
  z = ((z ^ (z >> 30n)) * 0xbf58_476d_1ce4_e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d0_49bb_1331_11ebn) & MASK64;
  return z ^ (z >> 31n);
}

function _keyOfSeed(seed: number): bigint {
  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(`Cannot seed Prng with ${seed}: the seed must be a safe integer`);
  }
  return BigInt.asUintN(64, BigInt(seed));
}

export class Prng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  /** The stream key, as two 32-bit halves so state() stays a plain number array. */
  private keyLo = 0;
  private keyHi = 0;

  /** `seed` is any safe integer; negative seeds are taken modulo 2^64. */
  constructor(seed: number) {
    this._seedFromKey(_keyOfSeed(seed));
  }

  /** The next 32-bit output, as an unsigned integer in [0, 2^32). */
  nextU32(): number {
    const s0 = this.s0;
    const s1 = this.s1;
    const s2 = this.s2 ^ s0;
    const s3 = this.s3 ^ s1;
    const m = Math.imul(s1, 5);
    const result = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
    this.s0 = s0 ^ s3;
    this.s1 = s1 ^ s2;
    this.s2 = s2 ^ (s1 << 9);
    this.s3 = (s3 << 11) | (s3 >>> 21);
    return result;
  }

  /** A float in [0, 1) with 32 bits of resolution (one draw): multiples of 2^-32. */
  nextFloat(): number {
    return this.nextU32() * INV_TWO_POW_32;
  }

  /**
   * An integer uniform in [0, n) for an integer n in [1, 2^32]. Draws that fall in the last,
   * incomplete multiple of n below 2^32 are rejected so no value is favoured.
   */
  nextInt(n: number): number {
    if (!(n >= 1 && n <= TWO_POW_32 && Math.floor(n) === n)) {
      throw new RangeError(`Cannot draw nextInt(${n}): n must be an integer in [1, 2^32]`);
    }
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    let u = this.nextU32();
    while (u >= limit) u = this.nextU32();
    return u % n;
  }

  /** An integer uniform in [lo, hi): both integers, 0 < hi - lo <= 2^32. */
  nextRange(lo: number, hi: number): number {
    if (!Number.isSafeInteger(lo)) {
      throw new RangeError(`Cannot draw nextRange(${lo}, ${hi}): lo must be a safe integer`);
    }
    return lo + this.nextInt(hi - lo);
  }

  /** An exponentially distributed float with the given mean (inverse transform, one draw). */
  exponential(mean: number): number {
    // 1 - u lies in (0, 1], so the logarithm is finite.
    return -mean * Math.log(1 - this.nextFloat());
  }

  /**
   * An independent, deterministic sub-stream. It depends on this stream's key and `streamId`
   * only, not on how far this generator has advanced, so a component gets the same stream
   * whenever it is created.
   */
  fork(streamId: number): Prng {
    if (!Number.isSafeInteger(streamId)) {
      throw new RangeError(`Cannot fork stream ${streamId}: the stream id must be a safe integer`);
    }
    const key = (BigInt(this.keyHi >>> 0) << 32n) | BigInt(this.keyLo >>> 0);
    const idHash = _mix64((BigInt.asUintN(64, BigInt(streamId)) + FORK_SALT) & MASK64);
    const child = new Prng(0);
    child._seedFromKey(_mix64(key ^ idHash));
    return child;
  }

  /** [s0, s1, s2, s3, keyLo, keyHi], all unsigned 32-bit integers; restore with fromState. */
  state(): number[] {
    return [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0, this.keyLo >>> 0, this.keyHi >>> 0];
  }

  static fromState(s: readonly number[]): Prng {
    if (s.length !== 6 || !s.every((w) => Number.isInteger(w) && w >= 0 && w < TWO_POW_32)) {
      throw new RangeError('Cannot restore Prng: the state must be six unsigned 32-bit integers');
    }
    if ((s[0]! | s[1]! | s[2]! | s[3]!) === 0) {
      throw new RangeError('Cannot restore Prng: an all-zero xoshiro state never leaves zero');
    }
    const p = new Prng(0);
    p.s0 = s[0]! | 0;
    p.s1 = s[1]! | 0;
    p.s2 = s[2]! | 0;
    p.s3 = s[3]! | 0;
    p.keyLo = s[4]! | 0;
    p.keyHi = s[5]! | 0;
    return p;
  }

  private _seedFromKey(key: bigint): void {
    // splitmix64 never yields two consecutive zero outputs (its mix is a bijection), so the
    // state cannot be all zero.
    const a = _mix64((key + GOLDEN_GAMMA) & MASK64);
    const b = _mix64((key + 2n * GOLDEN_GAMMA) & MASK64);
    this.s0 = Number(a & 0xffff_ffffn) | 0;
    this.s1 = Number(a >> 32n) | 0;
    this.s2 = Number(b & 0xffff_ffffn) | 0;
    this.s3 = Number(b >> 32n) | 0;
    this.keyLo = Number(key & 0xffff_ffffn) | 0;
    this.keyHi = Number(key >> 32n) | 0;
  }
}
