// A sweep's plan: the --set options, their cross product in a fixed order, and the sweep id that
// ties shard outputs to the sweep they belong to.
//
// Run index r enumerates the product like nested loops in the order the --set options were
// given, the last one varying fastest.

import { createHash } from 'node:crypto';
import {
  parsePath,
  parseScalar,
  type PathSegment,
  type PathValue,
  type ScalarValue,
} from '../scenario_path.js';

export interface SweepSet {
  /** The path as typed. */
  text: string;
  path: PathSegment[];
  /** Values as typed, and as put into the document. */
  raw: string[];
  values: ScalarValue[];
}

/** Largest product a sweep may have: beyond it, a typo in a value list is more likely than intent. */
export const MAX_SWEEP_RUNS = 1_000_000;

/** Parses `path=v1,v2,...`; a string is the problem. */
export function parseSet(text: string): SweepSet | string {
  const eq = text.indexOf('=');
  if (eq <= 0) return `--set '${text}': expected path=value1,value2,... (like load[0].rate=100Mbps,200Mbps)`;
  const pathText = text.slice(0, eq).trim();
  const path = parsePath(pathText);
  if (typeof path === 'string') return `--set '${text}': ${path}`;
  const raw = text
    .slice(eq + 1)
    .split(',')
    .map((v) => v.trim());
  if (raw.some((v) => v === '')) return `--set '${text}': a value is empty (values are separated by commas)`;
  return { text: pathText, path, raw, values: raw.map(parseScalar) };
}

export function parseSets(texts: readonly string[]): SweepSet[] | string[] {
  const sets: SweepSet[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const t of texts) {
    const s = parseSet(t);
    if (typeof s === 'string') problems.push(s);
    else if (seen.has(s.text)) problems.push(`--set ${s.text} is given twice: put every value in one list`);
    else {
      seen.add(s.text);
      sets.push(s);
    }
  }
  if (problems.length === 0 && runCount(sets) > MAX_SWEEP_RUNS) {
    problems.push(`the sweep would have ${runCount(sets)} runs, more than ${MAX_SWEEP_RUNS}`);
  }
  return problems.length > 0 ? problems : sets;
}

export function runCount(sets: readonly SweepSet[]): number {
  return sets.reduce((n, s) => n * s.values.length, 1);
}

/** The overrides of run `index`. */
export function runOverrides(sets: readonly SweepSet[], index: number): PathValue[] {
  const out: PathValue[] = [];
  let rest = index;
  for (let i = sets.length - 1; i >= 0; i--) {
    const s = sets[i]!;
    const k = rest % s.values.length;
    rest = Math.floor(rest / s.values.length);
    out.unshift({ text: s.text, path: s.path, value: s.values[k]! });
  }
  return out;
}

/** Run indices of shard k of n (1-based k): index % n == k - 1. */
export function shardRuns(total: number, shard: { index: number; count: number } | null): number[] {
  const runs: number[] = [];
  for (let r = 0; r < total; r++) if (shard === null || r % shard.count === shard.index - 1) runs.push(r);
  return runs;
}

/** Same scenario text and same sets (paths and values, in order) => same id. */
export function sweepId(scenarioText: string, sets: readonly SweepSet[]): string {
  const h = createHash('sha256');
  h.update(scenarioText);
  h.update('\0');
  h.update(JSON.stringify(sets.map((s) => [s.text, s.raw])));
  return h.digest('hex').slice(0, 16);
}
