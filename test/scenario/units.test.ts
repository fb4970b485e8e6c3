import { describe, expect, it } from 'vitest';
import { parseBitrate, parseSize, parseTime, type UnitResult } from '../../src/scenario/units.js';

function value(r: UnitResult): number {
  if (!r.ok) throw new Error(`expected ok, got: ${r.message}`);
  return r.value;
}

function message(r: UnitResult): string {
  if (r.ok) throw new Error(`expected a failure, got ${r.value}`);
  return r.message;
}

describe('parseBitrate', () => {
  it('reads SI prefixes and the usual spellings of bits per second', () => {
    expect(value(parseBitrate('1Gbps'))).toBe(1e9);
    expect(value(parseBitrate('400Mbps'))).toBe(4e8);
    expect(value(parseBitrate('400 Mb/s'))).toBe(4e8);
    expect(value(parseBitrate('100kbps'))).toBe(1e5);
    expect(value(parseBitrate('2.5Gbit/s'))).toBe(2.5e9);
    expect(value(parseBitrate('10bps'))).toBe(10);
  });

  it('takes a plain number or a bare numeric string as bit/s', () => {
    expect(value(parseBitrate(1_000_000))).toBe(1e6);
    expect(value(parseBitrate('5e6'))).toBe(5e6);
  });

  it('refuses bytes per second with a hint towards bits', () => {
    expect(message(parseBitrate('100MBps'))).toContain("did you mean 'Mbps'");
  });

  it('refuses negative, NaN, infinite and unitless nonsense with the expected form', () => {
    expect(message(parseBitrate('-1Gbps'))).toContain('negative');
    expect(message(parseBitrate(-5))).toContain('negative');
    expect(message(parseBitrate(Number.NaN))).toContain("expected a bit rate like '400Mbps'");
    expect(message(parseBitrate(Number.POSITIVE_INFINITY))).toContain('infinite');
    expect(message(parseBitrate('fast'))).toContain(
      "expected a bit rate like '400Mbps' or a number of bit/s",
    );
    expect(message(parseBitrate('1Gbpz'))).toContain("unknown unit 'Gbpz'");
    expect(message(parseBitrate(true))).toContain('got a boolean');
    expect(message(parseBitrate('1e999bps'))).toContain('out of range');
  });
});

describe('parseTime', () => {
  it('returns nanoseconds for every unit', () => {
    expect(value(parseTime('1s'))).toBe(1e9);
    expect(value(parseTime('500ms'))).toBe(5e8);
    expect(value(parseTime('200us'))).toBe(2e5);
    expect(value(parseTime('200µs'))).toBe(2e5);
    expect(value(parseTime('10ns'))).toBe(10);
    expect(value(parseTime('1.5s'))).toBe(1.5e9);
  });

  it('reads a plain number as seconds and rounds away floating-point dust', () => {
    expect(value(parseTime(2))).toBe(2e9);
    expect(value(parseTime(0.2))).toBe(2e8);
    expect(value(parseTime('1.1'))).toBe(1_100_000_000);
    expect(value(parseTime(0))).toBe(0);
  });

  it('refuses times finer than a nanosecond and unknown units', () => {
    expect(message(parseTime('1.5ns'))).toContain('whole number of nanoseconds');
    expect(message(parseTime('3min'))).toContain("unknown unit 'min'");
    expect(message(parseTime('-1s'))).toContain('negative');
    expect(message(parseTime(null))).toContain("expected a time like '500ms'");
  });
});

describe('parseSize', () => {
  it('distinguishes decimal and binary prefixes', () => {
    expect(value(parseSize('64KiB'))).toBe(65536);
    expect(value(parseSize('1MiB'))).toBe(1048576);
    expect(value(parseSize('1.5KB'))).toBe(1500);
    expect(value(parseSize('1.5KiB'))).toBe(1536);
    expect(value(parseSize('2048'))).toBe(2048);
    expect(value(parseSize(2048))).toBe(2048);
    expect(value(parseSize('12B'))).toBe(12);
  });

  it('refuses fractional bytes, bits, and negative sizes', () => {
    expect(message(parseSize('1.3KiB'))).toContain('whole number of bytes');
    expect(message(parseSize('10Kb'))).toContain('B, not b');
    expect(message(parseSize(-1))).toContain('negative');
    expect(message(parseSize([]))).toContain("expected a size like '64KiB' or a number of bytes, got a list");
  });
});
