/**
 * What the VMM's virtio-net device counts. Drops are kept per reason because they are a main
 * output (results.json `drops: { <reason>: count }`); everything a guest does wrong is counted,
 * never logged or thrown.
 */
export class VirtioNetCounters {
  /** Frames copied from sDDF into guest RX buffers, and their bytes (without the net header). */
  rxFrames = 0;
  rxBytes = 0;
  /** Frames copied from guest TX chains into sDDF TX buffers, and their bytes. */
  txFrames = 0;
  txBytes = 0;
  /** Guest kicks of the receive and transmit queues. */
  rxKicks = 0;
  txKicks = 0;

  // RX drops (sDDF -> guest); the sDDF buffer is returned in every case.
  /** No avail chain in the guest's RX queue (libvmm: "we don't know how long until next interrupt"). */
  rxNoGuestBuffer = 0;
  /** The device is not live (before DRIVER_OK, after FAILED or DEVICE_NEEDS_RESET) or the queue is not usable. */
  rxDeviceNotLive = 0;
  /** The chain's writable space is below 12 + frame length. */
  rxGuestBufferTooSmall = 0;
  rxMalformedChain = 0;
  /** An sDDF RX descriptor whose offset or length is outside the RX data region (kept out of circulation). */
  rxBadSddfBuffer = 0;

  // TX drops (guest -> sDDF); the guest chain is completed with len 0 in every case.
  /** No free sDDF TX buffer (libvmm drops too). */
  txNoSddfBuffer = 0;
  /** The chain holds no frame after the header, or more than one sDDF buffer's worth. */
  txBadLength = 0;
  txMalformedChain = 0;
  /** An sDDF TX free descriptor outside the TX data region, or a full active queue. */
  txBadSddfBuffer = 0;
  /** Chains left for the next kick because one kick already took a whole ring's worth. */
  txBudgetExhausted = 0;

  /** Guest ring violations (every VQ_BAD_* result) since the device was created. */
  violations = 0;
  /** Times the device entered DEVICE_NEEDS_RESET. */
  needsReset = 0;
  /** Queues abandoned after an avail index jump, until the next reset. */
  queuesBroken = 0;
  /** Device resets (driver wrote 0 to Status, or the VMM rebooted the guest). */
  resets = 0;
  /** Driver writes to the read-only config space. */
  configWrites = 0;

  /** Drops by reason, zero entries left out, in the report's `drops` shape. */
  drops(): Record<string, number> {
    const d: Record<string, number> = {};
    const put = (k: string, v: number): void => {
      if (v !== 0) d[k] = v;
    };
    put('no_guest_buffer', this.rxNoGuestBuffer);
    put('device_not_live', this.rxDeviceNotLive);
    put('guest_buffer_too_small', this.rxGuestBufferTooSmall);
    put('rx_malformed_chain', this.rxMalformedChain);
    put('rx_bad_sddf_buffer', this.rxBadSddfBuffer);
    put('no_sddf_tx_buffer', this.txNoSddfBuffer);
    put('tx_bad_length', this.txBadLength);
    put('tx_malformed_chain', this.txMalformedChain);
    put('tx_bad_sddf_buffer', this.txBadSddfBuffer);
    return d;
  }

  snapshot(): Record<string, number> {
    return { ...this } as unknown as Record<string, number>;
  }
}
