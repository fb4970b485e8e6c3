import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { copyBytes } from '../../src/net/bytes.js';

describe('copyBytes', () => {
  it('copies exactly what set(subarray()) copies, on both sides of its byte-loop threshold', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 300 }),
        fc.nat(300),
        fc.nat(300),
        fc.nat(200),
        (src, a, b, n) => {
          const srcOff = Math.min(a, src.length);
          const len = Math.min(n, src.length - srcOff);
          const dstOff = b % 100;
          const got = new Uint8Array(400).fill(7);
          const want = new Uint8Array(400).fill(7);
          copyBytes(src, srcOff, got, dstOff, len);
          want.set(src.subarray(srcOff, srcOff + len), dstOff);
          expect(got).toEqual(want);
        },
      ),
    );
  });
});
