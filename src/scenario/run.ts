import type { Thread } from '../board/thread.js';
import { jainIndex, RESULT_SCHEMA_VERSION, type ResultDocument, rttToUs } from '../report/result.js';
import { buildSimulation, type Simulation } from './build.js';
import type { Scenario } from './schema.js';

interface Counted {
  rxFrames: number;
  rxBytes: number;
  txFrames: number;
  txBytes: number;
  drops: Record<string, number>;
}

interface PdMark {
  sent: number;
  suppressed: number;
  dispatches: number;
  throttles: number;
}

function markPd(pd: Thread): PdMark {
  return {
    sent: pd.notificationsSent,
    suppressed: pd.notificationsSuppressed,
    dispatches: pd.dispatches,
    throttles: pd.throttles,
  };
}

/**
 * Something that watches a run without changing it: captures, traces, time series,
 * recordings. attach() runs after the system is built and before time starts;
 * finish() may add to the result document (never change what the model measured).
 */
export interface RunObserver {
  attach(sim: Simulation): void;
  windowStart?(sim: Simulation): void;
  finish?(sim: Simulation, doc: ResultDocument): void;
}

/** How long echoes sent before the window's end may take to come back before they count as lost. */
export const DRAIN_NS = 20e6;

export interface RunOptions {
  /** Called between phases with the simulated time reached (for progress). */
  onProgress?: (simNs: number, endNs: number) => void;
  observers?: RunObserver[];
}

/** Runs a built simulation through warm-up and the measurement window. */
export function runSimulation(sim: Simulation, opts: RunOptions = {}): ResultDocument {
  const s = sim.scenario;
  const { board } = sim;
  const start = s.warmup;
  const end = s.warmup + s.duration;
  const observers = opts.observers ?? [];
  for (const o of observers) o.attach(sim);
  board.run(start);
  for (const o of observers) o.windowStart?.(sim);
  const before: Counted[] = sim.clients.map((c) => c.counters());
  const pdBefore = new Map(sim.pds.map((pd) => [pd, markPd(pd)]));
  const nicBefore = { ...board.nic.counters };
  // Run in slices so progress can be reported; slicing does not change the trace.
  const slices = 10;
  for (let k = 1; k <= slices; k++) {
    const t = start + ((end - start) * k) / slices;
    board.run(t);
    opts.onProgress?.(t, end);
  }
  const after: Counted[] = sim.clients.map((c) => c.counters());
  const pdAfter = new Map(sim.pds.map((pd) => [pd, markPd(pd)]));
  const nicAfter = { ...board.nic.counters } as unknown as Record<string, number>;
  // Drain: the generator stops at the window's end; echoes still in flight get DRAIN_NS to
  // come back, so what is reported lost was really lost. Nothing measured counts this time.
  board.run(end + DRAIN_NS);
  board.finish(end + DRAIN_NS);
  const seconds = s.duration / 1e9;
  const kernel = board.kernel;
  const windowCycles = (c: number) => {
    const a = kernel.accounting(c);
    return a.windowEnd - a.windowStart;
  };

  const gen = sim.generator?.results() ?? null;
  const clients = sim.clients.map((c, i) => {
    const now = after[i]!;
    const b = before[i]!;
    const drops: Record<string, number> = {};
    for (const [k, v] of Object.entries(now.drops)) drops[k] = v - (b.drops[k] ?? 0);
    // RTT over all the generator streams aimed at this client.
    const streamIds = s.load.flatMap((l, li) => (l.to === c.name ? sim.loadStreams[li]! : []));
    const rttSummary = streamIds.length > 0 && sim.generator !== null ? mergeRtt(sim, streamIds) : null;
    let lost = 0;
    if (gen !== null) for (const id of streamIds) lost += gen.streams[id]!.lost;
    if (streamIds.length > 0) drops['lost'] = lost;
    return {
      name: c.name,
      kind: c.kind,
      app: c.app,
      rx_mbps: round3(((now.rxBytes - b.rxBytes) * 8) / seconds / 1e6),
      tx_mbps: round3(((now.txBytes - b.txBytes) * 8) / seconds / 1e6),
      rx_frames: now.rxFrames - b.rxFrames,
      tx_frames: now.txFrames - b.txFrames,
      drops,
      rtt_us: rttToUs(rttSummary ?? { count: 0, min: 0, mean: 0, median: 0, p99: 0, max: 0, stdev: 0 }),
    };
  });

  const load = s.load.map((l, li) => {
    const ids = sim.loadStreams[li]!;
    let sent = 0;
    let recv = 0;
    let lost = 0;
    if (gen !== null)
      for (const id of ids) {
        sent += gen.streams[id]!.sentPayloadBytes;
        recv += gen.streams[id]!.receivedPayloadBytes;
        lost += gen.streams[id]!.lost;
      }
    const r = sim.generator !== null ? mergeRtt(sim, ids) : null;
    return {
      to: l.to,
      requested_mbps: l.rate / 1e6,
      sent_mbps: round3((sent * 8) / seconds / 1e6),
      achieved_mbps: round3((recv * 8) / seconds / 1e6),
      lost,
      rtt_us: rttToUs(r ?? { count: 0, min: 0, mean: 0, median: 0, p99: 0, max: 0, stdev: 0 }),
    };
  });

  const pds = sim.pds.map((pd) => {
    const a = kernel.accounting(pd.core);
    const total = windowCycles(pd.core);
    const m = pdBefore.get(pd)!;
    const e = pdAfter.get(pd)!;
    return {
      name: pd.name,
      core: pd.core,
      cpu_util: round4(((a.user[pd.id] ?? 0) + (a.kernelFor[pd.id] ?? 0)) / total),
      kernel_util: round4((a.kernelFor[pd.id] ?? 0) / total),
      notifications_sent: e.sent - m.sent,
      notifications_suppressed: e.suppressed - m.suppressed,
      dispatches: e.dispatches - m.dispatches,
      throttles: e.throttles - m.throttles,
      faults: pd.faults,
    };
  });

  const cores = [];
  for (let c = 0; c < kernel.coreCount; c++) {
    const a = kernel.accounting(c);
    const total = windowCycles(c);
    cores.push({
      id: c,
      cpu_util: round4(1 - a.idle / total),
      idle_cycles: a.idle,
      kernel_cycles: a.kernel,
      total_cycles: total,
    });
  }

  const nicNow = nicAfter;
  const nic: Record<string, number> = {};
  for (const [k, v] of Object.entries(nicNow))
    if (typeof v === 'number') nic[k] = v - ((nicBefore as unknown as Record<string, number>)[k] ?? 0);

  // Fairness over what each loaded client got back relative to what it asked for.
  const shares = load.map((l) => (l.requested_mbps > 0 ? l.achieved_mbps / l.requested_mbps : 0));

  const doc: ResultDocument = {
    schema_version: RESULT_SCHEMA_VERSION,
    scenario: s.name,
    seed: s.seed,
    simulated_ns: end,
    window_ns: { start, end },
    clients,
    load,
    pds,
    cores,
    nic,
    fairness: { jain: round4(jainIndex(shares)) },
    coherence: board.coherence.report(),
    faults: kernel.faultLog.map((f) => ({
      time_ns: f.timeNs,
      thread: f.thread,
      kind: f.kind,
      detail: f.detail,
    })),
    invariants: { violations: [] },
    events: board.engine.eventsProcessed,
    trace_hash: board.engine.traceHash.toString(16).padStart(8, '0'),
  };
  for (const o of observers) o.finish?.(sim, doc);
  return doc;
}

function mergeRtt(sim: Simulation, ids: number[]) {
  const g = sim.generator!;
  if (ids.length === 1) return g.rttStats(ids[0]).summary();
  return g.rttStatsOf(ids).summary();
}

export function runScenario(s: Scenario, opts: RunOptions = {}): ResultDocument {
  return runSimulation(buildSimulation(s), opts);
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
function round4(x: number): number {
  return Math.round(x * 10000) / 10000;
}
