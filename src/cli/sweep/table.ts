// A sweep's combined output: one row per run (the set values, then per-client throughput and
// RTT, per-core CPU, fairness and the trace hash), as CSV or as a JSON document. Both carry the
// sweep id, so shard outputs can be checked and merged.

import { csvLine, parseCsv } from '../../report/csv.js';
import type { ResultDocument } from '../../report/result.js';
import type { ScalarValue } from '../scenario_path.js';
import type { SweepOutcome } from './execute.js';
import { runOverrides, type SweepSet } from './plan.js';

export type Cell = string | number | boolean | null;
export type Row = Record<string, Cell>;

export const SWEEP_FORMAT = 'sddfsim-sweep';
export const SWEEP_VERSION = 1;

export interface SweepDocument {
  format: typeof SWEEP_FORMAT;
  version: number;
  sweep_id: string;
  scenario: string;
  sets: { path: string; values: ScalarValue[] }[];
  total_runs: number;
  /** 'k/n' for a shard's output, null for a whole sweep (or a merge). */
  shard: string | null;
  columns: string[];
  rows: Row[];
}

export function outcomeRow(sweepId: string, sets: readonly SweepSet[], o: SweepOutcome): Row {
  const row: Row = { sweep_id: sweepId, run: o.index };
  for (const v of runOverrides(sets, o.index)) row[v.text] = v.value as ScalarValue;
  if (o.ok) addResult(row, o.doc);
  row['error'] = o.ok ? null : o.error;
  return row;
}

function addResult(row: Row, doc: ResultDocument): void {
  for (const c of doc.clients) {
    row[`${c.name}.rx_mbps`] = c.rx_mbps;
    row[`${c.name}.tx_mbps`] = c.tx_mbps;
    row[`${c.name}.rtt_mean_us`] = c.rtt_us.mean;
  }
  for (const c of doc.cores) row[`core${c.id}.cpu`] = c.cpu_util;
  row['jain'] = doc.fairness.jain;
  row['trace_hash'] = doc.trace_hash;
}

/** Columns in order of first appearance over rows in run order, 'error' last. */
export function columnsOf(rows: readonly Row[]): string[] {
  const seen = new Set<string>();
  const cols: string[] = [];
  for (const r of rows) {
    for (const k of Object.keys(r)) {
      if (k === 'error' || seen.has(k)) continue;
      seen.add(k);
      cols.push(k);
    }
  }
  cols.push('error');
  return cols;
}

export function toCsv(rows: readonly Row[]): string {
  const cols = columnsOf(rows);
  const lines = [csvLine(cols), ...rows.map((r) => csvLine(cols.map((c) => r[c] ?? null)))];
  return `${lines.join('\n')}\n`;
}

export function toJson(doc: Omit<SweepDocument, 'columns'>): string {
  return `${JSON.stringify({ ...doc, columns: columnsOf(doc.rows) }, null, 2)}\n`;
}

/** Reads a sweep CSV: rows keyed by column, values as text; a string is the problem. */
export function readCsv(text: string): { columns: string[]; rows: Record<string, string>[] } | string {
  const parsed = parseCsv(text);
  if (typeof parsed === 'string') return parsed;
  const lines = parsed.filter((r) => !(r.length === 1 && r[0] === ''));
  const header = lines[0];
  if (header === undefined) return 'the file is empty';
  if (!header.includes('sweep_id') || !header.includes('run')) {
    return "not a sweep CSV: no 'sweep_id' and 'run' columns";
  }
  const rows: Record<string, string>[] = [];
  for (const [i, r] of lines.slice(1).entries()) {
    if (r.length !== header.length)
      return `line ${i + 2} has ${r.length} fields, the header ${header.length}`;
    const row: Record<string, string> = {};
    header.forEach((h, k) => {
      row[h] = r[k]!;
    });
    rows.push(row);
  }
  return { columns: header, rows };
}

/** Reads a sweep JSON document; a string is the problem. */
export function readJson(text: string): SweepDocument | string {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return `not JSON: ${(e as Error).message}`;
  }
  const o = raw as Partial<SweepDocument> | null;
  if (typeof o !== 'object' || o === null || o.format !== SWEEP_FORMAT)
    return 'not an sddfsim sweep document';
  if (o.version !== SWEEP_VERSION) return `sweep document version ${String(o.version)} is not supported`;
  if (
    typeof o.sweep_id !== 'string' ||
    typeof o.total_runs !== 'number' ||
    !Array.isArray(o.rows) ||
    !Array.isArray(o.sets) ||
    !o.rows.every((r) => typeof r === 'object' && r !== null && Number.isInteger((r as Row)['run']))
  ) {
    return 'the sweep document is incomplete or damaged';
  }
  return o as SweepDocument;
}
