import { performance } from 'node:perf_hooks';
import { Engine, type EventSink } from '../src/board/engine.js';
import { Prng } from '../src/board/prng.js';
import type { BenchModule, BenchResult } from './types.js';

/** Future delays are drawn from [1, MAX_DELAY_NS] ns. */
const MAX_DELAY_NS = 1_000_000;

/**
 * Keeps the pending set constant: every event it receives schedules one more at a random future
 * time, until its budget runs out, then it stops the engine.
 */
class Reschedule implements EventSink {
  remaining = 0;
  target = 0;

  constructor(
    private readonly engine: Engine,
    readonly prng: Prng,
  ) {}

  onEvent(arg: number, _time: number): void {
    if (--this.remaining <= 0) {
      this.engine.stop();
    }
    this.engine.after(1 + this.prng.nextInt(MAX_DELAY_NS), this.target, arg);
  }
}

export function measure(pendingSize: number, events: number, warmupEvents: number): BenchResult {
  const engine = new Engine();
  const sink = new Reschedule(engine, new Prng(0x5eed).fork(pendingSize));
  sink.target = engine.addSink(sink);
  for (let i = 0; i < pendingSize; i++) {
    engine.after(1 + sink.prng.nextInt(MAX_DELAY_NS), sink.target, i);
  }
  sink.remaining = warmupEvents;
  engine.runUntil(Number.POSITIVE_INFINITY);

  sink.remaining = events;
  const before = engine.eventsProcessed;
  const start = performance.now();
  engine.runUntil(Number.POSITIVE_INFINITY);
  const seconds = (performance.now() - start) / 1000;
  const done = engine.eventsProcessed - before;
  if (engine.pending !== pendingSize) {
    throw new Error(`engine bench lost events: ${engine.pending} pending, expected ${pendingSize}`);
  }
  return {
    name: `engine: ${pendingSize} pending`,
    value: done / seconds / 1e6,
    unit: 'Mevents/s',
    detail: `${done} events in ${seconds.toFixed(3)} s, each scheduling one more`,
  };
}

export const engineBench: BenchModule = {
  name: 'engine',
  run({ quick }) {
    const scale = quick ? 10 : 1;
    return [
      measure(16, 5_000_000 / scale, 500_000 / scale),
      measure(65_536, 2_000_000 / scale, 500_000 / scale),
    ];
  },
};
