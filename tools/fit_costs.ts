/**
 * Fits cost-model entries to the calibration tables by coordinate descent, with the
 * simulator in the loop: every evaluation runs the real model at every load point.
 * The result is a set of constants to paste into the cost tables, each of which then
 * says "fitted: <table>". Usage:
 *   npx tsx tools/fit_costs.ts <system[,system...]> <param,param,...> [--passes N] [--start JSON]
 */
import { runIpbenchPoint } from '../src/ipbench/sweep.js';
import type { SystemName } from '../src/scenario/schema.js';
import { cpuTolerance, measuredTable } from './calibration_tables.js';
import { costTable } from '../src/board/cost_model.js';
import '../src/sddf/costs.js';
import '../src/baseline/costs.js';

const systems = (process.argv[2] ?? 'sddf-2pd').split(',') as SystemName[];
const params = (process.argv[3] ?? '').split(',').filter(Boolean);
const argi = (k: string) => process.argv.indexOf(k);
const passes = argi('--passes') > 0 ? Number(process.argv[argi('--passes') + 1]) : 3;
const start: Record<string, number> =
  argi('--start') > 0 ? JSON.parse(process.argv[argi('--start') + 1]!) : {};
const durationNs = argi('--duration') > 0 ? Number(process.argv[argi('--duration') + 1]) * 1e9 : 0.2e9;

// Plausible ranges (cycles) so the search cannot buy a fit with an unphysical constant.
const bounds: Record<string, [number, number]> =
  argi('--bounds') > 0 ? JSON.parse(process.argv[argi('--bounds') + 1]!) : {};
const clamp = (p: string, v: number): number => {
  const b = bounds[p];
  return b === undefined ? v : Math.min(b[1], Math.max(b[0], v));
};

const table = costTable('imx8mm');
const current: Record<string, number> = {};
for (const p of params) current[p] = start[p] ?? table[p]!.value;

function evaluate(costs: Record<string, number>, verbose = false): number {
  let err = 0;
  for (const system of systems) {
    const tol = cpuTolerance(system);
    for (const m of measuredTable(system)) {
      const r = runIpbenchPoint({
        system,
        requestedBps: m.requested * 1e6,
        payload: 1472,
        cores: 1,
        durationNs,
        warmupNs: 0.05e9,
        seed: 1,
        smp: false,
        smpBarriers: false,
        streams: 4,
        costs: { ...start, ...costs },
      });
      const dc = (r.cpu - m.cpu) / tol;
      const dt = (r.achieved_mbps - m.achieved) / (0.02 * m.achieved);
      // Squared errors in units of the tolerance, with a steep wall past it.
      err +=
        dc * dc +
        dt * dt +
        (Math.abs(dc) > 1 ? 10 * (Math.abs(dc) - 1) : 0) +
        (Math.abs(dt) > 1 ? 10 * (Math.abs(dt) - 1) : 0);
      if (verbose)
        console.log(
          `${system} ${String(m.requested).padStart(4)}: ach ${r.achieved_mbps.toFixed(1)} (${m.achieved}) cpu ${r.cpu.toFixed(3)} (${m.cpu}) d=${(r.cpu - m.cpu).toFixed(3)} cpp ${r.cycles_per_pkt} (${m.cyclesPerPkt}) rtt ${r.rtt_us.mean} (${m.rttUs})`,
        );
    }
  }
  return err;
}

let best = evaluate(current);
console.log('start', best.toFixed(2), JSON.stringify(current));
const steps =
  argi('--steps') > 0 ? process.argv[argi('--steps') + 1]!.split(',').map(Number) : [1.5, 1.2, 1.08];
for (let pass = 0; pass < passes; pass++) {
  const step = steps[Math.min(pass, steps.length - 1)]!;
  for (const p of params) {
    for (const f of [step, 1 / step]) {
      let improved = true;
      while (improved) {
        improved = false;
        const next = clamp(p, Math.round(current[p]! * f * 100) / 100);
        if (next === current[p]) break;
        const trial = { ...current, [p]: next };
        const e = evaluate(trial);
        if (e < best) {
          best = e;
          Object.assign(current, trial);
          improved = true;
          console.log(`pass ${pass} ${p}=${trial[p]} err ${e.toFixed(2)}`);
        }
      }
    }
  }
}
console.log('final', best.toFixed(2), JSON.stringify(current));
evaluate(current, true);
