/**
 * Parses an Ethernet frame carrying ARP, or IPv4 with UDP or ICMP, into a caller-owned
 * `ParsedFrame`. The input is untrusted: the parser never throws and never reads outside
 * buf[off, off+len) (clamped to the buffer); a problem sets ok=false and `error`.
 *
 * Policy: fields are filled layer by layer as far as the structure allows. A structural problem
 * (truncation, bad version, bad length) stops parsing. A bad checksum does not: the remaining
 * layers are still parsed so the caller can see what arrived, but ok stays false and `error`
 * keeps the first problem found. Trailing bytes after the IP total length (Ethernet padding)
 * are allowed; UDP length shorter than the IP payload is allowed (the rest is ignored, as Linux
 * trims it).
 */
import { rd16 } from './bytes.js';
import { finishChecksum, pseudoHeaderSum, sumWords } from './checksum.js';
import {
  ARP_HTYPE_ETHERNET,
  ARP_LEN,
  ARP_OFF_HLEN,
  ARP_OFF_HTYPE,
  ARP_OFF_OP,
  ARP_OFF_PLEN,
  ARP_OFF_PTYPE,
  ARP_OFF_SHA,
  ARP_OFF_SPA,
  ARP_OFF_THA,
  ARP_OFF_TPA,
  ARP_OP_REPLY,
  ARP_OP_REQUEST,
  ARP_PTYPE_IPV4,
} from './arp.js';
import {
  ETH_HEADER_LEN,
  ETH_OFF_DST,
  ETH_OFF_SRC,
  ETH_OFF_TYPE,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
} from './ethernet.js';
import { ICMP_HEADER_LEN, ICMP_OFF_CODE, ICMP_OFF_ID, ICMP_OFF_SEQ, ICMP_OFF_TYPE } from './icmp.js';
import {
  IPPROTO_ICMP,
  IPPROTO_UDP,
  IPV4_FLAG_MF,
  IPV4_FRAG_OFFSET_MASK,
  IPV4_HEADER_LEN,
  IPV4_OFF_DST,
  IPV4_OFF_FLAGS_FRAG,
  IPV4_OFF_ID,
  IPV4_OFF_PROTOCOL,
  IPV4_OFF_SRC,
  IPV4_OFF_TOTAL_LEN,
  IPV4_OFF_TTL,
  IPV4_OFF_VER_IHL,
  IPV4_VERSION,
} from './ipv4.js';
import { readIpv4 } from './ipv4_addr.js';
import { readMac } from './mac.js';
import { NetError } from './net_error.js';
import {
  UDP_HEADER_LEN,
  UDP_OFF_CHECKSUM,
  UDP_OFF_DST_PORT,
  UDP_OFF_LENGTH,
  UDP_OFF_SRC_PORT,
} from './udp.js';

/**
 * The result of `parseFrame`, preallocated by the caller and overwritten by every parse (all
 * fields are reset first, so nothing stale survives from a previous frame).
 * MACs are 48-bit integers (see mac.ts), IPv4 addresses u32 numbers. Offsets are absolute
 * indices into the parsed buffer. Fields of layers the frame does not reach are 0/false.
 */
export class ParsedFrame {
  ok = false;
  /** A NetError code; NetError.NONE when ok. */
  error = 0;
  /** Bytes the frame's protocols account for: 14 + ARP_LEN or 14 + IP total length (padding excluded). */
  frameLen = 0;
  ethertype = 0;
  dstMac = 0;
  srcMac = 0;
  /** Offset of the Ethernet payload (ARP packet or IPv4 header). */
  l3Offset = 0;

  arpOp = 0;
  arpSenderMac = 0;
  arpSenderIp = 0;
  arpTargetMac = 0;
  arpTargetIp = 0;

  ipHeaderLen = 0;
  ipTotalLen = 0;
  ipId = 0;
  /** Flags and fragment offset word as received (DF = 0x4000). */
  ipFlagsFrag = 0;
  ipTtl = 0;
  ipProtocol = 0;
  ipSrc = 0;
  ipDst = 0;
  ipChecksumOk = false;
  /** Offset of the transport header (UDP or ICMP). */
  l4Offset = 0;

  udpSrcPort = 0;
  udpDstPort = 0;
  /** UDP length field (header + payload). */
  udpLength = 0;
  /** True also when the sender sent no checksum (field 0), which IPv4 permits. */
  udpChecksumOk = false;

  icmpType = 0;
  icmpCode = 0;
  /** Identifier and sequence (bytes 4..7); meaningful for echo request/reply. */
  icmpId = 0;
  icmpSeq = 0;
  icmpChecksumOk = false;

  /** UDP data or ICMP data after the 8-byte header. */
  payloadOffset = 0;
  payloadLen = 0;

  reset(): void {
    this.ok = false;
    this.error = NetError.NONE;
    this.frameLen = 0;
    this.ethertype = 0;
    this.dstMac = 0;
    this.srcMac = 0;
    this.l3Offset = 0;
    this.arpOp = 0;
    this.arpSenderMac = 0;
    this.arpSenderIp = 0;
    this.arpTargetMac = 0;
    this.arpTargetIp = 0;
    this.ipHeaderLen = 0;
    this.ipTotalLen = 0;
    this.ipId = 0;
    this.ipFlagsFrag = 0;
    this.ipTtl = 0;
    this.ipProtocol = 0;
    this.ipSrc = 0;
    this.ipDst = 0;
    this.ipChecksumOk = false;
    this.l4Offset = 0;
    this.udpSrcPort = 0;
    this.udpDstPort = 0;
    this.udpLength = 0;
    this.udpChecksumOk = false;
    this.icmpType = 0;
    this.icmpCode = 0;
    this.icmpId = 0;
    this.icmpSeq = 0;
    this.icmpChecksumOk = false;
    this.payloadOffset = 0;
    this.payloadLen = 0;
  }
}

function fail(out: ParsedFrame, error: number): boolean {
  if (out.error === NetError.NONE) out.error = error;
  out.ok = false;
  return false;
}

/**
 * Computes the word sum a UDP checksum check needs, faster than reading every byte when the
 * caller knows most of them already. `udpSum` must return a positive number congruent, modulo
 * 0xffff, to sumWords(buf, o, ulen, pseudo), the pseudo-header sum plus every word of the
 * datagram [o, o+ulen): the verdict is then the same as without it, for every input.
 */
export interface UdpSummer {
  udpSum(buf: Uint8Array, o: number, ulen: number, pseudo: number): number;
}

/**
 * Parses buf[off, off+len) into `out`; returns out.ok. Never throws, whatever the bytes, `off`
 * or `len` (a range outside the buffer is clamped, and an unusable one reads as truncated).
 * `summer`, when given, computes the UDP checksum's sum (see UdpSummer).
 */
export function parseFrame(
  buf: Uint8Array,
  off: number,
  len: number,
  out: ParsedFrame,
  summer: UdpSummer | null = null,
): boolean {
  out.reset();
  if (!(off >= 0 && off <= buf.length && len >= 0) || !Number.isInteger(off) || !Number.isInteger(len)) {
    return fail(out, NetError.TRUNCATED_ETHERNET);
  }
  const avail = Math.min(len, buf.length - off);
  if (avail < ETH_HEADER_LEN) return fail(out, NetError.TRUNCATED_ETHERNET);
  out.dstMac = readMac(buf, off + ETH_OFF_DST);
  out.srcMac = readMac(buf, off + ETH_OFF_SRC);
  out.ethertype = rd16(buf, off + ETH_OFF_TYPE);
  out.l3Offset = off + ETH_HEADER_LEN;
  const l3Avail = avail - ETH_HEADER_LEN;
  if (out.ethertype === ETHERTYPE_IPV4) {
    parseIpv4(buf, out.l3Offset, l3Avail, out, summer);
  } else if (out.ethertype === ETHERTYPE_ARP) {
    parseArp(buf, out.l3Offset, l3Avail, out);
  } else {
    out.frameLen = ETH_HEADER_LEN;
    fail(out, NetError.UNSUPPORTED_ETHERTYPE);
  }
  out.ok = out.error === NetError.NONE;
  return out.ok;
}

function parseArp(buf: Uint8Array, o: number, avail: number, out: ParsedFrame): void {
  if (avail < ARP_LEN) {
    fail(out, NetError.TRUNCATED_ARP);
    return;
  }
  out.frameLen = ETH_HEADER_LEN + ARP_LEN;
  out.arpOp = rd16(buf, o + ARP_OFF_OP);
  out.arpSenderMac = readMac(buf, o + ARP_OFF_SHA);
  out.arpSenderIp = readIpv4(buf, o + ARP_OFF_SPA);
  out.arpTargetMac = readMac(buf, o + ARP_OFF_THA);
  out.arpTargetIp = readIpv4(buf, o + ARP_OFF_TPA);
  if (
    rd16(buf, o + ARP_OFF_HTYPE) !== ARP_HTYPE_ETHERNET ||
    rd16(buf, o + ARP_OFF_PTYPE) !== ARP_PTYPE_IPV4 ||
    buf[o + ARP_OFF_HLEN] !== 6 ||
    buf[o + ARP_OFF_PLEN] !== 4
  ) {
    fail(out, NetError.BAD_ARP_FORMAT);
  } else if (out.arpOp !== ARP_OP_REQUEST && out.arpOp !== ARP_OP_REPLY) {
    fail(out, NetError.BAD_ARP_OP);
  }
}

function parseIpv4(
  buf: Uint8Array,
  o: number,
  avail: number,
  out: ParsedFrame,
  summer: UdpSummer | null,
): void {
  if (avail < IPV4_HEADER_LEN) {
    fail(out, NetError.TRUNCATED_IPV4);
    return;
  }
  const verIhl = buf[o + IPV4_OFF_VER_IHL]!;
  const hlen = (verIhl & 0x0f) << 2;
  out.ipHeaderLen = hlen;
  out.ipTotalLen = rd16(buf, o + IPV4_OFF_TOTAL_LEN);
  out.ipId = rd16(buf, o + IPV4_OFF_ID);
  out.ipFlagsFrag = rd16(buf, o + IPV4_OFF_FLAGS_FRAG);
  out.ipTtl = buf[o + IPV4_OFF_TTL]!;
  out.ipProtocol = buf[o + IPV4_OFF_PROTOCOL]!;
  out.ipSrc = readIpv4(buf, o + IPV4_OFF_SRC);
  out.ipDst = readIpv4(buf, o + IPV4_OFF_DST);
  if (verIhl >>> 4 !== IPV4_VERSION) {
    fail(out, NetError.BAD_IP_VERSION);
    return;
  }
  if (hlen < IPV4_HEADER_LEN) {
    fail(out, NetError.BAD_IHL);
    return;
  }
  if (avail < hlen) {
    fail(out, NetError.TRUNCATED_IPV4);
    return;
  }
  const total = out.ipTotalLen;
  if (total < hlen || total > avail) {
    fail(out, NetError.BAD_IP_TOTAL_LENGTH);
    return;
  }
  out.frameLen = ETH_HEADER_LEN + total;
  out.ipChecksumOk = finishChecksum(sumWords(buf, o, hlen, 0)) === 0;
  if (!out.ipChecksumOk) fail(out, NetError.BAD_IP_CHECKSUM);
  if ((out.ipFlagsFrag & (IPV4_FLAG_MF | IPV4_FRAG_OFFSET_MASK)) !== 0) {
    fail(out, NetError.IP_FRAGMENT);
    return;
  }
  out.l4Offset = o + hlen;
  const l4Len = total - hlen;
  if (out.ipProtocol === IPPROTO_UDP) {
    parseUdp(buf, out.l4Offset, l4Len, out, summer);
  } else if (out.ipProtocol === IPPROTO_ICMP) {
    parseIcmp(buf, out.l4Offset, l4Len, out);
  } else {
    fail(out, NetError.UNSUPPORTED_IP_PROTOCOL);
  }
}

function parseUdp(
  buf: Uint8Array,
  o: number,
  l4Len: number,
  out: ParsedFrame,
  summer: UdpSummer | null,
): void {
  if (l4Len < UDP_HEADER_LEN) {
    fail(out, NetError.TRUNCATED_UDP);
    return;
  }
  out.udpSrcPort = rd16(buf, o + UDP_OFF_SRC_PORT);
  out.udpDstPort = rd16(buf, o + UDP_OFF_DST_PORT);
  const ulen = rd16(buf, o + UDP_OFF_LENGTH);
  out.udpLength = ulen;
  if (ulen < UDP_HEADER_LEN || ulen > l4Len) {
    fail(out, NetError.BAD_UDP_LENGTH);
    return;
  }
  out.payloadOffset = o + UDP_HEADER_LEN;
  out.payloadLen = ulen - UDP_HEADER_LEN;
  if (rd16(buf, o + UDP_OFF_CHECKSUM) === 0) {
    out.udpChecksumOk = true;
  } else {
    const pseudo = pseudoHeaderSum(out.ipSrc, out.ipDst, IPPROTO_UDP, ulen);
    const sum = summer === null ? sumWords(buf, o, ulen, pseudo) : summer.udpSum(buf, o, ulen, pseudo);
    out.udpChecksumOk = finishChecksum(sum) === 0;
    if (!out.udpChecksumOk) fail(out, NetError.BAD_UDP_CHECKSUM);
  }
}

function parseIcmp(buf: Uint8Array, o: number, l4Len: number, out: ParsedFrame): void {
  if (l4Len < ICMP_HEADER_LEN) {
    fail(out, NetError.TRUNCATED_ICMP);
    return;
  }
  out.icmpType = buf[o + ICMP_OFF_TYPE]!;
  out.icmpCode = buf[o + ICMP_OFF_CODE]!;
  out.icmpId = rd16(buf, o + ICMP_OFF_ID);
  out.icmpSeq = rd16(buf, o + ICMP_OFF_SEQ);
  out.payloadOffset = o + ICMP_HEADER_LEN;
  out.payloadLen = l4Len - ICMP_HEADER_LEN;
  out.icmpChecksumOk = finishChecksum(sumWords(buf, o, l4Len, 0)) === 0;
  if (!out.icmpChecksumOk) fail(out, NetError.BAD_ICMP_CHECKSUM);
}
