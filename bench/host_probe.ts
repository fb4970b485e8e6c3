/**
 * Prints one JSON BenchResult: the engine workload (16 pending, 1M events), best of three. Run in
 * a fresh process by bench/run.ts before and after the modules: in the bench's own process, after
 * the scenario modules, the engine's event dispatch has seen every component's sink and is no
 * longer the code a fresh process runs, so the same workload measured there reads slower whatever
 * the host does.
 */
import { measure } from './engine.bench.js';
import type { BenchResult } from './types.js';

const runs = [0, 1, 2].map(() => measure(16, 1_000_000, 100_000).value);
const result: BenchResult = {
  name: 'host.probe',
  value: Math.max(...runs),
  unit: 'Mevents/s',
  detail: `engine, 16 pending, 1M events in a fresh process: best of ${runs.map((v) => v.toFixed(1)).join(', ')}`,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
