// The fairness metrics on their own (src/report/fairness.ts): water-filling, demand, the recorder's
// windows, shares and starvation, and how run.ts turns a scenario into demands.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type FairnessClient,
  FairnessRecorder,
  type Flow,
  LINK_RX,
  LINK_TX,
  meanDemand,
  waterFill,
} from '../../src/report/fairness.js';
import { loadScenarioText } from '../../src/scenario/load.js';
import { fairnessClients } from '../../src/scenario/run.js';

/** Single link, by bisection on the level: a_i = min(d_i, w_i * level), sum of c_i a_i = C. */
function singleLinkReference(flows: readonly Flow[], capacity: number): number[] {
  const at = (level: number) => flows.map((f) => Math.min(f.demand, f.weight * level));
  const used = (level: number) => at(level).reduce((s, a, i) => s + a * flows[i]!.cost, 0);
  let hi = 1;
  while (used(hi) < capacity && hi < 1e15 && at(hi).some((a, i) => a < flows[i]!.demand)) hi *= 2;
  let lo = 0;
  for (let k = 0; k < 200; k++) {
    const mid = (lo + hi) / 2;
    if (used(mid) > capacity) hi = mid;
    else lo = mid;
  }
  return at(lo);
}

const flowArb = (links: number) =>
  fc.record({
    demand: fc.oneof(fc.double({ min: 0, max: 2e9, noNaN: true }), fc.constant(Number.POSITIVE_INFINITY)),
    weight: fc.double({ min: 0.1, max: 8, noNaN: true }),
    cost: fc.double({ min: 1, max: 1.5, noNaN: true }),
    links: fc.integer({ min: 1, max: (1 << links) - 1 }),
  });

describe('waterFill (weighted max-min fairness)', () => {
  it('on one link equals the level found by bisection', () => {
    fc.assert(
      fc.property(
        fc.array(flowArb(1), { minLength: 1, maxLength: 8 }),
        fc.double({ min: 1e6, max: 1e10, noNaN: true }),
        (flows, cap) => {
          const got = waterFill(flows, [cap]);
          const want = singleLinkReference(flows, cap);
          got.forEach((g, i) => {
            expect(g).toBeCloseTo(want[i]!, -Math.log10(cap) + 5);
          });
        },
      ),
    );
  });

  it('on two links is feasible, and every unsatisfied flow is at a full link where nobody has more per weight', () => {
    fc.assert(
      fc.property(
        fc.array(flowArb(2), { minLength: 1, maxLength: 8 }),
        fc.double({ min: 1e6, max: 1e10, noNaN: true }),
        fc.double({ min: 1e6, max: 1e10, noNaN: true }),
        (flows, c0, c1) => {
          const cap = [c0, c1];
          const a = waterFill(flows, cap);
          const load = cap.map((_, l) =>
            flows.reduce((s, f, i) => s + ((f.links >> l) & 1 ? f.cost * a[i]! : 0), 0),
          );
          load.forEach((u, l) => {
            expect(u).toBeLessThanOrEqual(cap[l]! * (1 + 1e-9));
          });
          flows.forEach((f, i) => {
            expect(a[i]!).toBeLessThanOrEqual(f.demand);
            if (a[i]! >= f.demand * (1 - 1e-9)) return;
            const bottleneck = cap.some((c, l) => {
              if (!((f.links >> l) & 1) || load[l]! < c * (1 - 1e-6)) return false;
              return flows.every(
                (g, j) => !((g.links >> l) & 1) || a[j]! / g.weight <= (a[i]! / f.weight) * (1 + 1e-6),
              );
            });
            expect(bottleneck).toBe(true);
          });
        },
      ),
    );
  });

  it('gives the polite clients their demand and the greedy one the rest of the line', () => {
    const frame = 1514 * 8;
    const cost = 1538 / 1514;
    const flows: Flow[] = [
      { demand: 2e9, weight: 1, cost, links: LINK_TX },
      ...[0, 1, 2].map(() => ({ demand: 100e6, weight: 1, cost, links: LINK_TX })),
    ];
    const a = waterFill(flows, [1e9, 1e9]);
    expect(a.slice(1)).toEqual([100e6, 100e6, 100e6]);
    expect(a[0]! * cost + 300e6 * cost).toBeCloseTo(1e9, 0);
    expect(frame).toBe(12112);
  });

  it('splits a full line by weight', () => {
    const flows: Flow[] = [1, 2, 4, 8].map((weight) => ({
      demand: Infinity,
      weight,
      cost: 1,
      links: LINK_TX,
    }));
    expect(waterFill(flows, [0, 1500e6])).toEqual([100e6, 200e6, 400e6, 800e6]);
  });

  it('gives nothing to flows without demand or on a link without capacity', () => {
    const flows: Flow[] = [
      { demand: 0, weight: 1, cost: 1, links: LINK_TX },
      { demand: 5, weight: 1, cost: 1, links: LINK_RX },
    ];
    expect(waterFill(flows, [0, 10])).toEqual([0, 0]);
  });
});

describe('meanDemand', () => {
  it('averages constant-rate pieces over the interval', () => {
    const pieces = [
      { startNs: 0, endNs: 10, bps: 100 },
      { startNs: 5, endNs: Number.POSITIVE_INFINITY, bps: 50 },
    ];
    expect(meanDemand(pieces, 0, 10)).toBe(125);
    expect(meanDemand(pieces, 10, 20)).toBe(50);
    expect(meanDemand(pieces, 20, 20)).toBe(0);
  });
});

const MB = 1e6 / 8; // bytes per Mb

function client(name: string, bps: number, weight = 1): FairnessClient {
  return {
    name,
    weight,
    links: LINK_TX,
    cap: Infinity,
    cost: 1,
    demand: [{ startNs: 0, endNs: Infinity, bps }],
  };
}

describe('FairnessRecorder', () => {
  it('computes shares against fair shares, per window and over the run', () => {
    const r = new FairnessRecorder([client('a', 800e6), client('b', 800e6)], {
      capacityBps: 1000e6,
      windowNs: 10e6,
    });
    // a gets 600 Mb/s and b 400 Mb/s, sampled every ms for 20 ms.
    for (let k = 0; k <= 20; k++) r.sample(k * 1e6, [k * 0.6 * MB, k * 0.4 * MB], [k, k], [1, 1]);
    const f = r.result();
    expect(f.per_client.map((c) => c.fair_share_mbps)).toEqual([500, 500]);
    expect(f.per_client.map((c) => c.throughput_mbps)).toEqual([600, 400]);
    expect(f.min_share).toBe(0.8);
    expect(f.max_share).toBe(1.2);
    expect(f.jain).toBeCloseTo((2 * 2) / (2 * (1.2 ** 2 + 0.8 ** 2)), 4);
    expect(f.windows.map((w) => w.t_ms)).toEqual([0, 10]);
    expect(f.windows[0]!.throughput_mbps).toEqual([600, 400]);
    expect(f.windows[1]!.jain).toBe(f.jain);
  });

  it('measures starvation as the longest stretch with work waiting and no progress', () => {
    const r = new FairnessRecorder([client('a', 100e6), client('b', 100e6)], {
      capacityBps: 1000e6,
      windowNs: 10e6,
    });
    let pa = 0;
    for (let k = 0; k <= 20; k++) {
      // b is backlogged throughout but served only outside [4 ms, 11 ms]; a is served always.
      const pb = k <= 4 ? k : k <= 11 ? 4 : k - 7;
      r.sample(k * 1e6, [k * MB, pb * MB], [pa++, pb], [1, 1]);
    }
    const f = r.result();
    expect(f.starvation_ms).toEqual({ a: 0, b: 7 });
  });

  it('does not count an idle client as starved', () => {
    const r = new FairnessRecorder([client('a', 100e6)], { capacityBps: 1000e6, windowNs: 10e6 });
    for (let k = 0; k <= 10; k++) r.sample(k * 1e6, [0], [0], [0]);
    expect(r.result().starvation_ms).toEqual({ a: 0 });
  });

  it('leaves clients without demand out of the index and reports null for windows with none', () => {
    const r = new FairnessRecorder([client('a', 0), client('b', 0)], { capacityBps: 1000e6, windowNs: 10e6 });
    for (let k = 0; k <= 10; k++) r.sample(k * 1e6, [0, 0], [0, 0], [0, 0]);
    const f = r.result();
    expect(f.jain).toBe(1);
    expect(f.windows[0]!.jain).toBeNull();
    expect(f.per_client[0]!.share).toBeNull();
  });

  it('keeps a last partial window of at least half a window, and drops a shorter one', () => {
    const mk = (end: number) => {
      const r = new FairnessRecorder([client('a', 100e6)], { capacityBps: 1000e6, windowNs: 10e6 });
      for (let k = 0; k <= end; k++) r.sample(k * 1e6, [k * 0.1 * MB], [k], [0]);
      return r.result().windows.length;
    };
    expect(mk(25)).toBe(3);
    expect(mk(24)).toBe(2);
  });
});

describe('fairnessClients (demand from the scenario)', () => {
  it('turns payload rates into frame rates, and limits into caps', () => {
    const r = loadScenarioText(
      `name: d
clients:
  - { name: src, kind: native, app: source, source: { rate: 100Mbps, payload: 1472 }, rate_limit: { rate: 50Mbps, burst: 10KiB } }
  - { name: echo, kind: native, app: echo, weight: 3, rx_rate_limit: { rate: 80Mbps, burst: 10KiB, pps: 1000 } }
  - { name: idle, kind: native, app: sink }
load:
  - { to: echo, rate: 200Mbps, payload: 1472, start: 300ms }
`,
      'd.yaml',
    );
    if (!r.ok) throw new Error('bad scenario');
    const [src, echo, idle] = fairnessClients(r.scenario);
    expect(src!.demand[0]!.bps).toBeCloseTo((100e6 * 1514) / 1472, 3);
    expect(src!.links).toBe(LINK_TX);
    expect(src!.cap).toBe(50e6);
    expect(src!.cost).toBeCloseTo(1538 / 1514, 9);
    expect(echo!.links).toBe(LINK_RX | LINK_TX);
    expect(echo!.weight).toBe(3);
    expect(echo!.demand).toEqual([{ startNs: 300e6, endNs: Infinity, bps: (200e6 * 1514) / 1472 }]);
    expect(echo!.cap).toBe(1000 * 1514 * 8); // the frame bucket binds before the byte rate
    expect(idle!.demand).toEqual([]);
    expect(idle!.links).toBe(LINK_RX);
  });
});
