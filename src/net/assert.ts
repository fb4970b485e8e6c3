/**
 * Internal invariant check for the protocol code. The net folder imports nothing else of the
 * project, so it carries its own assert. Only trusted-caller mistakes (a builder asked to write
 * past its buffer, a port outside 0..65535) reach it; untrusted bytes never do.
 */
export function netAssert(cond: boolean, msg: string): asserts cond {
  if (!cond) throw new Error(`net: ${msg}`);
}
