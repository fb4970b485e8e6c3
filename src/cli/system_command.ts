// `sddfsim system <scenario> --format microkit`: the composed system as a Microkit .system file.

import { EXIT_OK, usageError } from './exit_codes.js';
import type { CliIo } from './io.js';
import { microkitLimitWarnings, microkitSystemXml } from './microkit_xml.js';
import { SYSTEM_FORMATS } from './option_values.js';
import { OutputPlan, writeFile } from './output_files.js';
import { buildOrExplain } from './run_model.js';
import { loadForRun, readScenarioSource } from './scenario_source.js';

export function systemCommand(
  io: CliIo,
  file: string | undefined,
  flags: { format: string; out?: string; force?: boolean },
): number {
  if (!(SYSTEM_FORMATS as readonly string[]).includes(flags.format)) {
    throw usageError(`Cannot write format '${flags.format}': expected one of ${SYSTEM_FORMATS.join(', ')}`);
  }
  const plan = new OutputPlan(io, flags.force === true);
  const outPath = flags.out !== undefined ? plan.add(flags.out) : null;
  plan.check();
  const scenario = loadForRun(readScenarioSource(io, file), []);
  const sim = buildOrExplain(scenario);
  const xml = microkitSystemXml(sim);
  for (const w of microkitLimitWarnings(sim)) io.stderr(`warning: ${w}\n`);
  if (outPath === null) io.stdout(xml);
  else {
    writeFile(outPath, xml);
    io.stderr(`wrote ${flags.out}\n`);
  }
  return EXIT_OK;
}
