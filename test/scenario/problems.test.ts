import { describe, expect, it } from 'vitest';
import { closestMatch, editDistance, formatPath, formatProblem } from '../../src/scenario/problems.js';

describe('formatPath', () => {
  it('writes indices in brackets and keys with dots', () => {
    expect(formatPath(['clients', 1, 'rate_limit', 'rate'])).toBe('clients[1].rate_limit.rate');
    expect(formatPath([])).toBe('');
    expect(formatPath([0])).toBe('[0]');
  });

  it('quotes keys that are not plain identifiers', () => {
    expect(formatPath(['board', 'costs', 'a.b c'])).toBe('board.costs["a.b c"]');
  });
});

describe('formatProblem', () => {
  it('reads like a compiler diagnostic', () => {
    const p = { file: 's.yaml', line: 3, column: 7, path: 'nic.rate', message: 'must be greater than zero' };
    expect(formatProblem(p)).toBe('s.yaml:3:7: nic.rate: must be greater than zero');
    expect(formatProblem({ ...p, path: '' })).toBe('s.yaml:3:7: must be greater than zero');
  });
});

describe('suggestions', () => {
  it('measures edit distance', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('rate', 'rate')).toBe(0);
  });

  it('suggests a close name and nothing for an unrelated one', () => {
    expect(closestMatch('wieght', ['weight', 'name', 'kind'])).toBe('weight');
    expect(closestMatch('Rate', ['rate', 'burst'])).toBe('rate');
    expect(closestMatch('bandwidth', ['rate', 'burst'])).toBeUndefined();
    expect(closestMatch('c', ['a', 'b'])).toBeUndefined();
  });
});
