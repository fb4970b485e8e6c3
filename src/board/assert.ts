/**
 * Internal invariants. A failed assertion is a bug in sddfsim itself, never the
 * consequence of what an untrusted component wrote: those are counted instead.
 */
export class AssertionError extends Error {
  override name = 'AssertionError';
}

export function assert(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new AssertionError(msg);
}

export function assertNever(x: never, what: string): never {
  throw new AssertionError(`unexpected ${what}: ${String(x)}`);
}
