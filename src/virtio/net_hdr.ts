/**
 * `struct virtio_net_hdr` as a VERSION_1 device uses it (device-types/net/description.tex; Linux
 * `struct virtio_net_hdr_mrg_rxbuf`, which libvmm always uses): 12 bytes, little-endian, in front
 * of every frame in both directions.
 *
 * | off | size | field        | notes                                             |
 * |   0 |    1 | flags        | NEEDS_CSUM=1, DATA_VALID=2, RSC_INFO=4            |
 * |   1 |    1 | gso_type     | NONE=0, TCPV4=1, UDP=3, TCPV6=4, UDP_L4=5, ECN=0x80 |
 * |   2 |    2 | hdr_len      |                                                   |
 * |   4 |    2 | gso_size     |                                                   |
 * |   6 |    2 | csum_start   | with NEEDS_CSUM: where checksumming starts        |
 * |   8 |    2 | csum_offset  | with NEEDS_CSUM: checksum goes at start + offset  |
 * |  10 |    2 | num_buffers  | RX: buffers used (1 without MRG_RXBUF); TX: 0      |
 */
export const VIRTIO_NET_HDR_SIZE = 12;

export const VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;
export const VIRTIO_NET_HDR_F_DATA_VALID = 2;
export const VIRTIO_NET_HDR_F_RSC_INFO = 4;

export const VIRTIO_NET_HDR_GSO_NONE = 0;
export const VIRTIO_NET_HDR_GSO_TCPV4 = 1;
export const VIRTIO_NET_HDR_GSO_UDP = 3;
export const VIRTIO_NET_HDR_GSO_TCPV6 = 4;
export const VIRTIO_NET_HDR_GSO_UDP_L4 = 5;
export const VIRTIO_NET_HDR_GSO_ECN = 0x80;

/** Smallest RX buffer a driver should post without MRG_RXBUF or guest GSO: header + 1514-byte frame. */
export const VIRTIO_NET_MIN_RX_BUFFER = VIRTIO_NET_HDR_SIZE + 1514;

const O_FLAGS = 0;
const O_GSO_TYPE = 1;
const O_HDR_LEN = 2;
const O_GSO_SIZE = 4;
const O_CSUM_START = 6;
const O_CSUM_OFFSET = 8;
const O_NUM_BUFFERS = 10;

/** The header's fields; reused as an out-parameter. */
export class NetHdr {
  flags = 0;
  gsoType = 0;
  hdrLen = 0;
  gsoSize = 0;
  csumStart = 0;
  csumOffset = 0;
  numBuffers = 0;

  clear(): this {
    this.flags = 0;
    this.gsoType = 0;
    this.hdrLen = 0;
    this.gsoSize = 0;
    this.csumStart = 0;
    this.csumOffset = 0;
    this.numBuffers = 0;
    return this;
  }
}

/** Parse the header at b[off..off+12) into `out`; false (out untouched) when fewer than 12 bytes remain. */
export function readNetHdr(b: Uint8Array, off: number, out: NetHdr): boolean {
  if (off < 0 || off + VIRTIO_NET_HDR_SIZE > b.length) return false;
  out.flags = b[off + O_FLAGS]!;
  out.gsoType = b[off + O_GSO_TYPE]!;
  out.hdrLen = le16(b, off + O_HDR_LEN);
  out.gsoSize = le16(b, off + O_GSO_SIZE);
  out.csumStart = le16(b, off + O_CSUM_START);
  out.csumOffset = le16(b, off + O_CSUM_OFFSET);
  out.numBuffers = le16(b, off + O_NUM_BUFFERS);
  return true;
}

/** Write `h` at b[off..off+12); false (nothing written) when it does not fit. */
export function writeNetHdr(b: Uint8Array, off: number, h: NetHdr): boolean {
  if (off < 0 || off + VIRTIO_NET_HDR_SIZE > b.length) return false;
  b[off + O_FLAGS] = h.flags;
  b[off + O_GSO_TYPE] = h.gsoType;
  put16(b, off + O_HDR_LEN, h.hdrLen);
  put16(b, off + O_GSO_SIZE, h.gsoSize);
  put16(b, off + O_CSUM_START, h.csumStart);
  put16(b, off + O_CSUM_OFFSET, h.csumOffset);
  put16(b, off + O_NUM_BUFFERS, h.numBuffers);
  return true;
}

/**
 * The header for a plain frame: no offloads, `numBuffers` (1 on RX without MRG_RXBUF, as libvmm
 * writes it; 0 on TX). False when it does not fit.
 */
export function writePlainNetHdr(b: Uint8Array, off: number, numBuffers: number): boolean {
  if (off < 0 || off + VIRTIO_NET_HDR_SIZE > b.length) return false;
  // Stores, not fill(): a builtin call costs more than ten bytes (once per frame each way).
  for (let i = 0; i < O_NUM_BUFFERS; i++) b[off + i] = 0;
  put16(b, off + O_NUM_BUFFERS, numBuffers);
  return true;
}

function le16(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}

function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
}
