import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { internetChecksum } from '../../src/net/checksum.js';
import {
  buildArpRequest,
  buildIcmpEcho,
  buildUdpFrame,
  IcmpEchoSpec,
  UdpFrameSpec,
} from '../../src/net/frame_builder.js';
import { ParsedFrame, parseFrame } from '../../src/net/frame_parser.js';
import { NetError, netErrorName } from '../../src/net/net_error.js';

function udpFrame(payloadLen: number): Uint8Array {
  const spec = new UdpFrameSpec();
  spec.srcMac = 0x020000000001;
  spec.dstMac = 0x020000000002;
  spec.srcIp = 0xc0a80001;
  spec.dstIp = 0xc0a800c7;
  spec.srcPort = 5000;
  spec.dstPort = 7;
  spec.seq = 3;
  const buf = new Uint8Array(42 + payloadLen);
  buildUdpFrame(buf, 0, spec, null, 0, payloadLen);
  return buf;
}

function icmpFrame(payloadLen: number): Uint8Array {
  const spec = new IcmpEchoSpec();
  spec.srcIp = 0x0a000001;
  spec.dstIp = 0x0a000002;
  spec.id = 0x1234;
  spec.seq = 1;
  const buf = new Uint8Array(42 + payloadLen);
  buildIcmpEcho(buf, 0, spec, null, 0, payloadLen);
  return buf;
}

function parse(buf: Uint8Array, len = buf.length): ParsedFrame {
  const out = new ParsedFrame();
  parseFrame(buf, 0, len, out);
  return out;
}

/** Valid frames of every kind, to mutate. */
const seedFrameArb = fc.oneof(
  fc.nat(1472).map(udpFrame),
  fc.nat(1472).map(icmpFrame),
  fc.constant(0).map(() => {
    const b = new Uint8Array(42);
    buildArpRequest(b, 0, 1, 2, 3);
    return b;
  }),
);

describe('parseFrame on untrusted input', () => {
  it('never throws on random bytes of any length up to 2000 and explains every failure', () => {
    const out = new ParsedFrame();
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 2000 }),
        fc.integer({ min: -5, max: 2100 }),
        fc.integer({ min: -5, max: 2100 }),
        (bytes, off, len) => {
          const ok = parseFrame(bytes, off, len, out);
          expect(ok).toBe(out.ok);
          expect(out.ok).toBe(out.error === NetError.NONE);
          expect(parseFrame(bytes, 0, bytes.length, out)).toBe(out.error === NetError.NONE);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('never throws on valid frames with random bytes overwritten and random truncation', () => {
    const out = new ParsedFrame();
    fc.assert(
      fc.property(
        seedFrameArb,
        fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 6 }),
        fc.nat(),
        (frame, edits, cut) => {
          for (const [at, v] of edits) frame[at % frame.length] = v;
          const len = cut % (frame.length + 1);
          parseFrame(frame, 0, len, out);
          expect(out.ok).toBe(out.error === NetError.NONE);
          if (out.ok) expect(out.frameLen).toBeLessThanOrEqual(len);
          if (out.payloadLen > 0) expect(out.payloadOffset + out.payloadLen).toBeLessThanOrEqual(len);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('detects any single corrupted byte of a UDP frame beyond the MAC addresses', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (n, at, x) => {
          const frame = udpFrame(n);
          const i = 12 + (at % (frame.length - 12));
          frame[i] = frame[i]! ^ x;
          expect(parse(frame).ok).toBe(false);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('ignores Ethernet padding after the IP datagram', () => {
    const frame = udpFrame(4);
    const padded = new Uint8Array(60);
    padded.set(frame);
    const out = parse(padded);
    expect(out.ok).toBe(true);
    expect(out.frameLen).toBe(46);
    expect(out.payloadLen).toBe(4);
  });

  it('does not keep fields from the previous frame', () => {
    const out = new ParsedFrame();
    const frame = udpFrame(10);
    parseFrame(frame, 0, frame.length, out);
    expect(out.udpDstPort).toBe(7);
    const arp = new Uint8Array(42);
    buildArpRequest(arp, 0, 1, 2, 3);
    parseFrame(arp, 0, 42, out);
    expect(out.udpDstPort).toBe(0);
    expect(out.ipSrc).toBe(0);
    expect(out.payloadLen).toBe(0);
  });
});

describe('parseFrame error codes', () => {
  // Each case: what is wrong, byte edits [index, value] applied to a 20-byte-payload UDP frame
  // (62 bytes), the length handed to the parser, and the error expected.
  const cases: [string, [number, number][], number, number][] = [
    ['a frame shorter than an Ethernet header', [], 13, NetError.TRUNCATED_ETHERNET],
    [
      'an unknown EtherType',
      [
        [12, 0x86],
        [13, 0xdd],
      ],
      62,
      NetError.UNSUPPORTED_ETHERTYPE,
    ],
    ['an IPv4 header cut short', [], 14 + 19, NetError.TRUNCATED_IPV4],
    ['IP version 6 in an IPv4 frame', [[14, 0x65]], 62, NetError.BAD_IP_VERSION],
    ['an IHL below five words', [[14, 0x44]], 62, NetError.BAD_IHL],
    ['an IHL reaching past the frame', [[14, 0x4f]], 14 + 40, NetError.TRUNCATED_IPV4],
    ['a total length beyond the frame', [], 61, NetError.BAD_IP_TOTAL_LENGTH],
    ['a total length below the header length', [[17, 19]], 62, NetError.BAD_IP_TOTAL_LENGTH],
    ['a corrupted IP header', [[22, 0x41]], 62, NetError.BAD_IP_CHECKSUM],
    ['a corrupted UDP payload', [[50, 0x5a]], 62, NetError.BAD_UDP_CHECKSUM],
  ];
  for (const [what, edit, len, code] of cases) {
    it(`reports ${netErrorName(code)} for ${what}`, () => {
      const f = udpFrame(20);
      expect(f.length).toBe(62);
      for (const [at, v] of edit) {
        expect(f[at]).not.toBe(v);
        f[at] = v;
      }
      const out = parse(f, len);
      expect(out.ok).toBe(false);
      expect(out.error).toBe(code);
    });
  }

  it('reports a UDP length beyond the datagram', () => {
    const f = udpFrame(20);
    f[39] = 29; // UDP length 29 > 28 bytes of IP payload
    expect(parse(f).error).toBe(NetError.BAD_UDP_LENGTH);
  });

  it('reports fragments after checking the header, keeping the IP fields', () => {
    const f = udpFrame(20);
    f[20] = (f[20]! | 0x20) & 0xbf; // MF set, DF cleared
    const out = parse(f);
    expect(out.error).toBe(NetError.BAD_IP_CHECKSUM);
    f[24] = 0;
    f[25] = 0;
    const c = internetChecksum(f, 14, 20);
    f[24] = c >>> 8;
    f[25] = c & 0xff;
    parseFrame(f, 0, f.length, out);
    expect(out.error).toBe(NetError.IP_FRAGMENT);
    expect(out.ipChecksumOk).toBe(true);
    expect(out.ipSrc).toBe(0xc0a80001);
    expect(out.ipFlagsFrag).toBe(0x2000);
    expect(out.udpSrcPort).toBe(0);
  });

  it('reports an unknown IP protocol', () => {
    const f = icmpFrame(0);
    f[23] = 6; // TCP; fix the header checksum by hand: protocol word 0x4001 -> 0x4006
    const c = ((f[24]! << 8) | f[25]!) - 5;
    f[24] = c >>> 8;
    f[25] = c & 0xff;
    expect(parse(f).error).toBe(NetError.UNSUPPORTED_IP_PROTOCOL);
  });

  it('reports a corrupted ICMP message and a truncated ARP packet', () => {
    const f = icmpFrame(8);
    f[45] = f[45]! ^ 0xff;
    const out = parse(f);
    expect(out.error).toBe(NetError.BAD_ICMP_CHECKSUM);
    expect(out.icmpChecksumOk).toBe(false);
    expect(out.icmpId).toBe(0x1234);
    const arp = new Uint8Array(42);
    buildArpRequest(arp, 0, 1, 2, 3);
    expect(parse(arp, 41).error).toBe(NetError.TRUNCATED_ARP);
    arp[21] = 9;
    expect(parse(arp).error).toBe(NetError.BAD_ARP_OP);
    arp[18] = 8;
    expect(parse(arp).error).toBe(NetError.BAD_ARP_FORMAT);
  });

  it('accepts a UDP datagram sent without a checksum', () => {
    const f = udpFrame(20);
    f[40] = 0;
    f[41] = 0;
    const out = parse(f);
    expect(out.ok).toBe(true);
    expect(out.udpChecksumOk).toBe(true);
  });
});
