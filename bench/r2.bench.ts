import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { loadScenarioText } from '../src/scenario/load.js';
import { guestsEchoScenarioText } from '../src/scenario/reference_scenarios.js';
import { buildSimulation } from '../src/scenario/build.js';
import { runSimulation } from '../src/scenario/run.js';
import { ProbeLog } from './cpu_probe.js';
import { chooseBuild } from '../bin/fresh_build.js';
import type { BenchModule, BenchResult } from './types.js';

/**
 * A run whose probe read within this factor of the best reading ran on a quiet vCPU. In session 8
 * the readings of runs on a quiet host were within 1.18x of the best (five bench runs, 25 warm and
 * 25 end-to-end runs); on a vCPU a neighbour slowed, 1.26-1.28x at the end of end-to-end runs that
 * took 7.3-7.7 s instead of 5.1, and up to 1.9x for the part over doubles between a run's slices.
 */
const QUIET_PROBE = 1.2;

const BIN = fileURLToPath(new URL('../bin/sddfsim.js', import.meta.url));
const R2_FILE = fileURLToPath(new URL('../examples/r2-eight-guests.yaml', import.meta.url));
const EXIT_PROBE = new URL('./exit_probe.js', import.meta.url).href;

/**
 * R2 as a user runs it: `sddfsim run examples/r2-eight-guests.yaml --duration <d>` in a fresh
 * process, timed from spawn to exit (Node start-up, TypeScript loading and V8 warm-up included).
 */
function endToEnd(durationS: number): { wall: number; simS: number; probe: number } {
  const t0 = performance.now();
  const args = ['--import', EXIT_PROBE, BIN, 'run', R2_FILE, '--duration', `${durationS}s`, '--json'];
  const r = spawnSync(process.execPath, args, {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    maxBuffer: 64 * 1024 * 1024,
  });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`sddfsim run exited ${r.status}: ${r.stderr}`);
  const doc = JSON.parse(r.stdout) as { simulated_ns: number };
  // The probe ran at the child's exit, inside the wall time above: take its time out.
  const m = /cpu-probe: ([0-9.]+) ([0-9.]+)/.exec(r.stderr);
  if (m === null) throw new Error(`no probe reading from sddfsim run: ${r.stderr}`);
  return { wall: wall - Number(m[2]) / 1000, simS: doc.simulated_ns / 1e9, probe: Number(m[1]) };
}

/**
 * One in-process run; a probe reading (bench/cpu_probe.js) at each of its ten progress points, whose
 * time is taken out of the wall time.
 */
function run(n: number, totalMbps: number, durationS: number) {
  const r = loadScenarioText(guestsEchoScenarioText(n, totalMbps, durationS), 'r2.yaml');
  if (!r.ok) throw new Error(r.problems.map((p) => `${p.path}: ${p.message}`).join('; '));
  const probe = new ProbeLog();
  const t0 = performance.now();
  const sim = buildSimulation(r.scenario);
  const doc = runSimulation(sim, { onProgress: () => probe.take() });
  const wall = (performance.now() - t0 - probe.spentMs) / 1000;
  // As runScenario does: the board's memory serves the next run (src/board/byte_pool.ts).
  sim.board.memory.release();
  let frames = 0;
  for (const c of doc.clients) frames += c.rx_frames + c.tx_frames;
  const achieved = doc.load.reduce((a, l) => a + l.achieved_mbps, 0);
  return { wall, frames, events: doc.events, achieved, simS: durationS + 0.05 + 0.02, probe };
}

/**
 * One run of n guests with wall time, frames through guests and events read at each of the run's
 * progress points (tenths of the measured window); the steady-state cost is taken from the first
 * point at or past `fromS` simulated seconds to the end of the window.
 */
function steady(n: number, totalMbps: number, durationS: number, fromS: number) {
  const r = loadScenarioText(guestsEchoScenarioText(n, totalMbps, durationS), 'r2.yaml');
  if (!r.ok) throw new Error(r.problems.map((p) => `${p.path}: ${p.message}`).join('; '));
  const t0 = performance.now();
  const sim = buildSimulation(r.scenario);
  const frames = () => sim.clients.reduce((a, c) => a + c.counters().rxFrames + c.counters().txFrames, 0);
  type Point = { wall: number; sim: number; frames: number; events: number };
  const at = (simNs: number): Point => ({
    wall: performance.now(),
    sim: simNs,
    frames: frames(),
    events: sim.board.engine.eventsProcessed,
  });
  let mark: Point | null = null;
  let last: Point | null = null;
  // Probe readings after the mark; their time is taken out of the steady-state wall time.
  const probe = new ProbeLog();
  const doc = runSimulation(sim, {
    onProgress: (simNs) => {
      last = at(simNs);
      if (mark === null && simNs >= fromS * 1e9) mark = last;
      if (mark !== null && simNs < sim.scenario.warmup + sim.scenario.duration) probe.take();
    },
  });
  const wallAll = performance.now() - t0 - probe.spentMs;
  sim.board.memory.release();
  const none: Point = { wall: t0, sim: 0, frames: 0, events: 0 };
  const end: Point = last ?? none;
  const m: Point = mark ?? none;
  let all = 0;
  for (const c of doc.clients) all += c.rx_frames + c.tx_frames;
  const dWall = (end.wall - m.wall - probe.spentMs) * 1e6;
  return {
    perFrame: dWall / Math.max(1, end.frames - m.frames),
    perEvent: dWall / Math.max(1, end.events - m.events),
    whole: (wallAll * 1e6) / Math.max(1, all),
    frames: end.frames - m.frames,
    fromS: m.sim / 1e9,
    toS: end.sim / 1e9,
    probe,
  };
}

/** How a quiet-host figure was taken from n runs sorted fastest first. */
function medianOf(n: number): string {
  return n % 2 === 0 ? 'median (the slower of the middle two)' : 'median';
}

/**
 * Reference scenario R2: eight guests sharing 957 Mb/s of echo load (a four-core board, two
 * guests per core). Reports simulated seconds per wall-clock second and peak memory, and the
 * wall time per simulated frame at 1, 8 and 64 guests for the same total load (should be flat).
 */
export const r2Bench: BenchModule = {
  name: 'r2',
  run(opts): BenchResult[] {
    // The cold figure is the first run in the process: V8 compiles the guest and VMM paths while
    // it runs. The warm runs are longer (2 simulated s) because every run builds a new board, and
    // the first touch of its memory (guest RAM, sDDF regions, cache mirrors) took 8,000-15,000
    // page faults a run at about 12 us each on this kind of virtual machine, 0.1-0.2 s: a fifth
    // of a 0.57 s run's figure, where a longer scenario pays it once. (Since the byte pool,
    // src/board/byte_pool.ts, a run in the same process reuses most of the previous board's
    // memory, as sweep and crash-test workers do.)
    const coldS = opts.quick ? 0.1 : 0.5;
    const warmS = opts.quick ? 0.1 : 2;
    const cold = run(8, 957, coldS);
    const warmUp = run(8, 957, opts.quick ? 0.05 : 0.5);
    // Five timed runs: a run is fast or slow as a whole, by the vCPU it lands on (cpu_probe.js), and
    // the median of five stands for the usual case where three could be two slow runs of three.
    const runs = [0, 1, 2, 3, 4].map(() => run(8, 957, warmS));
    const byWall = [...runs].sort((a, b) => a.wall - b.wall);
    const r = byWall[2]!;
    // Read now: the steady-state runs below (64 guests among them) keep more memory in the pool.
    const peakRss = process.resourceUsage().maxRSS / 1024;
    const spread = `${(r.simS / byWall[4]!.wall).toFixed(2)}-${(r.simS / byWall[0]!.wall).toFixed(2)}`;
    // End to end: a user's `sddfsim run` in a fresh process, five times (the median is the figure).
    const e2eS = opts.quick ? 0.5 : 5;
    // bin/sddfsim.js runs the TypeScript through tsx when src/ changed after the last build: slower
    // to start and with more page faults (40k against 26k in session 8), so such figures say so.
    const build = chooseBuild(fileURLToPath(new URL('../', import.meta.url)), process.env);
    const stale =
      build.use === 'src'
        ? ` NOT the build: ${build.why}, so sddfsim ran from src/ through tsx (npm run build);`
        : '';
    const e2eRuns = [0, 1, 2, 3, 4].map(() => endToEnd(e2eS));
    const e2e = [...e2eRuns].sort((a, b) => a.wall - b.wall);
    const e = e2e[2]!;
    const e2eSpread = `${(e.simS / e2e[4]!.wall).toFixed(2)}-${(e.simS / e2e[0]!.wall).toFixed(2)}`;
    // Wall cost per simulated frame in the steady state: the wall time between two progress points
    // of one run, the first past the first simulated second, over the frames through guests in
    // between. Building the board, faulting in its memory and V8's warm-up all fall before it: 64
    // guests at 6.25 Mb/s each take about a second to cycle through their buffer pools once, and
    // until then every new buffer touched is a page fault of 11-14 us on this kind of host (over
    // whole 0.27 s runs the 64-guest figure was 20-34 us a frame, mostly faults). Session 6 first
    // took the difference of a long and a short run, but the host's swings between two runs (10-30%)
    // sometimes made it negative. Median of three runs, after one warm-up run.
    const durS = opts.quick ? 0.1 : 2.1;
    const fromS = opts.quick ? 0.06 : 1.1;
    const perGuests = [1, 8, 64].map((n) => {
      steady(n, 400, durS, fromS);
      const runs = [0, 1, 2].map(() => steady(n, 400, durS, fromS));
      runs.sort((x, y) => x.perFrame - y.perFrame);
      return { n, runs, m: runs[1]! };
    });
    // The host's own speed during each run, against the best probe reading of the R2 runs after the
    // first. The readings depend on what ran just before them (the first run's, taken while V8
    // still compiles, and those between the slices of a smaller board read lower), so only runs of
    // the same board are compared.
    const best = Math.min(warmUp.probe.median(), ...runs.map((x) => x.probe.median()));
    const slowdown = (x: { probe: ProbeLog }) => x.probe.median() / best;
    const perRun = runs
      .map((x) => `${(x.simS / x.wall).toFixed(2)}x (probe ${slowdown(x).toFixed(2)})`)
      .join(', ');
    const quiet = runs.filter((x) => slowdown(x) <= QUIET_PROBE).sort((a, b) => a.wall - b.wall);
    // Sorted fastest first, so an even count takes the slower of the middle two: the faster one (the
    // rule up to session 9) flattered a pair of which one run was slowed but read just inside 1.2x.
    const q = quiet[quiet.length >>> 1];
    // A probe at a fresh process's exit reads lower than one between the slices of a run (about 1.4
    // against 1.5-1.6 ms on a quiet host in session 8: the run's code and data have not just pushed
    // it out of the caches), so the end-to-end readings are held against their own best.
    const e2eBest = Math.min(...e2eRuns.map((x) => x.probe));
    const e2ePerRun = e2eRuns
      .map((x) => `${(x.simS / x.wall).toFixed(2)}x (probe ${(x.probe / e2eBest).toFixed(2)})`)
      .join(', ');
    const e2eQuiet = e2eRuns.filter((x) => x.probe / e2eBest <= QUIET_PROBE).sort((a, b) => a.wall - b.wall);
    const eq = e2eQuiet[e2eQuiet.length >>> 1];
    const out: BenchResult[] = [
      {
        name: 'r2.8-guests.957Mbps',
        value: r.simS / r.wall,
        unit: 'sim-s/wall-s',
        detail: `warm: median of 5 runs (${spread}x) after two warm-up runs, ${r.simS.toFixed(2)} simulated s in ${r.wall.toFixed(2)} s; achieved ${r.achieved.toFixed(1)} Mb/s; each run with its host probe (1 = the best reading): ${perRun}`,
      },
      {
        name: 'r2.8-guests.957Mbps.quiet-host',
        value: q === undefined ? Number.NaN : q.simS / q.wall,
        unit: 'sim-s/wall-s',
        detail:
          q === undefined
            ? `no warm run had a host probe within ${QUIET_PROBE}x of the best reading: the host was slow throughout`
            : `${medianOf(quiet.length)} of the ${quiet.length} warm run(s) of 5 whose host probe read within ${QUIET_PROBE}x of its best: runs no neighbour slowed by much (bench/cpu_probe.js; the probe moves about half as far as R2)`,
      },
      {
        name: 'r2.host_slowdown',
        value: Math.max(...runs.map(slowdown)),
        unit: 'x',
        detail: `the slowest warm run's host probe against the best reading of the R2 runs after the first (${best.toFixed(2)} ms); up to 1.18 on a quiet host in session 8, 1.26 and more on a vCPU a neighbour slowed`,
      },
      {
        name: 'r2.8-guests.957Mbps.cold',
        value: cold.simS / cold.wall,
        unit: 'sim-s/wall-s',
        detail: `cold: the first run of the scenario in the process (${cold.simS.toFixed(2)} simulated s in ${cold.wall.toFixed(2)} s)`,
      },
      {
        name: 'r2.8-guests.957Mbps.end-to-end',
        value: e.simS / e.wall,
        unit: 'sim-s/wall-s',
        detail: `\`sddfsim run examples/r2-eight-guests.yaml --duration ${e2eS}s\` in a fresh process,${stale} median of 5 (${e2eSpread}x): ${e.simS.toFixed(2)} simulated s in ${e.wall.toFixed(2)} s, start-up included; each run with its host probe, read as the process exits (bench/exit_probe.js): ${e2ePerRun}`,
      },
      {
        name: 'r2.8-guests.957Mbps.end-to-end.quiet-host',
        value: eq === undefined ? Number.NaN : eq.simS / eq.wall,
        unit: 'sim-s/wall-s',
        detail:
          eq === undefined
            ? `no end-to-end run had a host probe within ${QUIET_PROBE}x of the best of them`
            : `${medianOf(e2eQuiet.length)} of the ${e2eQuiet.length} end-to-end run(s) of 5 whose host probe read within ${QUIET_PROBE}x of the best of them (${e2eBest.toFixed(2)} ms)`,
      },
      {
        name: 'r2.peak_rss',
        value: peakRss,
        unit: 'MiB',
        detail:
          'peak resident set of the bench process after seven in-process R2 runs (cold, warm-up, five timed)',
      },
    ];
    for (const { n, runs, m } of perGuests) {
      out.push({
        name: `r2.wall_per_frame.${n}-guests`,
        value: m.perFrame,
        unit: 'ns/frame',
        // Per event too: with more guests a frame wakes more PDs (less batching), so the simulated
        // work per frame grows; the wall time per simulated event shows how much of the growth is
        // the simulator's own.
        detail: `400 Mb/s split over ${n} guest(s): wall from ${m.fromS.toFixed(2)} to ${m.toS.toFixed(2)} simulated s of one run over the ${m.frames} frames through guests in between, median of 3 runs (${runs[0]!.perFrame.toFixed(0)}-${runs[2]!.perFrame.toFixed(0)}); ${m.perEvent.toFixed(0)} ns per simulated event; the whole run: ${m.whole.toFixed(0)} ns/frame; host probe ${m.probe.median().toFixed(2)} ms`,
      });
    }
    return out;
  },
};
