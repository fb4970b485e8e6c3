/**
 * The result document of one run (DESIGN.md, "Scenarios, results, outputs"). Field
 * names are a contract shared with the CLI, the report and the tests; any change bumps
 * RESULT_SCHEMA_VERSION.
 */
// 2: fairness carries Jain's index over fair shares (water-filling) with windows, shares and
//    starvation; clients may carry rate_limit counters.
// 3: optional `driver` section: the native driver's crashes and restarts (its monitor's records).
// 4: app 'ping' (guests): clients carry `ping`; vm clients carry `virtio` and `vm`: their device's final status, agreed features and queue sizes, and
//    what the device counted over the run (ring violations by class, register misuse, resets).
export const RESULT_SCHEMA_VERSION = 4;

export interface RttUs {
  min: number;
  mean: number;
  median: number;
  p99: number;
  max: number;
  stdev: number;
}

export interface ClientResult {
  name: string;
  kind: 'native' | 'vm';
  app: string;
  rx_mbps: number;
  tx_mbps: number;
  rx_frames: number;
  tx_frames: number;
  drops: Record<string, number>;
  rtt_us: RttUs;
  /** What the client's rate limits did in the window; present only for a client with a limit. */
  rate_limit?: RateLimitResult;
  /** Present for a guest that was restarted (fault guest-restart): one entry per reboot. */
  restarts?: GuestRestartResult[];
  /** For a vm client: its virtio-net device (src/scenario/virtio_report.ts). */
  virtio?: VirtioResult;
  /**
   * For a guest running ping: its echo requests sent in the window and how many were answered
   * (rtt_us is then ping's round trip, drops.ping_lost the unanswered requests).
   */
  ping?: { sent: number; replies: number };
  /** For a vm client: its VM exits and virtual interrupts over the window. */
  vm?: VmResult;
}

/**
 * A guest's virtio-net device as the run left it, and what the device counted over the whole run
 * (warm-up included: a guest misbehaving before the window matters as much as during it).
 */
export interface VirtioResult {
  /** Bits of the device's Status register at the end: a live device shows driver_ok and neither
   * device_needs_reset nor failed. */
  status: string[];
  /** Features agreed at FEATURES_OK; empty if the driver never got that far (or since a reset). */
  features: string[];
  /** Queue sizes the driver programmed, RX then TX (0: not set up). */
  queue_sizes: number[];
  /** Malformed rings and chains the device found, per queue and class; zero classes left out. */
  violations: { rx: Record<string, number>; tx: Record<string, number> };
  /** Misuse of the register interface (status sequence, feature window, queue registers, ...); zero entries left out. */
  register_violations: Record<string, number>;
  /** Times the device set DEVICE_NEEDS_RESET after repeated violations. */
  needs_reset: number;
  /** Device resets: the driver writing 0 to Status, or a reboot of the guest. */
  resets: number;
  /** The Linux-like guest's front end; absent when other guest software runs. */
  guest_driver?: GuestDriverResult;
}

/** A guest's traps to its VMM and the interrupts the VMM gave it, over the window. */
export interface VmResult {
  /** Guest loads and stores of the virtio-mmio registers: each one a VM exit the VMM emulates. */
  mmio_reads: number;
  mmio_writes: number;
  /** Virtual IRQs injected, and those folded into one already pending. */
  virq_injected: number;
  virq_coalesced: number;
  /** (mmio_reads + mmio_writes) / frames received and sent: what EVENT_IDX and NAPI batching save. */
  mmio_exits_per_frame: number;
  /** The vCPU at the end of the run: stopped (crashed, not restarted), hung (guest-hang) or running. */
  vcpu: 'running' | 'hung' | 'stopped';
}

export interface GuestDriverResult {
  state: 'up' | 'down' | 'failed';
  probes: number;
  probe_failures: number;
  /** Why the current driver's last failed probe failed (e.g. `out_of_guest_ram`); null if none did. */
  last_failure: string | null;
}

/** A guest reboot; ms of simulated time, -1 for what never happened before the run ended. */
export interface GuestRestartResult {
  restart_ms: number;
  first_rx_ms: number;
  first_tx_ms: number;
  /** From the reboot to the later of the first RX and first TX frame: the guest is back. */
  resume_ms: number;
}

export interface RateLimitResult {
  /** Buffers virt_tx held back in the client's queue at least once for lack of tokens, and their bytes. */
  tx_throttled_frames: number;
  tx_throttled_bytes: number;
  /** Frames the client's copier dropped over its rx_rate_limit, and their bytes. */
  rx_dropped_frames: number;
  rx_dropped_bytes: number;
}

/** One window of the fairness time series. */
export interface FairnessWindow {
  /** Start of the window, ms of simulated time (warm-up included). */
  t_ms: number;
  /** Jain's index over throughput / fair share; null when no client had demand. */
  jain: number | null;
  /** Per client, in the order of `clients`. */
  throughput_mbps: number[];
}

export interface FairnessClientResult {
  name: string;
  weight: number;
  /** Offered load over the window (null: unbounded, a source with an empty payload). */
  demand_mbps: number | null;
  /** Weighted max-min fair share of the line given every client's demand and rate limit. */
  fair_share_mbps: number;
  throughput_mbps: number;
  /** throughput / fair share (null without demand). */
  share: number | null;
}

/** The fairness section (docs/fairness.md); rates are Mb/s of Ethernet frame bytes. */
export type FairnessResult = {
  jain: number;
  min_share: number;
  max_share: number;
  /** Longest time, per client, that it had buffers waiting and got nothing (ms, 1 ms resolution). */
  starvation_ms: Record<string, number>;
  window_ms: number;
  /** 'frame': rates count Ethernet frame bytes without FCS, like clients[].tx_mbps. */
  basis: 'frame';
  windows: FairnessWindow[];
  per_client: FairnessClientResult[];
};

export interface LoadResult {
  to: string;
  requested_mbps: number;
  sent_mbps: number;
  achieved_mbps: number;
  lost: number;
  rtt_us: RttUs;
}

export interface PdResult {
  name: string;
  core: number;
  cpu_util: number;
  kernel_util: number;
  notifications_sent: number;
  notifications_suppressed: number;
  dispatches: number;
  throttles: number;
  faults: number;
}

export interface CoreResult {
  id: number;
  cpu_util: number;
  idle_cycles: number;
  kernel_cycles: number;
  total_cycles: number;
}

export interface ResultDocument {
  schema_version: number;
  scenario: string;
  seed: number;
  simulated_ns: number;
  window_ns: { start: number; end: number };
  clients: ClientResult[];
  load: LoadResult[];
  pds: PdResult[];
  cores: CoreResult[];
  nic: Record<string, number>;
  /** Always has `jain`; the rest of FairnessResult when the run measured it. */
  fairness: { jain: number; [k: string]: unknown } & Partial<FairnessResult>;
  coherence: { kind: string; component: string; region: string; count: number; lines: number[] }[];
  faults: { time_ns: number; thread: string; kind: string; detail: string }[];
  /**
   * Filled when scenario.invariants.check is on: the violations kept (the first 4096), how many
   * checks ran and how many violations there were in all, and why buffer checks were skipped.
   */
  invariants: { violations: unknown[]; checks?: number; violation_count?: number; skipped?: string };
  events: number;
  trace_hash: string;
  /** Present when the driver is a VM: its CPU by part, VM exits, recoveries. */
  driver_vm?: object;
  /** Present when a native driver was crashed or restarted (driver-crash, driver-restart). */
  driver?: NativeDriverResult;
}

/**
 * One stop and restart of the native driver: the fields of driver_vm.recoveries (ms of simulated
 * time, -1 for what did not happen before the run ended) plus the first RX and TX frame after it.
 */
export interface NativeDriverRecoveryResult {
  /** 'crash' (the driver PD faulted) or 'restart' (its monitor restarted it in order). */
  kind: 'crash' | 'restart';
  detail: string;
  crash_ms: number;
  restart_ms: number;
  /** First frame handed to virt_rx after the restart (as driver_vm's resume_ms). */
  resume_ms: number;
  first_rx_ms: number;
  /** First frame handed to the NIC for transmission after the restart. */
  first_tx_ms: number;
  /** Crash to resume_ms. */
  outage_ms: number;
  /** Restart to resume_ms: re-initialising the NIC and the rings, and the next frame arriving. */
  recovery_ms: number;
  reclaimed_rx: number;
  reclaimed_tx: number;
  lost_in_ring: number;
  /** Frames the NIC dropped between the crash and resume_ms. */
  nic_drops: number;
  /** The monitor's restart budget (driver.restart_budget) was spent: the driver was left down. */
  gave_up: boolean;
}

export interface NativeDriverResult {
  kind: 'native';
  recoveries: NativeDriverRecoveryResult[];
  reclaim_violations: number;
}

export function rttToUs(r: {
  min: number;
  mean: number;
  median: number;
  p99: number;
  max: number;
  stdev: number;
  count: number;
}): RttUs {
  const us = (x: number): number => (r.count === 0 ? 0 : Math.round(x / 10) / 100);
  return {
    min: us(r.min),
    mean: us(r.mean),
    median: us(r.median),
    p99: us(r.p99),
    max: us(r.max),
    stdev: us(r.stdev),
  };
}

/** Jain's fairness index over x_i (1 when all equal; 1/n when one takes everything). */
export function jainIndex(xs: readonly number[]): number {
  if (xs.length === 0) return 1;
  let s = 0;
  let s2 = 0;
  for (const x of xs) {
    s += x;
    s2 += x * x;
  }
  return s2 === 0 ? 1 : (s * s) / (xs.length * s2);
}
