// Every scenario shipped in examples/ must validate: the README and examples/README.md tell users to
// run them as they are.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../src/scenario/load.js';

const DIR = fileURLToPath(new URL('../../examples/', import.meta.url));
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.yaml'));

describe('examples/', () => {
  it('holds the scenarios the docs name', () => {
    expect(FILES).toContain('four-guests-echo.yaml');
    expect(FILES).toContain('r2-eight-guests.yaml');
  });

  it.each(FILES)('%s validates', (f) => {
    const r = loadScenarioFile(`${DIR}${f}`);
    if (!r.ok) throw new Error(r.problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
    expect(r.scenario.name.length).toBeGreaterThan(0);
  });
});
