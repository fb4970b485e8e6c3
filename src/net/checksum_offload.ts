/**
 * What a NIC with transmit checksum offload does (the i.MX ENET with IP and protocol checksum
 * insertion, which sDDF enables): fill in the IPv4 header checksum and the UDP or ICMP checksum
 * of an outgoing frame, whatever the fields held before (the VMM zeroes them for offload).
 */
import { rd16, wr16 } from './bytes.js';
import { finishChecksum, internetChecksum, sumWords } from './checksum.js';
import { ETH_HEADER_LEN } from './ethernet.js';
import { ICMP_HEADER_LEN, ICMP_OFF_CHECKSUM } from './icmp.js';
import {
  IPPROTO_ICMP,
  IPPROTO_UDP,
  IPV4_OFF_CHECKSUM,
  IPV4_OFF_DST,
  IPV4_OFF_SRC,
  IPV4_OFF_TOTAL_LEN,
} from './ipv4.js';
import { readIpv4 } from './ipv4_addr.js';
import { ipv4HeaderLenIfValid } from './ipv4_locate.js';
import { fillUdpChecksum, UDP_HEADER_LEN, UDP_OFF_CHECKSUM, UDP_OFF_LENGTH } from './udp.js';

/**
 * Recomputes the checksums of the UDP or ICMP over IPv4 frame buf[off, off+len) in place.
 * Returns true when it did; false (frame untouched) for anything else, including malformed
 * frames. Never throws.
 */
export function insertChecksums(buf: Uint8Array, off: number, len: number): boolean {
  let hlen = ipv4HeaderLenIfValid(buf, off, len, IPPROTO_UDP, UDP_HEADER_LEN);
  const isUdp = hlen !== 0;
  if (!isUdp) hlen = ipv4HeaderLenIfValid(buf, off, len, IPPROTO_ICMP, ICMP_HEADER_LEN);
  if (hlen === 0) return false;
  const ip = off + ETH_HEADER_LEN;
  const l4 = ip + hlen;
  const l4Len = rd16(buf, ip + IPV4_OFF_TOTAL_LEN) - hlen;
  if (isUdp) {
    const ulen = rd16(buf, l4 + UDP_OFF_LENGTH);
    if (ulen < UDP_HEADER_LEN || ulen > l4Len) return false;
    wr16(buf, l4 + UDP_OFF_CHECKSUM, 0);
    fillUdpChecksum(buf, l4, ulen, readIpv4(buf, ip + IPV4_OFF_SRC), readIpv4(buf, ip + IPV4_OFF_DST), -1);
  } else {
    wr16(buf, l4 + ICMP_OFF_CHECKSUM, 0);
    wr16(buf, l4 + ICMP_OFF_CHECKSUM, finishChecksum(sumWords(buf, l4, l4Len, 0)));
  }
  wr16(buf, ip + IPV4_OFF_CHECKSUM, 0);
  wr16(buf, ip + IPV4_OFF_CHECKSUM, internetChecksum(buf, ip, hlen));
  return true;
}
