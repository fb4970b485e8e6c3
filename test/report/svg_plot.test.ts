import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  barChart,
  escapeXml,
  formatTick,
  histogram,
  lineChart,
  niceTicks,
} from '../../src/report/svg_plot.js';
import { parseXml } from '../cli/xml_check.js';

function dataPaths(svg: string): string[] {
  return [...svg.matchAll(/<path class="data[^"]*"[^>]* d="([^"]*)"/g)].map((m) => m[1]!);
}

describe('niceTicks', () => {
  it('covers the range with evenly spaced round values', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1e9, max: 1e9, noNaN: true }),
        fc.double({ min: 0, max: 1e9, noNaN: true }),
        (a, span) => {
          const ticks = niceTicks(a, a + span);
          expect(ticks.length).toBeGreaterThanOrEqual(2);
          expect(ticks[0]!).toBeLessThanOrEqual(a);
          expect(ticks[ticks.length - 1]!).toBeGreaterThanOrEqual(a + span);
          const step = ticks[1]! - ticks[0]!;
          const m = step / 10 ** Math.floor(Math.log10(step));
          expect([1, 2, 5, 10].some((k) => Math.abs(m - k) < 1e-6)).toBe(true);
        },
      ),
    );
    expect(niceTicks(0, 97)).toEqual([0, 20, 40, 60, 80, 100]);
  });

  it('formats ticks briefly', () => {
    expect(formatTick(1_200_000)).toBe('1.2M');
    expect(formatTick(0.25)).toBe('0.25');
    expect(formatTick(25_000)).toBe('25k');
  });
});

describe('SVG charts', () => {
  it('draw one data path per series, breaking lines at missing values, as well-formed SVG', () => {
    const svg = lineChart({
      title: 'a < b & "c"',
      xLabel: 'time (ms)',
      yLabel: 'Mb/s',
      series: [
        { name: 'client0', xs: [0, 1, 2, 3], ys: [1, 2, Number.NaN, 4] },
        { name: 'client1', xs: [0, 1, 2, 3], ys: [2, 2, 2, 2] },
      ],
      xMarkers: [{ x: 1, label: 'window' }],
    });
    expect(parseXml(svg).name).toBe('svg');
    const paths = dataPaths(svg);
    expect(paths).toHaveLength(2);
    expect(paths[0]!.match(/M/g)).toHaveLength(2);
    expect(paths[1]!.match(/L/g)).toHaveLength(3);
    expect(svg).toContain('a &lt; b &amp; &quot;c&quot;');
    expect(svg).toContain('client1');
  });

  it('draw a bar per category, zero-height bars included', () => {
    const svg = barChart({
      title: 'Drops',
      xLabel: 'reason',
      yLabel: 'frames',
      bars: [
        { label: 'copier_no_buffer', value: 12 },
        { label: 'tx_no_buffer', value: 0 },
      ],
    });
    parseXml(svg);
    const paths = dataPaths(svg);
    expect(paths).toHaveLength(2);
    // The taller bar reaches higher (smaller y) than the empty one.
    const top = (d: string) => Number(/V([0-9.]+)/.exec(d)![1]);
    expect(top(paths[0]!)).toBeLessThan(top(paths[1]!));
  });

  it('draw a histogram as one outline over contiguous bins', () => {
    const svg = histogram({
      title: 'RTT',
      xLabel: 'µs',
      yLabel: 'n',
      start: 40,
      binWidth: 0.5,
      counts: [1, 5, 2],
    });
    parseXml(svg);
    const [d] = dataPaths(svg);
    expect(d!.match(/H/g)).toHaveLength(3);
    expect(escapeXml("it's")).toBe('it&#39;s');
  });
});
