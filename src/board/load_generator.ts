import { buildArpReply, buildUdpFrame, UDP_FRAME_OVERHEAD, UdpFrameSpec } from '../net/frame_builder.js';
import { ParsedFrame, parseFrame, type UdpSummer } from '../net/frame_parser.js';
import { ARP_OP_REQUEST } from '../net/arp.js';
import { ETH_MAX_FRAME_LEN } from '../net/ethernet.js';
import { IPPROTO_UDP } from '../net/ipv4.js';
import { checkPattern, PROBE_LEN, Probe, readProbe } from '../net/payload.js';
import { assert } from './assert.js';
import type { Engine, EventSink } from './engine.js';
import type { Host, HostLink } from './host.js';
import { Prng } from './prng.js';
import { RTT_DEFAULT_CAP, RttStats, type RttSummary } from './rtt_stats.js';
import { wr16 } from '../net/bytes.js';
import { finishChecksum, internetChecksum, pseudoHeaderSum, sumWords } from '../net/checksum.js';
import { ETH_HEADER_LEN } from '../net/ethernet.js';
import { IPV4_HEADER_LEN, IPV4_OFF_CHECKSUM, IPV4_OFF_ID } from '../net/ipv4.js';
import { UDP_HEADER_LEN, UDP_OFF_CHECKSUM, UDP_OFF_DST_PORT, udpWireChecksum } from '../net/udp.js';
import { writeProbe } from '../net/payload.js';

export type StreamPattern = 'cbr' | 'poisson';

/** ipbench's default target port (the sDDF echo server listens on it). */
export const DEFAULT_TARGET_PORT = 1235;
/** Stream i sends from port DEFAULT_SRC_PORT_BASE + i unless told otherwise. */
export const DEFAULT_SRC_PORT_BASE = 40000;
export const DEFAULT_PAYLOAD = 1472;
export const DEFAULT_CBR_JITTER = 0.02;

export interface LoadStreamSpec {
  targetMac: number;
  targetIp: number;
  targetPort?: number;
  /** Must differ between the streams of one generator: echoes are told apart by it. */
  srcPort?: number;
  /** Payload bits per second, as ipbench counts (957 Mb/s of 1472-byte payloads fills 1 GbE). */
  rateBps: number;
  /** UDP payload bytes, at least PROBE_LEN (16) and at most 1472. */
  payload?: number;
  startNs?: number;
  stopNs?: number;
  pattern?: StreamPattern;
}

export interface LoadGeneratorOptions {
  name?: string;
  engine: Engine;
  link: HostLink;
  prng: Prng;
  mac: number;
  ip: number;
  streams: readonly LoadStreamSpec[];
  /** CBR interval jitter, uniform in +-jitter of the interval (default 0.02). */
  jitter?: number;
  /**
   * Added to every RTT sample: the time a real ipbench client's own kernel and NIC take to send
   * and to receive, which the wire model does not see (default 0: RTT as seen on the wire).
   */
  hostLatencyNs?: number;
  /** Echo payloads are checked against the generated pattern; a mismatch counts as corrupt. */
  verifyPayload?: boolean;
  rttSampleCap?: number;
}

/** Results of one stream (or all streams) over the measurement window. */
export interface StreamResult {
  /** Sent with a send time in the window; includes frames the switch port dropped. */
  sentFrames: number;
  sentPayloadBytes: number;
  /** Echoes arriving in the window (first copy only, payload intact). */
  receivedFrames: number;
  receivedPayloadBytes: number;
  /** Sent in the window with no intact echo by the time results() was called (corrupt ones count). */
  lost: number;
  duplicates: number;
  corrupt: number;
  /** Frames the switch port dropped at send (drop-tail), any time. */
  switchDrops: number;
  /** Payload bit rates over the window. */
  sentBps: number;
  receivedBps: number;
  /** RTT of the echoes arriving in the window, ns. */
  rtt: RttSummary;
}

export interface LoadGeneratorResults {
  windowStartNs: number;
  windowEndNs: number;
  streams: StreamResult[];
  total: StreamResult;
  /** Frames that did not parse (bad checksum, truncated...). */
  malformed: number;
  /** Well-formed frames that are not an echo of ours (other protocols, ports, unknown seqs). */
  foreign: number;
  arpRepliesSent: number;
}

const TWO_POW_32 = 0x1_0000_0000;
const NO_STREAM = -1;

/**
 * An ipbench-like traffic source on the wire: several UDP streams, each to its own target, sent
 * as real Ethernet/IPv4/UDP frames (checksums included) built by src/net into one buffer.
 *
 * Payloads start with src/net's probe: the 64-bit sequence field carries the stream index in its
 * high bits and the stream's sequence number in its low 32 bits (stream * 2^32 + seq); the probe's
 * time field is the send time. The rest of the payload is src/net's pattern for that sequence.
 *
 * Timing: CBR streams start at a random phase within one interval and each interval is stretched
 * by a uniform +-jitter, so streams interleave like separate ipbench machines; Poisson streams
 * draw exponential gaps. Each stream has one pending engine event (arg = stream index).
 *
 * Echoes are parsed, matched by destination port (the stream's source port), source IP and port,
 * then by the probe; RTT = arrival time - probe send time + hostLatencyNs. The generator answers
 * ARP requests for its own IP, as the ipbench client's kernel would.
 */
export class LoadGenerator implements UdpSummer, Host, EventSink {
  readonly name: string;
  readonly mac: number;
  readonly ip: number;
  readonly streamCount: number;
  malformed = 0;
  foreign = 0;
  arpRepliesSent = 0;

  private readonly engine: Engine;
  private readonly link: HostLink;
  private readonly sinkId: number;
  private readonly jitter: number;
  private readonly hostLatencyNs: number;
  private readonly verifyPayload: boolean;
  private readonly specs: UdpFrameSpec[] = [];
  private readonly payloads: Int32Array;
  private readonly intervals: Float64Array;
  private readonly poisson: Uint8Array;
  private readonly stopNs: Float64Array;
  private readonly targetIps: Float64Array;
  private readonly targetPorts: Int32Array;
  private readonly prngs: Prng[] = [];
  /** Stream index by UDP port (the echo's destination port). */
  private readonly portToStream = new Int32Array(65536).fill(NO_STREAM);

  private readonly nextSeq: Float64Array;
  private readonly sentFrames: Float64Array;
  private readonly sentBytes: Float64Array;
  private readonly recvFrames: Float64Array;
  private readonly recvBytes: Float64Array;
  private readonly duplicates: Float64Array;
  private readonly corrupt: Float64Array;
  private readonly switchDrops: Float64Array;
  /** Sequence range [winFirst, winEnd) sent inside the window; winFirst -1 until the first. */
  private readonly winFirst: Float64Array;
  private readonly winEnd: Float64Array;
  /** Per stream, one byte per sequence number: 1 once its echo came back. */
  private readonly echoed: Uint8Array[] = [];
  private readonly rtt: RttStats[] = [];
  private readonly rttTotal: RttStats;
  private readonly mergePrng = new Prng(0x5eed);

  private windowStart = 0;
  private windowEnd = Number.POSITIVE_INFINITY;
  private readonly txBuf = new Uint8Array(2048);
  /** Per stream: a prebuilt frame and the checksum sum of everything but the probe. */
  private readonly templates: Uint8Array[] = [];
  private readonly templateSums: number[] = [];
  /**
   * Per stream, for checking echoes: the template's payload after the probe (which every frame of
   * the stream carries unchanged) as a Node Buffer over the same bytes, where it starts, and its
   * word sum.
   */
  private readonly templateNodes: Buffer[] = [];
  private readonly restOffsets: number[] = [];
  private readonly restSums: number[] = [];
  /** The buffer the last frame arrived in, and a Node Buffer over the same bytes. */
  private rxBuf: Uint8Array | null = null;
  private rxNode: Buffer | null = null;
  private readonly parsed = new ParsedFrame();
  private readonly probe = new Probe();

  constructor(opts: LoadGeneratorOptions) {
    const n = opts.streams.length;
    this.name = opts.name ?? 'loadgen';
    this.engine = opts.engine;
    this.link = opts.link;
    this.mac = opts.mac;
    this.ip = opts.ip;
    this.streamCount = n;
    this.jitter = opts.jitter ?? DEFAULT_CBR_JITTER;
    this.hostLatencyNs = opts.hostLatencyNs ?? 0;
    this.verifyPayload = opts.verifyPayload ?? true;
    assert(this.jitter >= 0 && this.jitter < 1, `${this.name}: jitter ${this.jitter} outside [0, 1)`);
    assert(this.hostLatencyNs >= 0, `${this.name}: host latency is negative`);
    this.payloads = new Int32Array(n);
    this.intervals = new Float64Array(n);
    this.poisson = new Uint8Array(n);
    this.stopNs = new Float64Array(n);
    this.targetIps = new Float64Array(n);
    this.targetPorts = new Int32Array(n);
    this.nextSeq = new Float64Array(n);
    this.sentFrames = new Float64Array(n);
    this.sentBytes = new Float64Array(n);
    this.recvFrames = new Float64Array(n);
    this.recvBytes = new Float64Array(n);
    this.duplicates = new Float64Array(n);
    this.corrupt = new Float64Array(n);
    this.switchDrops = new Float64Array(n);
    this.winFirst = new Float64Array(n).fill(-1);
    this.winEnd = new Float64Array(n);
    const cap = opts.rttSampleCap ?? RTT_DEFAULT_CAP;
    this.rttTotal = new RttStats(opts.prng.fork(0x7fff_0000), cap);
    this.sinkId = opts.engine.addSink(this);

    for (let i = 0; i < n; i++) {
      const s = opts.streams[i]!;
      const payload = s.payload ?? DEFAULT_PAYLOAD;
      const srcPort = s.srcPort ?? DEFAULT_SRC_PORT_BASE + i;
      assert(
        Number.isInteger(payload) &&
          payload >= PROBE_LEN &&
          payload <= ETH_MAX_FRAME_LEN - UDP_FRAME_OVERHEAD,
        `${this.name}: stream ${i} payload ${payload} outside [${PROBE_LEN}, 1472]`,
      );
      assert(s.rateBps > 0 && Number.isFinite(s.rateBps), `${this.name}: stream ${i} rate must be positive`);
      assert((srcPort & 0xffff) === srcPort, `${this.name}: stream ${i} source port ${srcPort} not a u16`);
      assert(this.portToStream[srcPort] === NO_STREAM, `${this.name}: two streams send from port ${srcPort}`);
      this.portToStream[srcPort] = i;
      const spec = new UdpFrameSpec();
      spec.srcMac = opts.mac;
      spec.dstMac = s.targetMac;
      spec.srcIp = opts.ip;
      spec.dstIp = s.targetIp;
      spec.srcPort = srcPort;
      spec.dstPort = s.targetPort ?? DEFAULT_TARGET_PORT;
      this.specs.push(spec);
      this.payloads[i] = payload;
      // Template: the frame for sequence 0 with a zeroed probe; its sum excludes the probe.
      const tpl = new Uint8Array(2048);
      const tlen = buildUdpFrame(tpl, 0, spec, null, 0, payload);
      const pay = tlen - payload;
      tpl.fill(0, pay, pay + PROBE_LEN);
      wr16(tpl, pay - UDP_HEADER_LEN + UDP_OFF_CHECKSUM, 0);
      const udpLen = UDP_HEADER_LEN + payload;
      this.templates.push(tpl);
      this.templateNodes.push(Buffer.from(tpl.buffer, tpl.byteOffset, tpl.byteLength));
      this.restOffsets.push(pay + PROBE_LEN);
      this.restSums.push(sumWords(tpl, pay + PROBE_LEN, payload - PROBE_LEN, 0));
      this.templateSums.push(
        sumWords(
          tpl,
          pay - UDP_HEADER_LEN,
          udpLen,
          pseudoHeaderSum(opts.ip, s.targetIp, IPPROTO_UDP, udpLen),
        ),
      );
      this.intervals[i] = (payload * 8 * 1e9) / s.rateBps;
      this.poisson[i] = s.pattern === 'poisson' ? 1 : 0;
      this.stopNs[i] = s.stopNs ?? Number.POSITIVE_INFINITY;
      this.targetIps[i] = s.targetIp;
      this.targetPorts[i] = spec.dstPort;
      this.echoed.push(new Uint8Array(1024));
      this.rtt.push(new RttStats(opts.prng.fork(0x7fff_0001 + i), cap));
      const prng = opts.prng.fork(i);
      this.prngs.push(prng);
      const interval = this.intervals[i]!;
      const phase = this.poisson[i] === 1 ? prng.exponential(interval) : prng.nextFloat() * interval;
      // Send times are whole nanoseconds: the probe carries them as integers.
      const first = Math.ceil(Math.max(s.startNs ?? 0, opts.engine.now) + phase);
      if (first < this.stopNs[i]!) opts.engine.at(first, this.sinkId, i);
    }
  }

  /** Counts sends by send time and echoes by arrival time within [startNs, endNs). */
  setWindow(startNs: number, endNs: number): void {
    assert(endNs > startNs, `${this.name}: measurement window ends before it starts`);
    this.windowStart = startNs;
    this.windowEnd = endNs;
    // Room for the RTT samples the window will bring (every echo of a frame sent at the stream's
    // rate, a little more for Poisson streams): see RttStats.reserve.
    let total = 0;
    for (let s = 0; s < this.specs.length; s++) {
      const span = Math.min(endNs, this.stopNs[s]!) - startNs;
      if (!Number.isFinite(span) || span <= 0) continue;
      const expected = (span / this.intervals[s]!) * 1.05 + 64;
      this.rtt[s]!.reserve(expected);
      total += expected;
    }
    this.rttTotal.reserve(total);
  }

  // ------------------------------------------------------------------ sending

  onEvent(s: number, time: number): void {
    const spec = this.specs[s]!;
    const seq = this.nextSeq[s]!;
    this.nextSeq[s] = seq + 1;
    spec.seq = s * TWO_POW_32 + seq;
    spec.timeNs = time;
    spec.ipId = seq & 0xffff;
    const payload = this.payloads[s]!;
    let buf: Uint8Array = this.txBuf;
    let len: number;
    if (this.verifyPayload) {
      len = buildUdpFrame(buf, 0, spec, null, 0, payload);
    } else {
      // The payload after the probe does not vary: patch a per-stream template instead of
      // regenerating and re-summing 1.5 KB per frame.
      buf = this.templates[s]!;
      len = this._patchTemplate(buf, s, spec.seq, time, spec.ipId);
    }
    if (!this.link.sendToNic(buf, 0, len)) this.switchDrops[s]!++;
    if (time >= this.windowStart && time < this.windowEnd) {
      this.sentFrames[s]!++;
      this.sentBytes[s]! += payload;
      if (this.winFirst[s]! < 0) this.winFirst[s] = seq;
      this.winEnd[s] = seq + 1;
    }
    const prng = this.prngs[s]!;
    const interval = this.intervals[s]!;
    const gap =
      this.poisson[s] === 1
        ? prng.exponential(interval)
        : interval * (1 + this.jitter * (2 * prng.nextFloat() - 1));
    const next = Math.round(time + gap);
    if (next < this.stopNs[s]!) this.engine.at(next, this.sinkId, s);
  }

  /** Writes probe, IP id and both checksums into stream s's template; returns the frame length. */
  private _patchTemplate(buf: Uint8Array, s: number, seq: number, timeNs: number, ipId: number): number {
    const ip = ETH_HEADER_LEN;
    const udp = ip + IPV4_HEADER_LEN;
    const pay = udp + UDP_HEADER_LEN;
    writeProbe(buf, pay, seq, Math.round(timeNs));
    wr16(buf, ip + IPV4_OFF_ID, ipId);
    wr16(buf, ip + IPV4_OFF_CHECKSUM, 0);
    wr16(buf, ip + IPV4_OFF_CHECKSUM, internetChecksum(buf, ip, IPV4_HEADER_LEN));
    const sum = sumWords(buf, pay, PROBE_LEN, this.templateSums[s]!);
    wr16(buf, udp + UDP_OFF_CHECKSUM, udpWireChecksum(finishChecksum(sum)));
    return pay + this.payloads[s]!;
  }

  // ------------------------------------------------------------------ receiving

  receive(buf: Uint8Array, off: number, len: number, timeNs: number): void {
    const p = this.parsed;
    if (!parseFrame(buf, off, len, p, this)) {
      this.malformed++;
      return;
    }
    if (p.arpOp !== 0) {
      this._answerArp(p);
      return;
    }
    if (p.ipProtocol !== IPPROTO_UDP || p.ipDst !== this.ip || p.dstMac !== this.mac) {
      this.foreign++;
      return;
    }
    const s = this.portToStream[p.udpDstPort]!;
    if (s === NO_STREAM || p.ipSrc !== this.targetIps[s] || p.udpSrcPort !== this.targetPorts[s]) {
      this.foreign++;
      return;
    }
    const probe = this.probe;
    if (!readProbe(buf, p.payloadOffset, p.payloadLen, probe)) {
      this.foreign++;
      return;
    }
    const seq = probe.seq % TWO_POW_32;
    if (
      (probe.seq - seq) / TWO_POW_32 !== s ||
      seq >= this.nextSeq[s]! ||
      p.payloadLen !== this.payloads[s]
    ) {
      this.foreign++;
      return;
    }
    if (this.verifyPayload && checkPattern(buf, p.payloadOffset, PROBE_LEN, p.payloadLen, probe.seq) !== -1) {
      this.corrupt[s]!++;
      return;
    }
    let flags = this.echoed[s]!;
    if (seq >= flags.length) flags = this._growEchoed(s, seq);
    if (flags[seq] === 1) {
      this.duplicates[s]!++;
      return;
    }
    flags[seq] = 1;
    if (timeNs >= this.windowStart && timeNs < this.windowEnd) {
      this.recvFrames[s]!++;
      this.recvBytes[s]! += p.payloadLen;
      const rtt = timeNs - probe.timeNs + this.hostLatencyNs;
      this.rtt[s]!.add(rtt);
      this.rttTotal.add(rtt);
    }
  }

  /**
   * UdpSummer, for parseFrame's check of an arriving frame's UDP checksum. An echo of one of our
   * frames differs from its stream's template only in the swapped ports (which the sum does not
   * see), the checksum field and the probe: when the rest of its payload is byte for byte the
   * template's (one memcmp), its sum is the header's and the probe's words plus the template's
   * precomputed sum of that rest. Anything else is summed word by word. Either way the total is
   * the same modulo 0xffff, so the verdict is the one a full sum gives, for any bytes.
   */
  udpSum(buf: Uint8Array, o: number, ulen: number, pseudo: number): number {
    const head = UDP_HEADER_LEN + PROBE_LEN;
    const s = this.portToStream[(buf[o + UDP_OFF_DST_PORT]! << 8) | buf[o + UDP_OFF_DST_PORT + 1]!]!;
    if (s !== NO_STREAM && ulen > head && ulen === UDP_HEADER_LEN + this.payloads[s]!) {
      const at = this.restOffsets[s]!;
      const n = ulen - head;
      let node = this.rxNode;
      if (buf !== this.rxBuf || node === null) {
        node = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
        this.rxBuf = buf;
        this.rxNode = node;
      }
      // The parser keeps [o, o+ulen) inside buf, and the template holds at + n bytes.
      if (node.compare(this.templateNodes[s]!, at, at + n, o + head, o + ulen) === 0) {
        return sumWords(buf, o, head, pseudo) + this.restSums[s]!;
      }
    }
    return sumWords(buf, o, ulen, pseudo);
  }

  private _answerArp(p: ParsedFrame): void {
    if (p.arpOp !== ARP_OP_REQUEST || p.arpTargetIp !== this.ip) {
      this.foreign++;
      return;
    }
    const len = buildArpReply(this.txBuf, 0, this.mac, this.ip, p.arpSenderMac, p.arpSenderIp);
    this.link.sendToNic(this.txBuf, 0, len);
    this.arpRepliesSent++;
  }

  private _growEchoed(s: number, seq: number): Uint8Array {
    const old = this.echoed[s]!;
    let size = old.length * 2;
    while (size <= seq) size *= 2;
    const next = new Uint8Array(size);
    next.set(old);
    this.echoed[s] = next;
    return next;
  }

  // ------------------------------------------------------------------ results

  /** RTT statistics of one stream, or of all streams when `stream` is omitted. */
  rttStats(stream?: number): RttStats {
    return stream === undefined ? this.rttTotal : this.rtt[stream]!;
  }

  /** RTT statistics merged over several streams (for instance every stream aimed at one client). */
  rttStatsOf(streams: readonly number[]): RttStats {
    const merged = new RttStats(this.mergePrng);
    let n = 0;
    for (const s of streams) n += this.rtt[s]!.keptCount;
    merged.reserve(n);
    for (const s of streams) {
      const kept = this.rtt[s]!.keptSamples();
      for (let i = 0; i < kept.length; i++) merged.add(kept[i]!);
    }
    return merged;
  }

  /** Results over the window (whose end is now if it was left open). Allocates; call at the end. */
  results(): LoadGeneratorResults {
    const end = Number.isFinite(this.windowEnd) ? this.windowEnd : this.engine.now;
    const windowNs = end - this.windowStart;
    const streams: StreamResult[] = [];
    const total = _emptyResult();
    for (let s = 0; s < this.streamCount; s++) {
      const r = _emptyResult();
      r.sentFrames = this.sentFrames[s]!;
      r.sentPayloadBytes = this.sentBytes[s]!;
      r.receivedFrames = this.recvFrames[s]!;
      r.receivedPayloadBytes = this.recvBytes[s]!;
      r.duplicates = this.duplicates[s]!;
      r.corrupt = this.corrupt[s]!;
      r.switchDrops = this.switchDrops[s]!;
      r.lost = this._lost(s);
      _fillRates(r, windowNs);
      this.rtt[s]!.summary(r.rtt);
      streams.push(r);
      total.sentFrames += r.sentFrames;
      total.sentPayloadBytes += r.sentPayloadBytes;
      total.receivedFrames += r.receivedFrames;
      total.receivedPayloadBytes += r.receivedPayloadBytes;
      total.duplicates += r.duplicates;
      total.corrupt += r.corrupt;
      total.switchDrops += r.switchDrops;
      total.lost += r.lost;
    }
    _fillRates(total, windowNs);
    this.rttTotal.summary(total.rtt);
    return {
      windowStartNs: this.windowStart,
      windowEndNs: end,
      streams,
      total,
      malformed: this.malformed,
      foreign: this.foreign,
      arpRepliesSent: this.arpRepliesSent,
    };
  }

  snapshot(): object {
    return { name: this.name, now: this.engine.now, ...this.results() };
  }

  private _lost(s: number): number {
    const first = this.winFirst[s]!;
    if (first < 0) return 0;
    const flags = this.echoed[s]!;
    let lost = 0;
    for (let q = first; q < this.winEnd[s]!; q++) if (q >= flags.length || flags[q] !== 1) lost++;
    return lost;
  }
}

function _emptyResult(): StreamResult {
  return {
    sentFrames: 0,
    sentPayloadBytes: 0,
    receivedFrames: 0,
    receivedPayloadBytes: 0,
    lost: 0,
    duplicates: 0,
    corrupt: 0,
    switchDrops: 0,
    sentBps: 0,
    receivedBps: 0,
    rtt: { count: 0, min: 0, mean: 0, median: 0, p99: 0, max: 0, stdev: 0 },
  };
}

function _fillRates(r: StreamResult, windowNs: number): void {
  r.sentBps = windowNs > 0 ? (r.sentPayloadBytes * 8e9) / windowNs : 0;
  r.receivedBps = windowNs > 0 ? (r.receivedPayloadBytes * 8e9) / windowNs : 0;
}
