// `sddfsim validate <scenario>` and `sddfsim schema`.

import { formatProblem } from '../scenario/problems.js';
import { scenarioJsonSchema } from '../scenario/schema.js';
import { EXIT_OK, EXIT_USAGE } from './exit_codes.js';
import type { CliIo } from './io.js';
import { readScenarioSource, validateAndBuild } from './scenario_source.js';

/** Prints every problem (file:line:column: path: message) and exits 2, or prints "ok". */
export function validateCommand(io: CliIo, file: string, flags: { json?: boolean }): number {
  const src = readScenarioSource(io, file);
  const r = validateAndBuild(src);
  if (flags.json === true) {
    io.stdout(
      `${JSON.stringify(r.ok ? { ok: true, problems: [] } : { ok: false, problems: r.problems }, null, 2)}\n`,
    );
    return r.ok ? EXIT_OK : EXIT_USAGE;
  }
  if (r.ok) {
    io.stdout('ok\n');
    return EXIT_OK;
  }
  io.stdout(`${r.problems.map(formatProblem).join('\n')}\n`);
  const n = r.problems.length;
  io.stderr(`${file}: ${n} problem${n === 1 ? '' : 's'}\n`);
  return EXIT_USAGE;
}

export function schemaCommand(io: CliIo): number {
  io.stdout(`${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
  return EXIT_OK;
}
