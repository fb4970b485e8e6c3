/**
 * Builds complete Ethernet frames in place at buf[off..] and returns their length (no FCS, no
 * padding to the 60-byte minimum: see ethernet.ts). Nothing is allocated; the specs are mutable
 * objects the caller keeps and updates per frame. Callers are trusted: a frame that would not fit
 * the buffer, or a field out of range, is a programming error and asserts.
 */
import { wr16 } from './bytes.js';
import { copyAndSumWords, finishChecksum, sumWords } from './checksum.js';
import { ARP_LEN, ARP_OP_REPLY, ARP_OP_REQUEST, writeArp } from './arp.js';
import { netAssert } from './assert.js';
import { ETH_HEADER_LEN, ETHERTYPE_ARP, ETHERTYPE_IPV4, writeEthernetHeader } from './ethernet.js';
import { ICMP_HEADER_LEN, ICMP_OFF_CHECKSUM, ICMP_TYPE_ECHO_REQUEST, writeIcmpEchoHeader } from './icmp.js';
import { IPPROTO_ICMP, IPPROTO_UDP, IPV4_DEFAULT_TTL, IPV4_HEADER_LEN, writeIpv4Header } from './ipv4.js';
import { MAC_BROADCAST, MAC_ZERO } from './mac.js';
import { writeGeneratedPayload } from './payload.js';
import { fillUdpChecksum, UDP_HEADER_LEN, writeUdpHeader } from './udp.js';

/** Headers in front of a UDP payload: 14 + 20 + 8. */
export const UDP_FRAME_OVERHEAD = ETH_HEADER_LEN + IPV4_HEADER_LEN + UDP_HEADER_LEN;
/** Headers in front of ICMP echo data: 14 + 20 + 8. */
export const ICMP_FRAME_OVERHEAD = ETH_HEADER_LEN + IPV4_HEADER_LEN + ICMP_HEADER_LEN;
/** Length of an ARP frame before padding: 14 + 28. */
export const ARP_FRAME_LEN = ETH_HEADER_LEN + ARP_LEN;
/** Largest payload whose datagram still fits IPv4's 16-bit total length. */
export const MAX_IP_PAYLOAD = 0xffff - IPV4_HEADER_LEN;

/** Addresses and per-frame fields of a UDP frame. MACs: 48-bit integers; IPs: u32. */
export class UdpFrameSpec {
  srcMac = 0;
  dstMac = 0;
  srcIp = 0;
  dstIp = 0;
  srcPort = 0;
  dstPort = 0;
  ipId = 0;
  ttl = IPV4_DEFAULT_TTL;
  /** Sequence number for generated payloads (probe + pattern); integer below 2^53. */
  seq = 0;
  /** Send time (simulated ns) written into the probe of generated payloads. */
  timeNs = 0;
}

/** Addresses and per-frame fields of an ICMP echo frame. */
export class IcmpEchoSpec {
  srcMac = 0;
  dstMac = 0;
  srcIp = 0;
  dstIp = 0;
  ipId = 0;
  ttl = IPV4_DEFAULT_TTL;
  /** ICMP_TYPE_ECHO_REQUEST (8) or ICMP_TYPE_ECHO_REPLY (0). */
  type = ICMP_TYPE_ECHO_REQUEST;
  /** Echo identifier (u16). */
  id = 0;
  /** Echo sequence number (u16) in the header; also seeds a generated payload. */
  seq = 0;
  /** Send time (simulated ns) written into the probe of generated payloads. */
  timeNs = 0;
}

function isU16(v: number): boolean {
  return (v & 0xffff) === v;
}

/**
 * Writes the payload (copied from payloadSrc, or generated from seq/timeNs when payloadSrc is null)
 * at buf[dst..dst+len) and returns its unfolded checksum sum.
 */
function placePayload(
  buf: Uint8Array,
  dst: number,
  payloadSrc: Uint8Array | null,
  srcOff: number,
  len: number,
  seq: number,
  timeNs: number,
): number {
  if (payloadSrc === null) {
    return writeGeneratedPayload(buf, dst, len, seq, timeNs);
  }
  netAssert(srcOff >= 0 && srcOff + len <= payloadSrc.length, 'payload source range outside its buffer');
  if (payloadSrc === buf) {
    // Same view: copyWithin handles overlap (and is a no-op when the payload is already in place).
    if (srcOff !== dst) buf.copyWithin(dst, srcOff, srcOff + len);
    return sumWords(buf, dst, len, 0);
  }
  if (payloadSrc.buffer === buf.buffer) {
    // Two views of one memory may overlap; set() copies as if through a temporary.
    buf.set(payloadSrc.subarray(srcOff, srcOff + len), dst);
    return sumWords(buf, dst, len, 0);
  }
  return copyAndSumWords(payloadSrc, srcOff, buf, dst, len, 0);
}

/**
 * Builds Ethernet/IPv4/UDP with `payloadLen` bytes of payload; returns 42 + payloadLen
 * (1514 for the default 1472-byte payload). IPv4: IHL 5, DF, f.ttl, f.ipId, header checksum.
 * UDP checksum always computed (0 is sent as 0xFFFF).
 */
export function buildUdpFrame(
  buf: Uint8Array,
  off: number,
  f: UdpFrameSpec,
  payloadSrc: Uint8Array | null,
  payloadSrcOff: number,
  payloadLen: number,
): number {
  const udpLen = UDP_HEADER_LEN + payloadLen;
  const total = UDP_FRAME_OVERHEAD + payloadLen;
  netAssert(
    Number.isInteger(payloadLen) && payloadLen >= 0 && payloadLen <= MAX_IP_PAYLOAD - UDP_HEADER_LEN,
    'UDP payload length out of range',
  );
  netAssert(off >= 0 && off + total <= buf.length, 'UDP frame does not fit the buffer');
  netAssert(isU16(f.srcPort) && isU16(f.dstPort) && isU16(f.ipId), 'UDP port or IP id not a u16');
  const ipOff = off + ETH_HEADER_LEN;
  const udpOff = ipOff + IPV4_HEADER_LEN;
  const payloadOff = udpOff + UDP_HEADER_LEN;
  const payloadSum = placePayload(buf, payloadOff, payloadSrc, payloadSrcOff, payloadLen, f.seq, f.timeNs);
  writeEthernetHeader(buf, off, f.dstMac, f.srcMac, ETHERTYPE_IPV4);
  writeIpv4Header(buf, ipOff, IPV4_HEADER_LEN + udpLen, f.ipId, f.ttl, IPPROTO_UDP, f.srcIp, f.dstIp);
  writeUdpHeader(buf, udpOff, f.srcPort, f.dstPort, udpLen);
  fillUdpChecksum(buf, udpOff, udpLen, f.srcIp, f.dstIp, payloadSum);
  return total;
}

/**
 * Builds an ICMP echo request or reply (by f.type) with `payloadLen` bytes of data; returns
 * 42 + payloadLen.
 */
export function buildIcmpEcho(
  buf: Uint8Array,
  off: number,
  f: IcmpEchoSpec,
  payloadSrc: Uint8Array | null,
  payloadSrcOff: number,
  payloadLen: number,
): number {
  const icmpLen = ICMP_HEADER_LEN + payloadLen;
  const total = ICMP_FRAME_OVERHEAD + payloadLen;
  netAssert(
    Number.isInteger(payloadLen) && payloadLen >= 0 && payloadLen <= MAX_IP_PAYLOAD - ICMP_HEADER_LEN,
    'ICMP payload length out of range',
  );
  netAssert(off >= 0 && off + total <= buf.length, 'ICMP frame does not fit the buffer');
  netAssert(isU16(f.id) && isU16(f.seq) && isU16(f.ipId), 'ICMP id/seq or IP id not a u16');
  const ipOff = off + ETH_HEADER_LEN;
  const icmpOff = ipOff + IPV4_HEADER_LEN;
  const payloadSum = placePayload(
    buf,
    icmpOff + ICMP_HEADER_LEN,
    payloadSrc,
    payloadSrcOff,
    payloadLen,
    f.seq,
    f.timeNs,
  );
  writeEthernetHeader(buf, off, f.dstMac, f.srcMac, ETHERTYPE_IPV4);
  writeIpv4Header(buf, ipOff, IPV4_HEADER_LEN + icmpLen, f.ipId, f.ttl, IPPROTO_ICMP, f.srcIp, f.dstIp);
  writeIcmpEchoHeader(buf, icmpOff, f.type, f.id, f.seq);
  const sum = sumWords(buf, icmpOff, ICMP_HEADER_LEN, payloadSum);
  wr16(buf, icmpOff + ICMP_OFF_CHECKSUM, finishChecksum(sum));
  return total;
}

/** Builds a broadcast "who has targetIp, tell senderIp" request; returns ARP_FRAME_LEN (42). */
export function buildArpRequest(
  buf: Uint8Array,
  off: number,
  senderMac: number,
  senderIp: number,
  targetIp: number,
): number {
  netAssert(off >= 0 && off + ARP_FRAME_LEN <= buf.length, 'ARP frame does not fit the buffer');
  writeEthernetHeader(buf, off, MAC_BROADCAST, senderMac, ETHERTYPE_ARP);
  writeArp(buf, off + ETH_HEADER_LEN, ARP_OP_REQUEST, senderMac, senderIp, MAC_ZERO, targetIp);
  return ARP_FRAME_LEN;
}

/** Builds a unicast "senderIp is at senderMac" reply to targetMac/targetIp; returns 42. */
export function buildArpReply(
  buf: Uint8Array,
  off: number,
  senderMac: number,
  senderIp: number,
  targetMac: number,
  targetIp: number,
): number {
  netAssert(off >= 0 && off + ARP_FRAME_LEN <= buf.length, 'ARP frame does not fit the buffer');
  writeEthernetHeader(buf, off, targetMac, senderMac, ETHERTYPE_ARP);
  writeArp(buf, off + ETH_HEADER_LEN, ARP_OP_REPLY, senderMac, senderIp, targetMac, targetIp);
  return ARP_FRAME_LEN;
}
