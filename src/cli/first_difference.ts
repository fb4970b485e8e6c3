// The first place two JSON-like values differ, as a path like `clients[1].rx_mbps`.

export interface Difference {
  path: string;
  expected: unknown;
  actual: unknown;
}

function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

export function firstDifference(expected: unknown, actual: unknown, path = ''): Difference | null {
  if (Object.is(expected, actual)) return null;
  if (Array.isArray(expected) && Array.isArray(actual)) {
    const n = Math.min(expected.length, actual.length);
    for (let i = 0; i < n; i++) {
      const d = firstDifference(expected[i], actual[i], join(path, i));
      if (d !== null) return d;
    }
    if (expected.length !== actual.length) {
      return { path: `${path} (length)`, expected: expected.length, actual: actual.length };
    }
    return null;
  }
  if (
    typeof expected === 'object' &&
    expected !== null &&
    typeof actual === 'object' &&
    actual !== null &&
    !Array.isArray(expected) &&
    !Array.isArray(actual)
  ) {
    const e = expected as Record<string, unknown>;
    const a = actual as Record<string, unknown>;
    for (const k of Object.keys(e)) {
      if (!Object.hasOwn(a, k)) return { path: join(path, k), expected: e[k], actual: undefined };
      const d = firstDifference(e[k], a[k], join(path, k));
      if (d !== null) return d;
    }
    for (const k of Object.keys(a)) {
      if (!Object.hasOwn(e, k)) return { path: join(path, k), expected: undefined, actual: a[k] };
    }
    return null;
  }
  return { path: path === '' ? '(document)' : path, expected, actual };
}

export function describeValue(v: unknown): string {
  if (v === undefined) return '(absent)';
  const s = JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
