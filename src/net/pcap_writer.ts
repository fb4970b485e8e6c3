/**
 * Classic libpcap capture files with nanosecond timestamps, written little-endian.
 *
 * Global header (24 bytes):
 * | off | size | field                                         |
 * |-----|------|-----------------------------------------------|
 * |   0 |    4 | magic 0xa1b23c4d (nanosecond resolution)      |
 * |   4 |    2 | version major (2)                             |
 * |   6 |    2 | version minor (4)                             |
 * |   8 |    4 | thiszone (0)                                  |
 * |  12 |    4 | sigfigs (0)                                   |
 * |  16 |    4 | snaplen (65535)                               |
 * |  20 |    4 | link type (1 = Ethernet)                      |
 *
 * Record header (16 bytes), followed by incl_len bytes of frame:
 * | off | size | field                                         |
 * |-----|------|-----------------------------------------------|
 * |   0 |    4 | ts_sec                                        |
 * |   4 |    4 | ts_nsec (0..999999999)                        |
 * |   8 |    4 | incl_len (bytes stored, at most snaplen)      |
 * |  12 |    4 | orig_len (frame length)                       |
 *
 * Timestamps count from the start of the simulation (time 0), not from the Unix epoch: a capture
 * opened in Wireshark shows dates in January 1970 whose offsets are simulated time. Frames are
 * stored without FCS, as capture on a host shows them.
 */

export const PCAP_MAGIC_NS = 0xa1b23c4d;
export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_VERSION_MAJOR = 2;
export const PCAP_VERSION_MINOR = 4;
export const PCAP_SNAPLEN = 65535;
export const PCAP_LINKTYPE_ETHERNET = 1;
export const PCAP_GLOBAL_HEADER_LEN = 24;
export const PCAP_RECORD_HEADER_LEN = 16;

const INITIAL_CAPACITY = 64 * 1024;
const NS_PER_S = 1_000_000_000;

export class PcapWriter {
  private bytes: Uint8Array;
  private view: DataView;
  private used: number;
  private packets = 0;

  constructor() {
    this.bytes = new Uint8Array(INITIAL_CAPACITY);
    this.view = new DataView(this.bytes.buffer);
    const v = this.view;
    v.setUint32(0, PCAP_MAGIC_NS, true);
    v.setUint16(4, PCAP_VERSION_MAJOR, true);
    v.setUint16(6, PCAP_VERSION_MINOR, true);
    v.setInt32(8, 0, true);
    v.setUint32(12, 0, true);
    v.setUint32(16, PCAP_SNAPLEN, true);
    v.setUint32(20, PCAP_LINKTYPE_ETHERNET, true);
    this.used = PCAP_GLOBAL_HEADER_LEN;
  }

  /** Number of packets added. */
  get count(): number {
    return this.packets;
  }

  /** Bytes the file has so far (global header included). */
  get byteLength(): number {
    return this.used;
  }

  /**
   * Appends buf[off, off+len) captured at simulated time `timeNs` (non-negative; fractions of a
   * nanosecond are truncated). Frames longer than the snaplen are stored truncated, with their
   * original length recorded, as libpcap does.
   */
  addPacket(timeNs: number, buf: Uint8Array, off: number, len: number): void {
    if (!(timeNs >= 0 && Number.isFinite(timeNs))) throw new RangeError(`pcap: bad timestamp ${timeNs}`);
    if (!(off >= 0 && len >= 0 && off + len <= buf.length)) {
      throw new RangeError(`pcap: packet range [${off}, ${off + len}) outside a ${buf.length}-byte buffer`);
    }
    const incl = Math.min(len, PCAP_SNAPLEN);
    this.reserve(PCAP_RECORD_HEADER_LEN + incl);
    const t = Math.floor(timeNs);
    const nsec = t % NS_PER_S;
    const sec = (t - nsec) / NS_PER_S;
    const v = this.view;
    const at = this.used;
    v.setUint32(at, sec, true);
    v.setUint32(at + 4, nsec, true);
    v.setUint32(at + 8, incl, true);
    v.setUint32(at + 12, len, true);
    // A subarray view is one small short-lived object; set() then copies with memcpy, far faster
    // than a byte loop for full-size frames.
    this.bytes.set(buf.subarray(off, off + incl), at + PCAP_RECORD_HEADER_LEN);
    this.used = at + PCAP_RECORD_HEADER_LEN + incl;
    this.packets++;
  }

  /** A copy of the file so far; the writer may keep appending afterwards. */
  toBuffer(): Uint8Array {
    return this.bytes.slice(0, this.used);
  }

  private reserve(extra: number): void {
    const need = this.used + extra;
    if (need <= this.bytes.length) return;
    let cap = this.bytes.length * 2;
    while (cap < need) cap *= 2;
    const grown = new Uint8Array(cap);
    grown.set(this.bytes.subarray(0, this.used));
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }
}

export interface PcapRecord {
  /** Seconds * 1e9 + sub-second part (sub-second in ns or us by the file's magic). */
  timeNs: number;
  origLen: number;
  data: Uint8Array;
}

export interface PcapFile {
  /** Empty string when the file parsed completely; otherwise what was wrong (records so far kept). */
  error: string;
  nanosecond: boolean;
  littleEndian: boolean;
  versionMajor: number;
  versionMinor: number;
  snaplen: number;
  linkType: number;
  records: PcapRecord[];
}

/** Reads a classic pcap file (either byte order, us or ns). Never throws; problems go in `error`. */
export function parsePcap(bytes: Uint8Array): PcapFile {
  const file: PcapFile = {
    error: '',
    nanosecond: false,
    littleEndian: true,
    versionMajor: 0,
    versionMinor: 0,
    snaplen: 0,
    linkType: 0,
    records: [],
  };
  if (bytes.length < PCAP_GLOBAL_HEADER_LEN) {
    file.error = `file is ${bytes.length} bytes, shorter than the ${PCAP_GLOBAL_HEADER_LEN}-byte header`;
    return file;
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magicLe = v.getUint32(0, true);
  const magicBe = v.getUint32(0, false);
  if (magicLe === PCAP_MAGIC_NS || magicLe === PCAP_MAGIC_US) {
    file.littleEndian = true;
    file.nanosecond = magicLe === PCAP_MAGIC_NS;
  } else if (magicBe === PCAP_MAGIC_NS || magicBe === PCAP_MAGIC_US) {
    file.littleEndian = false;
    file.nanosecond = magicBe === PCAP_MAGIC_NS;
  } else {
    file.error = `unknown magic 0x${magicLe.toString(16)}`;
    return file;
  }
  const le = file.littleEndian;
  file.versionMajor = v.getUint16(4, le);
  file.versionMinor = v.getUint16(6, le);
  file.snaplen = v.getUint32(16, le);
  file.linkType = v.getUint32(20, le);
  const subSecondNs = file.nanosecond ? 1 : 1000;
  let at = PCAP_GLOBAL_HEADER_LEN;
  while (at < bytes.length) {
    if (at + PCAP_RECORD_HEADER_LEN > bytes.length) {
      file.error = `record header at byte ${at} truncated`;
      return file;
    }
    const sec = v.getUint32(at, le);
    const frac = v.getUint32(at + 4, le);
    const incl = v.getUint32(at + 8, le);
    const orig = v.getUint32(at + 12, le);
    const start = at + PCAP_RECORD_HEADER_LEN;
    if (start + incl > bytes.length) {
      file.error = `record at byte ${at} claims ${incl} bytes, only ${bytes.length - start} remain`;
      return file;
    }
    file.records.push({
      timeNs: sec * NS_PER_S + frac * subSecondNs,
      origLen: orig,
      data: bytes.slice(start, start + incl),
    });
    at = start + incl;
  }
  return file;
}
