// Paths into a scenario's input document, as written on the command line: `load[0].rate`,
// `virt.tx_policy`, `board.costs.ctx_switch`. Used by --set (sweeps) and by run's overrides.

export type PathSegment = string | number;
export type ScalarValue = string | number | boolean;
/** What an override may put in the document: a scalar, or a list of names (--pcap). */
export type OverrideValue = ScalarValue | string[];

/** One override: the path as typed, parsed, and the value to put there. */
export interface PathValue {
  text: string;
  path: PathSegment[];
  value: OverrideValue;
}

const KEY = /^[A-Za-z_][A-Za-z0-9_-]*/;
const INDEX = /^\[([0-9]+)\]/;
/**
 * `[*]`: every element of the list (`load[*].rate=200Mbps` sets every flow's rate, so a sweep
 * varies the total load over all clients at once).
 */
export const EVERY = -1;
const EVERY_INDEX = '[*]';
const NUMBER = /^-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
/** Deep enough for any scenario field; longer paths are typos or abuse. */
const MAX_SEGMENTS = 16;

/** Parses `load[0].rate` into ['load', 0, 'rate']; a string is the problem. */
export function parsePath(text: string): PathSegment[] | string {
  const segments: PathSegment[] = [];
  let rest = text;
  let expectKey = true;
  while (rest.length > 0) {
    if (segments.length >= MAX_SEGMENTS) return `path '${text}' is longer than ${MAX_SEGMENTS} parts`;
    if (rest.startsWith(EVERY_INDEX) && segments.length > 0) {
      segments.push(EVERY);
      rest = rest.slice(EVERY_INDEX.length);
      expectKey = false;
      continue;
    }
    const index = INDEX.exec(rest);
    if (index !== null && segments.length > 0) {
      const n = Number(index[1]);
      if (!Number.isSafeInteger(n)) return `index [${index[1]}] in '${text}' is too large`;
      segments.push(n);
      rest = rest.slice(index[0].length);
      expectKey = false;
      continue;
    }
    if (!expectKey) {
      if (!rest.startsWith('.')) return `cannot read the path '${text}': expected '.' or '[' at '${rest}'`;
      rest = rest.slice(1);
    }
    const key = KEY.exec(rest);
    if (key === null) {
      return `cannot read the path '${text}': expected a field name at '${rest === '' ? '(end)' : rest}'`;
    }
    segments.push(key[0]);
    rest = rest.slice(key[0].length);
    expectKey = false;
  }
  if (segments.length === 0) return 'the path is empty: write a field like load[0].rate';
  return segments;
}

/** Reads a command-line value: numbers and true/false as such, anything else (units too) as text. */
export function parseScalar(text: string): ScalarValue {
  if (NUMBER.test(text)) {
    const n = Number(text);
    if (Number.isFinite(n)) return n;
  }
  if (text === 'true') return true;
  if (text === 'false') return false;
  return text;
}

export function formatValue(v: OverrideValue): string {
  return Array.isArray(v) ? v.join(',') : String(v);
}

/**
 * Sets `path` in a parsed input document to `value`, creating mappings on the way; a list index
 * must already exist. Returns null, or what was wrong. The document is validated afterwards, so
 * a key the schema does not know is reported there, with a did-you-mean.
 */
export function applyPath(doc: unknown, path: readonly PathSegment[], value: OverrideValue): string | null {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    return 'the scenario is not a mapping, so nothing can be set in it';
  }
  return applyFrom(doc, path, 0, '', value);
}

/** applyPath from segment `start` on, at `from` (the node `fromWhere` names). */
function applyFrom(
  from: unknown,
  path: readonly PathSegment[],
  start: number,
  fromWhere: string,
  value: OverrideValue,
): string | null {
  let node: unknown = from;
  let where = fromWhere;
  for (let i = start; i < path.length; i++) {
    const seg = path[i]!;
    const last = i === path.length - 1;
    if (seg === EVERY) {
      if (!Array.isArray(node)) return `${where} is not a list, so it has no elements [*]`;
      if (node.length === 0) return `${where}[*]: ${where} has no entries`;
      for (let k = 0; k < node.length; k++) {
        if (last) node[k] = value;
        else {
          if (typeof node[k] !== 'object' || node[k] === null) node[k] = {};
          const err = applyFrom(node[k], path, i + 1, `${where}[${k}]`, value);
          if (err !== null) return err;
        }
      }
      return null;
    }
    if (typeof seg === 'number') {
      if (!Array.isArray(node)) return `${where} is not a list, so it has no element [${seg}]`;
      if (seg >= node.length) {
        return `${where}[${seg}] does not exist: ${where} has ${node.length} entr${node.length === 1 ? 'y' : 'ies'}`;
      }
      if (last) node[seg] = value;
      else {
        if (typeof node[seg] !== 'object' || node[seg] === null) node[seg] = {};
        node = node[seg];
      }
      where += `[${seg}]`;
      continue;
    }
    if (typeof node !== 'object' || node === null || Array.isArray(node)) {
      return `${where} is not a mapping, so it has no field '${seg}'`;
    }
    const obj = node as Record<string, unknown>;
    if (seg === '__proto__' || seg === 'constructor' || seg === 'prototype') {
      return `'${seg}' is not a scenario field`;
    }
    if (last) obj[seg] = value;
    else {
      const next = path[i + 1];
      if (!Object.hasOwn(obj, seg) || typeof obj[seg] !== 'object' || obj[seg] === null) {
        if (typeof next === 'number') return `${where === '' ? seg : `${where}.${seg}`} is not a list`;
        obj[seg] = {};
      }
      node = obj[seg];
    }
    where = where === '' ? seg : `${where}.${seg}`;
  }
  return null;
}
