// @ts-check
import { performance } from 'node:perf_hooks';

/**
 * A fixed pure-JavaScript workload timed on the thread that runs a scenario, between two of its
 * progress points, so that a slow run can be told from a slow host.
 *
 * Why inside the run: on the virtual machines this project is measured on, one of the two vCPUs
 * is at times 1.6-1.7x slower than the other for minutes on end (another tenant on the physical
 * core, presumably): in session 8 a loop over doubles pinned with `taskset` took 267 ms on one
 * vCPU and 156 ms on the other, and R2 ran 110 against 69 ms of wall time per 100 simulated ms.
 * Which vCPU is the slow one changes from one half hour to the next. A thread stays on its vCPU
 * for seconds and moves mostly when a new board is built (the garbage collector's and compiler's
 * threads wake up), so a whole R2 run is fast or slow. A probe in a process of its own, or before
 * and after the run, may land on the other vCPU and read quiet (session 7's did); one timed between
 * the run's own slices cannot.
 *
 * What slows down is floating-point and vector work: in session 8, during a slow R2 run (116
 * against 69-76 ms per 100 simulated ms) on the slow vCPU, a loop of double multiplications and
 * additions took 11.4 ms against 5.7-6.7, 1514-byte copies 0.37 ms against 0.20-0.23, and an
 * integer loop over a table in L1 1.09 ms against 0.99-1.06: no change. The simulator's clock and
 * cycle accounting are doubles, and typed-array copies use the vector unit. So the probe is both
 * kinds: a recurrence over doubles in 32 KiB, then 8,000 frame-sized copies within 256 KiB, about
 * 1.5 ms in all, allocating nothing but one short-lived view per copy (as the simulator does).
 */
const FP_WORDS = 4096;
const FP_ROUNDS = 300;
const COPY_SPAN = 256 * 1024;
const COPIES = 8000;
const FRAME = 1514;
const doubles = new Float64Array(FP_WORDS);
const bytes = new Uint8Array(COPY_SPAN);
let sink = 0;

/**
 * Runs the workload once and returns its wall time in milliseconds.
 * @returns {number}
 */
export function cpuProbe() {
  const d = doubles;
  const b = bytes;
  const t0 = performance.now();
  let s = sink;
  for (let r = 0; r < FP_ROUNDS; r++) {
    for (let i = 0; i < FP_WORDS; i++) {
      const v = /** @type {number} */ (d[i]) * 0.5 + i;
      d[i] = v;
      s += v;
    }
  }
  let o = 0;
  const half = COPY_SPAN >>> 1;
  for (let k = 0; k < COPIES; k++) {
    b.set(b.subarray(o, o + FRAME), o + half);
    o = (o + 2048) & (half - 1);
  }
  sink = s + /** @type {number} */ (b[o]);
  return performance.now() - t0;
}

/** Probe readings of one run, and the wall time they took (to take out of the run's figure). */
export class ProbeLog {
  /** @type {number[]} */
  readings = [];
  spentMs = 0;

  /** Takes one reading (the progress callback of a run calls this). */
  take() {
    const t0 = performance.now();
    this.readings.push(cpuProbe());
    this.spentMs += performance.now() - t0;
  }

  /** @returns {number} */
  median() {
    const s = [...this.readings].sort((a, b) => a - b);
    return s.length === 0 ? Number.NaN : /** @type {number} */ (s[s.length >>> 1]);
  }
}
