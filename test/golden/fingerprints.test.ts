import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { scenarioFromInput } from '../../src/ipbench/sweep.js';
import { ipbenchScenario } from '../../src/ipbench/systems.js';
import { defaultScenario } from '../../src/scenario/default_scenario.js';
import { runScenario } from '../../src/scenario/run.js';

/**
 * Golden fingerprints: the trace hash (every event's time, target and argument) and a few
 * figures of reference scenarios. A change here is a change of the model's behaviour: run with
 * UPDATE_GOLDEN=1 to accept it, and say why in the commit.
 */
const FILE = fileURLToPath(new URL('./fingerprints.json', import.meta.url));
const golden: Record<string, unknown> = JSON.parse(readFileSync(FILE, 'utf8'));
const update = process.env['UPDATE_GOLDEN'] === '1';
const seen: Record<string, unknown> = {};

function ipbench(system: 'echo-server' | 'sddf-5pd' | 'linux', mbps: number) {
  const s = scenarioFromInput(
    ipbenchScenario({
      system,
      requestedBps: mbps * 1e6,
      payload: 1472,
      cores: 1,
      durationNs: 30e6,
      warmupNs: 20e6,
      seed: 1,
      smp: false,
      smpBarriers: false,
      streams: 4,
    }),
  );
  const doc = runScenario(s);
  return { trace_hash: doc.trace_hash, events: doc.events, cpu: doc.cores[0]!.cpu_util };
}

const cases: [string, () => unknown][] = [
  ['R1 echo-server 957 Mb/s', () => ipbench('echo-server', 957)],
  ['sddf-5pd 300 Mb/s', () => ipbench('sddf-5pd', 300)],
  ['linux 700 Mb/s', () => ipbench('linux', 700)],
  [
    'default scenario (4 guests)',
    () => {
      const s = defaultScenario();
      s.duration = 30e6;
      s.warmup = 20e6;
      const doc = runScenario(s);
      return { trace_hash: doc.trace_hash, events: doc.events, cpu: doc.cores[0]!.cpu_util };
    },
  ],
];

describe('golden fingerprints of the reference scenarios', () => {
  for (const [name, run] of cases) {
    it(`${name} reproduces its committed fingerprint`, () => {
      const got = run();
      seen[name] = got;
      if (update) return;
      expect(got).toEqual(golden[name]);
    });
  }
  it('writes new fingerprints when UPDATE_GOLDEN=1', () => {
    if (update) writeFileSync(FILE, `${JSON.stringify(seen, null, 2)}\n`);
    expect(Object.keys(update ? seen : golden).length).toBe(cases.length);
  });
});

// Determinism itself: the same scenario and seed run twice give the same fingerprint.
describe('determinism', () => {
  it('gives the same trace hash and result document for the same scenario and seed', () => {
    const a = ipbench('sddf-5pd', 400);
    const b = ipbench('sddf-5pd', 400);
    expect(b).toEqual(a);
  });
});
