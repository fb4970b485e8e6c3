// ClientView.traffic() is the fairness sampler's cheap read of a client's counters: it must agree
// with counters() for every kind of client the builder makes.
import { describe, expect, it } from 'vitest';
import { type TrafficCounters, buildSimulation } from '../../src/scenario/build.js';
import { loadScenarioText } from '../../src/scenario/load.js';
import { runSimulation } from '../../src/scenario/run.js';

const SCENARIO = `name: traffic
seed: 3
duration: 30ms
warmup: 5ms
clients:
  - { name: g0, kind: vm, app: echo }
  - { name: n0, kind: native, app: echo }
  - { name: s0, kind: native, app: source, source: { rate: 50Mbps } }
load:
  - { to: g0, rate: 100Mbps }
  - { to: n0, rate: 100Mbps }
`;

describe('ClientView.traffic', () => {
  it('reports what counters() reports, for guest, native and source clients', () => {
    const r = loadScenarioText(SCENARIO, 'traffic.yaml');
    if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('\n'));
    const sim = buildSimulation(r.scenario);
    runSimulation(sim);
    const out: TrafficCounters = { rxFrames: -1, rxBytes: -1, txFrames: -1, txBytes: -1 };
    for (const c of sim.clients) {
      c.traffic(out);
      const k = c.counters();
      expect(out).toEqual({
        rxFrames: k.rxFrames,
        rxBytes: k.rxBytes,
        txFrames: k.txFrames,
        txBytes: k.txBytes,
      });
      expect(out.txFrames + out.rxFrames).toBeGreaterThan(0);
    }
  });
});
