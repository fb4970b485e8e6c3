import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadScenarioFile, loadScenarioText } from '../../src/scenario/load.js';
import { guestsEchoScenarioText } from '../../src/scenario/reference_scenarios.js';

const R2_FILE = fileURLToPath(new URL('../../examples/r2-eight-guests.yaml', import.meta.url));

describe('the R2 reference scenario', () => {
  it('is the same system in the bench (generated) and in examples/ (the end-to-end figure)', () => {
    const file = loadScenarioFile(R2_FILE);
    const generated = loadScenarioText(guestsEchoScenarioText(8, 957, 2), 'r2.yaml');
    if (!file.ok || !generated.ok) throw new Error('R2 does not validate');
    // Only the name differs; the example's 2 s duration is the one generated here.
    expect({ ...generated.scenario, name: '' }).toEqual({ ...file.scenario, name: '' });
  });

  it('validates from 1 to 64 guests', () => {
    for (const n of [1, 8, 64])
      expect(loadScenarioText(guestsEchoScenarioText(n, 400, 0.2), 'r2.yaml').ok).toBe(true);
  });
});
