import { type CostEntry, registerCostEntries } from '../board/cost_model.js';

/**
 * Per-operation costs of the Linux-like guest (virtio-net front end, its small stack, its
 * apps) on the imx8mm preset, charged to the vCPU. There is no published measurement of a
 * Linux guest on seL4 on this board: each value is the order of the matching Linux-baseline
 * entry (src/baseline/costs.ts, fitted to the calibration's "linux" table), since the guest
 * runs the same kernel paths minus the FEC driver and plus virtio's.
 */
const guestTable = {
  guest_irq: {
    value: 1500,
    source:
      'fitted: no published guest table; order of linux_hardirq (vGIC acknowledge, vm_interrupt, napi_schedule)',
  },
  guest_napi_poll: {
    value: 2500,
    source: 'fitted: no published guest table; order of linux_napi_poll (one virtnet_poll round)',
  },
  guest_rx_pkt: {
    value: 6000,
    source:
      'fitted: no published guest table; order of linux_rx_pkt (virtnet receive_buf, skb, IP, UDP and the app callback)',
  },
  guest_tx_pkt: {
    value: 8000,
    source:
      'fitted: no published guest table; order of linux_send_pkt (12000) without its user-space syscall and FEC descriptor work, plus virtio start_xmit',
  },
  guest_byte: {
    value: 1,
    source: 'fitted: no published guest table; as linux_byte (one copy per byte between skb and buffer)',
  },
  guest_timer: {
    value: 2000,
    source:
      'fitted: no published guest table; order of a Linux hrtimer interrupt and the app work it wakes (as client_tick)',
  },
} as const satisfies Record<string, CostEntry>;

export type GuestCostName = keyof typeof guestTable;
export type GuestCosts = Record<GuestCostName, number>;

registerCostEntries(guestTable);

/** Reads the guest entries off a resolved cost table. */
export function guestCosts(costs: object): GuestCosts {
  return costs as GuestCosts;
}
