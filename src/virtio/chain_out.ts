/** What the device needs from a chain's WRITE flags. */
export const CHAIN_ANY = 0;
/** Device reads only (e.g. virtio-net transmitq): a WRITE descriptor is a violation. */
export const CHAIN_READABLE = 1;
/** Device writes only (e.g. virtio-net receiveq): a readable descriptor is a violation. */
export const CHAIN_WRITABLE = 2;

/**
 * A validated descriptor chain as the device walked it: segments in chain order, device-readable
 * ones first. Preallocated by the back-end (capacity = the largest queue size it accepts) and
 * refilled by every walkChain; the addresses are a snapshot taken while validating, so the guest
 * rewriting its descriptor table afterwards cannot redirect a copy.
 */
export class ChainOut {
  readonly capacity: number;
  readonly gpa: Float64Array;
  readonly len: Uint32Array;
  readonly writable: Uint8Array;
  /** Chain head (also set by popAvail). */
  head = 0;
  /** Segments recorded; on a violation, the ones validated before it. */
  count = 0;
  /** Index of the first writable segment (= number of readable segments). */
  firstWritable = 0;
  readableBytes = 0;
  writableBytes = 0;
  /** VQ_OK or the VQ_* code walkChain returned. */
  result = 0;
  /** Descriptor index at which the walk failed, -1 when none. */
  badDesc = -1;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.gpa = new Float64Array(capacity);
    this.len = new Uint32Array(capacity);
    this.writable = new Uint8Array(capacity);
  }
}
