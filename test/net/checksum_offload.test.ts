import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { insertChecksums } from '../../src/net/checksum_offload.js';
import {
  buildArpRequest,
  buildIcmpEcho,
  buildUdpFrame,
  IcmpEchoSpec,
  UdpFrameSpec,
} from '../../src/net/frame_builder.js';
import { ParsedFrame, parseFrame } from '../../src/net/frame_parser.js';
import { ipArb, u16Arb } from './arbitraries.js';

describe('insertChecksums', () => {
  it('restores exactly the checksums the builder computed after they were zeroed', () => {
    const buf = new Uint8Array(2048);
    fc.assert(
      fc.property(ipArb, ipArb, u16Arb, u16Arb, fc.nat(1472), fc.boolean(), (si, di, sp, dp, n, udp) => {
        let len: number;
        let l4Csum: number;
        if (udp) {
          const s = Object.assign(new UdpFrameSpec(), {
            srcIp: si,
            dstIp: di,
            srcPort: sp,
            dstPort: dp,
            seq: n,
          });
          len = buildUdpFrame(buf, 0, s, null, 0, n);
          l4Csum = 40;
        } else {
          const s = Object.assign(new IcmpEchoSpec(), { srcIp: si, dstIp: di, id: sp, seq: dp });
          len = buildIcmpEcho(buf, 0, s, null, 0, n);
          l4Csum = 36;
        }
        const built = Uint8Array.from(buf.subarray(0, len));
        buf[24] = buf[25] = buf[l4Csum] = buf[l4Csum + 1] = 0;
        expect(insertChecksums(buf, 0, len)).toBe(true);
        expect(Buffer.from(buf.subarray(0, len)).equals(Buffer.from(built))).toBe(true);
        const out = new ParsedFrame();
        expect(parseFrame(buf, 0, len, out)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('leaves non-IP frames alone', () => {
    const buf = new Uint8Array(42);
    buildArpRequest(buf, 0, 1, 2, 3);
    const copy = Uint8Array.from(buf);
    expect(insertChecksums(buf, 0, 42)).toBe(false);
    expect(Array.from(buf)).toEqual(Array.from(copy));
  });
});
