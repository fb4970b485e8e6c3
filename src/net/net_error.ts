/**
 * Why a frame did not parse. The parser reports the first problem it meets, layer by layer;
 * "unsupported" codes mean well-formed but outside what this stack understands.
 */
export const NetError = {
  NONE: 0,
  /** Fewer than 14 bytes, or an offset/length outside the buffer. */
  TRUNCATED_ETHERNET: 1,
  UNSUPPORTED_ETHERTYPE: 2,
  /** Fewer than 28 bytes after the Ethernet header. */
  TRUNCATED_ARP: 3,
  /** Hardware/protocol type or address lengths are not Ethernet/IPv4. */
  BAD_ARP_FORMAT: 4,
  /** Operation is neither request nor reply. */
  BAD_ARP_OP: 5,
  /** Fewer than 20 bytes, or fewer than the header length the IHL claims. */
  TRUNCATED_IPV4: 6,
  BAD_IP_VERSION: 7,
  /** IHL below 5 words. */
  BAD_IHL: 8,
  /** Total length below the header length or beyond the bytes received. */
  BAD_IP_TOTAL_LENGTH: 9,
  BAD_IP_CHECKSUM: 10,
  /** MF set or a non-zero fragment offset: the transport header is not (all) here. */
  IP_FRAGMENT: 11,
  UNSUPPORTED_IP_PROTOCOL: 12,
  /** IP payload shorter than the 8-byte UDP header. */
  TRUNCATED_UDP: 13,
  /** UDP length below 8 or beyond the IP payload. */
  BAD_UDP_LENGTH: 14,
  BAD_UDP_CHECKSUM: 15,
  /** IP payload shorter than the 8-byte ICMP header. */
  TRUNCATED_ICMP: 16,
  BAD_ICMP_CHECKSUM: 17,
} as const;

export type NetErrorCode = (typeof NetError)[keyof typeof NetError];

const NAMES: readonly string[] = Object.keys(NetError).map((k) => k.toLowerCase());

/** Lowercase name of an error code ("bad_ip_checksum"), for counters and reports. */
export function netErrorName(code: number): string {
  return NAMES[code] ?? `unknown_${code}`;
}
