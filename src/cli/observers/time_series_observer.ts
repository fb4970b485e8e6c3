// Samples a run into per-bucket series (throughput per client, CPU per thread and core, fairness)
// without adding engine events, so the trace hash is the same with or without it: client
// counters are read from the kernel's dispatch hook when a dispatch starts in a new bucket, and
// CPU comes from the kernel's own per-bucket accounting.
//
// Precision: a client's counters change only inside its own dispatches, and the sample taken at
// the first dispatch starting after a boundary includes that dispatch's work, so a bucket may
// gain or lose at most one dispatch's worth of frames at each edge.

import { jainIndex } from '../../report/result.js';
import type { RttHistogramSeries, RunSeries } from '../../report/time_series.js';
import type { Simulation } from '../../scenario/build.js';
import type { RunObserver } from '../../scenario/run.js';
import { tapKernel } from '../../scenario/frame_hooks.js';

/** Bins in an RTT histogram: enough to see the shape, few enough to read. */
const RTT_BINS = 40;

export class TimeSeriesObserver implements RunObserver {
  series: RunSeries | null = null;
  private bucketNs = 0;
  private endNs = 0;
  private buckets = 0;
  private next = 1;
  /** Cumulative bytes per client at each bucket boundary 0..buckets. */
  private rx: number[][] = [];
  private tx: number[][] = [];
  private sim: Simulation | null = null;

  attach(sim: Simulation): void {
    this.sim = sim;
    const s = sim.scenario;
    this.bucketNs = sim.board.options.bucketNs;
    this.endNs = s.warmup + s.duration;
    this.buckets = Math.max(1, Math.ceil(this.endNs / this.bucketNs));
    this.rx = sim.clients.map(() => [0]);
    this.tx = sim.clients.map(() => [0]);
    const ghz = sim.board.kernel.ghz;
    tapKernel(sim.board.kernel, (_t, _core, startCycle) => {
      if (startCycle / ghz >= this.next * this.bucketNs) this.sampleUpTo(startCycle / ghz);
    });
  }

  private sampleUpTo(timeNs: number): void {
    const sim = this.sim!;
    while (this.next <= this.buckets && timeNs >= this.next * this.bucketNs) {
      sim.clients.forEach((c, i) => {
        const k = c.counters();
        this.rx[i]!.push(k.rxBytes);
        this.tx[i]!.push(k.txBytes);
      });
      this.next++;
    }
  }

  finish(sim: Simulation): void {
    this.sampleUpTo(Number.POSITIVE_INFINITY);
    const { bucketNs, buckets, endNs } = this;
    const startsNs: number[] = [];
    const lengthNs: number[] = [];
    for (let b = 0; b < buckets; b++) {
      startsNs.push(b * bucketNs);
      lengthNs.push(Math.min(bucketNs, endNs - b * bucketNs));
    }
    const mbps = (cum: number[], b: number) => ((cum[b + 1]! - cum[b]!) * 8) / (lengthNs[b]! / 1e9) / 1e6;
    const clients = sim.clients.map((c, i) => ({
      name: c.name,
      rxMbps: startsNs.map((_, b) => round(mbps(this.rx[i]!, b), 3)),
      txMbps: startsNs.map((_, b) => round(mbps(this.tx[i]!, b), 3)),
    }));

    const kernel = sim.board.kernel;
    const ghz = kernel.ghz;
    const cores: RunSeries['cores'] = [];
    const threads: RunSeries['threads'] = [];
    for (let c = 0; c < kernel.coreCount; c++) {
      const a = kernel.accounting(c);
      const len = (b: number) => Math.min(a.bucketCycles, Math.round(endNs * ghz) - b * a.bucketCycles);
      cores.push({
        id: c,
        util: startsNs.map((_, b) => round(clamp01(1 - (a.idleBuckets[b] ?? 0) / len(b)), 4)),
      });
      for (const t of kernel.threads) {
        if (t.core !== c) continue;
        const u = a.userBuckets[t.id];
        if (u === undefined) continue;
        threads.push({
          name: t.name,
          core: c,
          util: startsNs.map((_, b) => round(clamp01((u[b] ?? 0) / len(b)), 4)),
        });
      }
    }

    // Fairness among the clients the generator loads, relative to what each asked for.
    const requested = sim.clients.map((c) =>
      sim.scenario.load.filter((l) => l.to === c.name).reduce((n, l) => n + l.rate / 1e6, 0),
    );
    const loaded = requested.some((r) => r > 0);
    const jain = startsNs.map((_, b) => {
      const shares: number[] = [];
      clients.forEach((c, i) => {
        if (!loaded) shares.push(c.rxMbps[b]!);
        else if (requested[i]! > 0) shares.push(c.rxMbps[b]! / requested[i]!);
      });
      return shares.every((x) => x === 0) ? Number.NaN : round(jainIndex(shares), 4);
    });

    this.series = {
      bucketNs,
      startsNs,
      windowStartNs: sim.scenario.warmup,
      windowEndNs: endNs,
      clients,
      threads,
      cores,
      jain,
      rtt: rttHistograms(sim),
    };
  }
}

/** RTT histograms per loaded client, from the generator's kept samples. */
function rttHistograms(sim: Simulation): RttHistogramSeries[] {
  const g = sim.generator;
  if (g === null) return [];
  const out: RttHistogramSeries[] = [];
  for (const c of sim.clients) {
    const ids = sim.scenario.load.flatMap((l, li) => (l.to === c.name ? sim.loadStreams[li]! : []));
    if (ids.length === 0) continue;
    const stats = ids.length === 1 ? g.rttStats(ids[0]) : g.rttStatsOf(ids);
    const s = stats.summary();
    if (s.count === 0) continue;
    const binNs = niceBin((s.max - s.min) / RTT_BINS);
    const h = stats.histogram(binNs);
    out.push({ client: c.name, binNs: h.binNs, startNs: h.startNs, counts: h.counts });
  }
  return out;
}

/** 1, 2 or 5 times a power of ten, at least 10 ns. */
export function niceBin(raw: number): number {
  if (!(raw > 10)) return 10;
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

function clamp01(x: number): number {
  return Math.max(0, Math.min(1, x));
}

function round(x: number, d: number): number {
  const f = 10 ** d;
  return Math.round(x * f) / f;
}
