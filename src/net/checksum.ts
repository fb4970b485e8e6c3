/**
 * The Internet checksum (RFC 1071): the 16-bit ones' complement of the ones' complement sum of the
 * data taken as big-endian 16-bit words, an odd trailing byte padded with a zero low byte.
 *
 * Sums are kept unfolded in a plain number and folded once at the end; a float64 holds integers
 * up to 2^53, i.e. about 2^37 words, so no realistic frame overflows it. Because ones' complement
 * addition is associative and commutative, partial sums over pieces (pseudo-header, header,
 * payload) can simply be added, provided every piece but the last starts at an even position of
 * the checksummed stream.
 */
import { dataViewOf, dwordsOf, wordsOf } from './data_view_cache.js';

/**
 * Adds the words of buf[off, off+len) to `sum` and returns the (unfolded) total. The caller
 * keeps the range inside the buffer.
 */
export function sumWords(buf: Uint8Array, off: number, len: number, sum: number): number {
  if (len <= 0) return sum;
  // Long, even-aligned runs: sum little-endian 16-bit words from a Uint16Array and swap the
  // bytes of the folded result. Ones' complement addition commutes with the byte swap (RFC
  // 1071, "byte order independence"), so the result is the same sum of big-endian words.
  if (LITTLE_ENDIAN_HOST && len >= 64 && ((buf.byteOffset + off) & 1) === 0) {
    return sum + sumWordsSwapped(buf, off, len);
  }
  // Headers (20-byte IPv4, 16-byte probe): byte pairs cost less than fetching the DataView,
  // whose one-entry cache misses whenever callers alternate between buffers.
  if (len < 64) {
    const end = off + len - 1;
    let i = off;
    for (; i < end; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
    if (i === end) sum += buf[i]! << 8;
    return sum;
  }
  const view = dataViewOf(buf);
  const base = buf.byteOffset;
  const end4 = off + (len & ~3);
  let i = off;
  for (; i < end4; i += 4) {
    const x = view.getUint32(base + i);
    sum += (x >>> 16) + (x & 0xffff);
  }
  const end = off + len - 1;
  for (; i < end; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
  if (i === end) sum += buf[i]! << 8;
  return sum;
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The big-endian word sum of buf[off, off+len) (off even), computed with little-endian loads.
 * The bulk is summed as 32-bit words: a 32-bit word is hi * 2^16 + lo and 2^16 = 1 in ones'
 * complement arithmetic, so folding their sum gives the same result as summing 16-bit words,
 * in half the loads. A float64 holds the total exactly (2^21 words of 2^32 stay below 2^53).
 */
function sumWordsSwapped(buf: Uint8Array, off: number, len: number): number {
  let p = buf.byteOffset + off;
  let n = len;
  let le = 0;
  if ((p & 2) !== 0) {
    le += wordsOf(buf)[p >>> 1]!;
    p += 2;
    n -= 2;
  }
  const dwords = dwordsOf(buf);
  const start = p >>> 2;
  const n4 = n >>> 2;
  // Whole dwords added as float64 into four independent sums: one sum was bound by the add's
  // latency, and splitting each dword into int32 halves costs more instructions (6.9k against 6.3k
  // for a 1480-byte payload under valgrind, --single-threaded). Each chunk of at most 2^20 dwords
  // keeps the four sums' total below 2^52, so it is exact; it is folded before the next chunk.
  for (let c = 0; c < n4; c += 1 << 20) {
    const end = start + Math.min(c + (1 << 20), n4);
    let i = start + c;
    let a = 0;
    let b = 0;
    let d = 0;
    let e = 0;
    for (; i + 3 < end; i += 4) {
      a += dwords[i]!;
      b += dwords[i + 1]!;
      d += dwords[i + 2]!;
      e += dwords[i + 3]!;
    }
    for (; i < end; i++) a += dwords[i]!;
    le += foldSum(a + b + d + e);
  }
  p += n4 << 2;
  n -= n4 << 2;
  if (n >= 2) {
    le += wordsOf(buf)[p >>> 1]!;
    n -= 2;
  }
  // Fold to 16 bits, swap, and add an odd trailing byte as the high byte of a word.
  while (le > 0xffff) le = (le % 0x10000) + Math.floor(le / 0x10000);
  let be = ((le & 0xff) << 8) | (le >>> 8);
  if ((len & 1) !== 0) be += buf[off + len - 1]! << 8;
  return be;
}

/**
 * Copies src[srcOff, srcOff+len) to dst[dstOff..] and returns `sum` plus the words copied, in one
 * pass (builders need both and a separate copy would touch the payload twice). The ranges must
 * not overlap inside one buffer, and both must lie inside their buffers.
 */
export function copyAndSumWords(
  src: Uint8Array,
  srcOff: number,
  dst: Uint8Array,
  dstOff: number,
  len: number,
  sum: number,
): number {
  if (len <= 0) return sum;
  const sv = dataViewOf(src);
  const sBase = src.byteOffset + srcOff;
  // dataViewOf caches the last array and buffer; fetch the destination view second only when it
  // is another array (comparing the arrays, not their buffers: the buffer getter is slow).
  const dv = dst === src ? sv : dataViewOf(dst);
  const dBase = dst.byteOffset + dstOff;
  const len4 = len & ~3;
  let i = 0;
  for (; i < len4; i += 4) {
    const x = sv.getUint32(sBase + i);
    dv.setUint32(dBase + i, x);
    sum += (x >>> 16) + (x & 0xffff);
  }
  for (; i + 1 < len; i += 2) {
    const hi = src[srcOff + i]!;
    const lo = src[srcOff + i + 1]!;
    dst[dstOff + i] = hi;
    dst[dstOff + i + 1] = lo;
    sum += (hi << 8) | lo;
  }
  if (i < len) {
    const hi = src[srcOff + i]!;
    dst[dstOff + i] = hi;
    sum += hi << 8;
  }
  return sum;
}

/** Folds an unfolded sum into 16 bits with end-around carry. */
export function foldSum(sum: number): number {
  while (sum > 0xffff) {
    const low = sum % 0x10000;
    sum = low + (sum - low) / 0x10000;
  }
  return sum;
}

/** The checksum field value for an unfolded sum taken with the checksum field set to zero. */
export function finishChecksum(sum: number): number {
  return ~foldSum(sum) & 0xffff;
}

/** Checksum of buf[off, off+len) alone. Verifying data that includes its checksum field gives 0. */
export function internetChecksum(buf: Uint8Array, off: number, len: number): number {
  return finishChecksum(sumWords(buf, off, len, 0));
}

/**
 * Unfolded sum of the IPv4 pseudo-header used by UDP and TCP:
 * source address, destination address, zero byte, protocol, upper-layer length.
 */
export function pseudoHeaderSum(src: number, dst: number, protocol: number, length: number): number {
  return (
    (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + (protocol & 0xff) + (length & 0xffff)
  );
}

/**
 * Incremental update (RFC 1624, eqn. 3): the new checksum after one 16-bit word of the covered
 * data changed from `oldWord` to `newWord`: HC' = ~(~HC + ~m + m').
 */
export function adjustChecksum(checksum: number, oldWord: number, newWord: number): number {
  const sum = (~checksum & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff);
  return ~foldSum(sum) & 0xffff;
}
