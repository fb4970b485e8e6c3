// @ts-check
// Runs reference scenario R2 (eight echo guests on four cores sharing 957 Mb/s, as
// bench/r2.bench.ts builds it) several times in one process from the compiled build, and prints
// each run's wall time, speed and trace hash. Made for instruction counts, which need plain
// JavaScript and no loader thread:
//
//   npm run build
//   valgrind --tool=cachegrind --cache-sim=no node --single-threaded tools/r2_runs.js 0.05 0.15 0.3
//
// Arguments are simulated seconds per run (after the 50 ms warm-up); GUESTS and MBPS change the
// board (64 guests get 4 MiB of RAM each, as in the bench).

import { performance } from 'node:perf_hooks';

const dist = new URL('../dist/', import.meta.url);
const { loadScenarioText } = await import(new URL('scenario/load.js', dist).href);
const { buildSimulation } = await import(new URL('scenario/build.js', dist).href);
const { runSimulation } = await import(new URL('scenario/run.js', dist).href);
const { guestsEchoScenarioText } = await import(new URL('scenario/reference_scenarios.js', dist).href);

const guests = Number(process.env['GUESTS'] ?? 8);
const mbps = Number(process.env['MBPS'] ?? 957);
const durations = process.argv.slice(2).map(Number);
if (durations.length === 0 || durations.some((d) => !(d > 0))) {
  process.stderr.write('usage: node tools/r2_runs.js <simulated seconds>...\n');
  process.exit(2);
}

for (const d of durations) {
  const loaded = loadScenarioText(guestsEchoScenarioText(guests, mbps, d), 'r2.yaml');
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  const t0 = performance.now();
  const sim = buildSimulation(loaded.scenario);
  const doc = runSimulation(sim);
  const wall = (performance.now() - t0) / 1000;
  // As runScenario does: the board's memory serves the next run (src/board/byte_pool.ts).
  sim.board.memory.release();
  let frames = 0;
  for (const c of doc.clients) frames += c.rx_frames;
  // Everything simulated: the warm-up, the measured window and the drain after it.
  const simS = sim.board.engine.now / 1e9;
  process.stdout.write(
    `${d} s: ${wall.toFixed(3)} s wall, ${(simS / wall).toFixed(3)} sim-s/wall-s, ${frames} frames echoed, trace ${doc.trace_hash}\n`,
  );
}
