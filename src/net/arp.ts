/**
 * ARP for IPv4 over Ethernet (RFC 826).
 *
 * Packet layout (28 bytes, after the Ethernet header):
 * | off | size | field                          |
 * |-----|------|--------------------------------|
 * |   0 |    2 | hardware type (1 = Ethernet)   |
 * |   2 |    2 | protocol type (0x0800 = IPv4)  |
 * |   4 |    1 | hardware address length (6)    |
 * |   5 |    1 | protocol address length (4)    |
 * |   6 |    2 | operation (1 request, 2 reply) |
 * |   8 |    6 | sender MAC                     |
 * |  14 |    4 | sender IPv4                    |
 * |  18 |    6 | target MAC                     |
 * |  24 |    4 | target IPv4                    |
 */
import { wr16 } from './bytes.js';
import { writeIpv4 } from './ipv4_addr.js';
import { writeMac } from './mac.js';

export const ARP_LEN = 28;
export const ARP_HTYPE_ETHERNET = 1;
export const ARP_PTYPE_IPV4 = 0x0800;
export const ARP_OP_REQUEST = 1;
export const ARP_OP_REPLY = 2;

export const ARP_OFF_HTYPE = 0;
export const ARP_OFF_PTYPE = 2;
export const ARP_OFF_HLEN = 4;
export const ARP_OFF_PLEN = 5;
export const ARP_OFF_OP = 6;
export const ARP_OFF_SHA = 8;
export const ARP_OFF_SPA = 14;
export const ARP_OFF_THA = 18;
export const ARP_OFF_TPA = 24;

/** Writes an IPv4-over-Ethernet ARP packet at `off`; returns ARP_LEN. */
export function writeArp(
  buf: Uint8Array,
  off: number,
  op: number,
  senderMac: number,
  senderIp: number,
  targetMac: number,
  targetIp: number,
): number {
  wr16(buf, off + ARP_OFF_HTYPE, ARP_HTYPE_ETHERNET);
  wr16(buf, off + ARP_OFF_PTYPE, ARP_PTYPE_IPV4);
  buf[off + ARP_OFF_HLEN] = 6;
  buf[off + ARP_OFF_PLEN] = 4;
  wr16(buf, off + ARP_OFF_OP, op);
  writeMac(buf, off + ARP_OFF_SHA, senderMac);
  writeIpv4(buf, off + ARP_OFF_SPA, senderIp);
  writeMac(buf, off + ARP_OFF_THA, targetMac);
  writeIpv4(buf, off + ARP_OFF_TPA, targetIp);
  return ARP_LEN;
}
