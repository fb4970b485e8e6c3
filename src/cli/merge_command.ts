// `sddfsim merge <files...>`: joins the outputs of sweep shards (all JSON or all CSV) into one,
// ordered by run, after checking that they come from the same sweep.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { csvLine } from '../report/csv.js';
import { EXIT_OK, usageError } from './exit_codes.js';
import type { CliIo } from './io.js';
import { OutputPlan, writeFile } from './output_files.js';
import { type Row, readCsv, readJson, type SweepDocument, toJson } from './sweep/table.js';

export interface MergeFlags {
  out?: string;
  force?: boolean;
}

function readText(io: CliIo, file: string): string {
  try {
    return readFileSync(resolve(io.cwd, file), 'utf8');
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    throw usageError(`Cannot read '${file}': ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
}

export function mergeCommand(io: CliIo, files: string[], flags: MergeFlags): number {
  const texts = files.map((f) => ({ file: f, text: readText(io, f) }));
  const json = texts.map((t) => t.text.trimStart().startsWith('{'));
  if (json.some((j) => j !== json[0])) {
    throw usageError('Cannot merge: the files mix JSON and CSV; merge outputs of one format');
  }
  const plan = new OutputPlan(io, flags.force === true);
  const outPath = flags.out !== undefined ? plan.add(flags.out) : null;
  plan.check();
  const text = json[0] === true ? mergeJson(io, texts) : mergeCsv(texts);
  if (outPath === null) io.stdout(text);
  else {
    writeFile(outPath, text);
    io.stderr(`wrote ${flags.out}\n`);
  }
  return EXIT_OK;
}

/** Adds rows by run index; the same run twice must be the same row. */
function collect<R extends Record<string, unknown>>(
  byRun: Map<number, R>,
  rows: readonly R[],
  file: string,
  runOf: (r: R) => number,
): void {
  for (const r of rows) {
    const run = runOf(r);
    const prev = byRun.get(run);
    if (prev !== undefined && JSON.stringify(prev) !== JSON.stringify(r)) {
      throw usageError(
        `Cannot merge: run ${run} appears twice with different results (second time in '${file}')`,
      );
    }
    byRun.set(run, r);
  }
}

function mergeJson(io: CliIo, texts: { file: string; text: string }[]): string {
  const docs: SweepDocument[] = [];
  for (const t of texts) {
    const d = readJson(t.text);
    if (typeof d === 'string') throw usageError(`Cannot merge '${t.file}': ${d}`);
    docs.push(d);
  }
  const first = docs[0]!;
  const byRun = new Map<number, Row>();
  docs.forEach((d, i) => {
    if (d.sweep_id !== first.sweep_id) {
      throw usageError(
        `Cannot merge: '${texts[i]!.file}' is from sweep ${d.sweep_id}, '${texts[0]!.file}' from sweep ${first.sweep_id}`,
      );
    }
    collect(byRun, d.rows, texts[i]!.file, (r) => r['run'] as number);
  });
  const runs = [...byRun.keys()].sort((a, b) => a - b);
  const missing: number[] = [];
  for (let r = 0; r < first.total_runs; r++) if (!byRun.has(r)) missing.push(r);
  if (missing.length > 0) {
    const list = missing.slice(0, 10).join(', ') + (missing.length > 10 ? ', ...' : '');
    io.stderr(`warning: ${missing.length} of ${first.total_runs} runs are missing (${list})\n`);
  }
  return toJson({
    format: first.format,
    version: first.version,
    sweep_id: first.sweep_id,
    scenario: first.scenario,
    sets: first.sets,
    total_runs: first.total_runs,
    shard: null,
    rows: runs.map((r) => byRun.get(r)!),
  });
}

function mergeCsv(texts: { file: string; text: string }[]): string {
  const byRun = new Map<number, Record<string, string>>();
  let id: string | null = null;
  for (const t of texts) {
    const c = readCsv(t.text);
    if (typeof c === 'string') throw usageError(`Cannot merge '${t.file}': ${c}`);
    for (const r of c.rows) {
      const rid = r['sweep_id'] ?? '';
      if (id === null) id = rid;
      else if (rid !== id) {
        throw usageError(`Cannot merge: '${t.file}' has rows of sweep ${rid}, other files of sweep ${id}`);
      }
      if (!/^[0-9]+$/.test(r['run'] ?? ''))
        throw usageError(`Cannot merge '${t.file}': a row has no run number`);
    }
    collect(byRun, c.rows, t.file, (r) => Number(r['run']));
  }
  const rows = [...byRun.keys()].sort((a, b) => a - b).map((r) => byRun.get(r)!);
  // Columns as the whole sweep would have written them: first appearance of a value, in run
  // order, error last. (In a shard's CSV a row shows every column of that shard, empty where the
  // row has no value, so only non-empty cells count as the row having the column.)
  const cols: string[] = [];
  const seen = new Set<string>();
  for (const r of rows) {
    for (const [k, v] of Object.entries(r)) {
      if (k === 'error' || v === '' || seen.has(k)) continue;
      seen.add(k);
      cols.push(k);
    }
  }
  cols.push('error');
  return `${[csvLine(cols), ...rows.map((r) => csvLine(cols.map((c) => r[c] ?? '')))].join('\n')}\n`;
}
