/**
 * Thrown by a component model at a point where its C counterpart would stop making progress
 * without touching memory it has no mapping for: an assertion that fails in a debug build, or an
 * endless loop on data an untrusted peer wrote. The kernel catches it like a MemoryFault: the
 * thread stops, the fault is recorded under `kind`, and its parent is told. Nothing a trusted
 * component does on untrusted input may escape the simulation as a JavaScript exception.
 */
export class ComponentHalt extends Error {
  override name = 'ComponentHalt';
  readonly kind: 'stall' | 'assert';
  constructor(kind: 'stall' | 'assert', detail: string) {
    super(detail);
    this.kind = kind;
  }
}
