// `sddfsim sweep <scenario> --set path=v1,v2 ...`: the cross product of the set values, each run
// validated before any starts, run in parallel, combined into one CSV or JSON (or a report).

import { extname } from 'node:path';
import { sweepReportHtml } from '../report/sweep_report.js';
import { EXIT_FAILED, EXIT_OK, usageError } from './exit_codes.js';
import type { CliIo } from './io.js';
import type { Shard } from './option_values.js';
import { OutputPlan, writeFile } from './output_files.js';
import { Progress, progressAllowed } from './progress.js';
import type { ScalarValue } from './scenario_path.js';
import {
  applyOverrides,
  formatOverrideProblem,
  problemReport,
  readScenarioSource,
  validateSource,
} from './scenario_source.js';
import type { SweepJob } from './sweep/execute.js';
import { parseSets, runCount, runOverrides, shardRuns, sweepId } from './sweep/plan.js';
import { defaultParallelism, runJobs } from './sweep/pool.js';
import { outcomeRow, SWEEP_FORMAT, SWEEP_VERSION, toCsv, toJson } from './sweep/table.js';

export interface SweepFlags {
  set: string[];
  parallel?: number;
  shard?: Shard;
  json?: boolean;
  csv?: boolean;
  out?: string;
  force?: boolean;
}

const MAX_LISTED_PROBLEMS = 20;

export type OutputFormat = 'csv' | 'json' | 'html';

/** --json / --csv, else the --out extension, else CSV. */
export function outputFormat(flags: { json?: boolean; csv?: boolean; out?: string }): OutputFormat {
  if (flags.json === true) return 'json';
  if (flags.csv === true) return 'csv';
  const ext = flags.out === undefined ? '' : extname(flags.out).toLowerCase();
  return ext === '.json' ? 'json' : ext === '.html' || ext === '.htm' ? 'html' : 'csv';
}

export async function sweepCommand(io: CliIo, file: string, flags: SweepFlags): Promise<number> {
  const sets = parseSets(flags.set);
  if (sets.length > 0 && typeof sets[0] === 'string') throw usageError((sets as string[]).join('\n'));
  const plan = sets as Exclude<typeof sets, string[]>;
  const src = readScenarioSource(io, file);
  const base = validateSource(src);
  if (!base.ok) throw usageError(problemReport(src.file, base.problems));

  const format = outputFormat(flags);
  const outputs = new OutputPlan(io, flags.force === true);
  const outPath = flags.out !== undefined ? outputs.add(flags.out) : null;
  outputs.check();

  // Every run of this shard is validated before any starts, and all problems are reported.
  const total = runCount(plan);
  const indices = shardRuns(total, flags.shard ?? null);
  const jobs: SweepJob[] = [];
  // The same problem usually comes back in many runs: report it once, with the runs it affects.
  const problems = new Map<string, number[]>();
  for (const index of indices) {
    const r = applyOverrides(src, runOverrides(plan, index));
    if (r.ok) jobs.push({ index, inputJson: r.inputJson });
    else {
      for (const p of r.problems) {
        const key = formatOverrideProblem(p);
        problems.set(key, [...(problems.get(key) ?? []), index]);
      }
    }
  }
  if (problems.size > 0) {
    const lines = [...problems].map(([msg, runs]) => `  ${msg} (${runList(runs)})`);
    const shown = lines.slice(0, MAX_LISTED_PROBLEMS);
    if (lines.length > shown.length) shown.push(`  ... and ${lines.length - shown.length} more`);
    throw usageError(`Cannot run the sweep: some values are not valid\n${shown.join('\n')}`);
  }

  const id = sweepId(src.text, plan);
  const parallel = flags.parallel ?? defaultParallelism();
  const progress = new Progress(
    io,
    `sweep ${base.scenario.name}`,
    progressAllowed(io) && flags.json !== true && format !== 'json',
  );
  progress.update(0, `0/${jobs.length} runs`);
  const outcomes = await runJobs(jobs, {
    parallel,
    simulate: io.simulate,
    onOutcome: (_o, done) => progress.update(done / jobs.length, `${done}/${jobs.length} runs`),
  });
  progress.done();

  const failed = outcomes.filter((o) => !o.ok);
  for (const o of failed) if (!o.ok) io.stderr(`run ${o.index} failed: ${o.error}\n`);
  let text: string;
  if (format === 'html') {
    text = sweepReportHtml({
      sweepId: id,
      scenario: base.scenario.name,
      sets: plan.map((s) => ({ path: s.text, values: s.values })),
      runs: outcomes.map((o) => ({
        index: o.index,
        values: runOverrides(plan, o.index).map((v) => v.value as ScalarValue),
        doc: o.ok ? o.doc : null,
        error: o.ok ? null : o.error,
      })),
    });
  } else {
    const rows = outcomes.map((o) => outcomeRow(id, plan, o));
    text =
      format === 'csv'
        ? toCsv(rows)
        : toJson({
            format: SWEEP_FORMAT,
            version: SWEEP_VERSION,
            sweep_id: id,
            scenario: base.scenario.name,
            sets: plan.map((s) => ({ path: s.text, values: s.values })),
            total_runs: total,
            shard: flags.shard === undefined ? null : `${flags.shard.index}/${flags.shard.count}`,
            rows,
          });
  }
  if (outPath === null) io.stdout(text);
  else {
    writeFile(outPath, text);
    io.stderr(`wrote ${flags.out} (${outcomes.length} runs)\n`);
  }
  return failed.length > 0 ? EXIT_FAILED : EXIT_OK;
}

function runList(runs: readonly number[]): string {
  const head = runs.slice(0, 8).join(', ');
  const more = runs.length > 8 ? `, ... ${runs.length} runs in all` : '';
  return `${runs.length === 1 ? 'run' : 'runs'} ${head}${more}`;
}
