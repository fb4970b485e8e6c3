// A problem found in a scenario file, as data: where it is, which field, what is wrong.
// Problems are collected and reported together, never thrown.

export interface Problem {
  /** The file name as the user gave it (or a placeholder such as '<built-in default>'). */
  file: string;
  /** 1-based line of the offending node. */
  line: number;
  /** 1-based column of the offending node. */
  column: number;
  /** Path of the bad field, like "clients[1].rate_limit.rate"; empty for the whole document. */
  path: string;
  message: string;
}

export type PathSegment = string | number;

/** A problem of a field found after parsing (no position yet): the loader locates it in the text. */
export interface FieldProblem {
  path: PathSegment[];
  message: string;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Renders ['clients', 1, 'rate_limit', 'rate'] as "clients[1].rate_limit.rate". */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** "file:line:col: path: message", the form compilers use, so editors can jump to it. */
export function formatProblem(p: Problem): string {
  const where = `${p.file}:${p.line}:${p.column}`;
  return p.path === '' ? `${where}: ${p.message}` : `${where}: ${p.path}: ${p.message}`;
}

/** Levenshtein distance; the inputs are short key names, so the quadratic cost does not matter. */
export function editDistance(a: string, b: string): number {
  let previous = new Array<number>(b.length + 1);
  let current = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) previous[j] = j;
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    [previous, current] = [current, previous];
  }
  return previous[b.length] ?? 0;
}

/** The closest candidate to `word` if it is close enough to be a plausible typo. */
export function closestMatch(word: string, candidates: readonly string[]): string | undefined {
  const limit = Math.max(2, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    // Case-insensitive so that 'Rate' finds 'rate' at distance 0.
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  // A distance equal to the word's length means nothing in common: 'c' is no typo for 'a'.
  return bestDistance <= limit && bestDistance < word.length ? best : undefined;
}

/** " (did you mean 'x'?)" or the empty string. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const match = closestMatch(word, candidates);
  return match === undefined ? '' : ` (did you mean '${match}'?)`;
}
