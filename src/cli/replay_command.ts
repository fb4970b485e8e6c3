// `sddfsim replay <recording>`: runs a recording's scenario again and checks that the result
// document and the event stream are the same. Exit 0 when identical, 1 when not.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildId } from './build_id.js';
import { EXIT_FAILED, EXIT_OK, usageError } from './exit_codes.js';
import { describeValue, firstDifference } from './first_difference.js';
import type { CliIo } from './io.js';
import { EventRecorder, firstEventDifference } from './observers/event_recorder.js';
import { Progress, progressAllowed } from './progress.js';
import { decodeRecording } from './recording.js';
import { buildOrExplain, simulate } from './run_model.js';
import { loadForRun } from './scenario_source.js';

export function replayCommand(io: CliIo, file: string, flags: { json?: boolean }): number {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(resolve(io.cwd, file));
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    throw usageError(
      `Cannot read the recording '${file}': ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
    );
  }
  const rec = decodeRecording(bytes);
  if (typeof rec === 'string') throw usageError(`Cannot replay '${file}': ${rec}`);
  const build = buildId();
  const sameBuild = build.src_hash === rec.build.src_hash;
  if (!sameBuild) {
    io.stderr(
      `note: recorded with build ${rec.build.package_version}/${rec.build.src_hash}, replaying with ` +
        `${build.package_version}/${build.src_hash}: differences may come from the code\n`,
    );
  }
  const scenario = loadForRun({ text: rec.scenarioText, file: rec.scenarioFile }, rec.overrides);
  if (scenario.seed !== rec.seed) {
    throw usageError(
      `Cannot replay '${file}': the recording says seed ${rec.seed}, its scenario gives ${scenario.seed}`,
    );
  }
  const sim = buildOrExplain(scenario);
  const recorder = new EventRecorder();
  const progress = new Progress(io, `replay ${scenario.name}`, progressAllowed(io));
  const doc = simulate(io, sim, [recorder], progress);
  progress.done();

  const log = recorder.log();
  const docDiff = firstDifference(rec.result, doc);
  const eventDiff = firstEventDifference(rec.events, log);
  const identical = docDiff === null && eventDiff === null;
  if (flags.json === true) {
    io.stdout(
      `${JSON.stringify(
        {
          identical,
          same_build: sameBuild,
          trace_hash: { recorded: rec.result.trace_hash, replayed: doc.trace_hash },
          events: { recorded: rec.events.count, replayed: log.count },
          first_difference:
            docDiff === null
              ? null
              : { path: docDiff.path, recorded: docDiff.expected, replayed: docDiff.actual },
          first_event_difference: eventDiff,
        },
        null,
        2,
      )}\n`,
    );
    return identical ? EXIT_OK : EXIT_FAILED;
  }
  if (identical) {
    io.stdout(`identical: ${rec.events.count} events, trace hash ${doc.trace_hash}, same result document\n`);
    return EXIT_OK;
  }
  io.stdout('differs:\n');
  if (docDiff !== null) {
    io.stdout(
      `  result document: first difference at ${docDiff.path}: recorded ${describeValue(docDiff.expected)}, replayed ${describeValue(docDiff.actual)}\n`,
    );
  }
  if (rec.result.trace_hash !== doc.trace_hash) {
    io.stdout(`  trace hash: recorded ${rec.result.trace_hash}, replayed ${doc.trace_hash}\n`);
  }
  if (eventDiff !== null) io.stdout(`  events: ${eventDiff}\n`);
  return EXIT_FAILED;
}
