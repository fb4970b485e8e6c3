import { performance } from 'node:perf_hooks';
import { runIpbenchPoint } from '../src/ipbench/sweep.js';
import type { BenchModule, BenchResult } from './types.js';

/**
 * Reference scenario R1: the echo-server system (driver, virt_rx, virt_tx, two copiers,
 * two clients) on one core, 1 GbE, 957 Mb/s requested, 1472-byte payloads. Reports
 * simulated seconds per wall-clock second (>= 1 means faster than the board).
 */
export const r1Bench: BenchModule = {
  name: 'r1',
  run(opts): BenchResult[] {
    const simSeconds = opts.quick ? 0.2 : 1;
    const warmup = 0.05;
    // One short run first so the JIT has seen the data path.
    runIpbenchPoint(point(0.05, 0.01));
    const t0 = performance.now();
    const row = runIpbenchPoint(point(simSeconds, warmup));
    const wall = (performance.now() - t0) / 1000;
    const frames = (row.achieved_mbps * 1e6 * simSeconds) / (1472 * 8);
    return [
      {
        name: 'r1.echo-server.957Mbps',
        value: (simSeconds + warmup) / wall,
        unit: 'sim-s/wall-s',
        detail: `${(simSeconds + warmup).toFixed(2)} simulated s in ${wall.toFixed(2)} s; achieved ${row.achieved_mbps} Mb/s, cpu ${row.cpu}`,
      },
      {
        name: 'r1.wall_per_echo',
        value: (wall * 1e9) / Math.max(1, frames),
        unit: 'ns/echoed-frame',
        detail: 'wall time per frame echoed (received and sent back)',
      },
    ];
  },
};

function point(durationS: number, warmupS: number) {
  return {
    system: 'echo-server' as const,
    requestedBps: 957e6,
    payload: 1472,
    cores: 1,
    durationNs: durationS * 1e9,
    warmupNs: warmupS * 1e9,
    seed: 1,
    smp: false,
    smpBarriers: false,
    streams: 4,
  };
}
