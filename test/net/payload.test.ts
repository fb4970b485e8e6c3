import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { foldSum, sumWords } from '../../src/net/checksum.js';
import {
  checkPattern,
  fillPattern,
  PROBE_LEN,
  Probe,
  readProbe,
  writeGeneratedPayload,
  writeProbe,
} from '../../src/net/payload.js';

describe('test payloads', () => {
  it('read back the sequence number and timestamp of a probe', () => {
    const buf = new Uint8Array(20);
    const p = new Probe();
    fc.assert(
      fc.property(fc.maxSafeNat(), fc.maxSafeNat(), fc.nat(4), (seq, t, off) => {
        writeProbe(buf, off, seq, t);
        expect(readProbe(buf, off, PROBE_LEN, p)).toBe(true);
        expect([p.seq, p.timeNs]).toEqual([seq, t]);
      }),
    );
    expect(readProbe(buf, 0, PROBE_LEN - 1, p)).toBe(false);
    expect(readProbe(buf, 10, PROBE_LEN, p)).toBe(false);
  });

  it('write the probe as big-endian u64s', () => {
    const buf = new Uint8Array(16);
    writeProbe(buf, 0, 0x0102030405, 1_000_000_000);
    expect(Buffer.from(buf).toString('hex')).toBe('0000000102030405' + '000000003b9aca00');
  });

  it('fill a pattern that verifies for its own sequence number and is found in pieces', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), fc.nat(1500), fc.nat(1500), (seq, a, b) => {
        const [from, to] = a < b ? [a, b] : [b, a];
        const whole = new Uint8Array(1500);
        fillPattern(whole, 0, 0, 1500, seq);
        const piece = new Uint8Array(1500);
        fillPattern(piece, 0, from, to, seq);
        expect(Array.from(piece.subarray(from, to))).toEqual(Array.from(whole.subarray(from, to)));
        expect(checkPattern(whole, 0, from, to, seq)).toBe(-1);
      }),
    );
  });

  it('tell payloads of different sequence numbers and corrupted bytes apart', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), fc.maxSafeNat(), (s1, s2) => {
        fc.pre(s1 !== s2);
        const buf = new Uint8Array(64);
        fillPattern(buf, 0, 0, 64, s1);
        expect(checkPattern(buf, 0, 0, 64, s2)).not.toBe(-1);
      }),
    );
    const buf = new Uint8Array(100);
    fillPattern(buf, 0, 0, 100, 42);
    buf[57] = buf[57]! ^ 1;
    expect(checkPattern(buf, 0, 0, 100, 42)).toBe(57);
  });
});

describe('pattern checksum contribution', () => {
  it('equals the sum of the bytes written, for any range of a payload', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), fc.nat(300), fc.nat(300), (seq, a, b) => {
        const [from, to] = a < b ? [a, b] : [b, a];
        const buf = new Uint8Array(300);
        const sum = fillPattern(buf, 0, from, to, seq);
        expect(foldSum(sum)).toBe(foldSum(sumWords(buf, 0, 300, 0)));
      }),
    );
  });

  it('of a whole generated payload equals the sum of its bytes', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), fc.maxSafeNat(), fc.nat(1472), (seq, t, n) => {
        const buf = new Uint8Array(1472);
        expect(foldSum(writeGeneratedPayload(buf, 0, n, seq, t))).toBe(foldSum(sumWords(buf, 0, n, 0)));
      }),
    );
  });
});
