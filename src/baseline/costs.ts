import { type CostEntry, registerCostEntries } from '../board/cost_model.js';

/**
 * Per-operation costs of the Linux 6.1 baseline (FEC driver, in-kernel UDP/IP, an echo
 * program in user space), in cycles at the core's maximum clock (1.8 GHz), fitted to the
 * calibration file's "linux" table with tools/fit_costs.ts. The core's clock is not fixed:
 * the schedutil governor (cpufreq.ts) runs it at 1.2 GHz up to about 350 Mb/s, where every
 * CPU-bound cost below takes 1.5 times as long; memory-bound costs (linux_byte,
 * linux_cold_skb) take the same time at any clock. The saturation points (700..957 Mb/s,
 * CPU at 1.0) pin the per-datagram receive, drop and echo costs; 100..600 Mb/s pin the
 * split between CPU-bound and per-batch work.
 */
const linuxTable = {
  linux_hardirq: {
    value: 735,
    source: 'fitted: linux table (FEC interrupt handler, napi_schedule, irq_exit)',
  },
  linux_napi_poll: {
    value: 2458,
    source: 'fitted: linux table (one net_rx_action / fec_enet_rx_napi round, TX reclaim loop set-up)',
  },
  linux_rx_pkt: {
    value: 6805,
    source: 'fitted: linux table (driver rx, build_skb, GRO, IP, UDP, socket enqueue, per frame)',
  },
  linux_rx_drop_pkt: {
    value: 7128,
    source:
      'fitted: linux table saturation points (a datagram dropped at a full socket buffer still went through the stack)',
  },
  linux_wakeup: {
    value: 500,
    source: 'fitted: linux table (try_to_wake_up of the echo process; at its lower bound 500)',
  },
  linux_syscall: { value: 631, source: 'fitted: linux table (kernel entry and exit of recvfrom/sendto)' },
  linux_recv_pkt: { value: 5750, source: 'fitted: linux table saturation points (udp_recvmsg, skb free)' },
  linux_send_pkt: {
    value: 12000,
    source:
      'fitted: linux table saturation points (udp_sendmsg, ip_output, dev_queue_xmit, fec_enet_start_xmit)',
  },
  linux_byte: {
    value: 1.05,
    source:
      'fitted: linux table (copy_to_user / copy_from_user per byte; memory-bound, so its time does not follow the core clock)',
  },
  linux_cold_skb: {
    value: 1512,
    source:
      'fitted: linux table saturation points (DRAM misses on the sk_buff, shinfo and header lines of a datagram that left the L2 while it queued; about 15 lines of ~100 ns)',
  },
  linux_tx_clean_pkt: { value: 1667, source: 'fitted: linux table (fec_enet_tx reclaim per frame)' },
  linux_block: {
    value: 500,
    source:
      'fitted: linux table (schedule() when the echo process blocks in recvfrom; at its lower bound 500)',
  },
  linux_ksoftirqd_switch: { value: 3000, source: 'fitted: linux table (handing NAPI to ksoftirqd and back)' },
} as const satisfies Record<string, CostEntry>;

export type LinuxCostName = keyof typeof linuxTable;
export type LinuxCosts = Record<LinuxCostName, number>;

registerCostEntries(linuxTable);

export function linuxCosts(costs: object): LinuxCosts {
  return costs as LinuxCosts;
}
