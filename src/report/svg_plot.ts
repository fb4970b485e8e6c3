// Small SVG charts for self-contained HTML reports: line charts, bar charts and histograms with
// axes, ticks, labels and a legend. Output is a string of inline SVG with no scripts and no
// external references. Data marks carry class "data" so a reader (or a test) can find them.

export interface Series {
  name: string;
  xs: readonly number[];
  ys: readonly number[];
}

interface Frame {
  title: string;
  xLabel: string;
  yLabel: string;
  width?: number;
  height?: number;
}

export interface LineChartOptions extends Frame {
  series: readonly Series[];
  yMin?: number;
  yMax?: number;
  /** Vertical reference lines (for example the start of the measurement window). */
  xMarkers?: readonly { x: number; label: string }[];
}

export interface BarChartOptions extends Frame {
  bars: readonly { label: string; value: number }[];
}

export interface HistogramOptions extends Frame {
  /** Lower edge of the first bin and the bin width, in x units. */
  start: number;
  binWidth: number;
  counts: readonly number[];
}

const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];
interface Margins {
  left: number;
  right: number;
  top: number;
  bottom: number;
}
const MARGIN: Margins = { left: 70, right: 20, top: 40, bottom: 56 };
const LEGEND_ROW = 14;
const MAX_MARKED_POINTS = 60;

export function colour(i: number): string {
  return PALETTE[i % PALETTE.length]!;
}

export function escapeXml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Round tick values covering [min, max]: steps of 1, 2 or 5 times a power of ten. */
export function niceTicks(min: number, max: number, target = 5): number[] {
  if (!(Number.isFinite(min) && Number.isFinite(max))) return [0, 1];
  if (max < min) [min, max] = [max, min];
  // A range too narrow for round steps (or empty) is widened around its middle.
  const mid = (min + max) / 2;
  if (max - min < Math.max(1e-9, Math.abs(mid) * 1e-9)) {
    const pad = mid === 0 ? 1 : Math.max(Math.abs(mid) * 0.1, 1e-9);
    min = mid - pad;
    max = mid + pad;
  }
  const raw = (max - min) / Math.max(1, target);
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  const step = (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
  let first = Math.floor(min / step) * step;
  // min / step may underflow to -0 for tiny negative min.
  if (first > min) first -= step;
  const ticks: number[] = [];
  for (let v = first; v <= max + step * 0.5 && ticks.length < 50; v += step) ticks.push(round(v, step));
  if (ticks[ticks.length - 1]! < max) ticks.push(round(first + ticks.length * step, step));
  return ticks;
}

function round(v: number, step: number): number {
  const d = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  return Number(v.toFixed(Math.min(d, 12)));
}

/** Short tick label: 1200000 -> 1.2M, 0.25 -> 0.25. */
export function formatTick(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${trim(v / 1e9)}G`;
  if (a >= 1e6) return `${trim(v / 1e6)}M`;
  if (a >= 1e4) return `${trim(v / 1e3)}k`;
  return trim(v);
}

function trim(v: number): string {
  return String(Number(v.toPrecision(4)));
}

interface Scale {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  px(x: number): number;
  py(y: number): number;
}

function scale(w: number, h: number, m: Margins, xt: number[], yt: number[]): Scale {
  const x0 = xt[0]!;
  const x1 = xt[xt.length - 1]!;
  const y0 = yt[0]!;
  const y1 = yt[yt.length - 1]!;
  const pw = w - m.left - m.right;
  const ph = h - m.top - m.bottom;
  return {
    x0,
    x1,
    y0,
    y1,
    px: (x) => m.left + ((x - x0) / (x1 - x0 || 1)) * pw,
    py: (y) => m.top + ph - ((y - y0) / (y1 - y0 || 1)) * ph,
  };
}

function f(n: number): string {
  return (Math.round(n * 10) / 10).toString();
}

function open(o: Frame, w: number, h: number, kind: string): string {
  const t = escapeXml(o.title);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="plot plot-${kind}" width="${w}" height="${h}" ` +
    `viewBox="0 0 ${w} ${h}" role="img" aria-label="${t}">` +
    `<title>${t}</title>` +
    `<text class="plot-title" x="${w / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${t}</text>`
  );
}

function axes(
  o: Frame,
  w: number,
  h: number,
  m: Margins,
  s: Scale,
  xt: number[] | null,
  yt: number[],
): string {
  const parts: string[] = [];
  const left = m.left;
  const bottom = h - m.bottom;
  const right = w - m.right;
  for (const y of yt) {
    const py = f(s.py(y));
    parts.push(`<line class="grid" x1="${left}" x2="${right}" y1="${py}" y2="${py}" stroke="#e5e5e5"/>`);
    parts.push(
      `<text x="${left - 6}" y="${py}" text-anchor="end" dominant-baseline="middle" font-size="11">${escapeXml(formatTick(y))}</text>`,
    );
  }
  if (xt !== null) {
    for (const x of xt) {
      const px = f(s.px(x));
      parts.push(`<line x1="${px}" x2="${px}" y1="${bottom}" y2="${bottom + 5}" stroke="#333"/>`);
      parts.push(
        `<text x="${px}" y="${bottom + 17}" text-anchor="middle" font-size="11">${escapeXml(formatTick(x))}</text>`,
      );
    }
  }
  parts.push(`<line class="axis" x1="${left}" x2="${right}" y1="${bottom}" y2="${bottom}" stroke="#333"/>`);
  parts.push(`<line class="axis" x1="${left}" x2="${left}" y1="${m.top}" y2="${bottom}" stroke="#333"/>`);
  parts.push(
    `<text class="axis-label" x="${(left + right) / 2}" y="${h - 10}" text-anchor="middle" font-size="12">${escapeXml(o.xLabel)}</text>`,
  );
  const my = (m.top + bottom) / 2;
  parts.push(
    `<text class="axis-label" x="16" y="${my}" text-anchor="middle" font-size="12" transform="rotate(-90 16 ${my})">${escapeXml(o.yLabel)}</text>`,
  );
  return parts.join('');
}

interface LegendItem {
  label: string;
  x: number;
  row: number;
}

/** Legend entries laid out in rows under the title; empty for a single series. */
function legendLayout(names: readonly string[], w: number): LegendItem[] {
  if (names.length <= 1) return [];
  const items: LegendItem[] = [];
  let x = MARGIN.left;
  let row = 0;
  for (const n of names) {
    const label = n.length > 24 ? `${n.slice(0, 23)}…` : n;
    const width = 22 + label.length * 6.5;
    if (x + width > w - MARGIN.right && x > MARGIN.left) {
      x = MARGIN.left;
      row++;
    }
    items.push({ label, x, row });
    x += width;
  }
  return items;
}

function legendRows(items: readonly LegendItem[]): number {
  return items.length === 0 ? 0 : items[items.length - 1]!.row + 1;
}

function legend(items: readonly LegendItem[]): string {
  if (items.length === 0) return '';
  const parts = items.map((it, i) => {
    const y = 36 + it.row * LEGEND_ROW;
    return (
      `<rect x="${f(it.x)}" y="${y - 9}" width="10" height="10" fill="${colour(i)}"/>` +
      `<text x="${f(it.x + 14)}" y="${y}" font-size="11">${escapeXml(it.label)}</text>`
    );
  });
  return `<g class="legend">${parts.join('')}</g>`;
}

/** A line chart; non-finite y values break the line. */
export function lineChart(o: LineChartOptions): string {
  const w = o.width ?? 640;
  const items = legendLayout(
    o.series.map((x) => x.name),
    w,
  );
  const rows = legendRows(items);
  const m: Margins = { ...MARGIN, top: MARGIN.top + rows * LEGEND_ROW };
  const h = o.height ?? 300 + rows * LEGEND_ROW;
  let xmin = Number.POSITIVE_INFINITY;
  let xmax = Number.NEGATIVE_INFINITY;
  let ymin = o.yMin ?? Number.POSITIVE_INFINITY;
  let ymax = o.yMax ?? Number.NEGATIVE_INFINITY;
  for (const s of o.series) {
    for (let i = 0; i < s.xs.length; i++) {
      const x = s.xs[i]!;
      const y = s.ys[i]!;
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      xmin = Math.min(xmin, x);
      xmax = Math.max(xmax, x);
      if (o.yMin === undefined) ymin = Math.min(ymin, y);
      if (o.yMax === undefined) ymax = Math.max(ymax, y);
    }
  }
  if (!Number.isFinite(xmin)) {
    xmin = 0;
    xmax = 1;
  }
  if (!Number.isFinite(ymin)) ymin = 0;
  if (!Number.isFinite(ymax)) ymax = 1;
  if (ymin > 0 && o.yMin === undefined) ymin = 0;
  const xt = niceTicks(xmin, xmax, 6);
  const yt = niceTicks(ymin, ymax, 5);
  const s = scale(w, h, m, xt, yt);
  const parts = [open(o, w, h, 'line'), axes(o, w, h, m, s, xt, yt)];
  for (const mk of o.xMarkers ?? []) {
    const px = f(s.px(mk.x));
    parts.push(
      `<line class="marker" x1="${px}" x2="${px}" y1="${m.top}" y2="${h - m.bottom}" stroke="#999" stroke-dasharray="4 3"/>`,
      `<text x="${px}" y="${m.top + 10}" font-size="10" fill="#666" dx="3">${escapeXml(mk.label)}</text>`,
    );
  }
  o.series.forEach((ser, i) => {
    let d = '';
    let pen = false;
    const marks: string[] = [];
    const mark = ser.xs.length <= MAX_MARKED_POINTS;
    for (let k = 0; k < ser.xs.length; k++) {
      const x = ser.xs[k]!;
      const y = ser.ys[k]!;
      if (!Number.isFinite(x) || !Number.isFinite(y)) {
        pen = false;
        continue;
      }
      const px = f(s.px(x));
      const py = f(s.py(y));
      d += `${pen ? 'L' : 'M'}${px} ${py}`;
      pen = true;
      if (mark) marks.push(`<circle cx="${px}" cy="${py}" r="2.5" fill="${colour(i)}"/>`);
    }
    if (d === '') return;
    parts.push(
      `<path class="data series" data-series="${escapeXml(ser.name)}" d="${d}" fill="none" stroke="${colour(i)}" stroke-width="1.6"/>`,
      ...marks,
    );
  });
  parts.push(legend(items));
  parts.push('</svg>');
  return parts.join('');
}

/** A bar chart over named categories. */
export function barChart(o: BarChartOptions): string {
  const w = o.width ?? Math.max(360, Math.min(900, 120 + o.bars.length * 70));
  const rotate = o.bars.length > 5;
  // Slanted category labels need room under the axis.
  const longest = Math.min(22, Math.max(0, ...o.bars.map((b) => b.label.length)));
  const m: Margins = { ...MARGIN, bottom: rotate ? 40 + longest * 4.5 : MARGIN.bottom };
  const h = o.height ?? 250 + m.bottom;
  const ymax = Math.max(1, ...o.bars.map((b) => (Number.isFinite(b.value) ? b.value : 0)));
  const yt = niceTicks(0, ymax, 5);
  const s = scale(w, h, m, [0, Math.max(1, o.bars.length)], yt);
  const bottom = s.py(0);
  const parts = [open(o, w, h, 'bar'), axes(o, w, h, m, s, null, yt)];
  o.bars.forEach((b, i) => {
    const v = Number.isFinite(b.value) ? b.value : 0;
    const x0 = s.px(i + 0.15);
    const x1 = s.px(i + 0.85);
    const top = s.py(v);
    parts.push(
      `<path class="data bar" data-label="${escapeXml(b.label)}" data-value="${v}" d="M${f(x0)} ${f(bottom)}V${f(top)}H${f(x1)}V${f(bottom)}Z" fill="${colour(i)}"/>`,
    );
    const cx = f(s.px(i + 0.5));
    const label = b.label.length > 22 ? `${b.label.slice(0, 21)}…` : b.label;
    const ly = f(bottom + 16);
    parts.push(
      rotate
        ? `<text x="${cx}" y="${ly}" font-size="10" text-anchor="end" transform="rotate(-35 ${cx} ${ly})">${escapeXml(label)}</text>`
        : `<text x="${cx}" y="${ly}" font-size="11" text-anchor="middle">${escapeXml(label)}</text>`,
      `<text x="${cx}" y="${f(top - 4)}" font-size="10" text-anchor="middle">${escapeXml(formatTick(v))}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('');
}

/** A histogram: contiguous bins from `start`, each `binWidth` wide. */
export function histogram(o: HistogramOptions): string {
  const w = o.width ?? 640;
  const h = o.height ?? 300;
  const n = o.counts.length;
  const xt = niceTicks(o.start, o.start + Math.max(1, n) * o.binWidth, 6);
  const yt = niceTicks(0, Math.max(1, ...o.counts), 5);
  const s = scale(w, h, MARGIN, xt, yt);
  const base = f(s.py(0));
  let d = `M${f(s.px(o.start))} ${base}`;
  for (let i = 0; i < n; i++) {
    d += `V${f(s.py(o.counts[i]!))}H${f(s.px(o.start + (i + 1) * o.binWidth))}`;
  }
  d += `V${base}Z`;
  return [
    open(o, w, h, 'histogram'),
    axes(o, w, h, MARGIN, s, xt, yt),
    `<path class="data histogram" d="${d}" fill="${colour(0)}" fill-opacity="0.75" stroke="${colour(0)}"/>`,
    '</svg>',
  ].join('');
}
