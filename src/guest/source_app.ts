import { buildUdpFrame, UdpFrameSpec } from '../net/frame_builder.js';
import type { NetTx } from './net_tx.js';

export interface GuestSourceSpec {
  /** Offered load in bit/s of UDP payload, counted as the native source counts it. */
  rateBps: number;
  /** UDP payload bytes per datagram. */
  payload: number;
  dstMac: number;
  dstIp: number;
  dstPort: number;
  /** Period of the virtual timer that paces the source. */
  tickNs: number;
}

/** Frames sent per kick at most: keeps a tick's burst well inside the TX ring. */
const KICK_BATCH = 64;
const SRC_PORT = 40000;

/**
 * A UDP source inside the guest, paced by the virtual timer: each tick sends what the rate has
 * earned since the last one (credit capped at four ticks, so a source held back by a full ring
 * does not burst afterwards), kicking once per batch. Payloads carry the probe (sequence number,
 * send time) the load generator's receivers read.
 */
export class SourceApp {
  readonly spec: GuestSourceSpec;
  sent = 0;
  sentBytes = 0;
  dropped = 0;
  private readonly tx: NetTx;
  private readonly frame = new Uint8Array(2048);
  private readonly udp = new UdpFrameSpec();
  private credit = 0;
  private last = -1;
  private seq = 0;

  constructor(spec: GuestSourceSpec, tx: NetTx) {
    this.spec = spec;
    this.tx = tx;
  }

  /** Called on every timer tick with the guest's addresses (known only after probe). */
  tick(nowNs: number, srcMac: number, srcIp: number): void {
    const s = this.spec;
    if (this.last < 0) this.last = nowNs;
    this.credit += ((nowNs - this.last) * s.rateBps) / 1e9;
    this.last = nowNs;
    const bits = s.payload * 8;
    const cap = Math.max(bits, (s.rateBps * s.tickNs * 4) / 1e9);
    if (this.credit > cap) this.credit = cap;
    const f = this.udp;
    f.srcMac = srcMac;
    f.srcIp = srcIp;
    f.dstMac = s.dstMac;
    f.dstIp = s.dstIp;
    f.srcPort = SRC_PORT;
    f.dstPort = s.dstPort;
    let n = 0;
    while (this.credit >= bits && bits > 0) {
      f.seq = this.seq;
      f.ipId = this.seq & 0xffff;
      f.timeNs = Math.round(nowNs);
      const len = buildUdpFrame(this.frame, 0, f, null, 0, s.payload);
      n++;
      if (!this.tx.transmit(this.frame, 0, len, n % KICK_BATCH !== 0)) {
        this.dropped++;
        this.credit = 0;
        break;
      }
      this.seq++;
      this.sent++;
      this.sentBytes += len;
      this.credit -= bits;
    }
    this.tx.flush();
  }
}
