import { type CostEntry, registerCostEntries } from '../board/cost_model.js';

/**
 * Per-operation costs of the Linux 6.1 baseline (FEC driver, in-kernel UDP/IP, an
 * echo program in user space), fitted to the calibration file's "linux" table. The
 * saturation points (700..957 Mb/s, CPU at 1.0) pin the per-packet receive and echo
 * costs: there r*lambda + e*mu = 1 core with lambda the offered and mu the achieved
 * packet rates, which gives r ~ 6k and e ~ 27k cycles; the lower loads pin the rest.
 */
const linuxTable = {
  linux_hardirq: {
    value: 6000,
    source: 'fitted: linux table (FEC interrupt, napi_schedule, irq_exit; at its upper bound 6000)',
  },
  linux_napi_poll: {
    value: 8000,
    source: 'fitted: linux table (one net_rx_action / fec_enet_rx_napi round; at its upper bound 8000)',
  },
  linux_rx_pkt: {
    value: 9000,
    source: 'fitted: linux table saturation points (driver rx, skb, IP, UDP, socket enqueue)',
  },
  linux_rx_drop_pkt: {
    value: 5400,
    source:
      'fitted: linux table saturation points (a datagram dropped at a full socket buffer still went through the stack)',
  },
  linux_wakeup: {
    value: 8000,
    source: 'fitted: linux table (try_to_wake_up of the echo process; at its upper bound 8000)',
  },
  linux_syscall: { value: 833, source: 'fitted: linux table (kernel entry and exit of recvfrom/sendto)' },
  linux_recv_pkt: { value: 5000, source: 'fitted: linux table saturation points (udp_recvmsg, skb free)' },
  linux_send_pkt: {
    value: 12000,
    source:
      'fitted: linux table saturation points (udp_sendmsg, ip_output, dev_queue_xmit, fec_enet_start_xmit)',
  },
  linux_byte: { value: 1, source: 'fitted: copy_to_user / copy_from_user per byte' },
  linux_tx_clean_pkt: { value: 1667, source: 'fitted: linux table (fec_enet_tx reclaim per frame)' },
  linux_block: {
    value: 8000,
    source:
      'fitted: linux table (schedule() when the echo process blocks in recvfrom; at its upper bound 8000)',
  },
  linux_ksoftirqd_switch: { value: 3000, source: 'fitted: linux table (handing NAPI to ksoftirqd and back)' },
} as const satisfies Record<string, CostEntry>;

export type LinuxCostName = keyof typeof linuxTable;
export type LinuxCosts = Record<LinuxCostName, number>;

registerCostEntries(linuxTable);

export function linuxCosts(costs: object): LinuxCosts {
  return costs as LinuxCosts;
}
