// Per-client fairness of a run (docs/fairness.md): each client's throughput against its weighted
// max-min fair share, per window and over the run, and how long a backlogged client got nothing.
//
// Basis: every rate here is bits per second of Ethernet frame bytes (header and payload, no FCS),
// the unit of clients[].tx_mbps/rx_mbps and of rate limits. Link capacity is counted in line time:
// a client's frames cost `cost` line bits per frame bit (padding, FCS, preamble and gap), so a
// 1 Gb/s line carries 984 Mb/s of 1514-byte frames.
//
// Pure computation over numbers the run samples; it reads no simulation state.

import type { FairnessClientResult, FairnessResult, FairnessWindow } from './result.js';
import { jainIndex } from './result.js';

/** Link bits: a client's traffic crosses the receive direction, the transmit direction, or both. */
export const LINK_RX = 1;
export const LINK_TX = 2;

/** One flow for water-filling. */
export interface Flow {
  /** Most it can use (bits/s; Infinity for a flow that takes whatever it gets). */
  demand: number;
  weight: number;
  /** Link capacity one unit of its rate uses (line bits per frame bit). */
  cost: number;
  /** Bit k set: the flow crosses link k (capacity[k]). */
  links: number;
}

// Relative slack when deciding that a flow or a link is full, against float rounding.
const EPS = 1e-9;

/**
 * Weighted max-min fair allocation by progressive filling: every unsatisfied flow's rate grows in
 * proportion to its weight until it reaches its demand (it is frozen there) or one of its links is
 * full (every flow crossing that link is frozen). The result gives no flow more than its demand,
 * fills no link beyond capacity, and cannot raise a flow without lowering one whose rate per weight
 * is not larger: the weighted max-min fair allocation. O((flows + links)^2 x links).
 */
export function waterFill(flows: readonly Flow[], capacity: readonly number[]): number[] {
  const n = flows.length;
  const alloc = new Array<number>(n).fill(0);
  const active: boolean[] = flows.map((f) => f.demand > 0 && f.weight > 0 && f.links !== 0);
  const used = capacity.map(() => 0);
  const full = capacity.map((c) => !(c > 0));
  // A flow on a link with no capacity gets nothing.
  for (let i = 0; i < n; i++) if (active[i] && crossesFull(flows[i]!.links, full)) active[i] = false;
  for (;;) {
    // How fast each link fills per unit of "level" (rate per weight).
    const slope = capacity.map(() => 0);
    let any = false;
    for (let i = 0; i < n; i++) {
      if (!active[i]) continue;
      any = true;
      const f = flows[i]!;
      for (let l = 0; l < capacity.length; l++) if ((f.links >> l) & 1) slope[l]! += f.weight * f.cost;
    }
    if (!any) break;
    // The next event: a flow reaching its demand or a link filling up. It is frozen explicitly,
    // so every round freezes something even when rounding hides the event from the checks below.
    let dt = Number.POSITIVE_INFINITY;
    let firstFlow = -1;
    let firstLink = -1;
    for (let i = 0; i < n; i++) {
      if (!active[i]) continue;
      const f = flows[i]!;
      const t = (f.demand - alloc[i]!) / f.weight;
      if (t < dt) {
        dt = t;
        firstFlow = i;
      }
    }
    for (let l = 0; l < capacity.length; l++) {
      const t = slope[l]! > 0 ? (capacity[l]! - used[l]!) / slope[l]! : Number.POSITIVE_INFINITY;
      if (t < dt) {
        dt = t;
        firstFlow = -1;
        firstLink = l;
      }
    }
    if (!Number.isFinite(dt)) break; // unreachable: an active flow crosses a finite link
    for (let i = 0; i < n; i++) if (active[i]) alloc[i]! += flows[i]!.weight * dt;
    for (let l = 0; l < capacity.length; l++) {
      used[l]! += slope[l]! * dt;
      if (l === firstLink || (slope[l]! > 0 && used[l]! >= capacity[l]! * (1 - EPS))) full[l] = true;
    }
    for (let i = 0; i < n; i++) {
      if (!active[i]) continue;
      const f = flows[i]!;
      if (i === firstFlow || alloc[i]! >= f.demand * (1 - EPS)) {
        alloc[i] = f.demand;
        active[i] = false;
      } else if (crossesFull(f.links, full)) active[i] = false;
    }
  }
  return alloc;
}

function crossesFull(links: number, full: readonly boolean[]): boolean {
  for (let l = 0; l < full.length; l++) if ((links >> l) & 1 && full[l]) return true;
  return false;
}

/** Offered load at a constant rate over [startNs, endNs). */
export interface DemandPiece {
  startNs: number;
  endNs: number;
  bps: number;
}

/** A client as the fairness metrics see it (rates in frame bits/s). */
export interface FairnessClient {
  name: string;
  weight: number;
  links: number;
  /** Ceiling its rate limits put on it (Infinity: none). */
  cap: number;
  /** Line bits per frame bit of its traffic. */
  cost: number;
  demand: readonly DemandPiece[];
}

/** Mean offered rate over [t0, t1). */
export function meanDemand(pieces: readonly DemandPiece[], t0: number, t1: number): number {
  if (!(t1 > t0)) return 0;
  let bits = 0;
  for (const p of pieces) {
    const a = Math.max(p.startNs, t0);
    const b = Math.min(p.endNs, t1);
    if (b > a) bits += p.bps === Number.POSITIVE_INFINITY ? Number.POSITIVE_INFINITY : p.bps * (b - a);
  }
  return bits / (t1 - t0);
}

/** Fair shares of the clients over [t0, t1): water-filling of their mean demand, capped by their limits. */
export function fairShares(
  clients: readonly FairnessClient[],
  capacityBps: number,
  t0: number,
  t1: number,
): number[] {
  const flows = clients.map((c) => ({
    demand: Math.min(meanDemand(c.demand, t0, t1), c.cap),
    weight: c.weight,
    cost: c.cost,
    links: c.links,
  }));
  return waterFill(flows, [capacityBps, capacityBps]);
}

export interface FairnessOptions {
  /** Line rate of each direction, bit/s. */
  capacityBps: number;
  /** Length of the per-window series, ns. */
  windowNs: number;
}

/**
 * Collects cumulative per-client counters at sample times and turns them into the result's
 * `fairness` section. The first sample marks the start of the measurement window.
 *
 * Per sample and client: `bytes` (frame bytes delivered, the throughput counter), `progress` (a
 * count that grows whenever the client is served at all) and `backlog` (buffers waiting for it).
 * A client starves over the interval between two samples when work was waiting at the first and
 * its progress did not move; starvation_ms is the longest run of such intervals, so its resolution
 * is the sample interval.
 */
export class FairnessRecorder {
  private readonly clients: readonly FairnessClient[];
  private readonly opts: FairnessOptions;
  private readonly n: number;
  private t0 = Number.NaN;
  private lastT = Number.NaN;
  private readonly startBytes: Float64Array;
  private readonly lastBytes: Float64Array;
  private readonly lastProgress: Float64Array;
  private readonly lastBacklog: Float64Array;
  private readonly runStart: Float64Array;
  private readonly longest: Float64Array;
  private winStart = Number.NaN;
  private readonly winBytes: Float64Array;
  private readonly windows: FairnessWindow[] = [];

  constructor(clients: readonly FairnessClient[], opts: FairnessOptions) {
    if (!(opts.windowNs > 0)) throw new Error(`fairness window ${opts.windowNs} ns must be positive`);
    this.clients = clients;
    this.opts = opts;
    const n = clients.length;
    this.n = n;
    this.startBytes = new Float64Array(n);
    this.lastBytes = new Float64Array(n);
    this.lastProgress = new Float64Array(n);
    this.lastBacklog = new Float64Array(n);
    this.runStart = new Float64Array(n).fill(-1);
    this.longest = new Float64Array(n);
    this.winBytes = new Float64Array(n);
  }

  sample(
    tNs: number,
    bytes: ArrayLike<number>,
    progress: ArrayLike<number>,
    backlog: ArrayLike<number>,
  ): void {
    const n = this.n;
    if (Number.isNaN(this.t0)) {
      this.t0 = tNs;
      this.winStart = tNs;
      for (let i = 0; i < n; i++) {
        this.startBytes[i] = bytes[i]!;
        this.winBytes[i] = bytes[i]!;
      }
    } else {
      for (let i = 0; i < n; i++) {
        const starved = this.lastBacklog[i]! > 0 && progress[i] === this.lastProgress[i];
        if (!starved) this.runStart[i] = -1;
        else {
          if (this.runStart[i]! < 0) this.runStart[i] = this.lastT;
          this.longest[i] = Math.max(this.longest[i]!, tNs - this.runStart[i]!);
        }
      }
      // Windows close at the first sample at or past their end (the run samples on the boundaries).
      if (tNs >= this.winStart + this.opts.windowNs * (1 - EPS)) this.closeWindow(tNs, bytes);
    }
    this.lastT = tNs;
    for (let i = 0; i < n; i++) {
      this.lastBytes[i] = bytes[i]!;
      this.lastProgress[i] = progress[i]!;
      this.lastBacklog[i] = backlog[i]!;
    }
  }

  private closeWindow(tNs: number, bytes: ArrayLike<number>): void {
    const t0 = this.winStart;
    const secs = (tNs - t0) / 1e9;
    const fair = fairShares(this.clients, this.opts.capacityBps, t0, tNs);
    const got: number[] = [];
    for (let i = 0; i < this.n; i++) {
      got.push(((bytes[i]! - this.winBytes[i]!) * 8) / secs);
      this.winBytes[i] = bytes[i]!;
    }
    const shares = sharesOf(got, fair).filter((x): x is number => x !== null);
    this.windows.push({
      t_ms: round3(t0 / 1e6),
      jain: shares.length === 0 ? null : round4(jainIndex(shares)),
      throughput_mbps: got.map((b) => round3(b / 1e6)),
    });
    this.winStart = tNs;
  }

  result(): FairnessResult {
    const n = this.n;
    // A last partial window counts when it is at least half a window long.
    if (this.lastT - this.winStart >= this.opts.windowNs / 2) this.closeWindow(this.lastT, this.lastBytes);
    const t0 = this.t0;
    const t1 = this.lastT;
    const secs = (t1 - t0) / 1e9;
    const ok = secs > 0;
    const fair = ok ? fairShares(this.clients, this.opts.capacityBps, t0, t1) : this.clients.map(() => 0);
    const got: number[] = [];
    for (let i = 0; i < n; i++) got.push(ok ? ((this.lastBytes[i]! - this.startBytes[i]!) * 8) / secs : 0);
    const shares = sharesOf(got, fair);
    const defined = shares.filter((x): x is number => x !== null);
    const starvation: Record<string, number> = {};
    const perClient: FairnessClientResult[] = [];
    this.clients.forEach((c, i) => {
      starvation[c.name] = round3(this.longest[i]! / 1e6);
      // Offered load; the fair share is what the limits and the others leave of it.
      const demand = ok ? meanDemand(c.demand, t0, t1) : 0;
      perClient.push({
        name: c.name,
        weight: c.weight,
        demand_mbps: Number.isFinite(demand) ? round3(demand / 1e6) : null,
        fair_share_mbps: round3(fair[i]! / 1e6),
        throughput_mbps: round3(got[i]! / 1e6),
        share: shares[i] === null ? null : round4(shares[i]!),
      });
    });
    return {
      jain: round4(jainIndex(defined)),
      min_share: defined.length === 0 ? 1 : round4(Math.min(...defined)),
      max_share: defined.length === 0 ? 1 : round4(Math.max(...defined)),
      starvation_ms: starvation,
      window_ms: this.opts.windowNs / 1e6,
      basis: 'frame',
      windows: this.windows,
      per_client: perClient,
    };
  }
}

/** x_i = throughput / fair share, or null for a client with no fair share (no demand). */
function sharesOf(got: readonly number[], fair: readonly number[]): (number | null)[] {
  return got.map((g, i) => {
    const f = fair[i]!;
    return f > 0 ? g / f : null;
  });
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
function round4(x: number): number {
  return Math.round(x * 10000) / 10000;
}
