/**
 * Ethernet II framing (IEEE 802.3 with an EtherType).
 *
 * Header layout (14 bytes):
 * | off | size | field                  |
 * |-----|------|------------------------|
 * |   0 |    6 | destination MAC        |
 * |   6 |    6 | source MAC             |
 * |  12 |    2 | EtherType (big-endian) |
 *
 * Frames in buffers never include the FCS: it exists only on the wire. Builders return the
 * unpadded length; a frame shorter than ETH_MIN_FRAME_LEN is padded by the transmitting MAC, which
 * `padFrame` does in bytes and `ethernetWireBytes` accounts for in time.
 */
import { readMac, writeMac } from './mac.js';

export const ETH_HEADER_LEN = 14;
export const ETH_OFF_DST = 0;
export const ETH_OFF_SRC = 6;
export const ETH_OFF_TYPE = 12;

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_VLAN = 0x8100;

/** Minimum frame without FCS (64 on the wire with it). */
export const ETH_MIN_FRAME_LEN = 60;
/** Maximum untagged frame without FCS: 14 + 1500-byte MTU. */
export const ETH_MAX_FRAME_LEN = 1514;
export const ETH_MTU = 1500;
export const ETH_FCS_LEN = 4;
export const ETH_PREAMBLE_SFD_LEN = 8;
export const ETH_IFG_LEN = 12;

export function writeEthernetHeader(
  buf: Uint8Array,
  off: number,
  dst: number,
  src: number,
  type: number,
): void {
  writeMac(buf, off + ETH_OFF_DST, dst);
  writeMac(buf, off + ETH_OFF_SRC, src);
  buf[off + ETH_OFF_TYPE] = type >>> 8;
  buf[off + ETH_OFF_TYPE + 1] = type;
}

/** Destination MAC of the frame at `off` (what virt_rx demultiplexes on); the caller checks length. */
export function readDstMac(buf: Uint8Array, off: number): number {
  return readMac(buf, off + ETH_OFF_DST);
}

export function readSrcMac(buf: Uint8Array, off: number): number {
  return readMac(buf, off + ETH_OFF_SRC);
}

export function readEthertype(buf: Uint8Array, off: number): number {
  return ((buf[off + ETH_OFF_TYPE]! << 8) | buf[off + ETH_OFF_TYPE + 1]!) & 0xffff;
}

/** Zero-fills a short frame up to the Ethernet minimum and returns the padded length. */
export function padFrame(buf: Uint8Array, off: number, len: number): number {
  if (len >= ETH_MIN_FRAME_LEN) return len;
  buf.fill(0, off + len, off + ETH_MIN_FRAME_LEN);
  return ETH_MIN_FRAME_LEN;
}

/**
 * Bytes of line time a frame of `frameLen` buffer bytes (no FCS) occupies: padding to the minimum,
 * FCS, preamble+SFD and inter-frame gap. At 1 Gb/s one byte is 8 ns.
 */
export function ethernetWireBytes(frameLen: number): number {
  const padded = Math.max(frameLen, ETH_MIN_FRAME_LEN);
  return padded + ETH_FCS_LEN + ETH_PREAMBLE_SFD_LEN + ETH_IFG_LEN;
}
