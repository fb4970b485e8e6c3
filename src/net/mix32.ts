/**
 * A bijective 32-bit integer mixer (the "lowbias32" finaliser): distinct inputs give distinct
 * outputs, and nearby inputs give unrelated-looking ones. Used for generated MACs and payloads.
 */
export function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}
