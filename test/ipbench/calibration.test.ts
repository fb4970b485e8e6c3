import { describe, expect, it } from 'vitest';
import { runIpbenchPoint } from '../../src/ipbench/sweep.js';
import type { SystemName } from '../../src/scenario/schema.js';
import { cpuTolerance, measuredTable } from '../../tools/calibration_tables.js';

/**
 * Pins a few calibration points: the model's output is deterministic, so these fail when a
 * change moves the model away from the published measurements. The full comparison, every
 * point of every table, is docs/calibration.md (tools/calibration_report.ts).
 */
function point(system: SystemName, requested: number) {
  return runIpbenchPoint({
    system,
    requestedBps: requested * 1e6,
    payload: 1472,
    cores: 1,
    durationNs: 0.2e9,
    warmupNs: 0.05e9,
    seed: 1,
    smp: false,
    smpBarriers: false,
    streams: 4,
  });
}

const cases: [SystemName, number][] = [
  ['sddf-5pd', 100],
  ['sddf-5pd', 700],
  ['sddf-2pd', 600],
  ['linux', 100],
  ['linux', 957],
];

describe('calibration against the published i.MX8M Mini measurements', () => {
  for (const [system, load] of cases) {
    it(`${system} at ${load} Mb/s: throughput within 2% and CPU within the tolerance`, () => {
      const m = measuredTable(system).find((p) => p.requested === load)!;
      const r = point(system, load);
      expect(Math.abs(r.achieved_mbps - m.achieved) / m.achieved).toBeLessThan(0.02);
      expect(Math.abs(r.cpu - m.cpu)).toBeLessThanOrEqual(cpuTolerance(system));
    });
  }

  it('shows sDDF CPU growing sub-linearly with load (per-packet cost falls)', () => {
    const lo = point('sddf-5pd', 100);
    const hi = point('sddf-5pd', 900);
    expect(hi.cycles_per_pkt).toBeLessThan(0.7 * lo.cycles_per_pkt);
    expect(hi.cpu / lo.cpu).toBeLessThan(9 * 0.6);
  });

  it('shows Linux saturating near 625 Mb/s and its throughput then falling', () => {
    const at700 = point('linux', 700);
    const at957 = point('linux', 957);
    expect(at700.achieved_mbps).toBeLessThan(660);
    expect(at957.achieved_mbps).toBeLessThan(at700.achieved_mbps - 30);
    expect(at957.cpu).toBeGreaterThan(0.98);
  });
});
