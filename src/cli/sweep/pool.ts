// Runs a sweep's jobs, in parallel on worker threads or in this thread. Outcomes are returned
// ordered by run index whatever order they complete in.

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ResultDocument } from '../../report/result.js';
import type { Simulation } from '../../scenario/build.js';
import type { RunOptions } from '../../scenario/run.js';
import { executeJob, type SweepJob, type SweepOutcome } from './execute.js';

export function defaultParallelism(): number {
  return Math.max(1, Math.min(2, availableParallelism()));
}

export interface PoolOptions {
  parallel: number;
  /** Called as each run completes (for progress). */
  onOutcome?: (o: SweepOutcome, done: number) => void;
  /** A stand-in for the model; forces running in this thread. */
  simulate?: ((sim: Simulation, opts: RunOptions) => ResultDocument) | undefined;
}

export async function runJobs(jobs: readonly SweepJob[], opts: PoolOptions): Promise<SweepOutcome[]> {
  const out = new Map<number, SweepOutcome>();
  const note = (o: SweepOutcome) => {
    out.set(o.index, o);
    opts.onOutcome?.(o, out.size);
  };
  const workers = Math.min(opts.parallel, jobs.length);
  if (workers <= 1 || opts.simulate !== undefined) {
    for (const job of jobs) {
      note(opts.simulate === undefined ? executeJob(job) : executeJob(job, opts.simulate));
      // Let the event loop breathe between runs (progress output, signals).
      await new Promise((r) => setImmediate(r));
    }
  } else {
    await runOnWorkers(jobs, workers, note);
  }
  return jobs.map((j) => out.get(j.index)!);
}

/**
 * The file a worker thread starts from. A worker starts with plain Node: compiled it loads the
 * compiled worker, from beside this module (dist/cli/sweep/pool.js) or, when this module is part of
 * the one-file bundle (dist/sddfsim.js), from the tree beside the bundle; run as TypeScript it needs
 * an entry that registers tsx first.
 */
export function workerEntry(moduleUrl: string): URL {
  if (!moduleUrl.endsWith('.js')) return new URL('./worker_entry.mjs', moduleUrl);
  if (moduleUrl.endsWith('/cli/sweep/pool.js')) return new URL('./worker.js', moduleUrl);
  return new URL('./cli/sweep/worker.js', moduleUrl);
}

function runOnWorkers(
  jobs: readonly SweepJob[],
  count: number,
  note: (o: SweepOutcome) => void,
): Promise<void> {
  const entry = workerEntry(import.meta.url);
  let next = 0;
  let finished = 0;
  return new Promise((resolveAll) => {
    const start = () => {
      const w = new Worker(entry);
      let current: SweepJob | null = null;
      const feed = () => {
        if (next < jobs.length) {
          current = jobs[next++]!;
          w.postMessage(current);
        } else {
          current = null;
          void w.terminate();
        }
      };
      const settle = (o: SweepOutcome) => {
        note(o);
        finished++;
        if (finished === jobs.length) resolveAll();
      };
      w.on('message', (o: SweepOutcome) => {
        settle(o);
        feed();
      });
      // A worker that dies takes its current run with it; the rest go to a fresh worker.
      w.on('error', (e) => {
        const job = current;
        current = null;
        if (job !== null) settle({ index: job.index, ok: false, error: `worker failed: ${e.message}` });
        if (next < jobs.length) start();
      });
      w.on('exit', (code) => {
        const job = current;
        if (job !== null) {
          current = null;
          settle({ index: job.index, ok: false, error: `worker exited with code ${code}` });
          if (next < jobs.length) start();
        }
      });
      feed();
    };
    for (let i = 0; i < count; i++) start();
  });
}
