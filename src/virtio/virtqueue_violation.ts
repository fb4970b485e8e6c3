/**
 * Result codes of the device side of a virtqueue. 0 is success, 1..3 are ordinary outcomes, and
 * every code from VQ_BAD_FIRST up is one class of guest misbehaviour, counted per queue. The
 * spec puts no MUST on a device facing a malformed ring (split-ring.tex only binds the driver);
 * the device's answer (complete with len 0, drop, or DEVICE_NEEDS_RESET) is the back-end's policy.
 */
export const VQ_OK = 0;
/** No new avail entry. */
export const VQ_EMPTY = 1;
/** QueueReady is 0 (or the queue was never configured): the device must not touch the rings. */
export const VQ_NOT_READY = 2;

export const VQ_BAD_FIRST = 8;
/** The avail ring named a head >= Q. */
export const VQ_BAD_HEAD = 8;
/** A descriptor's `next` is >= Q. */
export const VQ_BAD_NEXT = 9;
/** Following `next` reached a descriptor already in the chain. */
export const VQ_BAD_LOOP = 10;
/** More descriptors than the chain limit (Q, or less when the caller's ChainOut is smaller). */
export const VQ_BAD_CHAIN_TOO_LONG = 11;
/** [addr, addr+len) is not inside guest RAM. */
export const VQ_BAD_ADDR = 12;
/** addr + len wraps past 2^64. */
export const VQ_BAD_ADDR_OVERFLOW = 13;
/** A device-readable descriptor follows a device-writable one. */
export const VQ_BAD_ORDER = 14;
/** WRITE flag opposite to what the queue needs (TX wants readable only, RX writable only). */
export const VQ_BAD_DIRECTION = 15;
/** VIRTQ_DESC_F_INDIRECT without VIRTIO_F_INDIRECT_DESC (never offered here). */
export const VQ_BAD_INDIRECT = 16;
/** avail idx moved by more than the queue size since the device last looked. */
export const VQ_BAD_AVAIL_IDX = 17;
/** The readable or writable bytes of one chain exceed 2^32 - 1 (the spec's chain-length bound). */
export const VQ_BAD_TOTAL_LEN = 18;
/** QueueNum is not a power of two in 1..QueueNumMax. */
export const VQ_BAD_QUEUE_SIZE = 19;
/** A ring area lies (partly) outside guest RAM. */
export const VQ_BAD_RING_ADDR = 20;
/** A ring area breaks its alignment (desc 16, avail 2, used 4). */
export const VQ_BAD_RING_ALIGN = 21;
export const VQ_BAD_LAST = 21;

export const VQ_RESULT_NAMES: readonly string[] = (() => {
  const names: string[] = [];
  names[VQ_OK] = 'ok';
  names[VQ_EMPTY] = 'empty';
  names[VQ_NOT_READY] = 'not_ready';
  names[VQ_BAD_HEAD] = 'head_out_of_range';
  names[VQ_BAD_NEXT] = 'next_out_of_range';
  names[VQ_BAD_LOOP] = 'descriptor_loop';
  names[VQ_BAD_CHAIN_TOO_LONG] = 'chain_too_long';
  names[VQ_BAD_ADDR] = 'address_outside_ram';
  names[VQ_BAD_ADDR_OVERFLOW] = 'address_length_overflow';
  names[VQ_BAD_ORDER] = 'readable_after_writable';
  names[VQ_BAD_DIRECTION] = 'wrong_direction';
  names[VQ_BAD_INDIRECT] = 'indirect_not_negotiated';
  names[VQ_BAD_AVAIL_IDX] = 'avail_index_jump';
  names[VQ_BAD_TOTAL_LEN] = 'chain_bytes_too_large';
  names[VQ_BAD_QUEUE_SIZE] = 'bad_queue_size';
  names[VQ_BAD_RING_ADDR] = 'ring_outside_ram';
  names[VQ_BAD_RING_ALIGN] = 'ring_misaligned';
  return names;
})();

export function isViolation(code: number): boolean {
  return code >= VQ_BAD_FIRST && code <= VQ_BAD_LAST;
}

/** Per-queue counters of the device side. */
export class VirtqueueDeviceCounters {
  popped = 0;
  completed = 0;
  /** Used-buffer interrupts the ring state asked for / suppressed (needInterrupt results). */
  interrupts = 0;
  interruptsSuppressed = 0;
  /** Total guest violations; per class in byReason, indexed by the VQ_BAD_* code. */
  violations = 0;
  readonly byReason = new Float64Array(VQ_BAD_LAST + 1);

  count(code: number): void {
    this.violations++;
    this.byReason[code]!++;
  }

  reset(): void {
    this.popped = 0;
    this.completed = 0;
    this.interrupts = 0;
    this.interruptsSuppressed = 0;
    this.violations = 0;
    this.byReason.fill(0);
  }

  snapshot(): Record<string, number> {
    return {
      popped: this.popped,
      completed: this.completed,
      interrupts: this.interrupts,
      interruptsSuppressed: this.interruptsSuppressed,
      violations: this.violations,
      ...this.violationsByReason(),
    };
  }

  /** The violations by class name (VQ_RESULT_NAMES), classes that never happened left out. */
  violationsByReason(): Record<string, number> {
    const s: Record<string, number> = {};
    for (let c = VQ_BAD_FIRST; c <= VQ_BAD_LAST; c++) {
      const n = this.byReason[c]!;
      if (n !== 0) s[VQ_RESULT_NAMES[c]!] = n;
    }
    return s;
  }
}
