import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeIcmpEchoReply, makeUdpEchoReply } from '../../src/net/echo_reply.js';
import { buildIcmpEcho, buildUdpFrame, IcmpEchoSpec, UdpFrameSpec } from '../../src/net/frame_builder.js';
import { ParsedFrame, parseFrame } from '../../src/net/frame_parser.js';
import { ICMP_TYPE_ECHO_REPLY, ICMP_TYPE_ECHO_REQUEST } from '../../src/net/icmp.js';
import { NetError } from '../../src/net/net_error.js';
import { ipArb, macArb, ttlArb, u16Arb } from './arbitraries.js';

const udpSpecArb = fc.record({
  srcMac: macArb,
  dstMac: macArb,
  srcIp: ipArb,
  dstIp: ipArb,
  srcPort: u16Arb,
  dstPort: u16Arb,
  ipId: u16Arb,
  ttl: ttlArb,
  seq: fc.maxSafeNat(),
  timeNs: fc.maxSafeNat(),
});

describe('makeUdpEchoReply', () => {
  it('yields a valid frame with swapped addresses and ports, byte-identical to building the reply', () => {
    const buf = new Uint8Array(2048);
    const expected = new Uint8Array(2048);
    const out = new ParsedFrame();
    fc.assert(
      fc.property(udpSpecArb, fc.nat(1472), ttlArb, (r, payloadLen, replyTtl) => {
        const req = Object.assign(new UdpFrameSpec(), r);
        const len = buildUdpFrame(buf, 0, req, null, 0, payloadLen);
        const rep = Object.assign(new UdpFrameSpec(), r, {
          srcMac: req.dstMac,
          dstMac: req.srcMac,
          srcIp: req.dstIp,
          dstIp: req.srcIp,
          srcPort: req.dstPort,
          dstPort: req.srcPort,
          ttl: replyTtl,
        });
        buildUdpFrame(expected, 0, rep, buf, 42, payloadLen);
        expect(makeUdpEchoReply(buf, 0, len, replyTtl)).toBe(len);
        expect(parseFrame(buf, 0, len, out)).toBe(true);
        expect(out.ipChecksumOk && out.udpChecksumOk).toBe(true);
        expect(out.srcMac).toBe(req.dstMac);
        expect(out.dstMac).toBe(req.srcMac);
        expect(out.ipSrc).toBe(req.dstIp);
        expect(out.ipDst).toBe(req.srcIp);
        expect(out.udpSrcPort).toBe(req.dstPort);
        expect(out.udpDstPort).toBe(req.srcPort);
        expect(out.ipTtl).toBe(replyTtl);
        expect(Buffer.from(buf.subarray(0, len)).equals(Buffer.from(expected.subarray(0, len)))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('uses TTL 64 by default, drops Ethernet padding and fills a missing checksum', () => {
    const spec = new UdpFrameSpec();
    spec.ttl = 3;
    spec.srcIp = 0x0a000001;
    spec.dstIp = 0x0a000002;
    const buf = new Uint8Array(60);
    buildUdpFrame(buf, 0, spec, null, 0, 4);
    buf[40] = 0;
    buf[41] = 0;
    const out = new ParsedFrame();
    expect(makeUdpEchoReply(buf, 0, 60)).toBe(46);
    expect(parseFrame(buf, 0, 46, out)).toBe(true);
    expect(out.ipTtl).toBe(64);
    expect((buf[40]! << 8) | buf[41]!).not.toBe(0);
  });

  it('leaves frames it cannot echo untouched and returns 0, never throwing on garbage', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.integer({ min: -3, max: 2003 }), (bytes, len) => {
        const copy = Uint8Array.from(bytes);
        const r = makeUdpEchoReply(bytes, 0, len);
        if (r === 0) expect(Buffer.from(bytes).equals(Buffer.from(copy))).toBe(true);
        else expect(r).toBeLessThanOrEqual(len);
        makeIcmpEchoReply(bytes, 0, len);
      }),
      { numRuns: 1000 },
    );
    const icmp = new Uint8Array(64);
    const len = buildIcmpEcho(icmp, 0, new IcmpEchoSpec(), null, 0, 10);
    expect(makeUdpEchoReply(icmp, 0, len)).toBe(0);
  });
});

describe('makeIcmpEchoReply', () => {
  it('answers an echo request with a valid echo reply carrying the same id, seq and data', () => {
    const buf = new Uint8Array(2048);
    const out = new ParsedFrame();
    fc.assert(
      fc.property(
        macArb,
        macArb,
        ipArb,
        ipArb,
        u16Arb,
        u16Arb,
        fc.nat(1472),
        (sm, dm, si, di, id, seq, n) => {
          const spec = Object.assign(new IcmpEchoSpec(), {
            srcMac: sm,
            dstMac: dm,
            srcIp: si,
            dstIp: di,
            id,
            seq,
          });
          const len = buildIcmpEcho(buf, 0, spec, null, 0, n);
          const data = Uint8Array.from(buf.subarray(42, len));
          expect(makeIcmpEchoReply(buf, 0, len)).toBe(len);
          expect(parseFrame(buf, 0, len, out)).toBe(true);
          expect(out.icmpType).toBe(ICMP_TYPE_ECHO_REPLY);
          expect(out.icmpChecksumOk).toBe(true);
          expect([out.srcMac, out.dstMac, out.ipSrc, out.ipDst]).toEqual([dm, sm, di, si]);
          expect([out.icmpId, out.icmpSeq]).toEqual([id, seq]);
          expect(Buffer.from(buf.subarray(42, len)).equals(Buffer.from(data))).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses an echo reply, so two echo hosts cannot ping-pong forever', () => {
    const buf = new Uint8Array(64);
    const spec = new IcmpEchoSpec();
    spec.type = ICMP_TYPE_ECHO_REQUEST;
    const len = buildIcmpEcho(buf, 0, spec, null, 0, 8);
    expect(makeIcmpEchoReply(buf, 0, len)).toBe(len);
    expect(makeIcmpEchoReply(buf, 0, len)).toBe(0);
    const out = new ParsedFrame();
    parseFrame(buf, 0, len, out);
    expect(out.error).toBe(NetError.NONE);
  });
});
