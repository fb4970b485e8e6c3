/**
 * A guest's RAM as the virtio code sees it: one contiguous guest-physical window.
 * Guest-physical address `gpa` lives at `bytes[gpa - gpaBase]`; `view` covers the same bytes
 * (all virtio fields are little-endian, so every DataView access passes `true`).
 *
 * Both sides use it: the guest front-end over its own RAM, the VMM back-end over the region it
 * maps the guest's RAM from. Nothing here trusts an address: `inRange` is the one gate.
 */
export interface GuestMemory {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly gpaBase: number;
  readonly size: number;
}

/** Wrap existing bytes (for example a board Region's) as guest RAM starting at `gpaBase`. */
export function guestMemoryOver(bytes: Uint8Array, gpaBase: number): GuestMemory {
  return {
    bytes,
    view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    gpaBase,
    size: bytes.byteLength,
  };
}

/** Fresh zeroed guest RAM of `size` bytes at `gpaBase`. */
export function createGuestMemory(gpaBase: number, size: number): GuestMemory {
  return guestMemoryOver(new Uint8Array(size), gpaBase);
}

/**
 * True when [gpa, gpa+len) lies inside guest RAM. Never computes gpa+len, so a 64-bit address
 * near 2^64 (which a float cannot even hold exactly) cannot wrap into range; NaN, negative and
 * fractional inputs are out of range. A zero-length range must still start inside RAM or at
 * its end.
 */
export function inRange(mem: GuestMemory, gpa: number, len: number): boolean {
  if (!Number.isInteger(gpa) || !Number.isInteger(len) || len < 0) return false;
  const off = gpa - mem.gpaBase;
  return off >= 0 && len <= mem.size && off <= mem.size - len;
}

/** Offset of `gpa` in `bytes`/`view`. Only for addresses already checked with `inRange`. */
export function gpaOffset(mem: GuestMemory, gpa: number): number {
  return gpa - mem.gpaBase;
}
