import type { Host } from './host.js';

/**
 * A host on the wire that takes whatever is sent to it and counts it, by the sender's
 * MAC, inside the measurement window: the far end of clients' UDP sources.
 */
export class SinkHost implements Host {
  readonly mac: number;
  readonly ip: number;
  private windowStart = 0;
  private windowEnd = Number.POSITIVE_INFINITY;
  readonly framesBySource = new Map<number, number>();
  readonly bytesBySource = new Map<number, number>();

  constructor(mac: number, ip: number) {
    this.mac = mac;
    this.ip = ip;
  }

  setWindow(start: number, end: number): void {
    this.windowStart = start;
    this.windowEnd = end;
  }

  receive(buf: Uint8Array, off: number, len: number, timeNs: number): void {
    if (timeNs < this.windowStart || timeNs >= this.windowEnd || len < 14) return;
    const src =
      buf[off + 6]! * 2 ** 40 +
      buf[off + 7]! * 2 ** 32 +
      ((buf[off + 8]! << 24) >>> 0) +
      (buf[off + 9]! << 16) +
      (buf[off + 10]! << 8) +
      buf[off + 11]!;
    this.framesBySource.set(src, (this.framesBySource.get(src) ?? 0) + 1);
    this.bytesBySource.set(src, (this.bytesBySource.get(src) ?? 0) + len);
  }
}
