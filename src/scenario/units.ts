// Quantities with units, as people write them in scenario files and on the command line.
// Every parser returns a result instead of throwing, so callers can turn a bad value into a
// located problem. Values come out in the simulator's base units: bit/s, nanoseconds, bytes.

export type UnitResult = { ok: true; value: number } | { ok: false; message: string };

const BITRATE_EXPECTED = "expected a bit rate like '400Mbps' or a number of bit/s";
const TIME_EXPECTED = "expected a time like '500ms' or a number of seconds";
const SIZE_EXPECTED = "expected a size like '64KiB' or a number of bytes";

// A decimal number, optionally with an exponent, then an optional unit made of letters, '/' or 'µ'.
const QUANTITY = /^([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE]([+-]?[0-9]+))?\s*([A-Za-zµμ/]*)$/;

// Prefixes are SI (powers of 1000) and accepted in either case: nobody means milli-bits.
const BITRATE_PREFIX: Readonly<Record<string, number>> = { '': 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12 };
const BITRATE_UNIT = /^([kKmMgGtT]?)(bps|b\/s|bit\/s|bits\/s)$/;
const BYTERATE_UNIT = /^([kKmMgGtT]?)(Bps|B\/s)$/;

const TIME_UNITS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
};

const SIZE_UNITS: Readonly<Record<string, number>> = {
  B: 1,
  kB: 1e3,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  KiB: 1024,
  MiB: 1024 * 1024,
  GiB: 1024 * 1024 * 1024,
};

interface _Quantity {
  magnitude: number;
  unit: string;
}

function _describe(input: unknown): string {
  if (typeof input === 'string') return `'${input.length > 40 ? input.slice(0, 40) + '...' : input}'`;
  if (typeof input === 'number') return String(input);
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'a list';
  return `a ${typeof input === 'object' ? 'mapping' : typeof input}`;
}

// Splits "400 Mb/s" into 400 and "Mb/s"; a bare number has the empty unit.
function _splitQuantity(input: unknown, expected: string): _Quantity | string {
  if (typeof input === 'number') {
    if (Number.isNaN(input)) return `${expected}, got NaN`;
    if (!Number.isFinite(input)) return `${expected}, got an infinite value`;
    if (input < 0) return `must not be negative, got ${input}`;
    return { magnitude: input, unit: '' };
  }
  if (typeof input !== 'string') return `${expected}, got ${_describe(input)}`;
  const text = input.trim();
  if (text.startsWith('-')) return `must not be negative, got ${_describe(input)}`;
  const m = QUANTITY.exec(text);
  if (m === null) return `${expected}, got ${_describe(input)}`;
  const mantissa = m[1] ?? '';
  const exponent = m[2];
  const magnitude = Number(exponent === undefined ? mantissa : `${mantissa}e${exponent}`);
  if (!Number.isFinite(magnitude)) return `${expected}, got ${_describe(input)} (out of range)`;
  return { magnitude, unit: m[3] ?? '' };
}

// Rounds a value that should be a whole number but went through floating-point scaling
// (1.1 s is 1100000000.0000002 ns); a value that is really fractional is refused.
function _whole(value: number): number | undefined {
  const rounded = Math.round(value);
  const tolerance = Math.max(1e-3, Math.abs(value) * 1e-12);
  return Math.abs(value - rounded) <= tolerance ? rounded : undefined;
}

/** Parses a bit rate: "1Gbps", "400Mbps", "400 Mb/s", "100kbps", or a plain number of bit/s. */
export function parseBitrate(input: unknown): UnitResult {
  const q = _splitQuantity(input, BITRATE_EXPECTED);
  if (typeof q === 'string') return { ok: false, message: q };
  if (q.unit === '') return { ok: true, value: q.magnitude };
  const m = BITRATE_UNIT.exec(q.unit);
  if (m !== null) {
    const scale = BITRATE_PREFIX[(m[1] ?? '').toLowerCase()] ?? 1;
    const value = q.magnitude * scale;
    if (!Number.isFinite(value))
      return { ok: false, message: `${BITRATE_EXPECTED}, got ${_describe(input)}` };
    return { ok: true, value };
  }
  const bytes = BYTERATE_UNIT.exec(q.unit);
  if (bytes !== null) {
    return {
      ok: false,
      message: `'${q.unit}' is bytes per second; ${BITRATE_EXPECTED} (did you mean '${bytes[1] ?? ''}bps'?)`,
    };
  }
  return { ok: false, message: `${BITRATE_EXPECTED}, got ${_describe(input)} (unknown unit '${q.unit}')` };
}

/** Parses a time: "1s", "500ms", "200us", "10ns", "1.5s", or a plain number of seconds. Returns ns. */
export function parseTime(input: unknown): UnitResult {
  const q = _splitQuantity(input, TIME_EXPECTED);
  if (typeof q === 'string') return { ok: false, message: q };
  const scale = q.unit === '' ? 1e9 : TIME_UNITS[q.unit];
  if (scale === undefined) {
    return { ok: false, message: `${TIME_EXPECTED}, got ${_describe(input)} (unknown unit '${q.unit}')` };
  }
  const ns = _whole(q.magnitude * scale);
  if (ns === undefined || !Number.isSafeInteger(ns)) {
    return {
      ok: false,
      message: `time ${_describe(input)} is not a whole number of nanoseconds in the simulator's range`,
    };
  }
  return { ok: true, value: ns };
}

/** Parses a size: "64KiB", "1MiB", "1.5KB" (KB = 1000, KiB = 1024), "2048", or a plain number of bytes. */
export function parseSize(input: unknown): UnitResult {
  const q = _splitQuantity(input, SIZE_EXPECTED);
  if (typeof q === 'string') return { ok: false, message: q };
  const scale = q.unit === '' ? 1 : SIZE_UNITS[q.unit];
  if (scale === undefined) {
    const hint = /^[kKmMgG]?i?b$/.test(q.unit) ? ' (sizes are in bytes: B, not b)' : '';
    return {
      ok: false,
      message: `${SIZE_EXPECTED}, got ${_describe(input)} (unknown unit '${q.unit}')${hint}`,
    };
  }
  const bytes = _whole(q.magnitude * scale);
  if (bytes === undefined || !Number.isSafeInteger(bytes)) {
    return { ok: false, message: `size ${_describe(input)} is not a whole number of bytes in range` };
  }
  return { ok: true, value: bytes };
}
