import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildUdpFrame, UdpFrameSpec } from '../../src/net/frame_builder.js';
import { ParsedFrame, parseFrame } from '../../src/net/frame_parser.js';
import { PCAP_SNAPLEN, PcapWriter, parsePcap } from '../../src/net/pcap_writer.js';

describe('PcapWriter', () => {
  it('writes the classic nanosecond-pcap global header for Ethernet', () => {
    const bytes = new PcapWriter().toBuffer();
    expect(Buffer.from(bytes).toString('hex')).toBe(
      '4d3cb2a1' + '0200' + '0400' + '00000000' + '00000000' + 'ffff0000' + '01000000',
    );
  });

  it('round-trips packets, timestamps and lengths across buffer growth', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.maxSafeNat(), fc.uint8Array({ maxLength: 1514 })), { maxLength: 120 }),
        (pkts) => {
          const w = new PcapWriter();
          for (const [t, data] of pkts) {
            const padded = new Uint8Array(data.length + 3);
            padded.set(data, 3);
            w.addPacket(t, padded, 3, data.length);
          }
          expect(w.count).toBe(pkts.length);
          const file = parsePcap(w.toBuffer());
          expect(file.error).toBe('');
          expect([file.nanosecond, file.linkType, file.snaplen]).toEqual([true, 1, 65535]);
          expect(file.records.length).toBe(pkts.length);
          file.records.forEach((r, i) => {
            const [t, data] = pkts[i]!;
            // ts_sec is a u32: times beyond 2^32 s wrap, which no simulation reaches.
            expect(r.timeNs).toBe(t % (2 ** 32 * 1e9));
            expect(r.origLen).toBe(data.length);
            expect(Array.from(r.data)).toEqual(Array.from(data));
          });
        },
      ),
      { numRuns: 50 },
    );
  });

  it('splits time since simulation start into seconds and nanoseconds', () => {
    const w = new PcapWriter();
    w.addPacket(2_500_000_001.7, new Uint8Array(1), 0, 1);
    const b = w.toBuffer();
    const v = new DataView(b.buffer, b.byteOffset);
    expect([v.getUint32(24, true), v.getUint32(28, true)]).toEqual([2, 500_000_001]);
  });

  it('stores captured frames that still parse with valid checksums', () => {
    const w = new PcapWriter();
    const buf = new Uint8Array(2048);
    const spec = new UdpFrameSpec();
    for (let i = 0; i < 5; i++) {
      spec.seq = i;
      spec.ipId = i;
      w.addPacket(i * 12_304, buf, 0, buildUdpFrame(buf, 0, spec, null, 0, 1472));
    }
    const out = new ParsedFrame();
    for (const r of parsePcap(w.toBuffer()).records) {
      expect(parseFrame(r.data, 0, r.data.length, out)).toBe(true);
      expect(out.frameLen).toBe(1514);
    }
  });

  it('truncates frames longer than the snaplen and records their full length', () => {
    const w = new PcapWriter();
    w.addPacket(0, new Uint8Array(PCAP_SNAPLEN + 10), 0, PCAP_SNAPLEN + 10);
    const r = parsePcap(w.toBuffer()).records[0]!;
    expect([r.data.length, r.origLen]).toEqual([PCAP_SNAPLEN, PCAP_SNAPLEN + 10]);
  });

  it('reports truncated or foreign files instead of throwing', () => {
    const w = new PcapWriter();
    w.addPacket(0, new Uint8Array(100), 0, 100);
    const b = w.toBuffer();
    expect(parsePcap(b.subarray(0, b.length - 1)).error).toMatch(/claims 100 bytes/);
    expect(parsePcap(b.subarray(0, 30)).error).toMatch(/truncated/);
    expect(parsePcap(new Uint8Array(10)).error).toMatch(/shorter/);
    expect(parsePcap(new Uint8Array(24)).error).toMatch(/magic/);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => void parsePcap(bytes)));
  });
});
