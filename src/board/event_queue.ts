/**
 * The simulation's pending events: a min-priority queue ordered by (time, sequence number), so
 * events at equal times come out in the order they were pushed.
 *
 * A 4-ary implicit heap kept in four parallel typed arrays (structure of arrays), one slot per
 * event; slot i's children are 4i+1 .. 4i+4. Moving an event moves its four fields.
 *
 * | array   | type         | field                                        |
 * |---------|--------------|----------------------------------------------|
 * | times   | Float64Array | due time, ns                                 |
 * | seqs    | Float64Array | push order (exact integer up to 2^53)        |
 * | targets | Int32Array   | who receives the event (an engine sink id)   |
 * | args    | Float64Array | the receiver's argument                      |
 *
 * A 4-ary heap beat a binary one in bench/engine.bench.ts (shallower sift-down, children of a
 * slot share cache lines). The arrays double when full and never shrink, so a steady-state
 * simulation allocates nothing per event.
 *
 * | operation | cost         |
 * |-----------|--------------|
 * | push      | O(log4 n)    |
 * | pop       | O(4 log4 n)  |
 * | peekTime  | O(1)         |
 * | clear     | O(1)         |
 */
export class EventQueue {
  /** Out-parameters written by pop(): the removed event. */
  time = 0;
  target = 0;
  arg = 0;

  private times: Float64Array;
  private seqs: Float64Array;
  private targets: Int32Array;
  private args: Float64Array;
  private capacity: number;
  private count = 0;
  private nextSeq = 0;

  constructor(initialCapacity = 1024) {
    if (!(Number.isInteger(initialCapacity) && initialCapacity >= 1)) {
      throw new RangeError(`Cannot create EventQueue with capacity ${initialCapacity}: need an integer >= 1`);
    }
    this.capacity = initialCapacity;
    this.times = new Float64Array(initialCapacity);
    this.seqs = new Float64Array(initialCapacity);
    this.targets = new Int32Array(initialCapacity);
    this.args = new Float64Array(initialCapacity);
  }

  get size(): number {
    return this.count;
  }

  push(time: number, target: number, arg: number): void {
    if (this.count === this.capacity) this._grow();
    const times = this.times;
    const seqs = this.seqs;
    const targets = this.targets;
    const args = this.args;
    const seq = this.nextSeq++;
    let i = this.count++;
    // The new event has the largest sequence number, so it stays below any parent whose time is
    // not later than its own: only times need comparing on the way up.
    while (i > 0) {
      const p = (i - 1) >> 2;
      const pt = times[p]!;
      if (pt <= time) break;
      times[i] = pt;
      seqs[i] = seqs[p]!;
      targets[i] = targets[p]!;
      args[i] = args[p]!;
      i = p;
    }
    times[i] = time;
    seqs[i] = seq;
    targets[i] = target;
    args[i] = arg;
  }

  /** The earliest pending time, or Infinity when empty. */
  peekTime(): number {
    return this.count === 0 ? Number.POSITIVE_INFINITY : this.times[0]!;
  }

  /** Removes the earliest event into `time`, `target`, `arg`; false (fields untouched) when empty. */
  pop(): boolean {
    if (this.count === 0) return false;
    const times = this.times;
    const seqs = this.seqs;
    const targets = this.targets;
    const args = this.args;
    this.time = times[0]!;
    this.target = targets[0]!;
    this.arg = args[0]!;
    const n = --this.count;
    if (n === 0) return true;
    // Sift the last event down from the root, moving the smallest child up into the hole.
    const t = times[n]!;
    const s = seqs[n]!;
    let i = 0;
    for (;;) {
      const first = 4 * i + 1;
      if (first >= n) break;
      let c = first;
      let ct = times[first]!;
      let cs = seqs[first]!;
      const end = Math.min(first + 4, n);
      for (let j = first + 1; j < end; j++) {
        const jt = times[j]!;
        if (jt < ct || (jt === ct && seqs[j]! < cs)) {
          c = j;
          ct = jt;
          cs = seqs[j]!;
        }
      }
      if (t < ct || (t === ct && s < cs)) break;
      times[i] = ct;
      seqs[i] = cs;
      targets[i] = targets[c]!;
      args[i] = args[c]!;
      i = c;
    }
    times[i] = t;
    seqs[i] = s;
    targets[i] = targets[n]!;
    args[i] = args[n]!;
    return true;
  }

  /** Drops every pending event; capacity is kept and sequence numbers keep increasing. */
  clear(): void {
    this.count = 0;
  }

  private _grow(): void {
    const capacity = this.capacity * 2;
    const times = new Float64Array(capacity);
    const seqs = new Float64Array(capacity);
    const targets = new Int32Array(capacity);
    const args = new Float64Array(capacity);
    times.set(this.times);
    seqs.set(this.seqs);
    targets.set(this.targets);
    args.set(this.args);
    this.times = times;
    this.seqs = seqs;
    this.targets = targets;
    this.args = args;
    this.capacity = capacity;
  }
}
