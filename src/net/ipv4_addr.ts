/** IPv4 addresses are u32 numbers (0..2^32-1, network order read big-endian): 192.168.0.1 is 0xc0a80001. */

export const IPV4_ADDR_LEN = 4;
export const IPV4_BROADCAST = 0xffff_ffff;
export const IPV4_ANY = 0;

/** Reads an address stored as 4 bytes at `off`. */
export function readIpv4(b: Uint8Array, off: number): number {
  return ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
}

/** Writes `ip` as 4 bytes at `off`. */
export function writeIpv4(b: Uint8Array, off: number, ip: number): void {
  b[off] = ip >>> 24;
  b[off + 1] = ip >>> 16;
  b[off + 2] = ip >>> 8;
  b[off + 3] = ip;
}

export function formatIpv4(ip: number): string {
  return `${(ip >>> 24) & 0xff}.${(ip >>> 16) & 0xff}.${(ip >>> 8) & 0xff}.${ip & 0xff}`;
}

const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])';
const IPV4_TEXT = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);

/**
 * Parses strict dotted-quad text ("10.0.0.1"; no leading zeros, which some parsers read as octal).
 * Returns -1 when the text is not an address, so callers can report bad input as data.
 */
export function parseIpv4(text: string): number {
  const m = IPV4_TEXT.exec(text);
  if (m === null) return -1;
  return ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
}

/** True when `ip` is an integer in 0..2^32-1. */
export function isValidIpv4(ip: number): boolean {
  return Number.isInteger(ip) && ip >= 0 && ip <= IPV4_BROADCAST;
}
