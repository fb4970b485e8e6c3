import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ARP_OP_REPLY, ARP_OP_REQUEST } from '../../src/net/arp.js';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4 } from '../../src/net/ethernet.js';
import {
  ARP_FRAME_LEN,
  buildArpReply,
  buildArpRequest,
  buildIcmpEcho,
  buildUdpFrame,
  checkPattern,
  IcmpEchoSpec,
  NetError,
  ParsedFrame,
  PROBE_LEN,
  Probe,
  parseFrame,
  readProbe,
  UdpFrameSpec,
} from '../../src/net/frame.js';
import { ICMP_TYPE_ECHO_REPLY, ICMP_TYPE_ECHO_REQUEST } from '../../src/net/icmp.js';
import { IPPROTO_ICMP, IPPROTO_UDP, IPV4_FLAG_DF } from '../../src/net/ipv4.js';
import { MAC_BROADCAST } from '../../src/net/mac.js';
import { macArb, ipArb, ttlArb, u16Arb } from './arbitraries.js';
import { refChecksum, refUdpChecksum } from './reference_checksum.js';

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

function toUdpSpec(r: Omit<UdpFrameSpec, never>): UdpFrameSpec {
  return Object.assign(new UdpFrameSpec(), r);
}

describe('UDP frames', () => {
  it('build a 1514-byte frame from a 1472-byte payload', () => {
    const buf = new Uint8Array(2048);
    expect(buildUdpFrame(buf, 0, new UdpFrameSpec(), null, 0, 1472)).toBe(1514);
  });

  it('parse back to the fields, payload and valid checksums they were built with', () => {
    const buf = new Uint8Array(4096);
    const out = new ParsedFrame();
    fc.assert(
      fc.property(
        udpSpecArb,
        fc.uint8Array({ maxLength: 1472 }),
        fc.nat(100),
        fc.nat(64),
        (r, payload, off, srcOff) => {
          const spec = toUdpSpec(r);
          const src = new Uint8Array(srcOff + payload.length);
          src.set(payload, srcOff);
          buf.fill(0xee);
          const len = buildUdpFrame(buf, off, spec, src, srcOff, payload.length);
          expect(len).toBe(42 + payload.length);
          expect(parseFrame(buf, off, len, out)).toBe(true);
          expect(out.error).toBe(NetError.NONE);
          expect(out.frameLen).toBe(len);
          expect(out.ethertype).toBe(ETHERTYPE_IPV4);
          expect(out.dstMac).toBe(spec.dstMac);
          expect(out.srcMac).toBe(spec.srcMac);
          expect(out.ipSrc).toBe(spec.srcIp);
          expect(out.ipDst).toBe(spec.dstIp);
          expect(out.ipProtocol).toBe(IPPROTO_UDP);
          expect(out.ipTtl).toBe(spec.ttl);
          expect(out.ipId).toBe(spec.ipId);
          expect(out.ipFlagsFrag).toBe(IPV4_FLAG_DF);
          expect(out.ipHeaderLen).toBe(20);
          expect(out.ipTotalLen).toBe(28 + payload.length);
          expect(out.ipChecksumOk).toBe(true);
          expect(out.udpSrcPort).toBe(spec.srcPort);
          expect(out.udpDstPort).toBe(spec.dstPort);
          expect(out.udpLength).toBe(8 + payload.length);
          expect(out.udpChecksumOk).toBe(true);
          expect(out.payloadOffset).toBe(off + 42);
          expect(out.payloadLen).toBe(payload.length);
          expect(Array.from(buf.subarray(out.payloadOffset, out.payloadOffset + out.payloadLen))).toEqual(
            Array.from(payload),
          );
          // Checksums against the independent implementation.
          expect(refChecksum(buf.subarray(off + 14, off + 34))).toBe(0);
          const udp = Array.from(buf.subarray(off + 34, off + len));
          const field = (udp[6]! << 8) | udp[7]!;
          expect(field).not.toBe(0);
          udp[6] = 0;
          udp[7] = 0;
          const expected = refUdpChecksum(spec.srcIp, spec.dstIp, udp);
          expect(field).toBe(expected === 0 ? 0xffff : expected);
          // Nothing written past the frame.
          expect(buf[off + len]).toBe(0xee);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('carry a probe and a verifiable pattern when no payload source is given', () => {
    const buf = new Uint8Array(2048);
    const out = new ParsedFrame();
    const probe = new Probe();
    fc.assert(
      fc.property(udpSpecArb, fc.nat(1472), (r, payloadLen) => {
        const spec = toUdpSpec(r);
        const len = buildUdpFrame(buf, 0, spec, null, 0, payloadLen);
        expect(parseFrame(buf, 0, len, out)).toBe(true);
        const from = payloadLen >= PROBE_LEN ? PROBE_LEN : 0;
        expect(checkPattern(buf, out.payloadOffset, from, out.payloadLen, spec.seq)).toBe(-1);
        expect(readProbe(buf, out.payloadOffset, out.payloadLen, probe)).toBe(payloadLen >= PROBE_LEN);
        if (payloadLen >= PROBE_LEN) {
          expect(probe.seq).toBe(spec.seq);
          expect(probe.timeNs).toBe(spec.timeNs);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('build identically whether the payload comes from another buffer or is already in place', () => {
    fc.assert(
      fc.property(udpSpecArb, fc.uint8Array({ maxLength: 600 }), (r, payload) => {
        const spec = toUdpSpec(r);
        const a = new Uint8Array(700);
        const b = new Uint8Array(700);
        const la = buildUdpFrame(a, 0, spec, payload, 0, payload.length);
        b.set(payload, 42);
        const lb = buildUdpFrame(b, 0, spec, b, 42, payload.length);
        expect(lb).toBe(la);
        expect(Array.from(b)).toEqual(Array.from(a));
      }),
    );
  });

  it('send a checksum of 0xFFFF, never 0, when the computed checksum is zero', () => {
    // Search payload word values until the datagram's checksum computes to zero.
    const spec = new UdpFrameSpec();
    spec.srcIp = 0x0a000001;
    spec.dstIp = 0x0a000002;
    spec.srcPort = 1;
    spec.dstPort = 2;
    const buf = new Uint8Array(64);
    const payload = new Uint8Array(2);
    const out = new ParsedFrame();
    let found = false;
    for (let w = 0; w <= 0xffff && !found; w++) {
      payload[0] = w >>> 8;
      payload[1] = w & 0xff;
      buildUdpFrame(buf, 0, spec, payload, 0, 2);
      const udp = Array.from(buf.subarray(34, 44));
      udp[6] = 0;
      udp[7] = 0;
      if (refUdpChecksum(spec.srcIp, spec.dstIp, udp) === 0) {
        found = true;
        expect((buf[40]! << 8) | buf[41]!).toBe(0xffff);
        expect(parseFrame(buf, 0, 44, out)).toBe(true);
        expect(out.udpChecksumOk).toBe(true);
      }
    }
    expect(found).toBe(true);
  });
});

const icmpSpecArb = fc.record({
  srcMac: macArb,
  dstMac: macArb,
  srcIp: ipArb,
  dstIp: ipArb,
  ipId: u16Arb,
  ttl: ttlArb,
  type: fc.constantFrom(ICMP_TYPE_ECHO_REQUEST, ICMP_TYPE_ECHO_REPLY),
  id: u16Arb,
  seq: u16Arb,
  timeNs: fc.maxSafeNat(),
});

describe('ICMP echo frames', () => {
  it('parse back to the fields and payload they were built with, with valid checksums', () => {
    const buf = new Uint8Array(2048);
    const out = new ParsedFrame();
    fc.assert(
      fc.property(icmpSpecArb, fc.uint8Array({ maxLength: 1472 }), (r, payload) => {
        const spec = Object.assign(new IcmpEchoSpec(), r);
        const len = buildIcmpEcho(buf, 0, spec, payload, 0, payload.length);
        expect(len).toBe(42 + payload.length);
        expect(parseFrame(buf, 0, len, out)).toBe(true);
        expect(out.ipProtocol).toBe(IPPROTO_ICMP);
        expect(out.ipSrc).toBe(spec.srcIp);
        expect(out.ipDst).toBe(spec.dstIp);
        expect(out.ipTtl).toBe(spec.ttl);
        expect(out.ipChecksumOk).toBe(true);
        expect(out.icmpType).toBe(spec.type);
        expect(out.icmpCode).toBe(0);
        expect(out.icmpId).toBe(spec.id);
        expect(out.icmpSeq).toBe(spec.seq);
        expect(out.icmpChecksumOk).toBe(true);
        expect(out.payloadLen).toBe(payload.length);
        expect(Array.from(buf.subarray(out.payloadOffset, out.payloadOffset + out.payloadLen))).toEqual(
          Array.from(payload),
        );
        expect(refChecksum(buf.subarray(34, len))).toBe(0);
      }),
      { numRuns: 200 },
    );
  });
});

describe('ARP frames', () => {
  it('requests are broadcast and parse back to their addresses', () => {
    const buf = new Uint8Array(64);
    const out = new ParsedFrame();
    fc.assert(
      fc.property(macArb, ipArb, ipArb, (mac, sip, tip) => {
        expect(buildArpRequest(buf, 0, mac, sip, tip)).toBe(ARP_FRAME_LEN);
        expect(parseFrame(buf, 0, ARP_FRAME_LEN, out)).toBe(true);
        expect(out.ethertype).toBe(ETHERTYPE_ARP);
        expect(out.dstMac).toBe(MAC_BROADCAST);
        expect(out.srcMac).toBe(mac);
        expect(out.arpOp).toBe(ARP_OP_REQUEST);
        expect(out.arpSenderMac).toBe(mac);
        expect(out.arpSenderIp).toBe(sip);
        expect(out.arpTargetMac).toBe(0);
        expect(out.arpTargetIp).toBe(tip);
      }),
    );
  });

  it('replies are unicast and parse back to their addresses, padded or not', () => {
    const buf = new Uint8Array(64);
    const out = new ParsedFrame();
    fc.assert(
      fc.property(macArb, ipArb, macArb, ipArb, fc.boolean(), (smac, sip, tmac, tip, padded) => {
        const len = buildArpReply(buf, 0, smac, sip, tmac, tip);
        expect(parseFrame(buf, 0, padded ? 60 : len, out)).toBe(true);
        expect(out.frameLen).toBe(42);
        expect(out.dstMac).toBe(tmac);
        expect(out.srcMac).toBe(smac);
        expect(out.arpOp).toBe(ARP_OP_REPLY);
        expect(out.arpSenderMac).toBe(smac);
        expect(out.arpSenderIp).toBe(sip);
        expect(out.arpTargetMac).toBe(tmac);
        expect(out.arpTargetIp).toBe(tip);
      }),
    );
  });

  it('match the RFC 826 byte layout for a known request', () => {
    const buf = new Uint8Array(42);
    buildArpRequest(buf, 0, 0x020000000001, 0x0a000001, 0x0a000002);
    const hex = Buffer.from(buf).toString('hex');
    expect(hex).toBe(
      'ffffffffffff' +
        '020000000001' +
        '0806' +
        '0001' +
        '0800' +
        '06' +
        '04' +
        '0001' +
        '020000000001' +
        '0a000001' +
        '000000000000' +
        '0a000002',
    );
  });
});

describe('UDP payload copies', () => {
  it('are correct when the source is another, overlapping view of the same memory', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        fc.integer({ min: -60, max: 60 }),
        (data, shift) => {
          const memory = new ArrayBuffer(1024);
          const frameView = new Uint8Array(memory, 200, 400);
          const srcView = new Uint8Array(memory, 200 + 42 + shift, 350);
          srcView.set(data);
          const len = buildUdpFrame(frameView, 0, new UdpFrameSpec(), srcView, 0, data.length);
          expect(Array.from(frameView.subarray(42, len))).toEqual(Array.from(data));
          expect(parseFrame(frameView, 0, len, new ParsedFrame())).toBe(true);
        },
      ),
    );
  });
});
