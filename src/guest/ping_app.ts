import { rd16 } from '../net/bytes.js';
import { ETH_HEADER_LEN } from '../net/ethernet.js';
import { buildIcmpEcho, IcmpEchoSpec } from '../net/frame_builder.js';
import {
  ICMP_HEADER_LEN,
  ICMP_OFF_ID,
  ICMP_OFF_TYPE,
  ICMP_TYPE_ECHO_REPLY,
  ICMP_TYPE_ECHO_REQUEST,
} from '../net/icmp.js';
import { IPPROTO_ICMP, IPV4_OFF_TOTAL_LEN } from '../net/ipv4.js';
import { ipv4HeaderLenIfValid } from '../net/ipv4_locate.js';
import { PROBE_LEN, Probe, readProbe } from '../net/payload.js';
import type { NetTx } from './net_tx.js';

export interface PingSpec {
  dstMac: number;
  dstIp: number;
  intervalNs: number;
  /** ICMP data bytes (at least the 16-byte probe; ping's default is 56). */
  payload: number;
  /** Echo identifier. */
  id: number;
  /** Requests to send; 0 for no limit. */
  count: number;
}

export const DEFAULT_PING_PAYLOAD = 56;

/**
 * `ping` inside the guest: an ICMP echo request per interval (timer driven), the probe in its
 * data holding the sequence number and send time, and a round-trip time for every matching reply.
 */
export class PingApp {
  readonly spec: PingSpec;
  sent = 0;
  replies = 0;
  rttMinNs = Number.POSITIVE_INFINITY;
  rttMaxNs = 0;
  rttSumNs = 0;
  lastRttNs = 0;
  /**
   * The measurement window, by send time: requests sent in [windowStartNs, windowEndNs) are
   * counted, and their replies' round trips kept, whenever the replies come (as ping counts them).
   */
  windowStartNs = 0;
  windowEndNs = Number.POSITIVE_INFINITY;
  sentInWindow = 0;
  /** Round trips of the window's replies, in arrival order; the first `repliesInWindow` are valid. */
  private windowRttNs: Float64Array<ArrayBuffer> = new Float64Array(64);
  repliesInWindow = 0;
  private readonly tx: NetTx;
  private readonly frame = new Uint8Array(2048);
  private readonly icmp = new IcmpEchoSpec();
  private readonly probe = new Probe();

  constructor(spec: PingSpec, tx: NetTx) {
    this.spec = { ...spec, payload: Math.max(PROBE_LEN, spec.payload) };
    this.tx = tx;
  }

  get rttMeanNs(): number {
    return this.replies === 0 ? 0 : this.rttSumNs / this.replies;
  }

  tick(nowNs: number, srcMac: number, srcIp: number): void {
    const s = this.spec;
    if (s.count !== 0 && this.sent >= s.count) return;
    const f = this.icmp;
    f.srcMac = srcMac;
    f.srcIp = srcIp;
    f.dstMac = s.dstMac;
    f.dstIp = s.dstIp;
    f.type = ICMP_TYPE_ECHO_REQUEST;
    f.id = s.id & 0xffff;
    f.seq = this.sent & 0xffff;
    f.ipId = this.sent & 0xffff;
    f.timeNs = Math.round(nowNs);
    const len = buildIcmpEcho(this.frame, 0, f, null, 0, s.payload);
    if (this.tx.transmit(this.frame, 0, len, false)) {
      this.sent++;
      if (this.inWindow(f.timeNs)) this.sentInWindow++;
    }
  }

  /** The round trips of the window's replies so far (a view, valid until the next reply). */
  windowRtts(): Float64Array {
    return this.windowRttNs.subarray(0, this.repliesInWindow);
  }

  private inWindow(sentNs: number): boolean {
    return sentNs >= this.windowStartNs && sentNs < this.windowEndNs;
  }

  /** Takes an echo reply carrying our identifier; false for every other frame. Never throws. */
  onFrame(buf: Uint8Array, off: number, len: number, nowNs: number): boolean {
    const hl = ipv4HeaderLenIfValid(buf, off, len, IPPROTO_ICMP, ICMP_HEADER_LEN);
    if (hl === 0) return false;
    const ip = off + ETH_HEADER_LEN;
    const icmp = ip + hl;
    if (
      buf[icmp + ICMP_OFF_TYPE] !== ICMP_TYPE_ECHO_REPLY ||
      rd16(buf, icmp + ICMP_OFF_ID) !== (this.spec.id & 0xffff)
    ) {
      return false;
    }
    const dataLen = rd16(buf, ip + IPV4_OFF_TOTAL_LEN) - hl - ICMP_HEADER_LEN;
    if (!readProbe(buf, icmp + ICMP_HEADER_LEN, dataLen, this.probe)) return true;
    const rtt = nowNs - this.probe.timeNs;
    if (this.inWindow(this.probe.timeNs)) {
      if (this.repliesInWindow === this.windowRttNs.length) this.windowRttNs = grown(this.windowRttNs);
      this.windowRttNs[this.repliesInWindow++] = rtt;
    }
    this.replies++;
    this.lastRttNs = rtt;
    this.rttSumNs += rtt;
    if (rtt < this.rttMinNs) this.rttMinNs = rtt;
    if (rtt > this.rttMaxNs) this.rttMaxNs = rtt;
    return true;
  }
}

function grown(a: Float64Array): Float64Array<ArrayBuffer> {
  const b = new Float64Array(a.length * 2);
  b.set(a);
  return b;
}
