/**
 * The guest kernel's allocator for memory it hands to devices (rings, packet buffers): a bump
 * allocator over a guest-physical range, reset as a whole when the driver starts again (a
 * reboot, or recovery from DEVICE_NEEDS_RESET). Running out is an outcome, not a bug: the
 * caller gets -1 and fails its probe.
 */
export class GuestRamAllocator {
  readonly base: number;
  readonly end: number;
  private next: number;

  constructor(baseGpa: number, size: number) {
    this.base = baseGpa;
    this.end = baseGpa + Math.max(0, size);
    this.next = baseGpa;
  }

  /** `size` bytes aligned to `align` (a power of two); returns the guest-physical address or -1. */
  alloc(size: number, align: number): number {
    const at = Math.ceil(this.next / align) * align;
    if (!(size >= 0) || at + size > this.end) return -1;
    this.next = at + size;
    return at;
  }

  mark(): number {
    return this.next;
  }

  /** Frees everything allocated since `mark()` returned `m`. */
  resetTo(m: number): void {
    if (m >= this.base && m <= this.next) this.next = m;
  }

  get used(): number {
    return this.next - this.base;
  }
}
