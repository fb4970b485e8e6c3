import { loadScenarioText } from '../scenario/load.js';
import { runScenario } from '../scenario/run.js';
import type { Scenario, SystemName } from '../scenario/schema.js';
import { type IpbenchPointOptions, ipbenchScenario } from './systems.js';

/** One row of an ipbench sweep (DESIGN.md: `sddfsim ipbench --json`). */
export interface IpbenchRow {
  system: SystemName;
  requested_mbps: number;
  achieved_mbps: number;
  sent_mbps: number;
  payload: number;
  cpu: number;
  cycles_per_pkt: number;
  rtt_us: { min: number; mean: number; median: number; max: number; stdev: number };
  idle_cycles: number;
  total_cycles: number;
}

export type PointRunner = (s: Scenario) => ReturnType<typeof runScenario>;

/** Validates a generated scenario through the same schema users' files go through. */
export function scenarioFromInput(input: object, knownCosts?: readonly string[]): Scenario {
  const r = loadScenarioText(JSON.stringify(input), '<ipbench>.json', knownCosts ? { knownCosts } : {});
  if (!r.ok)
    throw new Error(
      `internal: generated ipbench scenario is invalid: ${r.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
    );
  return r.scenario;
}

export function runIpbenchPoint(o: IpbenchPointOptions, runner: PointRunner = runScenario): IpbenchRow {
  const s = scenarioFromInput(ipbenchScenario(o));
  const doc = runner(s);
  let sent = 0;
  let achieved = 0;
  for (const l of doc.load) {
    sent += l.sent_mbps;
    achieved += l.achieved_mbps;
  }
  let idle = 0;
  let total = 0;
  let cpu = 0;
  for (const c of doc.cores) {
    idle += c.idle_cycles;
    total += c.total_cycles;
    cpu += c.cpu_util;
  }
  const packets = (doc.nic['rxFrames'] ?? 0) + (doc.nic['txFrames'] ?? 0);
  // With one load entry per client the first carries the RTT figures; merge by weight otherwise.
  const rtts = doc.load.map((l) => l.rtt_us);
  const w = doc.load.map((l) => l.achieved_mbps);
  const wsum = w.reduce((a, b) => a + b, 0) || 1;
  const mean = rtts.reduce((a, r, i) => a + r.mean * w[i]!, 0) / wsum;
  return {
    system: o.system,
    requested_mbps: o.requestedBps / 1e6,
    achieved_mbps: round(achieved, 3),
    sent_mbps: round(sent, 3),
    payload: o.payload,
    cpu: round(cpu, 4),
    cycles_per_pkt: packets > 0 ? Math.round((total - idle) / packets) : 0,
    rtt_us: {
      min: Math.min(...rtts.map((r) => r.min)),
      mean: round(mean, 2),
      median: round(rtts.reduce((a, r, i) => a + r.median * w[i]!, 0) / wsum, 2),
      max: Math.max(...rtts.map((r) => r.max)),
      stdev: round(rtts.reduce((a, r, i) => a + r.stdev * w[i]!, 0) / wsum, 2),
    },
    idle_cycles: idle,
    total_cycles: total,
  };
}

/** ipbench's CSV columns. */
export const IPBENCH_CSV_HEADER =
  'Requested_Throughput,Receive_Throughput,Send_Throughput,Packet_Size,Min_RTT,Avg_RTT,Max_RTT,Stdev_RTT,Median_RTT,Idle_Cycles,Total_Cycles';

export function ipbenchCsvRow(r: IpbenchRow): string {
  return [
    Math.round(r.requested_mbps * 1e6),
    Math.round(r.achieved_mbps * 1e6),
    Math.round(r.sent_mbps * 1e6),
    r.payload,
    r.rtt_us.min,
    r.rtt_us.mean,
    r.rtt_us.max,
    r.rtt_us.stdev,
    r.rtt_us.median,
    r.idle_cycles,
    r.total_cycles,
  ].join(',');
}

function round(x: number, d: number): number {
  const f = 10 ** d;
  return Math.round(x * f) / f;
}
