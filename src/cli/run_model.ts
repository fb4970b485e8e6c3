// Building and running the model for a command, with the model's failures turned into the
// CLI's: a configuration the build refuses is an input error (exit 2), a crash while running is
// a failed run (exit 1), each reported by its message.

import { performance } from 'node:perf_hooks';
import type { ResultDocument } from '../report/result.js';
import { BuildError, buildSimulation, type Simulation } from '../scenario/build.js';
import { type RunObserver, runSimulation } from '../scenario/run.js';
import { formatPath } from '../scenario/problems.js';
import type { Scenario } from '../scenario/schema.js';
import { runFailure, usageError } from './exit_codes.js';
import type { CliIo } from './io.js';
import type { Progress } from './progress.js';

/** Builds a scenario's system; what the build refuses is the user's input, not a crash. */
export function buildOrExplain(s: Scenario): Simulation {
  try {
    return buildSimulation(s);
  } catch (e) {
    if (e instanceof BuildError) {
      const where = e.path !== null ? `${formatPath(e.path)}: ` : '';
      throw usageError(`Cannot build the scenario '${s.name}': ${where}${e.message}`);
    }
    throw e;
  }
}

/** Simulated time per wall-clock time since t0 (performance.now()), as "1.23x real time". */
function speed(simNs: number, t0: number): string {
  const wallMs = performance.now() - t0;
  return wallMs > 0 ? `${(simNs / 1e6 / wallMs).toFixed(2)}x real time` : '';
}

/** Runs the model, turning a crash inside it into a run failure (exit 1) with its message. */
export function simulate(
  io: CliIo,
  sim: Simulation,
  observers: RunObserver[],
  progress: Progress,
): ResultDocument {
  const run = io.simulate ?? runSimulation;
  // The terminal's progress line also says how fast the run goes against the board it simulates
  // (the wall clock never reaches the result document, which stays the same from run to run).
  const t0 = performance.now();
  try {
    return run(sim, {
      observers,
      onProgress: (t, end) => progress.update(t / end, `${Math.round(t / 1e6)} ms, ${speed(t, t0)}`),
    });
  } catch (e) {
    progress.done();
    throw runFailure(
      `The run of '${sim.scenario.name}' failed: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}
