// `sddfsim run [scenario]`: one run, a readable summary or the result document, and on request
// the output directory (results, report, captures, trace) and a recording.

import { join } from 'node:path';
import { resultsCsv } from '../report/results_csv.js';
import { runReportHtml } from '../report/run_report.js';
import type { RunObserver } from '../scenario/run.js';
import { buildId } from './build_id.js';
import { EXIT_FAILED, EXIT_OK, usageError } from './exit_codes.js';
import type { CliIo } from './io.js';
import { ChromeTrace } from './observers/chrome_trace.js';
import { EventRecorder } from './observers/event_recorder.js';
import { PcapCapture, pcapFileName } from './observers/pcap_capture.js';
import { TimeSeriesObserver } from './observers/time_series_observer.js';
import { ensureDirectory, OutputPlan, writeFile } from './output_files.js';
import { Progress, progressAllowed } from './progress.js';
import { encodeRecording } from './recording.js';
import { buildOrExplain, simulate } from './run_model.js';
import { runSummary } from './run_summary.js';
import { loadForRun, readScenarioSource, type ScenarioSource } from './scenario_source.js';
import type { PathValue } from './scenario_path.js';
import { stylerFor } from './style.js';
import { dumpGuestRam } from '../compose/guest_vm.js';

export interface RunFlags {
  seed?: number;
  duration?: string;
  json?: boolean;
  out?: string;
  pcap?: string[];
  trace?: boolean;
  record?: string;
  dumpRam?: string;
  driver?: string;
  force?: boolean;
}

/** The overrides the run options put on the scenario's input document. */
export function runOverrides(flags: RunFlags): PathValue[] {
  const o: PathValue[] = [];
  if (flags.seed !== undefined) o.push({ text: '--seed', path: ['seed'], value: flags.seed });
  if (flags.duration !== undefined) o.push({ text: '--duration', path: ['duration'], value: flags.duration });
  if (flags.pcap !== undefined) o.push({ text: '--pcap', path: ['capture', 'pcap'], value: flags.pcap });
  if (flags.trace === true) o.push({ text: '--trace', path: ['capture', 'trace'], value: true });
  if (flags.driver !== undefined) o.push({ text: '--driver', path: ['driver', 'kind'], value: flags.driver });
  return o;
}

export function runCommand(io: CliIo, scenarioArg: string | undefined, flags: RunFlags): number {
  if ((flags.pcap !== undefined || flags.trace === true) && flags.out === undefined) {
    throw usageError('Cannot capture without somewhere to write: --pcap and --trace need --out DIR');
  }
  const src: ScenarioSource = readScenarioSource(io, scenarioArg);
  const overrides = runOverrides(flags);
  const scenario = loadForRun(src, overrides);
  const capture = scenario.capture;
  if (flags.out === undefined && (capture.pcap.length > 0 || capture.trace)) {
    io.stderr('note: the scenario asks for captures; they are written only with --out DIR\n');
  }

  // Every output path is known before the run, so nothing long runs only to be refused.
  const plan = new OutputPlan(io, flags.force === true);
  const files: Record<string, string> = {};
  if (flags.out !== undefined) {
    for (const name of ['results.json', 'results.csv', 'report.html']) {
      files[name] = plan.add(join(flags.out, name));
    }
    for (const p of capture.pcap) files[pcapFileName(p)] = plan.add(join(flags.out, pcapFileName(p)));
    if (capture.trace) files['trace.json'] = plan.add(join(flags.out, 'trace.json'));
  }
  const recordPath = flags.record !== undefined ? plan.add(flags.record) : null;
  const vmNames = scenario.clients.filter((c) => c.kind === 'vm').map((c) => c.name);
  if (flags.dumpRam !== undefined) {
    if (vmNames.length === 0) io.stderr('note: --dump-ram: the scenario has no guest VMs\n');
    for (const n of vmNames) {
      files[`ram:${n}`] = plan.add(join(flags.dumpRam, `${n}.ram`));
      files[`ramjson:${n}`] = plan.add(join(flags.dumpRam, `${n}.json`));
    }
  }
  plan.check();
  if (flags.dumpRam !== undefined && vmNames.length > 0) ensureDirectory(io, flags.dumpRam);
  if (flags.out !== undefined) ensureDirectory(io, flags.out);

  const sim = buildOrExplain(scenario);
  const observers: RunObserver[] = [];
  const series = flags.out !== undefined ? new TimeSeriesObserver() : null;
  const pcap = flags.out !== undefined && capture.pcap.length > 0 ? new PcapCapture(capture.pcap) : null;
  const trace = flags.out !== undefined && capture.trace ? new ChromeTrace() : null;
  const recorder = recordPath !== null ? new EventRecorder() : null;
  for (const o of [series, pcap, trace, recorder]) if (o !== null) observers.push(o);

  const progress = new Progress(io, `run ${scenario.name}`, progressAllowed(io));
  const doc = simulate(io, sim, observers, progress);
  progress.done();
  for (const w of pcap?.warnings ?? []) io.stderr(`warning: ${w}\n`);

  if (flags.out !== undefined) {
    writeFile(files['results.json']!, `${JSON.stringify(doc, null, 2)}\n`);
    writeFile(files['results.csv']!, resultsCsv(doc));
    writeFile(files['report.html']!, runReportHtml(doc, series?.series ?? null));
    for (const [point, w] of pcap?.writers ?? []) writeFile(files[pcapFileName(point)]!, w.toBuffer());
    if (trace !== null) {
      writeFile(
        files['trace.json']!,
        trace.toJson({ scenario: doc.scenario, seed: doc.seed, trace_hash: doc.trace_hash }),
      );
      if (trace.dropped > 0) {
        io.stderr(
          `warning: trace.json holds the first dispatches only; ${trace.dropped} were not recorded\n`,
        );
      }
    }
    io.stderr(`wrote ${flags.out}\n`);
  }
  if (flags.dumpRam !== undefined) {
    for (const c of sim.clients) {
      if (c.vm === undefined) continue;
      const d = dumpGuestRam(c.vm);
      writeFile(files[`ram:${c.name}`]!, d.ram);
      const layout = {
        name: d.name,
        gpa_base: d.gpaBase,
        ram_bytes: d.ram.length,
        ram_file: `${c.name}.ram`,
        virtqueues: d.queues.map((q) => ({
          index: q.index,
          ready: q.ready,
          size: q.size,
          desc_gpa: q.descGpa,
          driver_gpa: q.availGpa,
          device_gpa: q.usedGpa,
        })),
      };
      writeFile(files[`ramjson:${c.name}`]!, `${JSON.stringify(layout, null, 2)}\n`);
    }
    io.stderr(`wrote ${flags.dumpRam}\n`);
  }
  if (recorder !== null && recordPath !== null) {
    writeFile(
      recordPath,
      encodeRecording({
        scenarioText: src.text,
        scenarioFile: src.file,
        overrides,
        seed: scenario.seed,
        build: buildId(),
        events: recorder.log(),
        result: doc,
      }),
    );
    io.stderr(`wrote ${flags.record}\n`);
  }

  if (flags.json === true) io.stdout(`${JSON.stringify(doc, null, 2)}\n`);
  else io.stdout(runSummary(doc, stylerFor(io, 'stdout')));
  if (doc.invariants.violations.length > 0) {
    io.stderr(`error: ${doc.invariants.violations.length} invariant violation(s)\n`);
    return EXIT_FAILED;
  }
  return EXIT_OK;
}
