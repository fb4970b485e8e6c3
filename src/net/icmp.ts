/**
 * ICMP echo (RFC 792), the part of ICMP ping needs.
 *
 * Echo layout (8-byte header, then data):
 * | off | size | field                                   |
 * |-----|------|-----------------------------------------|
 * |   0 |    1 | type (8 request, 0 reply)               |
 * |   1 |    1 | code (0)                                |
 * |   2 |    2 | checksum (whole ICMP message)           |
 * |   4 |    2 | identifier                              |
 * |   6 |    2 | sequence number                         |
 * |   8 |    n | data, echoed back unchanged             |
 */
import { wr16 } from './bytes.js';

export const ICMP_HEADER_LEN = 8;
export const ICMP_TYPE_ECHO_REPLY = 0;
export const ICMP_TYPE_DEST_UNREACHABLE = 3;
export const ICMP_TYPE_ECHO_REQUEST = 8;

export const ICMP_OFF_TYPE = 0;
export const ICMP_OFF_CODE = 1;
export const ICMP_OFF_CHECKSUM = 2;
export const ICMP_OFF_ID = 4;
export const ICMP_OFF_SEQ = 6;

/** Writes an echo header with a zero checksum (filled once the data is in place). */
export function writeIcmpEchoHeader(
  buf: Uint8Array,
  off: number,
  type: number,
  id: number,
  seq: number,
): void {
  buf[off + ICMP_OFF_TYPE] = type;
  buf[off + ICMP_OFF_CODE] = 0;
  wr16(buf, off + ICMP_OFF_CHECKSUM, 0);
  wr16(buf, off + ICMP_OFF_ID, id);
  wr16(buf, off + ICMP_OFF_SEQ, seq);
}
