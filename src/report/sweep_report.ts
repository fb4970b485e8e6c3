// report.html of a sweep: throughput and CPU against the first swept value (the applied load,
// usually), one line per combination of the other swept values.

import { parseBitrate, parseSize, parseTime } from '../scenario/units.js';
import { page, plots, section, table } from './html_page.js';
import type { ResultDocument } from './result.js';
import { escapeXml, lineChart, type Series } from './svg_plot.js';

export interface SweepReportInput {
  sweepId: string;
  scenario: string;
  sets: { path: string; values: (string | number | boolean)[] }[];
  runs: {
    index: number;
    values: (string | number | boolean)[];
    doc: ResultDocument | null;
    error: string | null;
  }[];
}

/** The swept values of one set as numbers for an x axis, with the unit they were read in. */
export function axisOf(values: readonly (string | number | boolean)[]): { xs: number[]; unit: string } {
  const all = (parse: (v: unknown) => { ok: boolean; value?: number }, scale: number) => {
    const xs: number[] = [];
    for (const v of values) {
      const r = parse(v);
      if (!r.ok || r.value === undefined) return null;
      xs.push(r.value / scale);
    }
    return xs;
  };
  if (values.every((v) => typeof v === 'number')) return { xs: values as number[], unit: '' };
  const rate = all(parseBitrate, 1e6);
  if (rate !== null) return { xs: rate, unit: 'Mb/s' };
  const time = all(parseTime, 1e6);
  if (time !== null) return { xs: time, unit: 'ms' };
  const size = all(parseSize, 1);
  if (size !== null) return { xs: size, unit: 'bytes' };
  // Categories: plotted at their position in the list.
  return { xs: values.map((_, i) => i), unit: 'index' };
}

export function sweepReportHtml(input: SweepReportInput): string {
  const first = input.sets[0];
  const body: string[] = [];
  body.push(`<h1>sddfsim sweep: ${escapeXml(input.scenario)}</h1>`);
  body.push(
    `<p class="meta">sweep ${escapeXml(input.sweepId)} · ${input.runs.length} runs · ` +
      `${input.sets.map((s) => `${escapeXml(s.path)} ∈ {${s.values.map((v) => escapeXml(String(v))).join(', ')}}`).join(' × ')}</p>`,
  );
  if (first !== undefined) {
    const axis = axisOf(first.values);
    const xLabel = axis.unit === '' ? first.path : `${first.path} (${axis.unit})`;
    const groups = new Map<string, { x: number; rx: number; cpu: number }[]>();
    for (const run of input.runs) {
      if (run.doc === null) continue;
      const xi = first.values.indexOf(run.values[0]!);
      const key = input.sets
        .slice(1)
        .map((s, i) => `${s.path}=${String(run.values[i + 1])}`)
        .join(' ');
      const points = groups.get(key) ?? [];
      points.push({
        x: axis.xs[xi] ?? Number.NaN,
        rx: run.doc.clients.reduce((n, c) => n + c.rx_mbps, 0),
        cpu: run.doc.cores.reduce((n, c) => n + c.cpu_util, 0),
      });
      groups.set(key, points);
    }
    const series = (pick: (p: { rx: number; cpu: number }) => number): Series[] =>
      [...groups].map(([name, pts]) => {
        const sorted = [...pts].sort((a, b) => a.x - b.x);
        return { name: name === '' ? 'all clients' : name, xs: sorted.map((p) => p.x), ys: sorted.map(pick) };
      });
    body.push(
      section(
        'Plots',
        plots([
          lineChart({
            title: 'Received throughput (all clients)',
            xLabel,
            yLabel: 'Mb/s',
            series: series((p) => p.rx),
          }),
          lineChart({
            title: 'CPU (sum over cores)',
            xLabel,
            yLabel: 'cores busy',
            yMin: 0,
            series: series((p) => p.cpu),
          }),
        ]),
      ),
    );
  }
  body.push(
    section(
      'Runs',
      table(
        ['run', ...input.sets.map((s) => s.path), 'rx Mb/s', 'CPU', 'Jain', 'trace', 'error'],
        input.runs.map((r) => [
          r.index,
          ...r.values.map(String),
          r.doc === null ? '' : r.doc.clients.reduce((n, c) => n + c.rx_mbps, 0).toFixed(3),
          r.doc === null ? '' : r.doc.cores.reduce((n, c) => n + c.cpu_util, 0).toFixed(4),
          r.doc === null ? '' : r.doc.fairness.jain,
          r.doc === null ? '' : r.doc.trace_hash,
          r.error ?? '',
        ]),
      ),
    ),
  );
  return page(`sddfsim sweep ${input.scenario}`, body.join('\n'));
}
