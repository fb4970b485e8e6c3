/**
 * Turns a received echo request into its reply in place, as an echo application does: swap the
 * MACs, the IP addresses and (UDP) the ports, set the TTL, and fix the checksums.
 *
 * Checksums are updated incrementally, not recomputed: swapping fields inside the covered data
 * (and inside the UDP pseudo-header) leaves a ones' complement sum unchanged, so only the TTL
 * (IPv4 header) and the ICMP type need RFC 1624 adjustments. A consequence worth knowing: a
 * request that arrived with a wrong checksum yields a reply with a wrong checksum, as a stack
 * that trusts hardware checksum offload would send. The one exception is a UDP request sent
 * without checksum (0), whose reply gets a full one, since ours always carry one.
 *
 * The input is untrusted: anything that is not a well-formed, unfragmented IPv4 UDP datagram
 * (or ICMP echo request) is left untouched and 0 is returned. Never throws.
 */
import { rd16, swapBytes, wr16 } from './bytes.js';
import { adjustChecksum } from './checksum.js';
import { ETH_HEADER_LEN, ETH_OFF_DST, ETH_OFF_SRC } from './ethernet.js';
import {
  ICMP_HEADER_LEN,
  ICMP_OFF_CHECKSUM,
  ICMP_OFF_CODE,
  ICMP_OFF_TYPE,
  ICMP_TYPE_ECHO_REPLY,
  ICMP_TYPE_ECHO_REQUEST,
} from './icmp.js';
import {
  IPPROTO_ICMP,
  IPPROTO_UDP,
  IPV4_DEFAULT_TTL,
  IPV4_OFF_CHECKSUM,
  IPV4_OFF_DST,
  IPV4_OFF_PROTOCOL,
  IPV4_OFF_SRC,
  IPV4_OFF_TOTAL_LEN,
  IPV4_OFF_TTL,
} from './ipv4.js';
import { ipv4HeaderLenIfValid } from './ipv4_locate.js';
import {
  UDP_HEADER_LEN,
  UDP_OFF_CHECKSUM,
  UDP_OFF_DST_PORT,
  UDP_OFF_LENGTH,
  UDP_OFF_SRC_PORT,
  fillUdpChecksum,
} from './udp.js';
import { readIpv4 } from './ipv4_addr.js';

/** Swaps MACs and IPs, sets the TTL and adjusts the IPv4 header checksum for it. */
function swapEthIp(buf: Uint8Array, off: number, ttl: number): void {
  swapBytes(buf, off + ETH_OFF_DST, off + ETH_OFF_SRC, 6);
  const ip = off + ETH_HEADER_LEN;
  swapBytes(buf, ip + IPV4_OFF_SRC, ip + IPV4_OFF_DST, 4);
  const proto = buf[ip + IPV4_OFF_PROTOCOL]!;
  const oldWord = (buf[ip + IPV4_OFF_TTL]! << 8) | proto;
  const newWord = ((ttl & 0xff) << 8) | proto;
  buf[ip + IPV4_OFF_TTL] = ttl;
  wr16(buf, ip + IPV4_OFF_CHECKSUM, adjustChecksum(rd16(buf, ip + IPV4_OFF_CHECKSUM), oldWord, newWord));
}

/**
 * Rewrites the UDP frame buf[off, off+len) into its echo reply; returns the reply's length
 * (14 + IP total length, so Ethernet padding is dropped) or 0 if the frame is not UDP/IPv4.
 */
export function makeUdpEchoReply(
  buf: Uint8Array,
  off: number,
  len: number,
  ttl: number = IPV4_DEFAULT_TTL,
): number {
  const hlen = ipv4HeaderLenIfValid(buf, off, len, IPPROTO_UDP, UDP_HEADER_LEN);
  if (hlen === 0) return 0;
  const ip = off + ETH_HEADER_LEN;
  const total = rd16(buf, ip + IPV4_OFF_TOTAL_LEN);
  const udp = ip + hlen;
  const ulen = rd16(buf, udp + UDP_OFF_LENGTH);
  if (ulen < UDP_HEADER_LEN || ulen > total - hlen) return 0;
  swapEthIp(buf, off, ttl);
  swapBytes(buf, udp + UDP_OFF_SRC_PORT, udp + UDP_OFF_DST_PORT, 2);
  if (rd16(buf, udp + UDP_OFF_CHECKSUM) === 0) {
    fillUdpChecksum(buf, udp, ulen, readIpv4(buf, ip + IPV4_OFF_SRC), readIpv4(buf, ip + IPV4_OFF_DST), -1);
  }
  return ETH_HEADER_LEN + total;
}

/**
 * Rewrites an ICMP echo request frame into its echo reply; returns the reply's length, or 0 if
 * the frame is not an ICMP echo request over IPv4.
 */
export function makeIcmpEchoReply(
  buf: Uint8Array,
  off: number,
  len: number,
  ttl: number = IPV4_DEFAULT_TTL,
): number {
  const hlen = ipv4HeaderLenIfValid(buf, off, len, IPPROTO_ICMP, ICMP_HEADER_LEN);
  if (hlen === 0) return 0;
  const ip = off + ETH_HEADER_LEN;
  const icmp = ip + hlen;
  if (buf[icmp + ICMP_OFF_TYPE] !== ICMP_TYPE_ECHO_REQUEST || buf[icmp + ICMP_OFF_CODE] !== 0) return 0;
  swapEthIp(buf, off, ttl);
  buf[icmp + ICMP_OFF_TYPE] = ICMP_TYPE_ECHO_REPLY;
  const sum = adjustChecksum(
    rd16(buf, icmp + ICMP_OFF_CHECKSUM),
    ICMP_TYPE_ECHO_REQUEST << 8,
    ICMP_TYPE_ECHO_REPLY << 8,
  );
  wr16(buf, icmp + ICMP_OFF_CHECKSUM, sum);
  return ETH_HEADER_LEN + rd16(buf, ip + IPV4_OFF_TOTAL_LEN);
}
