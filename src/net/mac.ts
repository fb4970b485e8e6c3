/**
 * MAC addresses are plain numbers: the 48-bit address read as a big-endian integer, so
 * 02:00:00:00:00:01 is 0x020000000001. Every 48-bit integer is exact in a float64, numbers compare
 * with ===, and they cost no allocation. Octet 0 (the most significant byte) carries the group bit
 * (bit 0) and the locally-administered bit (bit 1).
 */

import { mix32 } from './mix32.js';

const TWO_32 = 0x1_0000_0000;

export const MAC_LEN = 6;
export const MAC_BROADCAST = 0xffff_ffff_ffff;
export const MAC_ZERO = 0;

/** Reads a MAC stored as 6 bytes at `off`. */
export function readMac(b: Uint8Array, off: number): number {
  const hi = ((b[off]! << 8) | b[off + 1]!) & 0xffff;
  const lo = ((b[off + 2]! << 24) | (b[off + 3]! << 16) | (b[off + 4]! << 8) | b[off + 5]!) >>> 0;
  return hi * TWO_32 + lo;
}

/** Writes `mac` as 6 bytes at `off`. */
export function writeMac(b: Uint8Array, off: number, mac: number): void {
  const lo = mac >>> 0;
  const hi = (mac - lo) / TWO_32;
  b[off] = hi >>> 8;
  b[off + 1] = hi;
  b[off + 2] = lo >>> 24;
  b[off + 3] = lo >>> 16;
  b[off + 4] = lo >>> 8;
  b[off + 5] = lo;
}

/** True when `mac` is an integer in 0..2^48-1. */
export function isValidMac(mac: number): boolean {
  return Number.isInteger(mac) && mac >= 0 && mac <= MAC_BROADCAST;
}

export function isBroadcastMac(mac: number): boolean {
  return mac === MAC_BROADCAST;
}

/** Group (multicast or broadcast) addresses have bit 0 of octet 0 set. */
export function isMulticastMac(mac: number): boolean {
  return (Math.floor(mac / 0x100_0000_0000) & 1) === 1;
}

export function isLocallyAdministeredMac(mac: number): boolean {
  return (Math.floor(mac / 0x100_0000_0000) & 2) === 2;
}

/** Formats as lowercase "xx:xx:xx:xx:xx:xx". */
export function formatMac(mac: number): string {
  const s = Math.floor(mac).toString(16).padStart(12, '0');
  return `${s.slice(0, 2)}:${s.slice(2, 4)}:${s.slice(4, 6)}:${s.slice(6, 8)}:${s.slice(8, 10)}:${s.slice(10, 12)}`;
}

const MAC_TEXT =
  /^([0-9a-fA-F]{2})([:-])([0-9a-fA-F]{2})\2([0-9a-fA-F]{2})\2([0-9a-fA-F]{2})\2([0-9a-fA-F]{2})\2([0-9a-fA-F]{2})$/;

/**
 * Parses "02:00:00:00:00:01" (or with '-' separators, either case). Returns -1 when the text is
 * not a MAC, so that callers validating user input can report it as data.
 */
export function parseMac(text: string): number {
  const m = MAC_TEXT.exec(text);
  if (m === null) return -1;
  return Number.parseInt(m[1]! + m[3]! + m[4]! + m[5]! + m[6]! + m[7]!, 16);
}

/**
 * A locally administered unicast MAC derived from a u32 seed, as sdfgen gives clients without a
 * configured MAC (it picks random ones; ours are reproducible). Layout 02:00:xx:xx:xx:xx, the low
 * 32 bits being a bijective mix of the seed, so two different seeds never collide.
 */
export function localUnicastMac(seed: number): number {
  return 0x0200 * TWO_32 + mix32(seed >>> 0);
}
