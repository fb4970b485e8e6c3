// `sddfsim crash-test <scenario> --runs N [--seed S] [--parallel P] [--out DIR]`: a campaign of
// runs of one scenario, each with a fault schedule drawn from the seed (kinds, targets, times)
// and the invariant checker on. A run "survives" when no invariant is violated, no component
// outside the faulted client stops, and the run itself completes; for every run that does not,
// the exact scenario is written out so `sddfsim run <file>` replays it.

import { join } from 'node:path';
import { stringify } from 'yaml';
import { Prng } from '../board/prng.js';
import { DRIVER_VM_PD } from '../compose/driver_vm.js';
import type { ResultDocument } from '../report/result.js';
import { loadScenarioText, parseScenarioInput } from '../scenario/load.js';
import { DRIVER, type Scenario } from '../scenario/schema.js';
import { EXIT_FAILED, EXIT_OK, usageError } from './exit_codes.js';
import type { CliIo } from './io.js';
import { ensureDirectory, OutputPlan, writeFile } from './output_files.js';
import { Progress, progressAllowed } from './progress.js';
import { problemReport, readScenarioSource, validateSource } from './scenario_source.js';
import type { SweepJob } from './sweep/execute.js';
import { defaultParallelism, runJobs } from './sweep/pool.js';

export interface CrashTestFlags {
  runs: number;
  duration?: string;
  seed?: number;
  parallel?: number;
  out?: string;
  json?: boolean;
  force?: boolean;
}

const GUEST_FAULTS = ['guest-crash', 'guest-hang', 'guest-restart', 'malformed-chain'] as const;
const CLIENT_FAULTS = [
  'double-enqueue',
  'bad-offset',
  'corrupt-queue',
  'write-after-handover',
  'notification-storm',
  'snoop-rx-pool',
] as const;

/**
 * Faults against the driver: a native driver's monitor restarts it (src/sddf/driver_monitor.ts), a
 * driver VM's VMM reboots it (src/compose/driver_vm.ts).
 */
const DRIVER_FAULTS = ['driver-crash', 'driver-restart'] as const;
/** Longest drawn outage of a driver fault (its `duration`: reboot delay or time kept down). */
const MAX_DRIVER_DOWN_NS = 10e6;
/** The threads a driver fault stops: the native driver PD, or the driver VM's vCPU. */
const DRIVER_THREADS: readonly string[] = ['ethernet_driver', `${DRIVER_VM_PD}_vcpu`];

interface Drawn {
  at: number;
  kind: string;
  target: string;
  /** For driver faults: how long the driver stays down (ns, whole microseconds). */
  duration?: number;
}

/** Whether the campaign may draw faults against the driver: an sDDF system's, native or a VM. */
function sddfDriver(s: Scenario): boolean {
  return s.system !== 'linux';
}

/**
 * Draws run `k`'s fault schedule: one to three faults, inside the window, each against a client
 * or (in an sDDF system) the driver, all equally likely.
 */
export function drawFaults(s: Scenario, seed: number, k: number): Drawn[] {
  const prng = new Prng(seed).fork(k);
  const n = 1 + prng.nextInt(3);
  const targets = s.clients.length + (sddfDriver(s) ? 1 : 0);
  const out: Drawn[] = [];
  for (let i = 0; i < n; i++) {
    const t = prng.nextInt(targets);
    const c = s.clients[t];
    const kinds: readonly string[] =
      c === undefined ? DRIVER_FAULTS : c.kind === 'vm' ? GUEST_FAULTS : CLIENT_FAULTS;
    const kind = kinds[prng.nextInt(kinds.length)]!;
    // Whole microseconds, inside the measured window.
    const at = Math.round((s.warmup + prng.nextFloat() * s.duration) / 1000) * 1000;
    if (c !== undefined) {
      out.push({ at, kind, target: c.name });
      continue;
    }
    const duration = Math.round((prng.nextFloat() * MAX_DRIVER_DOWN_NS) / 1000) * 1000;
    out.push({ at, kind, target: DRIVER, duration });
  }
  return out.sort((a, b) => a.at - b.at);
}

/**
 * Whether a stopped thread is one the schedule faulted: a client itself (a native client, a
 * guest's VMM), a guest's vCPU, or the driver (native, or a driver VM's vCPU). A client's copier
 * (`${n}_net_copier`) is trusted: its stopping is a failure even when its client was faulted.
 */
function faultedThread(thread: string, faulted: ReadonlySet<string>): boolean {
  if (faulted.has(DRIVER) && DRIVER_THREADS.includes(thread)) return true;
  return [...faulted].some((n) => thread === n || thread === `${n}_vcpu`);
}

/** Why a finished run counts as a violation, or null when it survived. */
export function verdict(doc: ResultDocument, faulted: ReadonlySet<string>): string | null {
  // An untrusted client may lose or duplicate only its own TX buffers: that is not a violation.
  const own = (v: { kind?: string; detail?: string; victim?: string }) =>
    (v.kind === 'tx-buffer-lost' || v.kind === 'tx-buffer-duplicated') &&
    [...faulted].some((n) => v.victim === `client ${n}` || (v.detail ?? '').includes(`of client ${n} `));
  const real = (doc.invariants.violations as { kind?: string; detail?: string }[]).filter((v) => !own(v));
  if (real.length > 0) return `${real.length} invariant violation(s), first: ${JSON.stringify(real[0])}`;
  const total = doc.invariants.violation_count ?? doc.invariants.violations.length;
  if (total > doc.invariants.violations.length) {
    return `${total} invariant violations, more than were kept: cannot tell whose buffers they were`;
  }
  const hurt = doc.faults.find((f) => f.kind !== 'lost-notification' && !faultedThread(f.thread, faulted));
  if (hurt !== undefined)
    return `${hurt.thread} stopped (${hurt.kind}: ${hurt.detail}) though it was not faulted`;
  return null;
}

export async function crashTestCommand(
  io: CliIo,
  file: string | undefined,
  flags: CrashTestFlags,
): Promise<number> {
  const src = readScenarioSource(io, file);
  const base = validateSource(src);
  if (!base.ok) throw usageError(problemReport(src.file, base.problems));
  let s = base.scenario;
  if (flags.duration !== undefined) {
    const input0 = parseScenarioInput(src.text, src.file) as Record<string, unknown>;
    const r = loadScenarioText(JSON.stringify({ ...input0, duration: flags.duration }), src.file, {
      format: 'json',
    });
    if (!r.ok) throw usageError(problemReport(src.file, r.problems));
    s = r.scenario;
  }
  if (s.clients.length === 0) throw usageError('Cannot run a crash test: the scenario has no clients');
  const seed = flags.seed ?? s.seed;
  const outDir = flags.out ?? 'crash-test-reproducers';
  const input = parseScenarioInput(src.text, src.file) as Record<string, unknown>;

  const jobs: SweepJob[] = [];
  const schedules: Drawn[][] = [];
  for (let k = 0; k < flags.runs; k++) {
    const faults = drawFaults(s, seed, k);
    schedules.push(faults);
    const doc = {
      ...input,
      ...(flags.duration !== undefined ? { duration: flags.duration } : {}),
      name: `${s.name}-crash-${k}`,
      faults: faults.map((f) => ({
        at: `${f.at / 1000}us`,
        kind: f.kind,
        target: f.target,
        ...(f.duration !== undefined ? { duration: `${f.duration / 1000}us` } : {}),
      })),
      invariants: { check: true },
    };
    jobs.push({ index: k, inputJson: JSON.stringify(doc) });
  }
  // Every generated scenario must be valid before any runs.
  for (const j of jobs.slice(0, 1)) {
    const r = loadScenarioText(j.inputJson, '<crash-test>.json', { format: 'json' });
    if (!r.ok)
      throw usageError(
        `Cannot run the crash test: ${r.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
      );
  }

  const progress = new Progress(io, `crash-test ${s.name}`, progressAllowed(io) && flags.json !== true);
  const outcomes = await runJobs(jobs, {
    parallel: flags.parallel ?? defaultParallelism(),
    onOutcome: (_o, done) => progress.update(done / jobs.length, `${done}/${jobs.length} runs`),
  });
  progress.done();

  const byKind = new Map<string, number>();
  const failures: {
    run: number;
    why: string;
    file: string;
    trace_hash?: string;
    violation_count?: number;
  }[] = [];
  const plan = new OutputPlan(io, flags.force === true);
  const reproducers: { run: number; path: string; text: string }[] = [];
  for (const o of outcomes) {
    for (const f of schedules[o.index]!) byKind.set(f.kind, (byKind.get(f.kind) ?? 0) + 1);
    const why = o.ok
      ? verdict(o.doc, new Set(schedules[o.index]!.map((f) => f.target)))
      : `run failed: ${o.error}`;
    if (why === null) continue;
    const path = join(outDir, `crash-${o.index}.yaml`);
    // What `sddfsim run` of the file must reproduce: the same trace hash and violations.
    const expect = o.ok
      ? `# expect: trace_hash ${o.doc.trace_hash}, ${o.doc.invariants.violation_count ?? o.doc.invariants.violations.length} violation(s)\n`
      : '';
    // One comment line each: an error message may span lines.
    const text = `# sddfsim crash-test reproducer: run ${o.index} of seed ${seed}\n# ${why.replace(/\s*\n\s*/g, ' ')}\n${expect}${stringify(JSON.parse(jobs[o.index]!.inputJson))}`;
    reproducers.push({ run: o.index, path: plan.add(path), text });
    failures.push({
      run: o.index,
      why,
      file: path,
      ...(o.ok
        ? {
            trace_hash: o.doc.trace_hash,
            violation_count: o.doc.invariants.violation_count ?? o.doc.invariants.violations.length,
          }
        : {}),
    });
  }
  plan.check();
  if (reproducers.length > 0) {
    ensureDirectory(io, outDir);
    for (const r of reproducers) writeFile(r.path, r.text);
  }

  const summary = {
    scenario: s.name,
    seed,
    runs: jobs.length,
    survived: jobs.length - failures.length,
    faults_injected: Object.fromEntries([...byKind].sort()),
    violations: failures,
  };
  if (flags.json === true) io.stdout(`${JSON.stringify(summary, null, 2)}\n`);
  else {
    const lines = [
      `crash-test ${s.name}  seed ${seed}  ${jobs.length} runs: ${summary.survived} survived, ${failures.length} with violations`,
      `faults injected: ${[...byKind].map(([k, n]) => `${k} ${n}`).join(', ')}`,
    ];
    for (const f of failures) lines.push(`  run ${f.run}: ${f.why}\n    reproduce: sddfsim run ${f.file}`);
    io.stdout(`${lines.join('\n')}\n`);
  }
  return failures.length > 0 ? EXIT_FAILED : EXIT_OK;
}
