import { EventQueue } from './event_queue.js';

/** Something that receives events. One object per component; no closures per event. */
export interface EventSink {
  onEvent(arg: number, time: number): void;
}

/**
 * The discrete-event engine: one clock (`now`, float64 nanoseconds), one queue ordered by
 * (time, sequence number). Events are addressed to sinks by the integer id addSink returned, and
 * carry one number; a sink decodes the number itself (an opcode, a slot index, ...).
 */
export class Engine {
  /** Simulated time in ns: the time of the event being dispatched, or where runUntil stopped. */
  now = 0;
  eventsProcessed = 0;
  /**
   * Fingerprint of the event trace: a running FNV-1a style hash over every dispatched
   * event's (whole-ns time, target, arg). Same scenario, seed and build => same value.
   */
  traceHash = 0x811c9dc5;
  /**
   * The end time of the runUntil in progress: work must not be done past it without an event.
   * Starts as a non-integer (-Infinity: no run yet, no batch may run ahead) so V8 stores it as a
   * double from the start; a 0 here became a double at the first run end that is not a small integer, which
   * deprecated the engine's map and deoptimised a dozen hot functions mid-run.
   */
  horizon = Number.NEGATIVE_INFINITY;
  /** Optional recorder of every dispatched event (recordings for replay); null normally. */
  recorder: { record(time: number, target: number, arg: number): void } | null = null;

  private readonly queue: EventQueue;
  private readonly sinks: EventSink[] = [];
  private stopRequested = false;

  constructor(initialCapacity = 1024) {
    this.queue = new EventQueue(initialCapacity);
  }

  /** Registers a receiver; the returned id is the `target` of events meant for it. */
  addSink(sink: EventSink): number {
    this.sinks.push(sink);
    return this.sinks.length - 1;
  }

  /** Schedules `arg` for sink `target` at absolute time `time` (ns, not before now). */
  at(time: number, target: number, arg: number): void {
    if (!(time >= this.now)) {
      throw new Error(
        `Cannot schedule an event at ${time} ns: it is before now (${this.now} ns); ` +
          'scheduling in the past is a bug in the caller',
      );
    }
    if (time === Number.POSITIVE_INFINITY) {
      throw new Error('Cannot schedule an event at Infinity: event times must be finite');
    }
    if (!(target >>> 0 === target && target < this.sinks.length)) {
      throw new Error(`Cannot schedule an event for target ${target}: no sink has that id`);
    }
    this.queue.push(time, target, arg);
  }

  /** Schedules `arg` for sink `target` `delay` ns from now. */
  after(delay: number, target: number, arg: number): void {
    this.at(this.now + delay, target, arg);
  }

  /**
   * Dispatches, in (time, sequence) order, every event due at or before endTime, including those
   * scheduled while running. Afterwards now = endTime, unless stop() was called (now stays at the
   * last event's time) or endTime is Infinity (now stays at the last event's time too, so the
   * engine can still schedule).
   */
  runUntil(endTime: number): void {
    if (!(endTime >= this.now)) {
      throw new Error(`Cannot run until ${endTime} ns: it is before now (${this.now} ns)`);
    }
    const queue = this.queue;
    const sinks = this.sinks;
    this.stopRequested = false;
    this.horizon = endTime;
    // An empty queue peeks as Infinity, which runUntil(Infinity) would otherwise accept.
    while (queue.size !== 0 && queue.peekTime() <= endTime) {
      queue.pop();
      const time = queue.time;
      this.now = time;
      this.eventsProcessed++;
      const target = queue.target;
      const arg = queue.arg;
      let h = Math.imul(this.traceHash ^ (time >>> 0), 0x01000193);
      h = Math.imul(h ^ target, 0x01000193);
      this.traceHash = Math.imul(h ^ (arg >>> 0), 0x01000193) >>> 0;
      if (this.recorder !== null) this.recorder.record(time, target, arg);
      sinks[target]!.onEvent(arg, time);
      if (this.stopRequested) {
        this.stopRequested = false;
        return;
      }
    }
    if (endTime !== Number.POSITIVE_INFINITY) this.now = endTime;
  }

  /** Makes the running runUntil return once the current event's handler returns. */
  stop(): void {
    this.stopRequested = true;
  }

  get pending(): number {
    return this.queue.size;
  }

  /** The earliest pending time, or Infinity when nothing is pending. */
  peekTime(): number {
    return this.queue.peekTime();
  }
}
