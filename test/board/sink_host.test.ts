import { describe, expect, it } from 'vitest';
import type { HostLink } from '../../src/board/host.js';
import { SinkHost } from '../../src/board/sink_host.js';
import { buildIcmpEcho, buildUdpFrame, IcmpEchoSpec, UdpFrameSpec } from '../../src/net/frame_builder.js';
import { ParsedFrame, parseFrame } from '../../src/net/frame_parser.js';

const SINK_MAC = 0x02_00_00_00_f0_02;
const SINK_IP = 0x0a_00_01_02;
const GUEST_MAC = 0x02_00_00_00_00_10;
const GUEST_IP = 0x0a_00_00_0a;

class RecordingLink implements HostLink {
  readonly sent: Uint8Array[] = [];
  accept = true;
  sendToNic(buf: Uint8Array, off: number, len: number): boolean {
    if (this.accept) this.sent.push(buf.slice(off, off + len));
    return this.accept;
  }
}

function echoRequest(dstIp: number, payload: number, type = 8): Uint8Array {
  const f = new IcmpEchoSpec();
  Object.assign(f, {
    srcMac: GUEST_MAC,
    dstMac: SINK_MAC,
    srcIp: GUEST_IP,
    dstIp,
    id: 0x5000,
    seq: 3,
    timeNs: 12345,
    type,
  });
  const buf = new Uint8Array(2048);
  return buf.slice(0, buildIcmpEcho(buf, 0, f, null, 0, payload));
}

describe('SinkHost', () => {
  it('answers an ICMP echo request to its IP with a valid reply, at once', () => {
    const sink = new SinkHost(SINK_MAC, SINK_IP);
    const link = new RecordingLink();
    sink.link = link;
    const req = echoRequest(SINK_IP, 56);
    sink.receive(req, 0, req.length, 1000);
    expect(link.sent).toHaveLength(1);
    const p = new ParsedFrame();
    const reply = link.sent[0]!;
    expect(parseFrame(reply, 0, reply.length, p)).toBe(true);
    expect([p.srcMac, p.dstMac, p.ipSrc, p.ipDst, p.icmpType, p.icmpId, p.icmpSeq]).toEqual([
      SINK_MAC,
      GUEST_MAC,
      SINK_IP,
      GUEST_IP,
      0,
      0x5000,
      3,
    ]);
    expect(p.ipChecksumOk && p.icmpChecksumOk).toBe(true);
    // The data (the sender's probe) comes back unchanged.
    expect(Array.from(reply.subarray(42))).toEqual(Array.from(req.subarray(42)));
    expect(sink.echoReplies).toBe(1);
    // The request was traffic to the sink like any other.
    expect(sink.framesBySource.get(GUEST_MAC)).toBe(1);
  });

  it('answers nothing else: replies, requests for other addresses, UDP, runts; nor without a link', () => {
    const sink = new SinkHost(SINK_MAC, SINK_IP);
    const link = new RecordingLink();
    sink.link = link;
    const other = echoRequest(SINK_IP + 1, 56);
    const reply = echoRequest(SINK_IP, 56, 0);
    const u = new UdpFrameSpec();
    Object.assign(u, {
      srcMac: GUEST_MAC,
      dstMac: SINK_MAC,
      srcIp: GUEST_IP,
      dstIp: SINK_IP,
      srcPort: 1,
      dstPort: 9,
    });
    const ub = new Uint8Array(2048);
    const udp = ub.slice(0, buildUdpFrame(ub, 0, u, null, 0, 100));
    for (const f of [other, reply, udp, echoRequest(SINK_IP, 56).slice(0, 30)])
      sink.receive(f, 0, f.length, 1000);
    expect(link.sent).toHaveLength(0);
    const lone = new SinkHost(SINK_MAC, SINK_IP);
    const req = echoRequest(SINK_IP, 56);
    lone.receive(req, 0, req.length, 1000);
    expect(lone.echoReplies).toBe(0);
  });

  it('counts a reply the switch port refused', () => {
    const sink = new SinkHost(SINK_MAC, SINK_IP);
    const link = new RecordingLink();
    link.accept = false;
    sink.link = link;
    const req = echoRequest(SINK_IP, 1472);
    sink.receive(req, 0, req.length, 1000);
    expect([sink.echoReplies, sink.echoRepliesDropped]).toEqual([0, 1]);
  });
});
