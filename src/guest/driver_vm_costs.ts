import { type CostEntry, registerCostEntries } from '../board/cost_model.js';

/**
 * Per-operation costs of the Linux driver VM (in-kernel ENET driver, AF_PACKET socket, UIO and the
 * user-level bridge program) on the imx8mm preset, charged to the driver VM's vCPU. No published
 * table measures a driver VM on this board. The kernel paths are the Linux baseline's, so most
 * entries are derived from its constants (src/baseline/costs.ts, fitted to the calibration's
 * "linux" table), minus the parts a raw packet socket skips (IP, UDP). The one entry fitted to the
 * driver-VM prototype (reference/vmm-virtio-uio.md §1.10) is the cost of a user access to UIO
 * memory, which Linux maps as device memory (pgprot_noncached).
 */
const driverVmTable = {
  dvm_hardirq: {
    value: 6000,
    source: 'derived: linux_hardirq (fec_enet_interrupt, napi_schedule, irq_exit)',
  },
  dvm_napi_poll: {
    value: 8000,
    source: 'derived: linux_napi_poll (one net_rx_action / fec_enet_rx_napi round)',
  },
  dvm_rx_pkt: {
    value: 6000,
    source:
      'derived: linux_rx_pkt (9000) without its IP/UDP/socket third: fec_enet_rx_queue, build_skb, __netif_receive_skb, packet_rcv queueing; ip_rcv drops PACKET_OTHERHOST early',
  },
  dvm_rx_drop_pkt: {
    value: 3600,
    source:
      'derived: linux_rx_drop_pkt (5400) scaled as dvm_rx_pkt (a frame dropped at a full packet socket)',
  },
  dvm_tx_clean_pkt: { value: 1667, source: 'derived: linux_tx_clean_pkt (fec_enet_tx reclaim per frame)' },
  dvm_xmit_pkt: {
    value: 8000,
    source:
      'derived: linux_send_pkt (12000) without udp_sendmsg/ip_output: packet_sendmsg, dev_queue_xmit, fec_enet_start_xmit',
  },
  dvm_recv_pkt: { value: 5000, source: 'derived: linux_recv_pkt (packet_recvmsg, skb free)' },
  dvm_syscall: {
    value: 833,
    source: 'derived: linux_syscall (kernel entry and exit of recvfrom, sendto, read, write, epoll_wait)',
  },
  dvm_byte: {
    value: 1,
    source: 'derived: linux_byte (copy_to_user / copy_from_user, or a user memcpy, between cached buffers)',
  },
  dvm_wakeup: { value: 8000, source: 'derived: linux_wakeup (try_to_wake_up of the bridge process)' },
  dvm_block: {
    value: 8000,
    source: 'derived: linux_block (schedule() when the bridge blocks in epoll_wait)',
  },
  dvm_epoll: {
    value: 1000,
    source:
      'fitted: no published table; ep_poll and ep_send_events over three file descriptors, of the order of a syscall (linux_syscall 833)',
  },
  dvm_uio_irq: {
    value: 1500,
    source:
      'derived: guest_irq (src/guest/costs.ts): vGIC acknowledge, uio_interrupt (event count, wake_up_interruptible, kill_fasync)',
  },
  dvm_user_pkt: {
    value: 375,
    source:
      "fitted: no published table; the bridge's own per-buffer work (TX region search, bookkeeping), of the order of vtx_pkt (375)",
  },
  dvm_uio_access: {
    value: 245,
    source:
      'fitted: §1.10 prototype (Odroid-C4, 1.9 GHz): removing the user-space copies raised the CPU-bound echo rate from ~26 to ~182 Mb/s, i.e. 7.4e5 fewer cycles per echoed 1514-byte frame; a byte-wise copy into and one out of device memory is 2 x 1514 accesses, so ~245 cycles per access',
  },
} as const satisfies Record<string, CostEntry>;

export type DriverVmCostName = keyof typeof driverVmTable;
export type DriverVmCosts = Record<DriverVmCostName, number> & {
  mmio_access: number;
  cache_line_op: number;
};

registerCostEntries(driverVmTable);

/** Reads the driver-VM entries (and the two sDDF entries the guest driver shares) off a resolved table. */
export function driverVmCosts(costs: object): DriverVmCosts {
  const c = costs as DriverVmCosts;
  return c;
}
