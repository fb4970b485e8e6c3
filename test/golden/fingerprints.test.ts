import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { scenarioFromInput } from '../../src/ipbench/sweep.js';
import { ipbenchScenario } from '../../src/ipbench/systems.js';
import { defaultScenario } from '../../src/scenario/default_scenario.js';
import { loadScenarioText } from '../../src/scenario/load.js';
import { guestsEchoScenarioText } from '../../src/scenario/reference_scenarios.js';
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

/** An echo guest, one that scribbles over its virtqueues from 20 ms, and one pinging the wire. */
const GUEST_FAULTS_TEXT = `name: guest-faults
seed: 3
duration: 30ms
warmup: 10ms
board: { cores: 2 }
clients:
  - { name: g0, kind: vm, app: echo, core: 1 }
  - { name: bad, kind: vm, app: echo, core: 1 }
  - { name: p0, kind: vm, app: ping, ping: { interval: 200us } }
load:
  - { to: g0, rate: 300Mbps }
  - { to: bad, rate: 300Mbps }
faults:
  - { at: 20ms, kind: malformed-chain, target: bad }
`;

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
  [
    'R2 (8 guests, 957 Mb/s)',
    () => {
      const r = loadScenarioText(guestsEchoScenarioText(8, 957, 0.03), 'r2.yaml');
      if (!r.ok) throw new Error('R2 does not load');
      const doc = runScenario(r.scenario);
      return { trace_hash: doc.trace_hash, events: doc.events, cpu: doc.cores[0]!.cpu_util };
    },
  ],
  [
    'guests misbehaving and pinging',
    () => {
      const r = loadScenarioText(GUEST_FAULTS_TEXT, 'guests.yaml');
      if (!r.ok) throw new Error('the guest scenario does not load');
      const doc = runScenario(r.scenario);
      const bad = doc.clients[1]!;
      return {
        trace_hash: doc.trace_hash,
        events: doc.events,
        needs_reset: bad.virtio!.needs_reset,
        ping: doc.clients[2]!.ping,
      };
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
