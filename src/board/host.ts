/**
 * The two kinds of endpoint the wire connects: hosts behind the switch port (load generators,
 * test peers) and the single device at the NIC end of the link.
 */

/** A machine behind the switch. */
export interface Host {
  /** 48-bit MAC as a number (02:00:00:00:00:01 is 0x020000000001); the switch forwards by it. */
  readonly mac: number;
  /**
   * A frame addressed to this host (or broadcast/multicast) whose last bit arrived at `timeNs`.
   * The bytes are lent for the duration of the call: a host that keeps or rewrites them copies
   * them first, because the wire reuses its slot and delivers the same slot to every host of a
   * broadcast.
   */
  receive(buf: Uint8Array, off: number, len: number, timeNs: number): void;
}

/** What the device at the NIC end transmits into. */
export interface NicLink {
  /**
   * Serialises buf[off, off+len) starting no earlier than `startNs` and no earlier than the end
   * of the previous frame; returns the time the frame (with its inter-frame gap) has left.
   */
  transmitFromNic(buf: Uint8Array, off: number, len: number, startNs: number): number;
}

/** The device at the NIC end of the wire (the ENET model, or a test stand-in). */
export interface NicEndpoint {
  /** A frame from the hosts whose last bit arrived at `timeNs`; bytes lent for the call. */
  receiveFrame(buf: Uint8Array, off: number, len: number, timeNs: number): void;
  /** Called by Wire.attachNic so the device can transmit. */
  attachLink(link: NicLink): void;
}

/** What a host transmits into: the switch port towards the NIC. */
export interface HostLink {
  /** Queues a frame at the current engine time; false when the switch port dropped it. */
  sendToNic(buf: Uint8Array, off: number, len: number): boolean;
}
