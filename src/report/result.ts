/**
 * The result document of one run (DESIGN.md, "Scenarios, results, outputs"). Field
 * names are a contract shared with the CLI, the report and the tests; any change bumps
 * RESULT_SCHEMA_VERSION.
 */
export const RESULT_SCHEMA_VERSION = 1;

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
}

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
  fairness: { jain: number; [k: string]: unknown };
  coherence: { kind: string; component: string; region: string; count: number; lines: number[] }[];
  faults: { time_ns: number; thread: string; kind: string; detail: string }[];
  invariants: { violations: unknown[] };
  events: number;
  trace_hash: string;
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
