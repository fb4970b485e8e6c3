import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyPath, EVERY, type PathSegment, parsePath } from '../../src/cli/scenario_path.js';

function format(path: readonly PathSegment[]): string {
  return path
    .map((s, i) => (s === EVERY ? '[*]' : typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`))
    .join('');
}

describe('override paths', () => {
  it('parse back what they print: keys, indices and [*]', () => {
    const key = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,6}$/);
    const seg = fc.oneof(key, fc.nat(99), fc.constant(EVERY));
    fc.assert(
      fc.property(key, fc.array(seg, { maxLength: 8 }), (first, rest) => {
        const path = [first, ...rest];
        expect(parsePath(format(path))).toEqual(path);
      }),
    );
  });

  it('[*] sets the field in every element of the list', () => {
    const doc = { load: [{ to: 'a', rate: 1 }, { to: 'b' }, { to: 'c', rate: 3 }] };
    expect(applyPath(doc, parsePath('load[*].rate') as PathSegment[], '200Mbps')).toBeNull();
    expect(doc.load.map((l) => l.rate)).toEqual(['200Mbps', '200Mbps', '200Mbps']);
    const nested = { clients: [{ guest: { ram: 1 } }, {}] };
    expect(applyPath(nested, parsePath('clients[*].guest.ram') as PathSegment[], '4MiB')).toBeNull();
    expect(nested.clients).toEqual([{ guest: { ram: '4MiB' } }, { guest: { ram: '4MiB' } }]);
  });

  it('[*] on what is not a list, or on an empty one, is a problem', () => {
    expect(applyPath({ board: { cores: 1 } }, ['board', EVERY], 2)).toMatch(/board is not a list/);
    expect(applyPath({ load: [] }, ['load', EVERY, 'rate'], 2)).toMatch(/load has no entries/);
    expect(parsePath('[*]')).toMatch(/expected a field name/);
  });
});
