/**
 * IPv4 header (RFC 791). Builders always write a 20-byte header (IHL 5, no options) with DF set
 * and a correct header checksum; the parser accepts options.
 *
 * Header layout:
 * | off | size | field                                         |
 * |-----|------|-----------------------------------------------|
 * |   0 |    1 | version (high 4 bits) / IHL in words (low 4)  |
 * |   1 |    1 | DSCP (6 bits) / ECN (2 bits)                  |
 * |   2 |    2 | total length (header + payload)               |
 * |   4 |    2 | identification                                |
 * |   6 |    2 | flags (3 bits: 0, DF, MF) / fragment offset   |
 * |   8 |    1 | TTL                                           |
 * |   9 |    1 | protocol                                      |
 * |  10 |    2 | header checksum                               |
 * |  12 |    4 | source address                                |
 * |  16 |    4 | destination address                           |
 */
import { wr16 } from './bytes.js';
import { internetChecksum } from './checksum.js';
import { writeIpv4 } from './ipv4_addr.js';

export const IPV4_HEADER_LEN = 20;
export const IPV4_VERSION = 4;
export const IPV4_DEFAULT_TTL = 64;
export const IPV4_MAX_TOTAL_LEN = 0xffff;

export const IPV4_FLAG_DF = 0x4000;
export const IPV4_FLAG_MF = 0x2000;
export const IPV4_FRAG_OFFSET_MASK = 0x1fff;

export const IPPROTO_ICMP = 1;
export const IPPROTO_UDP = 17;

export const IPV4_OFF_VER_IHL = 0;
export const IPV4_OFF_TOS = 1;
export const IPV4_OFF_TOTAL_LEN = 2;
export const IPV4_OFF_ID = 4;
export const IPV4_OFF_FLAGS_FRAG = 6;
export const IPV4_OFF_TTL = 8;
export const IPV4_OFF_PROTOCOL = 9;
export const IPV4_OFF_CHECKSUM = 10;
export const IPV4_OFF_SRC = 12;
export const IPV4_OFF_DST = 16;

/** Writes a 20-byte header with DF set and its checksum at `off`; returns IPV4_HEADER_LEN. */
export function writeIpv4Header(
  buf: Uint8Array,
  off: number,
  totalLen: number,
  id: number,
  ttl: number,
  protocol: number,
  src: number,
  dst: number,
): number {
  buf[off + IPV4_OFF_VER_IHL] = (IPV4_VERSION << 4) | (IPV4_HEADER_LEN >>> 2);
  buf[off + IPV4_OFF_TOS] = 0;
  wr16(buf, off + IPV4_OFF_TOTAL_LEN, totalLen);
  wr16(buf, off + IPV4_OFF_ID, id);
  wr16(buf, off + IPV4_OFF_FLAGS_FRAG, IPV4_FLAG_DF);
  buf[off + IPV4_OFF_TTL] = ttl;
  buf[off + IPV4_OFF_PROTOCOL] = protocol;
  wr16(buf, off + IPV4_OFF_CHECKSUM, 0);
  writeIpv4(buf, off + IPV4_OFF_SRC, src);
  writeIpv4(buf, off + IPV4_OFF_DST, dst);
  wr16(buf, off + IPV4_OFF_CHECKSUM, internetChecksum(buf, off, IPV4_HEADER_LEN));
  return IPV4_HEADER_LEN;
}
