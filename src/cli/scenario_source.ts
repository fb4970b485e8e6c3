// Reads the scenario a command names (or the built-in default), applies command-line overrides
// to its input document, and validates the result through the same loader as any file.

import { BuildError, buildSimulation } from '../scenario/build.js';
import '../guest/costs.js';
import '../vmm/costs.js';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { knownCostNames } from '../board/cost_model.js';
import { DEFAULT_SCENARIO_FILE, DEFAULT_SCENARIO_TEXT } from '../scenario/default_scenario.js';
import { loadScenarioText, parseScenarioInput, problemAt } from '../scenario/load.js';
import { formatProblem, type Problem } from '../scenario/problems.js';
import type { Scenario } from '../scenario/schema.js';
import { usageError } from './exit_codes.js';
import type { CliIo } from './io.js';
import { applyPath, formatValue, type PathValue } from './scenario_path.js';

/** A scenario as the user gave it: the text and the name to show in messages. */
export interface ScenarioSource {
  text: string;
  /** The path as typed on the command line, or DEFAULT_SCENARIO_FILE. */
  file: string;
}

/** Reads a scenario file named on the command line, or the built-in default when none is named. */
export function readScenarioSource(io: CliIo, file: string | undefined): ScenarioSource {
  if (file === undefined) return { text: DEFAULT_SCENARIO_TEXT, file: DEFAULT_SCENARIO_FILE };
  try {
    return { text: readFileSync(resolve(io.cwd, file), 'utf8'), file };
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    const reason =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message;
    throw usageError(`Cannot read the scenario '${file}': ${reason}`);
  }
}

/** The cost names scenario overrides may use (every layer registers its entries on import). */
export function scenarioLoadOptions(fileName: string): { knownCosts: string[]; format: 'yaml' | 'json' } {
  return {
    knownCosts: knownCostNames('imx8mm'),
    format: fileName.toLowerCase().endsWith('.json') ? 'json' : 'yaml',
  };
}

export type ValidateResult = { ok: true; scenario: Scenario } | { ok: false; problems: Problem[] };

/** Validates the text as written, with positions in the user's file. */
export function validateSource(src: ScenarioSource): ValidateResult {
  return loadScenarioText(src.text, src.file, scenarioLoadOptions(src.file));
}

/**
 * validateSource, and then a build (not a run) of a scenario that loads, so that what only the
 * composed system can tell (a fault naming a channel it does not have) is a problem with a position
 * too. For `validate`; `run` builds anyway and says the same.
 */
export function validateAndBuild(src: ScenarioSource): ValidateResult {
  const r = validateSource(src);
  if (!r.ok) return r;
  try {
    buildSimulation(r.scenario).board.memory.release();
  } catch (e) {
    if (!(e instanceof BuildError)) throw e;
    return { ok: false, problems: [problemAt(src.text, src.file, e.path ?? [], e.message)] };
  }
  return r;
}

/** A problem of a document with overrides applied: the field path and what is wrong. */
export interface OverrideProblem {
  path: string;
  message: string;
}

/**
 * Applies overrides (from --seed, --duration, sweep --set) to the input document and validates
 * the result. Problems carry the field path but no line, since line numbers would point into a
 * document the user never wrote.
 */
export function applyOverrides(
  src: ScenarioSource,
  overrides: readonly PathValue[],
): { ok: true; scenario: Scenario; inputJson: string } | { ok: false; problems: OverrideProblem[] } {
  let doc: unknown;
  try {
    doc = parseScenarioInput(src.text, src.file);
  } catch (e) {
    return { ok: false, problems: [{ path: '', message: `cannot parse: ${(e as Error).message}` }] };
  }
  const problems: OverrideProblem[] = [];
  for (const o of overrides) {
    const err = applyPath(doc, o.path, o.value);
    if (err !== null) problems.push({ path: o.text, message: err });
  }
  if (problems.length > 0) return { ok: false, problems };
  const inputJson = JSON.stringify(doc);
  const r = loadScenarioText(inputJson, `${src.file}.json`, {
    knownCosts: knownCostNames('imx8mm'),
    format: 'json',
  });
  if (r.ok) return { ok: true, scenario: r.scenario, inputJson };
  return { ok: false, problems: r.problems.map((p) => ({ path: p.path, message: p.message })) };
}

export function formatOverrideProblem(p: OverrideProblem): string {
  return p.path === '' ? p.message : `${p.path}: ${p.message}`;
}

/**
 * The scenario a run command uses: the source validated as written (problems with positions),
 * then with the overrides applied. Throws a usage error listing every problem.
 */
export function loadForRun(src: ScenarioSource, overrides: readonly PathValue[]): Scenario {
  const first = validateSource(src);
  if (!first.ok) throw usageError(problemReport(src.file, first.problems));
  if (overrides.length === 0) return first.scenario;
  const r = applyOverrides(src, overrides);
  if (r.ok) return r.scenario;
  const label = overrides.map((o) => `${o.text} ${formatValue(o.value)}`).join(', ');
  throw usageError(
    `${src.file} with ${label}:\n${r.problems.map((p) => `  ${formatOverrideProblem(p)}`).join('\n')}`,
  );
}

export function problemReport(file: string, problems: readonly Problem[]): string {
  const n = problems.length;
  return `${problems.map(formatProblem).join('\n')}\n${file}: ${n} problem${n === 1 ? '' : 's'}`;
}
