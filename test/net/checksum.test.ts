import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  adjustChecksum,
  copyAndSumWords,
  finishChecksum,
  foldSum,
  internetChecksum,
  pseudoHeaderSum,
  sumWords,
} from '../../src/net/checksum.js';
import { refChecksum } from './reference_checksum.js';

const CLASSIC_HEADER = [
  0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8,
  0x00, 0xc7,
];

describe('internet checksum', () => {
  it('gives 0xb861 for the classic example IPv4 header', () => {
    expect(internetChecksum(Uint8Array.from(CLASSIC_HEADER), 0, 20)).toBe(0xb861);
  });

  it('verifies to zero once the classic header carries its checksum', () => {
    const h = Uint8Array.from(CLASSIC_HEADER);
    h[10] = 0xb8;
    h[11] = 0x61;
    expect(internetChecksum(h, 0, 20)).toBe(0);
  });

  it('matches an independent implementation on random data at random offsets', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.nat(7), (data, pad) => {
        const buf = new Uint8Array(pad + data.length + 3).fill(0xa5);
        buf.set(data, pad);
        expect(internetChecksum(buf, pad, data.length)).toBe(refChecksum(data));
      }),
    );
  });

  it('adds partial sums of even-length pieces to the sum of the whole', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1500 }), fc.nat(750), (data, half) => {
        const cut = Math.min(2 * half, data.length);
        const whole = sumWords(data, 0, data.length, 0);
        const parts = sumWords(data, cut, data.length - cut, sumWords(data, 0, cut, 0));
        expect(foldSum(parts)).toBe(foldSum(whole));
      }),
    );
  });

  it('copies and sums in one pass exactly like a copy followed by a sum', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1600 }), fc.nat(5), (data, dstOff) => {
        const dst = new Uint8Array(data.length + dstOff);
        const sum = copyAndSumWords(data, 0, dst, dstOff, data.length, 7);
        expect(Array.from(dst.subarray(dstOff))).toEqual(Array.from(data));
        expect(finishChecksum(sum)).toBe(finishChecksum(sumWords(data, 0, data.length, 7)));
      }),
    );
  });

  it('updates incrementally to the same value as a full recomputation', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 2, maxLength: 200 }),
        fc.nat(),
        fc.integer({ min: 0, max: 0xffff }),
        (d, at, w) => {
          const data = Uint8Array.from(d.length % 2 === 0 ? d : [...d, 0]);
          const i = 2 * (at % (data.length / 2));
          const before = internetChecksum(data, 0, data.length);
          const oldWord = (data[i]! << 8) | data[i + 1]!;
          data[i] = w >>> 8;
          data[i + 1] = w & 0xff;
          const after = adjustChecksum(before, oldWord, w);
          // Ones' complement has two zeros; the data verifies with either.
          const full = internetChecksum(data, 0, data.length);
          expect(after === full || (after ^ full) === 0xffff).toBe(true);
          const withField = [...data, after >>> 8, after & 0xff];
          expect(refChecksum(withField) === 0 || refChecksum(withField) === 0xffff).toBe(true);
        },
      ),
    );
  });

  it('sums the pseudo-header like the twelve bytes it stands for', () => {
    fc.assert(
      fc.property(
        fc.nat(0xffffffff),
        fc.nat(0xffffffff),
        fc.integer({ min: 0, max: 0xffff }),
        (s, d, len) => {
          const bytes = [s >>> 24, (s >>> 16) & 255, (s >>> 8) & 255, s & 255];
          bytes.push(d >>> 24, (d >>> 16) & 255, (d >>> 8) & 255, d & 255, 0, 17, len >>> 8, len & 255);
          expect(finishChecksum(pseudoHeaderSum(s, d, 17, len))).toBe(refChecksum(bytes));
        },
      ),
    );
  });
});
