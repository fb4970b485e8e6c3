import type { Kernel } from '../board/kernel.js';
import type { Thread } from '../board/thread.js';
import type { RttSummary } from '../board/rtt_stats.js';
import { ethernetWireBytes } from '../net/ethernet.js';
import { UDP_FRAME_OVERHEAD } from '../net/frame_builder.js';
import {
  type DemandPiece,
  type FairnessClient,
  FairnessRecorder,
  LINK_RX,
  LINK_TX,
} from '../report/fairness.js';
import {
  type GuestRestartResult,
  RESULT_SCHEMA_VERSION,
  type RateLimitResult,
  type ResultDocument,
  rttToUs,
  type VirtioResult,
} from '../report/result.js';
import {
  buildSimulation,
  type ClientView,
  type RateLimitCounters,
  type Simulation,
  type TrafficCounters,
} from './build.js';
import type { RateLimit, Scenario } from './schema.js';
import { InvariantChecker } from './invariants.js';
import { driverVmResult } from '../compose/driver_vm_report.js';
import { nativeDriverResult } from './native_driver_report.js';
import { pingWindow } from './ping_report.js';
import { virtioResult } from './virtio_report.js';
import { vmExits, vmWindow } from './vm_report.js';

interface Counted {
  rxFrames: number;
  rxBytes: number;
  txFrames: number;
  txBytes: number;
  drops: Record<string, number>;
  limited?: RateLimitCounters;
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
  /** Length of the windows of fairness.windows (default 10 ms). */
  fairnessWindowNs?: number;
  /** How often fairness counters are read (default 1 ms; also the resolution of starvation_ms). */
  fairnessSampleNs?: number;
}

/** Fairness counters are read this often (from the kernel's entry hook: no engine events). */
export const FAIRNESS_SAMPLE_NS = 1e6;
export const FAIRNESS_WINDOW_NS = 10e6;

/** Runs a built simulation through warm-up and the measurement window. */
export function runSimulation(sim: Simulation, opts: RunOptions = {}): ResultDocument {
  const s = sim.scenario;
  const { board } = sim;
  const start = s.warmup;
  const end = s.warmup + s.duration;
  const observers = [...(opts.observers ?? [])];
  if (s.invariants.check) observers.push(new InvariantChecker());
  for (const o of observers) o.attach(sim);
  board.run(start);
  for (const o of observers) o.windowStart?.(sim);
  const before: Counted[] = sim.clients.map((c) => c.counters());
  const vmBefore = sim.clients.map((c) => vmExits(c));
  const pdBefore = new Map(sim.pds.map((pd) => [pd, markPd(pd)]));
  const nicBefore = { ...board.nic.counters };
  const fairness = new FairnessSampler(
    sim,
    opts.fairnessWindowNs ?? FAIRNESS_WINDOW_NS,
    opts.fairnessSampleNs ?? FAIRNESS_SAMPLE_NS,
  );
  fairness.start(start, end);
  // Run in slices so progress can be reported. Where a run stops changes which batches the kernel
  // runs without an event, so the slices stay fixed: the trace hash depends on them.
  const slices = 10;
  for (let k = 1; k <= slices; k++) {
    const t = start + ((end - start) * k) / slices;
    board.run(t);
    opts.onProgress?.(t, end);
  }
  fairness.stop(end);
  const after: Counted[] = sim.clients.map((c) => c.counters());
  const vmAfter = sim.clients.map((c) => vmExits(c));
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
  const rttMade = new Map<string, RttSummary>();
  const clients = sim.clients.map((c, i) => {
    const now = after[i]!;
    const b = before[i]!;
    const drops: Record<string, number> = {};
    for (const [k, v] of Object.entries(now.drops)) drops[k] = v - (b.drops[k] ?? 0);
    // RTT over all the generator streams aimed at this client.
    const streamIds = s.load.flatMap((l, li) => (l.to === c.name ? sim.loadStreams[li]! : []));
    const rttSummary =
      streamIds.length > 0 && sim.generator !== null ? mergeRtt(sim, streamIds, rttMade) : null;
    let lost = 0;
    if (gen !== null) for (const id of streamIds) lost += gen.streams[id]!.lost;
    if (streamIds.length > 0) drops['lost'] = lost;
    // A guest's ping: its own requests and round trips (it takes no load of its own).
    const ping = c.vm === undefined ? null : pingWindow(c.vm);
    if (ping !== null) drops['ping_lost'] = ping.sent - ping.replies;
    return {
      name: c.name,
      kind: c.kind,
      app: c.app,
      rx_mbps: round3(((now.rxBytes - b.rxBytes) * 8) / seconds / 1e6),
      tx_mbps: round3(((now.txBytes - b.txBytes) * 8) / seconds / 1e6),
      rx_frames: now.rxFrames - b.rxFrames,
      tx_frames: now.txFrames - b.txFrames,
      drops,
      rtt_us: rttToUs(
        rttSummary ?? ping?.rtt ?? { count: 0, min: 0, mean: 0, median: 0, p99: 0, max: 0, stdev: 0 },
      ),
      ...(ping !== null ? { ping: { sent: ping.sent, replies: ping.replies } } : {}),
      ...vmWindow(c, vmBefore[i]!, vmAfter[i]!, now.rxFrames - b.rxFrames + now.txFrames - b.txFrames),
      ...(now.limited !== undefined ? { rate_limit: limitDelta(now.limited, b.limited) } : {}),
      ...restartsOf(c),
      ...virtioOf(c),
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
    const r = sim.generator !== null ? mergeRtt(sim, ids, rttMade) : null;
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
    fairness: fairness.result(),
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
  // A driver VM's CPU split (guest kernel, bridge program, VM exits) and its recoveries.
  if (sim.driverVm !== undefined) {
    const dvm = driverVmResult(sim.driverVm, board);
    if (dvm !== null) doc.driver_vm = dvm;
  }
  // A native driver's crashes and restarts, as its monitor recorded them.
  if (sim.driverMonitor !== undefined) doc.driver = nativeDriverResult(sim.driverMonitor);
  for (const o of observers) o.finish?.(sim, doc);
  return doc;
}

function limitDelta(now: RateLimitCounters, before: RateLimitCounters | undefined): RateLimitResult {
  return {
    tx_throttled_frames: now.txThrottledFrames - (before?.txThrottledFrames ?? 0),
    tx_throttled_bytes: now.txThrottledBytes - (before?.txThrottledBytes ?? 0),
    rx_dropped_frames: now.rxDroppedFrames - (before?.rxDroppedFrames ?? 0),
    rx_dropped_bytes: now.rxDroppedBytes - (before?.rxDroppedBytes ?? 0),
  };
}

/**
 * Reads what the fairness metrics need (src/report/fairness.ts) every sample interval: per
 * client the frame bytes delivered in its direction (a source: what reached the sink host on the
 * wire; an echo client: the echoes it sent; a sink: what it received), whether it was served at
 * all (virt_tx forwarded one of its buffers, or it took a received frame) and what was waiting for
 * it (its TX queue at virt_tx, its copier's queues). Reading changes nothing in the model.
 *
 * Samples inside the window are taken from the kernel's entry hook, at the end of the first entry
 * that starts at or after a sample time (stopping the engine there would add batch boundaries and
 * change the trace hash). Counters change only inside entries and wire deliveries, so a sample may
 * include up to one entry's work past its time; the window's first and last samples are exact.
 */
class FairnessSampler {
  private readonly sim: Simulation;
  private readonly recorder: FairnessRecorder;
  private readonly bytes: Float64Array;
  private readonly progress: Float64Array;
  private readonly backlog: Float64Array;
  private startNs = 0;
  private endNs = 0;
  private readonly sampleNs: number;
  /** Index of the next sample: it is due at startNs + k * sampleNs. */
  private k = 1;
  private next = Number.POSITIVE_INFINITY;
  private readonly hook: NonNullable<Kernel['sampleHook']>;
  private readonly traffic: TrafficCounters = { rxFrames: 0, rxBytes: 0, txFrames: 0, txBytes: 0 };

  constructor(sim: Simulation, windowNs: number, sampleNs: number) {
    if (!(sampleNs > 0 && sampleNs <= windowNs))
      throw new Error(
        `fairness sample interval ${sampleNs} ns must be positive and at most the window (${windowNs} ns)`,
      );
    this.sim = sim;
    this.sampleNs = sampleNs;
    const n = sim.clients.length;
    this.bytes = new Float64Array(n);
    this.progress = new Float64Array(n);
    this.backlog = new Float64Array(n);
    this.recorder = new FairnessRecorder(fairnessClients(sim.scenario), {
      capacityBps: sim.scenario.nic.rate,
      windowNs,
    });
    const kernel = sim.board.kernel;
    const ghz = kernel.ghz;
    this.hook = (startCycle) => {
      const at = startCycle / ghz;
      while (at >= this.next && this.next < this.endNs) this.sampleNext();
      this.armHook();
    };
  }

  /**
   * Has the kernel call the hook from the first entry that may start at or after `next`: two
   * cycles early, so that float error in next * ghz cannot make it skip one.
   */
  private armHook(): void {
    this.sim.board.kernel.sampleFrom =
      this.next < this.endNs
        ? Math.floor(this.next * this.sim.board.kernel.ghz) - 2
        : Number.POSITIVE_INFINITY;
  }

  start(startNs: number, endNs: number): void {
    this.sample(startNs);
    this.startNs = startNs;
    this.endNs = endNs;
    this.k = 1;
    this.next = startNs + this.sampleNs;
    const kernel = this.sim.board.kernel;
    if (kernel.sampleHook !== null) throw new Error('the kernel already has a sampler');
    kernel.sampleHook = this.hook;
    this.armHook();
  }

  stop(endNs: number): void {
    // Sample times nobody's entry reached (an idle stretch at the end) see the final state.
    while (this.next < endNs) this.sampleNext();
    this.sample(endNs);
    const kernel = this.sim.board.kernel;
    kernel.sampleHook = null;
    kernel.sampleFrom = Number.POSITIVE_INFINITY;
  }

  private sampleNext(): void {
    this.sample(this.next);
    this.k++;
    this.next = this.startNs + this.k * this.sampleNs;
  }

  sample(tNs: number): void {
    const sim = this.sim;
    const vtx = sim.net?.virtTx ?? null;
    const k = this.traffic;
    sim.clients.forEach((c, i) => {
      c.traffic(k);
      this.bytes[i] =
        c.app === 'source'
          ? (sim.sink.bytesBySource.get(c.mac) ?? 0)
          : c.app === 'echo'
            ? k.txBytes
            : k.rxBytes;
      this.progress[i] = (vtx !== null ? (vtx.perClientForwarded[i] ?? 0) : k.txFrames) + k.rxFrames;
      this.backlog[i] = (vtx !== null ? vtx.clientBacklog(i) : 0) + (c.copier?.backlog() ?? 0);
    });
    this.recorder.sample(tNs, this.bytes, this.progress, this.backlog);
  }

  result() {
    return this.recorder.result();
  }
}

/** Frame bytes of a UDP datagram with `payload` bytes, and the line bits per frame bit it costs. */
function udpFrame(payload: number): { len: number; cost: number } {
  const len = UDP_FRAME_OVERHEAD + payload;
  return { len, cost: ethernetWireBytes(len) / len };
}

function limitCap(lim: RateLimit | undefined, frameLen: number): number {
  if (lim === undefined) return Number.POSITIVE_INFINITY;
  return Math.min(lim.rate, lim.pps !== undefined ? lim.pps * frameLen * 8 : Number.POSITIVE_INFINITY);
}

/**
 * Each client's demand, in frame bits/s: a source's own rate; for echo and sink clients, the load
 * aimed at them while it runs. Payload rates (the scenario's unit) become frame rates here.
 */
export function fairnessClients(s: Scenario): FairnessClient[] {
  return s.clients.map((c): FairnessClient => {
    if (c.app === 'source' && c.source !== undefined) {
      const p = c.source.payload;
      const f = udpFrame(p);
      const bps = p > 0 ? (c.source.rate * f.len) / p : Number.POSITIVE_INFINITY;
      return {
        name: c.name,
        weight: c.weight,
        links: LINK_TX,
        cap: limitCap(c.rate_limit, f.len),
        cost: f.cost,
        demand: [{ startNs: 0, endNs: Number.POSITIVE_INFINITY, bps }],
      };
    }
    const loads = s.load.filter((l) => l.to === c.name);
    const demand: DemandPiece[] = [];
    let rate = 0;
    let costRate = 0;
    let cap = Number.POSITIVE_INFINITY;
    for (const l of loads) {
      const f = udpFrame(l.payload);
      const bps = (l.rate * f.len) / l.payload;
      demand.push({ startNs: l.start ?? 0, endNs: l.stop ?? Number.POSITIVE_INFINITY, bps });
      rate += bps;
      costRate += bps * f.cost;
      cap = Math.min(cap, limitCap(c.rx_rate_limit, f.len));
      if (c.app === 'echo') cap = Math.min(cap, limitCap(c.rate_limit, f.len));
    }
    return {
      name: c.name,
      weight: c.weight,
      links: c.app === 'echo' ? LINK_RX | LINK_TX : LINK_RX,
      cap,
      cost: rate > 0 ? costRate / rate : udpFrame(1472).cost,
      demand,
    };
  });
}

/**
 * RTT summary over the generator streams `ids`. A client's row and its load row cover the same
 * streams: the second asks for the summary already made (which also keeps the two rows equal once
 * the merge has to resample past the sample cap).
 */
function mergeRtt(sim: Simulation, ids: number[], made: Map<string, RttSummary>) {
  const g = sim.generator!;
  const key = ids.join(',');
  let summary = made.get(key);
  if (summary === undefined) {
    summary = ids.length === 1 ? g.rttStats(ids[0]).summary() : g.rttStatsOf(ids).summary();
    made.set(key, summary);
  }
  return summary;
}

/**
 * Builds, runs and discards a simulation: its memory goes back to the byte pool for the next board
 * (see PhysicalMemory.release), since nothing but the result document outlives the call.
 */
export function runScenario(s: Scenario, opts: RunOptions = {}): ResultDocument {
  const sim = buildSimulation(s);
  try {
    return runSimulation(sim, opts);
  } finally {
    sim.board.memory.release();
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
function round4(x: number): number {
  return Math.round(x * 10000) / 10000;
}

function nsToMs(ns: number): number {
  return ns < 0 ? -1 : Math.round(ns / 1e3) / 1e3;
}

/** A vm client's virtio-net device, for its client entry. */
function virtioOf(c: ClientView): { virtio?: VirtioResult } {
  const r = c.vm === undefined ? null : virtioResult(c.vm);
  return r === null ? {} : { virtio: r };
}

/** A restarted guest's reboots and resume times, for its client entry. */
function restartsOf(c: ClientView): { restarts?: GuestRestartResult[] } {
  const recs = c.vm?.vmm?.restarts;
  if (recs === undefined || recs.length === 0) return {};
  return {
    restarts: recs.map((r) => ({
      restart_ms: nsToMs(r.restartNs),
      first_rx_ms: nsToMs(r.firstRxNs),
      first_tx_ms: nsToMs(r.firstTxNs),
      resume_ms:
        r.firstRxNs < 0 || r.firstTxNs < 0 ? -1 : nsToMs(Math.max(r.firstRxNs, r.firstTxNs) - r.restartNs),
    })),
  };
}
