/**
 * Runs the benchmark modules and prints their figures.
 *
 *   npx tsx bench/run.ts [--quick] [--json] [--only <substring>]
 *
 * --quick   shorter runs (about 10x fewer iterations), for smoke tests
 * --json    print a JSON array of results instead of a table
 * --only s  run only the modules whose name contains s
 *
 * Each module runs in a Node process of its own (this script again, with --module <name>): what
 * one module ran before must not change what the next measures. V8 optimises the engine's event
 * dispatch for the event sinks it has seen, so after the engine module's synthetic sinks, or after
 * another scenario, the same code is compiled differently from how a user's `sddfsim run` process
 * compiles it.
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { crashTestBench } from './crash_test.bench.js';
import { engineBench } from './engine.bench.js';
import { r1Bench } from './r1.bench.js';
import { r2Bench } from './r2.bench.js';
import type { BenchModule, BenchResult } from './types.js';

// ---- Benchmark modules: append new modules to this array. ----
const MODULES: BenchModule[] = [engineBench, r1Bench, r2Bench, crashTestBench];
// ---- End of benchmark modules. ----

interface Options {
  quick: boolean;
  json: boolean;
  only: string | undefined;
  /** Internal: run just this module here and print its results as JSON. */
  module: string | undefined;
}

function parseArgs(argv: readonly string[]): Options {
  const opts: Options = { quick: false, json: false, only: undefined, module: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') opts.quick = true;
    else if (a === '--json') opts.json = true;
    else if (a === '--only') {
      const v = argv[++i];
      if (v === undefined) usage('--only needs a substring');
      opts.only = v;
    } else if (a?.startsWith('--only=')) opts.only = a.slice('--only='.length);
    else if (a === '--module') {
      const v = argv[++i];
      if (v === undefined) usage('--module needs a module name');
      opts.module = v;
    } else usage(`unknown argument ${a}`);
  }
  return opts;
}

function usage(problem: string): never {
  process.stderr.write(`bench: ${problem}\nusage: bench/run.ts [--quick] [--json] [--only <substring>]\n`);
  process.exit(2);
}

function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const abs = Math.abs(v);
  if (abs !== 0 && abs < 0.01) return v.toExponential(3);
  return v.toFixed(abs >= 1000 ? 0 : 3);
}

function table(rows: readonly BenchResult[]): string {
  const cells = rows.map((r) => [r.name, formatValue(r.value), r.unit, r.detail ?? '']);
  const header = ['name', 'value', 'unit', 'detail'];
  const widths = header.map((h, c) => Math.max(h.length, ...cells.map((row) => row[c]!.length)));
  const line = (row: readonly string[]) =>
    row
      .map((cell, c) => (c === 1 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/** bench/host_probe.ts in a fresh Node process (through tsx, as this script runs): [engine, memory]. */
function hostProbe(): [BenchResult, BenchResult] {
  const script = fileURLToPath(new URL('./host_probe.ts', import.meta.url));
  const r = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`host probe failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as [BenchResult, BenchResult];
}

/** The probe measured after the modules, with how far it moved from before. */
function probeAfter(name: string, before: BenchResult, after: BenchResult): BenchResult {
  const apart = Math.abs(after.value - before.value) / Math.max(before.value, after.value);
  return {
    ...after,
    name,
    detail: `${after.detail}; ${(100 * apart).toFixed(0)}% from before${apart > 0.1 ? ': the host changed speed during the run, so compare its figures with care' : ''}`,
  };
}

/** One module's results, measured in a fresh process. */
function runModuleApart(m: BenchModule, quick: boolean): BenchResult[] {
  const script = fileURLToPath(import.meta.url);
  const args = ['--import', 'tsx', script, '--module', m.name, ...(quick ? ['--quick'] : [])];
  const r = spawnSync(process.execPath, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 16 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`bench module ${m.name} failed (exit ${r.status})`);
  return JSON.parse(r.stdout) as BenchResult[];
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.module !== undefined) {
    const m = MODULES.find((x) => x.name === opts.module);
    if (m === undefined) usage(`no benchmark module is called "${opts.module}"`);
    process.stdout.write(JSON.stringify(await m.run({ quick: opts.quick })));
    return;
  }
  const only = opts.only;
  const selected = only === undefined ? MODULES : MODULES.filter((m) => m.name.includes(only));
  if (selected.length === 0) usage(`no benchmark module matches "${only}"`);

  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const results: BenchResult[] = [];
  if (!opts.json) {
    process.stdout.write(`# node ${process.version}, ${cpu}${opts.quick ? ', quick' : ''}\n`);
  }
  // The host's speed before and after: on a shared machine it moves by 10-30% from minute to
  // minute, which moves every figure here with it. Two short, fixed workloads, best of three in a
  // fresh process, measured on either side show whether the host held still: one that fits in a
  // core's cache, and one that streams through a working set the size of R2's.
  const [before, memBefore] = hostProbe();
  for (const m of selected) results.push(...runModuleApart(m, opts.quick));
  const [after, memAfter] = hostProbe();
  results.push(
    { ...before, name: 'host.probe.before' },
    probeAfter('host.probe.after', before, after),
    { ...memBefore, name: 'host.memprobe.before' },
    probeAfter('host.memprobe.after', memBefore, memAfter),
  );
  if (opts.json) {
    const doc = results.map((r) => ({ ...r, node: process.version, cpu, quick: opts.quick }));
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  } else {
    process.stdout.write(`${table(results)}\n`);
  }
}

await main();
