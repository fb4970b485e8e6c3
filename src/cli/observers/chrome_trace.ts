// A Chrome trace-event file (JSON object form) of a run, which Perfetto and chrome://tracing load:
// - one process per core (pid = core id) and one track per thread on it (tid = thread id, named
//   by thread_name metadata); every dispatch of a thread is a complete event ('X');
// - a counter ('C') per core with its utilisation in each accounting bucket (10 ms);
// - a 'wire' process with the sampled frames, and flow arrows ('s' -> 'f') for them;
// - a 'queues' process with a counter per sDDF queue (buffers in it: tail - head, read from the
//   queue's shared memory), sampled at the end of dispatches at most every QUEUE_SAMPLE_NS.
//
// Flows connect the same bytes seen at two points, so they are facts, not guesses: every Nth
// frame arriving from the wire is followed to the client that received it (matched on a hash of
// its first 64 bytes: Ethernet, IPv4 and UDP headers and the generator's probe, unique per
// frame), and every Nth frame a client sends is followed to the wire. The components in between
// (driver, virt, copier) are visible on their tracks at the same times but not linked, because
// nothing outside the model sees which of their dispatches carried which buffer.

import type { Thread } from '../../board/thread.js';
import { WIRE_TO_NIC } from '../../board/wire.js';
import type { Simulation } from '../../scenario/build.js';
import type { RunObserver } from '../../scenario/run.js';
import { tapClient, tapKernel, tapWire } from '../../scenario/frame_hooks.js';

export const DEFAULT_FLOW_SAMPLE_EVERY = 100;
/** Beyond this many dispatches the trace stops recording them (the file would be unwieldy). */
export const MAX_TRACE_SLICES = 1_000_000;
const MAX_PENDING_FLOWS = 4096;
const HASH_PREFIX = 64;
/** Queue occupancy is sampled at dispatch ends, at most this often (simulated ns). */
export const QUEUE_SAMPLE_NS = 20_000;

interface QueueProbe {
  name: string;
  view: DataView;
  last: number;
}

export class ChromeTrace implements RunObserver {
  private readonly sampleEvery: number;
  private readonly maxSlices: number;
  private sim: Simulation | null = null;
  private ghz = 1;
  private count = 0;
  private sliceThread = new Int32Array(4096);
  private sliceStart = new Float64Array(4096);
  private sliceEnd = new Float64Array(4096);
  /** Dispatches not recorded because the cap was reached. */
  dropped = 0;
  /** Pre-rendered events that are few (flows, sampled wire frames), with their ts in µs. */
  private readonly extra: { ts: number; json: string }[] = [];
  private readonly pendingIn = new Map<number, number>();
  private readonly pendingOut = new Map<number, number>();
  private wireInSeen = 0;
  private readonly clientTxSeen = new Map<number, number>();
  private nextFlow = 1;
  private queues: QueueProbe[] = [];
  private nextQueueSample = 0;

  constructor(opts: { sampleEvery?: number; maxSlices?: number } = {}) {
    this.sampleEvery = Math.max(1, opts.sampleEvery ?? DEFAULT_FLOW_SAMPLE_EVERY);
    this.maxSlices = opts.maxSlices ?? MAX_TRACE_SLICES;
  }

  attach(sim: Simulation): void {
    this.sim = sim;
    this.ghz = sim.board.kernel.ghz;
    tapKernel(sim.board.kernel, (t, _core, s, e) => this.onEntry(t, s, e));
    // Every sDDF queue lives at the start of its own region (net/queue/<server>/<client>/<kind>).
    for (const r of sim.board.memory.regions) {
      if (r.name.startsWith('net/queue/') && r.view.byteLength >= 4) {
        this.queues.push({ name: r.name.slice('net/queue/'.length), view: r.view, last: -1 });
      }
    }
    const wirePid = sim.board.kernel.coreCount;
    const rate = sim.board.options.nicRateBps;
    tapWire(sim.board.wire, (dir, timeNs, buf, off, len) => {
      if (dir === WIRE_TO_NIC) {
        if (++this.wireInSeen % this.sampleEvery !== 0) return;
        const id = this.nextFlow++;
        remember(this.pendingIn, hashHead(buf, off, len), id);
        this.wireSlice(wirePid, 0, timeNs, len, rate);
        this.flow('s', id, wirePid, 0, timeNs);
      } else if (this.pendingOut.size > 0) {
        const h = hashHead(buf, off, len);
        const id = this.pendingOut.get(h);
        if (id === undefined) return;
        this.pendingOut.delete(h);
        this.wireSlice(wirePid, 1, timeNs, len, rate);
        this.flow('f', id, wirePid, 1, timeNs);
      }
    });
    for (const view of sim.clients) {
      const pd = view.pd;
      tapClient(view, (dir, timeNs, buf, off, len) => {
        if (dir === 0) {
          if (this.pendingIn.size === 0) return;
          const h = hashHead(buf, off, len);
          const id = this.pendingIn.get(h);
          if (id === undefined) return;
          this.pendingIn.delete(h);
          this.flow('f', id, pd.core, pd.id, timeNs);
        } else {
          const seen = (this.clientTxSeen.get(pd.id) ?? 0) + 1;
          this.clientTxSeen.set(pd.id, seen);
          if (seen % this.sampleEvery !== 0) return;
          const id = this.nextFlow++;
          remember(this.pendingOut, hashHead(buf, off, len), id);
          this.flow('s', id, pd.core, pd.id, timeNs);
        }
      });
    }
  }

  private onEntry(t: Thread, start: number, end: number): void {
    if (this.count >= this.maxSlices) {
      this.dropped++;
      return;
    }
    if (this.count === this.sliceThread.length) this.grow();
    this.sliceThread[this.count] = t.id;
    this.sliceStart[this.count] = start;
    this.sliceEnd[this.count] = end;
    this.count++;
    const endNs = end / this.ghz;
    if (this.queues.length > 0 && endNs >= this.nextQueueSample) {
      this.nextQueueSample = endNs + QUEUE_SAMPLE_NS;
      this.sampleQueues(endNs);
    }
  }

  /** Occupancy of every queue that changed since the last sample: (tail - head) mod 2^16. */
  private sampleQueues(timeNs: number): void {
    const pid = this.sim!.board.kernel.coreCount + 1;
    const ts = us(timeNs);
    for (const q of this.queues) {
      const n = (q.view.getUint16(0, true) - q.view.getUint16(2, true)) & 0xffff;
      if (n === q.last) continue;
      q.last = n;
      this.extra.push({
        ts,
        json: `{"name":${JSON.stringify(q.name)},"cat":"queue","ph":"C","pid":${pid},"tid":0,"ts":${ts},"args":{"buffers":${n}}}`,
      });
    }
  }

  private grow(): void {
    const n = this.sliceThread.length * 2;
    const th = new Int32Array(n);
    th.set(this.sliceThread);
    const s = new Float64Array(n);
    s.set(this.sliceStart);
    const e = new Float64Array(n);
    e.set(this.sliceEnd);
    this.sliceThread = th;
    this.sliceStart = s;
    this.sliceEnd = e;
  }

  private wireSlice(pid: number, tid: number, timeNs: number, len: number, rateBps: number): void {
    // On the wire a frame takes its bytes plus preamble, SFD, FCS and gap at line rate.
    const durNs = ((len + 24) * 8 * 1e9) / rateBps;
    const ts = us(timeNs);
    this.extra.push({
      ts,
      json: `{"name":"frame ${len} B","cat":"wire","ph":"X","pid":${pid},"tid":${tid},"ts":${ts},"dur":${us(durNs)}}`,
    });
  }

  private flow(ph: 's' | 'f', id: number, pid: number, tid: number, timeNs: number): void {
    const ts = us(timeNs);
    const bind = ph === 'f' ? ',"bp":"e"' : '';
    this.extra.push({
      ts,
      json: `{"name":"frame","cat":"frame","ph":"${ph}","id":${id},"pid":${pid},"tid":${tid},"ts":${ts}${bind}}`,
    });
  }

  /** The trace file's text. */
  toJson(extraInfo: Record<string, unknown> = {}): string {
    const sim = this.sim;
    if (sim === null) return '{"traceEvents":[]}\n';
    const kernel = sim.board.kernel;
    const wirePid = kernel.coreCount;
    const meta: string[] = [];
    for (let c = 0; c < kernel.coreCount; c++) {
      meta.push(`{"name":"process_name","ph":"M","pid":${c},"tid":0,"args":{"name":"core ${c}"}}`);
      meta.push(`{"name":"process_sort_index","ph":"M","pid":${c},"tid":0,"args":{"sort_index":${c}}}`);
    }
    meta.push(`{"name":"process_name","ph":"M","pid":${wirePid},"tid":0,"args":{"name":"wire"}}`);
    meta.push(`{"name":"thread_name","ph":"M","pid":${wirePid},"tid":0,"args":{"name":"to NIC"}}`);
    meta.push(`{"name":"thread_name","ph":"M","pid":${wirePid},"tid":1,"args":{"name":"from NIC"}}`);
    meta.push(`{"name":"process_name","ph":"M","pid":${wirePid + 1},"tid":0,"args":{"name":"sDDF queues"}}`);
    for (const t of kernel.threads) {
      meta.push(
        `{"name":"thread_name","ph":"M","pid":${t.core},"tid":${t.id},"args":{"name":${JSON.stringify(t.name)}}}`,
      );
      meta.push(
        `{"name":"thread_sort_index","ph":"M","pid":${t.core},"tid":${t.id},"args":{"sort_index":${255 - t.priority}}}`,
      );
    }

    // Timed events, sorted by ts (stable, so each track keeps its order for equal times).
    const ts: number[] = [];
    const text: string[] = [];
    const threads = kernel.threads;
    const ghz = this.ghz;
    for (let i = 0; i < this.count; i++) {
      const t = threads[this.sliceThread[i]!]!;
      const s = us(this.sliceStart[i]! / ghz);
      const d = us((this.sliceEnd[i]! - this.sliceStart[i]!) / ghz);
      ts.push(s);
      text.push(
        `{"name":${JSON.stringify(t.name)},"cat":"dispatch","ph":"X","pid":${t.core},"tid":${t.id},"ts":${s},"dur":${d}}`,
      );
    }
    const endCycles = Math.round((sim.scenario.warmup + sim.scenario.duration) * ghz);
    for (let c = 0; c < kernel.coreCount; c++) {
      const a = kernel.accounting(c);
      const buckets = Math.ceil(endCycles / a.bucketCycles);
      for (let b = 0; b < buckets; b++) {
        const len = Math.min(a.bucketCycles, endCycles - b * a.bucketCycles);
        const busy = Math.max(0, Math.min(1, 1 - (a.idleBuckets[b] ?? 0) / len));
        const t0 = us((b * a.bucketCycles) / ghz);
        ts.push(t0);
        text.push(
          `{"name":"cpu busy","ph":"C","pid":${c},"tid":0,"ts":${t0},"args":{"busy":${Math.round(busy * 1e4) / 1e4}}}`,
        );
      }
    }
    for (const e of this.extra) {
      ts.push(e.ts);
      text.push(e.json);
    }
    const order = Array.from(ts.keys()).sort((a, b) => ts[a]! - ts[b]! || a - b);
    const events = meta.concat(order.map((i) => text[i]!));
    const other = JSON.stringify({
      ...extraInfo,
      flow_sampling: `every ${this.sampleEvery}th frame from the wire to its client, and every ${this.sampleEvery}th frame a client sends to the wire`,
      dispatches_not_recorded: this.dropped,
    });
    return `{"displayTimeUnit":"ns","otherData":${other},"traceEvents":[\n${events.join(',\n')}\n]}\n`;
  }
}

/** ns -> µs with ns resolution. */
function us(ns: number): number {
  return Math.round(ns) / 1000;
}

function remember(map: Map<number, number>, key: number, id: number): void {
  if (map.size >= MAX_PENDING_FLOWS) {
    const oldest = map.keys().next();
    if (oldest.done !== true) map.delete(oldest.value);
  }
  map.set(key, id);
}

/** FNV-1a over the first bytes of a frame and its length. */
export function hashHead(buf: Uint8Array, off: number, len: number): number {
  let h = 0x811c9dc5 ^ len;
  const n = Math.min(len, HASH_PREFIX);
  for (let i = 0; i < n; i++) h = Math.imul(h ^ buf[off + i]!, 0x01000193);
  return h >>> 0;
}
