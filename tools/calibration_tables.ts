import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** One measured load point of ../shared/calibration/imx8mm-single-core.md. */
export interface MeasuredPoint {
  requested: number;
  achieved: number;
  cpu: number;
  cyclesPerPkt: number;
  rttUs: number;
}

export const CALIBRATION_FILE = fileURLToPath(
  new URL('../calibration/imx8mm-single-core.md', import.meta.url),
);

/** Parses the system's table out of the calibration file (the file is the source of truth). */
export function measuredTable(system: string, file = CALIBRATION_FILE): MeasuredPoint[] {
  const text = readFileSync(file, 'utf8');
  const part = text.split(`### ${system}\n`)[1];
  if (part === undefined) throw new Error(`no table for ${system} in ${file}`);
  const lines = part.split('```')[1]!.trim().split('\n').slice(1);
  return lines.map((l) => {
    const [req, ach, cpu, cpp, rtt] = l.split(',').map((x) => (x === '' ? Number.NaN : Number(x)));
    return { requested: req!, achieved: ach!, cpu: cpu!, cyclesPerPkt: cpp!, rttUs: rtt! };
  });
}

/** Tolerances the model must meet (calibration file, "What a calibrated model must show"). */
export function cpuTolerance(system: string): number {
  return system === 'linux' || system === 'sddf-5pd' ? 0.05 : 0.07;
}
