/**
 * Structural check shared by the in-place rewriters (echo replies, checksum insertion): is the
 * frame at buf[off, off+len) an unfragmented IPv4 datagram of `protocol` whose header and
 * transport header (at least `minL4` bytes) lie inside the frame? Checksums are not looked at.
 */
import { rd16 } from './bytes.js';
import { ETH_HEADER_LEN, ETH_OFF_TYPE, ETHERTYPE_IPV4 } from './ethernet.js';
import {
  IPV4_FLAG_MF,
  IPV4_FRAG_OFFSET_MASK,
  IPV4_HEADER_LEN,
  IPV4_OFF_FLAGS_FRAG,
  IPV4_OFF_PROTOCOL,
  IPV4_OFF_TOTAL_LEN,
  IPV4_OFF_VER_IHL,
} from './ipv4.js';

/** Returns the IPv4 header length in bytes, or 0 when the frame does not qualify. Never throws. */
export function ipv4HeaderLenIfValid(
  buf: Uint8Array,
  off: number,
  len: number,
  protocol: number,
  minL4: number,
): number {
  if (!(off >= 0 && len >= 0) || !Number.isInteger(off) || !Number.isInteger(len)) return 0;
  if (off + len > buf.length || len < ETH_HEADER_LEN + IPV4_HEADER_LEN) return 0;
  if (rd16(buf, off + ETH_OFF_TYPE) !== ETHERTYPE_IPV4) return 0;
  const ip = off + ETH_HEADER_LEN;
  const verIhl = buf[ip + IPV4_OFF_VER_IHL]!;
  const hlen = (verIhl & 0x0f) << 2;
  if (verIhl >>> 4 !== 4 || hlen < IPV4_HEADER_LEN) return 0;
  const total = rd16(buf, ip + IPV4_OFF_TOTAL_LEN);
  if (total < hlen + minL4 || ETH_HEADER_LEN + total > len) return 0;
  if (buf[ip + IPV4_OFF_PROTOCOL] !== protocol) return 0;
  if ((rd16(buf, ip + IPV4_OFF_FLAGS_FRAG) & (IPV4_FLAG_MF | IPV4_FRAG_OFFSET_MASK)) !== 0) return 0;
  return hlen;
}
