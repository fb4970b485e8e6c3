/**
 * Test payloads: a probe header the load generator uses for RTT, and a deterministic byte pattern
 * derived from the sequence number so a receiver can tell a corrupt, stale or foreign payload
 * from the one that was sent.
 *
 * Probe layout (16 bytes at the start of the payload, big-endian):
 * | off | size | field                                       |
 * |-----|------|---------------------------------------------|
 * |   0 |    8 | sequence number (integer below 2^53)        |
 * |   8 |    8 | send time in simulated ns (integer < 2^53)  |
 *
 * Pattern: byte i of the payload (i counted from the payload start, probe included) is byte
 * (i mod 4) of mix32(base + floor(i / 4)), base being derived from the sequence number. The probe
 * overwrites bytes 0..15 when present; the pattern is defined independently of it.
 */
import { rd64, wr64 } from './bytes.js';
import { sumWords } from './checksum.js';
import { mix32 } from './mix32.js';

export const PROBE_LEN = 16;

/** Out-parameter of `readProbe`. */
export class Probe {
  seq = 0;
  timeNs = 0;
}

export function writeProbe(buf: Uint8Array, off: number, seq: number, timeNs: number): void {
  wr64(buf, off, seq);
  wr64(buf, off + 8, timeNs);
}

/** Fills `out` from the probe at `off` if `len` bytes hold one; false (out untouched) otherwise. */
export function readProbe(buf: Uint8Array, off: number, len: number, out: Probe): boolean {
  if (len < PROBE_LEN || off < 0 || off + PROBE_LEN > buf.length) return false;
  out.seq = rd64(buf, off);
  out.timeNs = rd64(buf, off + 8);
  return true;
}

function patternBase(seq: number): number {
  const lo = seq >>> 0;
  const hi = (seq - lo) / 0x1_0000_0000;
  return mix32(lo ^ mix32((hi + 0x9e3779b9) >>> 0));
}

/**
 * Writes pattern bytes with payload indices [from, to) at buf[payloadOff + i]. Returns what those
 * bytes add to an (unfolded) Internet checksum sum, the payload starting at an even position of
 * the checksummed data, as UDP and ICMP payloads do; builders use it to avoid a second pass.
 */
export function fillPattern(
  buf: Uint8Array,
  payloadOff: number,
  from: number,
  to: number,
  seq: number,
): number {
  const base = patternBase(seq);
  let sum = 0;
  let i = from;
  // Leading bytes up to a word boundary, whole words, then the tail.
  for (; i < to && (i & 3) !== 0; i++) sum += placeByte(buf, payloadOff, base, i);
  for (; i + 4 <= to; i += 4) {
    const word = mix32((base + (i >>> 2)) >>> 0);
    const o = payloadOff + i;
    buf[o] = word >>> 24;
    buf[o + 1] = word >>> 16;
    buf[o + 2] = word >>> 8;
    buf[o + 3] = word;
    sum += (word >>> 16) + (word & 0xffff);
  }
  for (; i < to; i++) sum += placeByte(buf, payloadOff, base, i);
  return sum;
}

/** Writes pattern byte i and returns its checksum contribution (high byte of a word when i is even). */
function placeByte(buf: Uint8Array, payloadOff: number, base: number, i: number): number {
  const b = patternByte(base, i);
  buf[payloadOff + i] = b;
  return (i & 1) === 0 ? b << 8 : b;
}

function patternByte(base: number, i: number): number {
  return (mix32((base + (i >>> 2)) >>> 0) >>> (24 - 8 * (i & 3))) & 0xff;
}

/**
 * Checks payload indices [from, to) against the pattern of `seq`; returns the first mismatching
 * index, or -1 when all match. Reads past the end of `buf` count as mismatches.
 */
export function checkPattern(
  buf: Uint8Array,
  payloadOff: number,
  from: number,
  to: number,
  seq: number,
): number {
  const base = patternBase(seq);
  for (let i = from; i < to; i++) {
    if (buf[payloadOff + i] !== patternByte(base, i)) return i;
  }
  return -1;
}

/**
 * Writes a generated payload of `len` bytes: the probe followed by the pattern when it fits,
 * otherwise the pattern alone. Returns the payload's unfolded checksum sum (see fillPattern).
 */
export function writeGeneratedPayload(
  buf: Uint8Array,
  off: number,
  len: number,
  seq: number,
  timeNs: number,
): number {
  if (len < PROBE_LEN) return fillPattern(buf, off, 0, len, seq);
  writeProbe(buf, off, seq, timeNs);
  return sumWords(buf, off, PROBE_LEN, 0) + fillPattern(buf, off, PROBE_LEN, len, seq);
}
