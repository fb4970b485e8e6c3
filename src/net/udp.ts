/**
 * UDP (RFC 768) over IPv4.
 *
 * Header layout (8 bytes):
 * | off | size | field                                     |
 * |-----|------|-------------------------------------------|
 * |   0 |    2 | source port                               |
 * |   2 |    2 | destination port                          |
 * |   4 |    2 | length (header + payload)                 |
 * |   6 |    2 | checksum (pseudo-header + header + data)  |
 *
 * A transmitted checksum of 0 means "none" in IPv4; a computed 0 is therefore sent as 0xFFFF
 * (the other ones' complement zero). Our builders always compute it.
 */
import { wr16 } from './bytes.js';
import { finishChecksum, pseudoHeaderSum, sumWords } from './checksum.js';
import { IPPROTO_UDP } from './ipv4.js';

export const UDP_HEADER_LEN = 8;
export const UDP_OFF_SRC_PORT = 0;
export const UDP_OFF_DST_PORT = 2;
export const UDP_OFF_LENGTH = 4;
export const UDP_OFF_CHECKSUM = 6;
/** Largest payload in one unfragmented IPv4 datagram on a 1500-byte MTU link. */
export const UDP_MAX_PAYLOAD_MTU = 1472;

/** Writes the header with a zero checksum; `length` includes the header. */
export function writeUdpHeader(
  buf: Uint8Array,
  off: number,
  srcPort: number,
  dstPort: number,
  length: number,
): void {
  wr16(buf, off + UDP_OFF_SRC_PORT, srcPort);
  wr16(buf, off + UDP_OFF_DST_PORT, dstPort);
  wr16(buf, off + UDP_OFF_LENGTH, length);
  wr16(buf, off + UDP_OFF_CHECKSUM, 0);
}

/** Maps a computed checksum to what goes on the wire: 0 is reserved for "no checksum". */
export function udpWireChecksum(checksum: number): number {
  return checksum === 0 ? 0xffff : checksum;
}

/**
 * Computes and stores the checksum of the UDP datagram at `off` (header + payload, `length`
 * bytes, checksum field currently zero). `payloadSum` lets a builder that already summed the
 * payload while copying it pass that sum and skip re-reading it; pass -1 to sum it here.
 */
export function fillUdpChecksum(
  buf: Uint8Array,
  off: number,
  length: number,
  srcIp: number,
  dstIp: number,
  payloadSum: number,
): void {
  let sum = pseudoHeaderSum(srcIp, dstIp, IPPROTO_UDP, length);
  if (payloadSum < 0) {
    sum = sumWords(buf, off, length, sum);
  } else {
    sum = sumWords(buf, off, UDP_HEADER_LEN, sum) + payloadSum;
  }
  wr16(buf, off + UDP_OFF_CHECKSUM, udpWireChecksum(finishChecksum(sum)));
}
