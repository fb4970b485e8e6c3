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
  /** Send time of every request, by request number (the reports count requests sent in a window). */
  private sendTimes: Float64Array<ArrayBuffer> = new Float64Array(64);
  /** Per reply, in arrival order: its request's send time and its round trip. */
  private replySentNs: Float64Array<ArrayBuffer> = new Float64Array(64);
  private replyRttNs: Float64Array<ArrayBuffer> = new Float64Array(64);
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
      if (this.sent === this.sendTimes.length) this.sendTimes = grown(this.sendTimes);
      this.sendTimes[this.sent++] = f.timeNs;
    }
  }

  /** Send times of the requests sent so far (a view, valid until the next tick). */
  requestTimes(): Float64Array {
    return this.sendTimes.subarray(0, this.sent);
  }

  /** Per reply so far, its request's send time and its round trip (views, valid until the next reply). */
  replyTimes(): { sentNs: Float64Array; rttNs: Float64Array } {
    return {
      sentNs: this.replySentNs.subarray(0, this.replies),
      rttNs: this.replyRttNs.subarray(0, this.replies),
    };
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
    if (this.replies === this.replyRttNs.length) {
      this.replySentNs = grown(this.replySentNs);
      this.replyRttNs = grown(this.replyRttNs);
    }
    this.replySentNs[this.replies] = this.probe.timeNs;
    this.replyRttNs[this.replies] = rtt;
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
