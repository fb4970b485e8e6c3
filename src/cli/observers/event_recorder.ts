// Records the engine's dispatched events for a recording, and checks a replay against one.
//
// Every event goes into a running hash; every CHECKPOINT_EVERY events the hash and the event's
// time are kept, so a replay can say in which block of events it first diverged. The events
// themselves (time, target, arg) are kept too, up to MAX_STORED_EVENTS, so that within that
// range a replay names the exact first differing event.

import type { Simulation } from '../../scenario/build.js';
import type { RunObserver } from '../../scenario/run.js';

export const CHECKPOINT_EVERY = 1000;
export const MAX_STORED_EVENTS = 1 << 20;

/** What a recording keeps of the event stream. */
export interface EventLog {
  count: number;
  checkpointEvery: number;
  /** Running hash after events checkpointEvery-1, 2*checkpointEvery-1, ... */
  checkpointHashes: Uint32Array;
  checkpointTimes: Float64Array;
  /** The first `stored` events. */
  stored: number;
  times: Float64Array;
  targets: Uint32Array;
  args: Float64Array;
}

function mix(h: number, x: number): number {
  // Both 32-bit halves of a float64 that holds an integer (times and args may exceed 2^32).
  h = Math.imul(h ^ (x >>> 0), 0x01000193);
  return Math.imul(h ^ (Math.floor(x / 4294967296) >>> 0), 0x01000193);
}

export class EventRecorder implements RunObserver {
  private hash = 0x811c9dc5;
  private n = 0;
  private cpHash = new Uint32Array(256);
  private cpTime = new Float64Array(256);
  private cpCount = 0;
  private times = new Float64Array(4096);
  private targets = new Uint32Array(4096);
  private args = new Float64Array(4096);
  private readonly maxStored: number;

  constructor(maxStored = MAX_STORED_EVENTS) {
    this.maxStored = maxStored;
  }

  attach(sim: Simulation): void {
    sim.board.engine.recorder = this;
  }

  record(time: number, target: number, arg: number): void {
    const i = this.n;
    if (i < this.maxStored) {
      if (i === this.times.length) this.growEvents();
      this.times[i] = time;
      this.targets[i] = target;
      this.args[i] = arg;
    }
    this.hash = mix(mix(mix(this.hash, time), target), arg) >>> 0;
    this.n = i + 1;
    if (this.n % CHECKPOINT_EVERY === 0) {
      if (this.cpCount === this.cpHash.length) this.growCheckpoints();
      this.cpHash[this.cpCount] = this.hash;
      this.cpTime[this.cpCount] = time;
      this.cpCount++;
    }
  }

  finish(sim: Simulation): void {
    if (sim.board.engine.recorder === this) sim.board.engine.recorder = null;
  }

  log(): EventLog {
    const stored = Math.min(this.n, this.maxStored);
    return {
      count: this.n,
      checkpointEvery: CHECKPOINT_EVERY,
      checkpointHashes: this.cpHash.slice(0, this.cpCount),
      checkpointTimes: this.cpTime.slice(0, this.cpCount),
      stored,
      times: this.times.slice(0, stored),
      targets: this.targets.slice(0, stored),
      args: this.args.slice(0, stored),
    };
  }

  private growEvents(): void {
    const n = Math.min(this.times.length * 2, this.maxStored);
    const t = new Float64Array(n);
    t.set(this.times);
    const g = new Uint32Array(n);
    g.set(this.targets);
    const a = new Float64Array(n);
    a.set(this.args);
    this.times = t;
    this.targets = g;
    this.args = a;
  }

  private growCheckpoints(): void {
    const h = new Uint32Array(this.cpHash.length * 2);
    h.set(this.cpHash);
    const t = new Float64Array(this.cpTime.length * 2);
    t.set(this.cpTime);
    this.cpHash = h;
    this.cpTime = t;
  }
}

/** Where two event logs first differ, in words; null when they are the same. */
export function firstEventDifference(expected: EventLog, actual: EventLog): string | null {
  const both = Math.min(expected.stored, actual.stored);
  for (let i = 0; i < both; i++) {
    if (
      expected.times[i] !== actual.times[i] ||
      expected.targets[i] !== actual.targets[i] ||
      expected.args[i] !== actual.args[i]
    ) {
      return (
        `event ${i} differs: recorded (time ${expected.times[i]} ns, target ${expected.targets[i]}, arg ${expected.args[i]}), ` +
        `replayed (time ${actual.times[i]} ns, target ${actual.targets[i]}, arg ${actual.args[i]})`
      );
    }
  }
  const cps = Math.min(expected.checkpointHashes.length, actual.checkpointHashes.length);
  for (let k = 0; k < cps; k++) {
    if (expected.checkpointHashes[k] !== actual.checkpointHashes[k]) {
      const every = expected.checkpointEvery;
      return (
        `the event stream first differs among events ${k * every}..${(k + 1) * every - 1} ` +
        `(before ${expected.checkpointTimes[k]} ns; events are stored one by one only up to ${expected.stored})`
      );
    }
  }
  if (expected.count !== actual.count) {
    return `the recording has ${expected.count} events, the replay ${actual.count} (the first ${Math.min(expected.count, actual.count)} match as far as recorded)`;
  }
  return null;
}
