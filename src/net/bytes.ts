/**
 * Big-endian (network order) field access on a byte array. Out-of-range reads yield 0 rather than
 * throwing (typed arrays return undefined, which the shifts turn into 0), but parsers check lengths
 * before reading, so that only matters as a last line of defence.
 */

export function rd8(b: Uint8Array, o: number): number {
  return b[o]! | 0;
}

export function rd16(b: Uint8Array, o: number): number {
  return ((b[o]! << 8) | b[o + 1]!) & 0xffff;
}

export function rd32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

export function wr16(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 8;
  b[o + 1] = v;
}

export function wr32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = v >>> 16;
  b[o + 2] = v >>> 8;
  b[o + 3] = v;
}

const TWO_32 = 0x1_0000_0000;

/** Writes a non-negative integer below 2^53 as a big-endian u64. */
export function wr64(b: Uint8Array, o: number, v: number): void {
  const lo = v >>> 0;
  wr32(b, o, (v - lo) / TWO_32);
  wr32(b, o + 4, lo);
}

/** Reads a big-endian u64; values above 2^53 lose precision (the caller's data, not ours). */
export function rd64(b: Uint8Array, o: number): number {
  return rd32(b, o) * TWO_32 + rd32(b, o + 4);
}

/** Swaps two non-overlapping byte ranges of equal length in place. */
export function swapBytes(b: Uint8Array, a: number, c: number, len: number): void {
  for (let i = 0; i < len; i++) {
    const t = b[a + i]!;
    b[a + i] = b[c + i]!;
    b[c + i] = t;
  }
}

/**
 * Below this many bytes a plain loop beats `set(subarray(...))`, whose view allocation and builtin
 * call cost more than the copy itself (a 6-byte MAC, the 12-byte virtio-net header per frame).
 */
const SMALL_COPY = 64;

/**
 * dst[dstOff, dstOff+n) = src[srcOff, srcOff+n), for ranges the caller has checked and that do not
 * overlap (the byte loop would not copy an overlapping range as set() does).
 */
export function copyBytes(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number, n: number): void {
  if (n < SMALL_COPY) {
    for (let i = 0; i < n; i++) dst[dstOff + i] = src[srcOff + i]!;
    return;
  }
  dst.set(src.subarray(srcOff, srcOff + n), dstOff);
}
