import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createGuestMemory, inRange } from '../../src/virtio/guest_memory.js';

describe('inRange', () => {
  const mem = createGuestMemory(0x4000_0000, 0x10_0000);
  const end = 0x4000_0000 + 0x10_0000;

  it('accepts ranges inside guest RAM, including one ending exactly at its end', () => {
    expect(inRange(mem, 0x4000_0000, 0x10_0000)).toBe(true);
    expect(inRange(mem, end - 1, 1)).toBe(true);
    expect(inRange(mem, end, 0)).toBe(true);
  });

  it('rejects ranges that start before, end after, or are not integers', () => {
    expect(inRange(mem, 0x4000_0000 - 1, 1)).toBe(false);
    expect(inRange(mem, end - 1, 2)).toBe(false);
    expect(inRange(mem, end + 1, 0)).toBe(false);
    expect(inRange(mem, Number.NaN, 1)).toBe(false);
    expect(inRange(mem, 0x4000_0000, -1)).toBe(false);
    expect(inRange(mem, 0x4000_0000 + 0.5, 1)).toBe(false);
  });

  it('never lets a huge address or length wrap into range', () => {
    expect(inRange(mem, 2 ** 64 - 16, 32)).toBe(false);
    expect(inRange(mem, 0x4000_0000, 2 ** 64)).toBe(false);
    expect(inRange(mem, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)).toBe(false);
  });

  it('agrees with exact bigint arithmetic for any u64 address and u32 length', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.bigInt(0n, 2n ** 64n - 1n), fc.bigInt(0x3fff_0000n, 0x4011_0000n)),
        fc.oneof(fc.bigInt(0n, 2n ** 32n - 1n), fc.bigInt(0n, 0x11_0000n)),
        (addr, len) => {
          const want = addr >= 0x4000_0000n && addr + len <= BigInt(end);
          // Above 2^53 the float is rounded, but such an address is out of range either way.
          expect(inRange(mem, Number(addr), Number(len))).toBe(want);
        },
      ),
    );
  });
});
