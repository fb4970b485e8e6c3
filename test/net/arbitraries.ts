import fc from 'fast-check';

export const macArb = fc.integer({ min: 0, max: 0xffff_ffff_ffff });
export const ipArb = fc.nat(0xffff_ffff);
export const u16Arb = fc.integer({ min: 0, max: 0xffff });
export const ttlArb = fc.integer({ min: 1, max: 255 });
