// Reads a scenario file (YAML, or JSON through the same parser so both carry source positions),
// validates it, and reports every problem at once with file:line:column and the field path.
// Input is untrusted: nothing here throws because of what the file contains.

import { readFileSync } from 'node:fs';
import {
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parse,
  parseDocument,
} from 'yaml';
import type { z } from 'zod';
import { consistencyProblems } from './consistency.js';
import { didYouMean, formatPath, type PathSegment, type Problem } from './problems.js';
import { createScenarioSchema, type Scenario, scenarioSchema } from './schema.js';

export interface LoadOptions {
  /** Names the cost model knows; cost overrides naming anything else are problems. */
  knownCosts?: readonly string[] | undefined;
  /** Overrides the format chosen from the file extension ('.json' is JSON, anything else YAML). */
  format?: 'yaml' | 'json' | undefined;
}

export type LoadResult = { ok: true; scenario: Scenario } | { ok: false; problems: Problem[] };

/** YAML anchors may multiply a small file into a huge value (the "billion laughs"); cap expansions. */
const MAX_ALIAS_EXPANSIONS = 1000;

/**
 * Parses a scenario file's text into its input document as the loader reads it (YAML merge keys
 * resolved; a .json file as JSON), for commands that edit the document before loading it.
 */
export function parseScenarioInput(text: string, fileName: string): unknown {
  const json = String(fileName).toLowerCase().endsWith('.json');
  return parse(text, {
    maxAliasCount: MAX_ALIAS_EXPANSIONS,
    ...(json ? { schema: 'json' as const } : { merge: true }),
  });
}

/** Reads and validates a scenario file; a file that cannot be read is a problem, not an exception. */
export function loadScenarioFile(path: string, opts: LoadOptions = {}): LoadResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    const reason =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'it is a directory'
          : String((e as Error).message);
    return _fail([
      { file: path, line: 1, column: 1, path: '', message: `cannot read the scenario file: ${reason}` },
    ]);
  }
  return loadScenarioText(text, path, opts);
}

/** Validates scenario text; `fileName` is used in problems and, by its extension, picks YAML or JSON. */
export function loadScenarioText(text: string, fileName: string, opts: LoadOptions = {}): LoadResult {
  try {
    return _load(text, fileName, opts);
  } catch (e) {
    // Not reachable by any input we know of (the fuzz test checks this message never appears);
    // kept so that a bug here is reported as a problem instead of crashing a sweep.
    const message = `internal error while loading the scenario: ${e instanceof Error ? e.message : String(e)}`;
    return _fail([{ file: String(fileName), line: 1, column: 1, path: '', message }]);
  }
}

/**
 * A problem at `path` of scenario text that loaded: for what only building the system finds (a
 * fault naming a channel the system does not have). Line 1, column 1 if the path is not in the text.
 */
export function problemAt(
  text: string,
  fileName: string,
  path: readonly PathSegment[],
  message: string,
): Problem {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, keepSourceTokens: true, logLevel: 'error' });
  const offset = _locate(doc, path, false)?.range?.[0] ?? 0;
  const p = lineCounter.linePos(Math.max(0, Math.min(offset, text.length)));
  return {
    file: String(fileName),
    line: Math.max(1, p.line),
    column: Math.max(1, p.col),
    path: formatPath(path),
    message,
  };
}

function _fail(problems: Problem[]): LoadResult {
  return { ok: false, problems };
}

function _load(text: string, fileName: string, opts: LoadOptions): LoadResult {
  const file = String(fileName);
  const at = (line: number, column: number, path: string, message: string): Problem => ({
    file,
    line,
    column,
    path,
    message,
  });
  if (typeof text !== 'string') return _fail([at(1, 1, '', 'the scenario text is not a string')]);

  const format = opts.format ?? (file.toLowerCase().endsWith('.json') ? 'json' : 'yaml');
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    keepSourceTokens: true,
    uniqueKeys: true,
    prettyErrors: false,
    logLevel: 'error',
    // The JSON schema refuses YAML-only plain scalars, so a .json file must really be JSON. YAML
    // files may use merge keys (`- { <<: *guest, name: g1 }`) to repeat a client or a flow.
    ...(format === 'json' ? { schema: 'json' as const } : { merge: true }),
  });
  const position = (offset: number) => {
    const p = lineCounter.linePos(Math.max(0, Math.min(offset, text.length)));
    return { line: Math.max(1, p.line), column: Math.max(1, p.col) };
  };

  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => {
      const { line, column } = position(e.pos[0]);
      return at(line, column, '', `${format === 'json' ? 'JSON' : 'YAML'} syntax: ${e.message}`);
    });
    return _fail(_sorted(problems));
  }
  if (doc.contents === null) {
    return _fail([
      at(1, 1, '', "the scenario is empty: expected a mapping with at least 'name' and 'clients'"),
    ]);
  }

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_EXPANSIONS });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return _fail([at(1, 1, '', `cannot expand the document: ${message}`)]);
  }

  const schema = opts.knownCosts === undefined ? scenarioSchema : createScenarioSchema(opts);
  const result = schema.safeParse(raw);
  if (result.success) {
    const inconsistent = consistencyProblems(result.data);
    if (inconsistent.length === 0) return { ok: true, scenario: result.data };
    return _fail(
      _sorted(
        inconsistent.map((p) => {
          const { line, column } = position(_locate(doc, p.path, false)?.range?.[0] ?? 0);
          return at(line, column, formatPath(p.path), p.message);
        }),
      ),
    );
  }

  const problems: Problem[] = [];
  for (const issue of result.error.issues) {
    for (const d of _describeIssue(issue, raw)) {
      const node = _locate(doc, d.path, d.atKey);
      const { line, column } = position(node?.range?.[0] ?? 0);
      problems.push(at(line, column, formatPath(d.path), d.message));
    }
  }
  if (problems.length === 0) problems.push(at(1, 1, '', 'the scenario is not valid'));
  return _fail(_sorted(problems));
}

// Sorted by position so the report reads top to bottom; exact duplicates are dropped.
function _sorted(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  const unique = problems.filter((p) => {
    const key = `${p.line}:${p.column}:${p.path}:${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return unique.sort((a, b) => a.line - b.line || a.column - b.column);
}

// ---------------------------------------------------------------------------------------------
// From a zod issue to user-facing messages.

interface _Described {
  path: PathSegment[];
  message: string;
  /** Point at the key rather than the value (unknown keys, unknown names). */
  atKey: boolean;
}

function _issuePath(issue: z.core.$ZodIssue): PathSegment[] {
  return issue.path.filter((s): s is PathSegment => typeof s === 'string' || typeof s === 'number');
}

function _describeIssue(issue: z.core.$ZodIssue, raw: unknown): _Described[] {
  const path = _issuePath(issue);
  const one = (message: string, atKey = false): _Described[] => [{ path, message, atKey }];
  const type =
    issue.code === 'invalid_type' || issue.code === 'invalid_value' || issue.code === 'invalid_union';
  if (type && _valueAt(raw, path).missing) {
    return one(`missing required field '${String(path[path.length - 1])}'`);
  }
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = _knownKeys(path);
      return issue.keys.map((key) => ({
        path: [...path, key],
        message: `unknown key '${key}'${didYouMean(key, known)}`,
        atKey: true,
      }));
    }
    case 'invalid_type':
      return one(`expected ${_typeName(issue.expected)}, got ${_describeValue(_valueAt(raw, path).value)}`);
    case 'invalid_value': {
      const value = _valueAt(raw, path).value;
      const options = issue.values.map((v) => String(v));
      const hint = typeof value === 'string' ? didYouMean(value, options) : '';
      return one(`expected one of ${options.join(', ')}, got ${_describeValue(value)}${hint}`);
    }
    case 'too_small':
    case 'too_big':
      return one(_describeBound(issue));
    case 'custom': {
      const params = (issue as { params?: { atKey?: unknown } }).params;
      return one(issue.message, params?.atKey === true);
    }
    default:
      return one(issue.message);
  }
}

function _describeBound(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig): string {
  const small = issue.code === 'too_small';
  const limit = Number(small ? issue.minimum : issue.maximum);
  const inclusive = issue.inclusive !== false;
  switch (issue.origin) {
    case 'array':
    case 'set': {
      // A schema may give the reason for its bound (zod's own messages start "Too big" / "Too small").
      const why = /^Too (big|small)/.test(issue.message) ? '' : `: ${issue.message}`;
      return small
        ? `needs at least ${limit} ${limit === 1 ? 'entry' : 'entries'}${why}`
        : `has more than ${limit} entries${why}`;
    }
    case 'string':
      return small
        ? limit <= 1
          ? 'must not be empty'
          : `must be at least ${limit} characters`
        : issue.message;
    default:
      if (small) return inclusive ? `must be at least ${limit}` : `must be greater than ${limit}`;
      return inclusive ? `must be at most ${limit}` : `must be less than ${limit}`;
  }
}

function _typeName(expected: string): string {
  switch (expected) {
    case 'object':
      return 'a mapping';
    case 'array':
      return 'a list';
    case 'int':
      return 'an integer';
    case 'boolean':
      return 'true or false';
    default:
      return `a ${expected}`;
  }
}

function _describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'an empty value';
  if (typeof v === 'string') return `'${v.length > 40 ? v.slice(0, 40) + '...' : v}'`;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return typeof v;
}

// The raw (pre-validation) value at a path; `missing` when the last key is absent from its mapping.
function _valueAt(raw: unknown, path: readonly PathSegment[]): { value: unknown; missing: boolean } {
  let current: unknown = raw;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null) return { value: undefined, missing: false };
    if (!Object.hasOwn(current, segment)) return { value: undefined, missing: !Array.isArray(current) };
    current = (current as Record<string, unknown>)[segment];
  }
  return { value: current, missing: false };
}

// Keys an object in the scenario schema accepts, for "did you mean" hints on unknown keys.
interface _SchemaDef {
  type: string;
  innerType?: _Schema;
  in?: _Schema;
  shape?: Record<string, _Schema>;
  element?: _Schema;
  valueType?: _Schema;
}
interface _Schema {
  _zod: { def: _SchemaDef };
}

function _unwrap(schema: _Schema | undefined): _Schema | undefined {
  let s = schema;
  for (let depth = 0; s !== undefined && depth < 16; depth++) {
    const def = s._zod.def;
    if (def.innerType !== undefined) s = def.innerType;
    else if (def.type === 'pipe' && def.in !== undefined) s = def.in;
    else return s;
  }
  return s;
}

function _knownKeys(path: readonly PathSegment[]): string[] {
  let s = _unwrap(scenarioSchema as unknown as _Schema);
  for (const segment of path) {
    const def = s?._zod.def;
    if (def === undefined) return [];
    if (def.type === 'object' && typeof segment === 'string') s = _unwrap(def.shape?.[segment]);
    else if (def.type === 'array') s = _unwrap(def.element);
    else if (def.type === 'record') s = _unwrap(def.valueType);
    else return [];
  }
  const shape = s?._zod.def.shape;
  return shape === undefined ? [] : Object.keys(shape);
}

// ---------------------------------------------------------------------------------------------
// From a path to the YAML node it came from. Walks as deep as the document goes, so a missing
// field points at the mapping that should hold it.

function _locate(doc: Document, path: readonly PathSegment[], atKey: boolean): Node | undefined {
  let node: unknown = doc.contents;
  let found: Node | undefined = doc.contents ?? undefined;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i];
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((p) => _keyText(p.key) === String(segment));
      if (pair === undefined) return found;
      const key = isScalar(pair.key) ? pair.key : undefined;
      const value = pair.value;
      const last = i === path.length - 1;
      if ((last && atKey) || !_hasSource(value)) return key ?? found;
      node = value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment];
      if (!_hasSource(item)) return found;
      node = item;
    } else {
      return found;
    }
    found = node as Node;
  }
  return found;
}

function _keyText(key: unknown): string | undefined {
  if (key === null) return '';
  if (!isScalar(key)) return undefined;
  return key.value === null ? '' : String(key.value);
}

// An empty value (`board:` with nothing after it) has a zero-length range; point at its key instead.
function _hasSource(node: unknown): boolean {
  if (node === null || typeof node !== 'object') return false;
  const range = (node as Node).range;
  return range !== undefined && range !== null && range[1] > range[0];
}
