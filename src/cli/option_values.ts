// Parsers for option values, in commander's form: they return the value or throw
// InvalidArgumentError, which commander reports with the option's name (exit 2). And the choices of
// options whose commands are loaded only when they run.

import { InvalidArgumentError } from 'commander';
import { parseTime } from '../scenario/units.js';

/** `sddfsim system --format`. */
export const SYSTEM_FORMATS = ['microkit'] as const;

export function integerIn(min: number, max: number): (text: string) => number {
  return (text) => {
    if (!/^[0-9]+$/.test(text.trim())) throw new InvalidArgumentError(`expected a whole number`);
    const n = Number(text.trim());
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    }
    return n;
  };
}

/** A time with units ('50ms', '1s') or a number of seconds; kept as typed for the scenario. */
export function timeText(text: string): string {
  timeNs(text);
  return text;
}

/** A positive time in ns. */
export function timeNs(text: string): number {
  const r = parseTime(text);
  if (!r.ok) throw new InvalidArgumentError(r.message);
  if (r.value <= 0) throw new InvalidArgumentError('must be greater than zero');
  return r.value;
}

/** `k/n` with 1 <= k <= n: run only the runs with index % n == k - 1. */
export interface Shard {
  index: number;
  count: number;
}

export function shard(text: string): Shard {
  const m = /^([0-9]+)\/([0-9]+)$/.exec(text.trim());
  if (m === null) throw new InvalidArgumentError("expected k/n, like '1/4'");
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (!(count >= 1 && count <= 1_000_000 && index >= 1 && index <= count)) {
    throw new InvalidArgumentError('expected k/n with 1 <= k <= n');
  }
  return { index, count };
}

/** Comma-separated positive numbers (ipbench loads in Mb/s). */
export function positiveNumbers(text: string): number[] {
  const parts = text.split(',').map((p) => p.trim());
  const out: number[] = [];
  for (const p of parts) {
    const n = Number(p);
    if (p === '' || !Number.isFinite(n) || n <= 0) {
      throw new InvalidArgumentError(`'${p}' is not a positive number (write e.g. 10,100,500)`);
    }
    out.push(n);
  }
  if (out.length > 10_000) throw new InvalidArgumentError('more than 10000 values');
  return out;
}

/** Capture points: 'wire' and client names, comma separated. */
export function nameList(text: string): string[] {
  const names = text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (names.length === 0) throw new InvalidArgumentError('expected a comma-separated list of names');
  return names;
}

/** Repeatable option: collects every occurrence. */
export function collect(text: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), text];
}
