/**
 * Runs every calibration table through the model and writes docs/calibration.md (the
 * tables side by side), docs/calibration.csv and docs/calibration.svg (model against
 * measurement). This is the command the README names for reproducing the fit:
 *   npx tsx tools/calibration_report.ts [--duration 0.5] [--out docs]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runIpbenchPoint } from '../src/ipbench/sweep.js';
import { lineChart, type Series } from '../src/report/svg_plot.js';
import type { SystemName } from '../src/scenario/schema.js';
import { cpuTolerance, measuredTable } from './calibration_tables.js';

const SYSTEMS: SystemName[] = ['linux', 'sddf-2pd', 'sddf-4pd', 'sddf-d5pd', 'sddf-5pd'];
const argi = (k: string) => process.argv.indexOf(k);
const durationS = argi('--duration') > 0 ? Number(process.argv[argi('--duration') + 1]) : 0.5;
const outDir = argi('--out') > 0 ? process.argv[argi('--out') + 1]! : 'docs';

interface Row {
  system: string;
  requested: number;
  achieved: number;
  modelAchieved: number;
  cpu: number;
  modelCpu: number;
  cpp: number;
  modelCpp: number;
  rtt: number;
  modelRtt: number;
}

const rows: Row[] = [];
for (const system of SYSTEMS) {
  for (const m of measuredTable(system)) {
    const r = runIpbenchPoint({
      system,
      requestedBps: m.requested * 1e6,
      payload: 1472,
      cores: 1,
      durationNs: durationS * 1e9,
      warmupNs: 0.1e9,
      seed: 1,
      smp: false,
      smpBarriers: false,
      streams: 4,
    });
    rows.push({
      system,
      requested: m.requested,
      achieved: m.achieved,
      modelAchieved: r.achieved_mbps,
      cpu: m.cpu,
      modelCpu: r.cpu,
      cpp: m.cyclesPerPkt,
      modelCpp: r.cycles_per_pkt,
      rtt: m.rttUs,
      modelRtt: r.rtt_us.mean,
    });
    process.stderr.write(`${system} ${m.requested} Mb/s: cpu ${r.cpu.toFixed(3)} (measured ${m.cpu})\n`);
  }
}

mkdirSync(outDir, { recursive: true });
const csv = [
  'system,requested_mbps,achieved_mbps,model_achieved_mbps,cpu,model_cpu,cycles_per_pkt,model_cycles_per_pkt,rtt_us,model_rtt_us',
];
for (const r of rows) {
  csv.push(
    [
      r.system,
      r.requested,
      r.achieved,
      r.modelAchieved,
      r.cpu,
      r.modelCpu,
      Number.isNaN(r.cpp) ? '' : r.cpp,
      r.modelCpp,
      r.rtt,
      r.modelRtt,
    ].join(','),
  );
}
writeFileSync(join(outDir, 'calibration.csv'), `${csv.join('\n')}\n`);

const charts: string[] = [];
const cpuSeries: Series[] = [];
const tputSeries: Series[] = [];
for (const system of SYSTEMS) {
  const rs = rows.filter((r) => r.system === system);
  cpuSeries.push({ name: `${system} measured`, xs: rs.map((r) => r.requested), ys: rs.map((r) => r.cpu) });
  cpuSeries.push({ name: `${system} model`, xs: rs.map((r) => r.requested), ys: rs.map((r) => r.modelCpu) });
  if (system === 'linux' || system === 'sddf-5pd') {
    tputSeries.push({
      name: `${system} measured`,
      xs: rs.map((r) => r.requested),
      ys: rs.map((r) => r.achieved),
    });
    tputSeries.push({
      name: `${system} model`,
      xs: rs.map((r) => r.requested),
      ys: rs.map((r) => r.modelAchieved),
    });
  }
}
charts.push(
  lineChart({
    title: 'CPU against applied load: model and measurement',
    xLabel: 'requested Mb/s',
    yLabel: 'CPU (fraction of one core)',
    series: cpuSeries,
    width: 900,
    height: 520,
  }),
);
charts.push(
  lineChart({
    title: 'Achieved against applied load',
    xLabel: 'requested Mb/s',
    yLabel: 'achieved Mb/s',
    series: tputSeries,
    width: 900,
    height: 420,
  }),
);
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="900" height="960">${charts[0]!.replace('<svg', '<svg y="0"')}${charts[1]!.replace('<svg', '<svg y="530"')}</svg>\n`;
writeFileSync(join(outDir, 'calibration.svg'), svg);

const md: string[] = [];
md.push(
  '| system | requested | achieved (model) | CPU measured | CPU model | error | tolerance | cycles/pkt (model) | RTT us (model) |',
);
md.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
let worst = 0;
for (const r of rows) {
  const err = r.modelCpu - r.cpu;
  const tol = cpuTolerance(r.system);
  worst = Math.max(worst, Math.abs(err) / tol);
  md.push(
    `| ${r.system} | ${r.requested} | ${r.achieved} (${r.modelAchieved.toFixed(1)}) | ${r.cpu} | ${r.modelCpu.toFixed(3)} | ${err >= 0 ? '+' : ''}${err.toFixed(3)}${Math.abs(err) > tol ? ' **over**' : ''} | ${tol} | ${Number.isNaN(r.cpp) ? '-' : r.cpp} (${r.modelCpp}) | ${r.rtt} (${r.modelRtt}) |`,
  );
}
writeFileSync(join(outDir, 'calibration_table.md'), `${md.join('\n')}\n`);
process.stderr.write(`worst CPU error / tolerance: ${worst.toFixed(2)}\n`);
