// What a snooping client (the snoop-rx-pool misbehaviour) makes of a DMA buffer it reads by
// address: an RX buffer carries no length of its own (that is in the descriptor the snooper was
// never handed), so, like a malicious C client, it works the length out from the headers.
import { rd16 } from '../net/bytes.js';
import {
  ETH_HEADER_LEN,
  ETH_MAX_FRAME_LEN,
  ETH_MIN_FRAME_LEN,
  ETH_OFF_TYPE,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
} from '../net/ethernet.js';

/** Bytes read first from each buffer: the Ethernet header and an IPv4 total length. */
export const SNOOP_PEEK_BYTES = ETH_HEADER_LEN + 4;

/**
 * The length of the frame a buffer seems to hold, from its first SNOOP_PEEK_BYTES bytes; 0 when
 * it holds nothing that looks like IPv4 or ARP (a buffer the NIC has never written, say).
 */
export function snoopedFrameLength(buf: Uint8Array): number {
  const type = rd16(buf, ETH_OFF_TYPE);
  if (type === ETHERTYPE_ARP) return ETH_MIN_FRAME_LEN;
  if (type !== ETHERTYPE_IPV4) return 0;
  const total = rd16(buf, ETH_HEADER_LEN + 2);
  if (total < 20) return 0;
  return Math.max(ETH_MIN_FRAME_LEN, Math.min(ETH_MAX_FRAME_LEN, ETH_HEADER_LEN + total));
}
