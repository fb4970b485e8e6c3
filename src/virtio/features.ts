/**
 * Feature sets. Negotiation (not a data path) uses 64-bit bigint masks; code that checks a
 * negotiated feature per packet uses the two u32 words the transport exchanges instead.
 */

/** The mask of one feature bit number. */
export function featureBit(bit: number): bigint {
  return 1n << BigInt(bit);
}

/** A mask with every listed feature bit set. */
export function featureMask(...bits: number[]): bigint {
  let m = 0n;
  for (const b of bits) m |= featureBit(b);
  return m;
}

export function hasFeature(features: bigint, bit: number): boolean {
  return (features & featureBit(bit)) !== 0n;
}

/** 32-bit window `sel` of a feature set, as the DeviceFeatures register shows it (0 beyond 64 bits). */
export function featureWord(features: bigint, sel: number): number {
  if (sel < 0 || sel > 1) return 0;
  return Number((features >> BigInt(32 * sel)) & 0xffff_ffffn);
}

/** The 64-bit set made of two u32 windows. */
export function featuresFromWords(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** Feature test on two u32 words, for hot paths that must not touch bigint. */
export function hasFeatureWords(lo: number, hi: number, bit: number): boolean {
  if (bit < 0 || bit >= 64) return false;
  const w = bit < 32 ? lo : hi;
  return ((w >>> (bit & 31)) & 1) === 1;
}
