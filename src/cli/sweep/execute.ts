// One run of a sweep, the same in the main thread and in a worker: the scenario input (already
// validated with its overrides) in, the result document or the reason it failed out.

import '../../scenario/build.js';
import '../../guest/costs.js';
import '../../vmm/costs.js';
import { knownCostNames } from '../../board/cost_model.js';
import type { ResultDocument } from '../../report/result.js';
import { BuildError, buildSimulation, type Simulation } from '../../scenario/build.js';
import { loadScenarioText } from '../../scenario/load.js';
import { type RunOptions, runSimulation } from '../../scenario/run.js';

export interface SweepJob {
  index: number;
  /** The scenario input document with the run's overrides, as JSON. */
  inputJson: string;
}

export type SweepOutcome =
  | { index: number; ok: true; doc: ResultDocument }
  | { index: number; ok: false; error: string };

export function executeJob(
  job: SweepJob,
  simulate: (sim: Simulation, opts: RunOptions) => ResultDocument = runSimulation,
): SweepOutcome {
  const r = loadScenarioText(job.inputJson, '<sweep>.json', {
    format: 'json',
    knownCosts: knownCostNames('imx8mm'),
  });
  if (!r.ok) {
    return {
      index: job.index,
      ok: false,
      error: r.problems.map((p) => `${p.path}: ${p.message}`).join('; '),
    };
  }
  try {
    const sim = buildSimulation(r.scenario);
    try {
      return { index: job.index, ok: true, doc: simulate(sim, {}) };
    } finally {
      // Only the result document outlives the job: the board's memory serves the next one.
      sim.board.memory.release();
    }
  } catch (e) {
    const prefix = e instanceof BuildError ? 'cannot build: ' : 'run failed: ';
    return { index: job.index, ok: false, error: prefix + (e instanceof Error ? e.message : String(e)) };
  }
}
