/**
 * An independent, deliberately plain Internet checksum for tests: copies the data into an
 * even-length array, reads big-endian words with a DataView and folds the carry after every add.
 */
export function refChecksum(bytes: ArrayLike<number>): number {
  const padded = new Uint8Array(bytes.length + (bytes.length % 2));
  for (let i = 0; i < bytes.length; i++) padded[i] = bytes[i]!;
  const view = new DataView(padded.buffer);
  let sum = 0;
  for (let i = 0; i < padded.length; i += 2) {
    sum += view.getUint16(i, false);
    if (sum > 0xffff) sum = (sum & 0xffff) + 1;
  }
  return ~sum & 0xffff;
}

/** Checksum of the UDP/IPv4 pseudo-header followed by the UDP datagram. */
export function refUdpChecksum(srcIp: number, dstIp: number, udp: ArrayLike<number>): number {
  const pseudo = [
    srcIp >>> 24,
    (srcIp >>> 16) & 0xff,
    (srcIp >>> 8) & 0xff,
    srcIp & 0xff,
    dstIp >>> 24,
    (dstIp >>> 16) & 0xff,
    (dstIp >>> 8) & 0xff,
    dstIp & 0xff,
    0,
    17,
    udp.length >>> 8,
    udp.length & 0xff,
  ];
  return refChecksum([...pseudo, ...Array.from(udp)]);
}
