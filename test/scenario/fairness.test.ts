// The fairness examples (examples/*.yaml) run end to end, shortened to 300 ms, and the outcomes
// examples/README.md describes are checked on the result document. Rates in `fairness` are Mb/s
// of Ethernet frame bytes: a 100 Mb/s payload source (1472-byte datagrams) offers 102.85.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ResultDocument } from '../../src/report/result.js';
import { loadScenarioFile } from '../../src/scenario/load.js';
import { runScenario } from '../../src/scenario/run.js';
import type { Scenario } from '../../src/scenario/schema.js';

const LINE_FRAME_MBPS = (1000 * 1514) / 1538; // 1 GbE filled with 1514-byte frames

function example(name: string, change: (s: Scenario) => void = () => {}): Scenario {
  const path = fileURLToPath(new URL(`../../examples/${name}.yaml`, import.meta.url));
  const r = loadScenarioFile(path);
  if (!r.ok) throw new Error(`${name}: ${JSON.stringify(r.problems)}`);
  r.scenario.duration = 300e6;
  change(r.scenario);
  return r.scenario;
}

function perClient(doc: ResultDocument, name: string) {
  const c = doc.fairness.per_client!.find((x) => x.name === name);
  if (c === undefined) throw new Error(`no client ${name}`);
  return c;
}

const within = (got: number, want: number, frac: number) => Math.abs(got - want) <= want * frac;

describe('greedy-vs-polite', () => {
  for (const policy of ['round-robin', 'drr'] as const) {
    it(`under ${policy} every polite client gets its demand within 2% and the greedy one the rest`, () => {
      const doc = runScenario(example('greedy-vs-polite', (s) => (s.virt.tx_policy = policy)));
      for (const name of ['polite0', 'polite1', 'polite2']) {
        const c = perClient(doc, name);
        expect(within(c.throughput_mbps, c.demand_mbps!, 0.02), `${name} ${c.throughput_mbps}`).toBe(true);
      }
      const g = perClient(doc, 'greedy');
      const rest = LINE_FRAME_MBPS - 3 * perClient(doc, 'polite0').demand_mbps!;
      expect(within(g.throughput_mbps, rest, 0.02), `greedy ${g.throughput_mbps}`).toBe(true);
      expect(doc.fairness.jain).toBeGreaterThan(0.99);
      expect(Object.values(doc.fairness.starvation_ms!).every((ms) => ms <= 1)).toBe(true);
    });
  }

  it('under fixed-order a client with more buffers takes the line: virt_tx passes every buffer to the driver FIFO', () => {
    const doc = runScenario(
      example('greedy-vs-polite', (s) => {
        s.virt.tx_policy = 'fixed-order';
        s.clients[0]!.tx_buffers = 16384;
      }),
    );
    for (const name of ['polite0', 'polite1', 'polite2'])
      expect(perClient(doc, name).share!).toBeLessThan(0.5);
    expect(doc.fairness.jain).toBeLessThan(0.8);
    // The same pools under round robin: polite clients are served.
    const rr = runScenario(
      example('greedy-vs-polite', (s) => {
        s.clients[0]!.tx_buffers = 16384;
      }),
    );
    expect(rr.fairness.min_share!).toBeGreaterThan(0.98);
  });

  it('under strict priority with equal priorities the first client starves the others for the whole run', () => {
    const doc = runScenario(example('greedy-vs-polite', (s) => (s.virt.tx_policy = 'priority')));
    expect(perClient(doc, 'polite0').throughput_mbps).toBe(0);
    expect(doc.fairness.starvation_ms!['polite1']).toBeGreaterThanOrEqual(299);
    expect(doc.fairness.starvation_ms!['greedy']).toBe(0);
  });

  it('fairness sampling does not change the run: sampling four times as often gives the same trace', () => {
    const s = example('greedy-vs-polite', (x) => (x.duration = 50e6));
    const a = runScenario(s);
    const b = runScenario(s, { fairnessWindowNs: 5e6, fairnessSampleNs: 0.25e6 });
    expect(b.trace_hash).toBe(a.trace_hash);
    expect(b.events).toBe(a.events);
    expect(b.clients).toEqual(a.clients);
    expect(a.fairness.windows!.length).toBe(5);
    expect(b.fairness.windows!.length).toBe(10);
  });
});

describe('weighted', () => {
  it('four backlogged clients weighted 1:2:4:8 under drr get 1/15, 2/15, 4/15, 8/15 of the line within 5%', () => {
    const doc = runScenario(example('weighted'));
    for (const [name, k] of [
      ['w1', 1],
      ['w2', 2],
      ['w4', 4],
      ['w8', 8],
    ] as const) {
      const got = perClient(doc, name).throughput_mbps;
      expect(within(got, (LINE_FRAME_MBPS * k) / 15, 0.05), `${name} ${got}`).toBe(true);
    }
  });
});

describe('rate-limited', () => {
  it('holds a 200 Mb/s client to 200 Mb/s within 2%, in bursts no larger than its bucket', () => {
    const s = example('rate-limited');
    const doc = runScenario(s);
    const i = s.clients.findIndex((c) => c.name === 'limited');
    const lim = s.clients[i]!.rate_limit!;
    const got = perClient(doc, 'limited').throughput_mbps;
    expect(within(got, lim.rate / 1e6, 0.02), `limited ${got}`).toBe(true);
    // No window may carry more than the rate plus one bucket (and a frame in flight at its edge).
    const windowS = doc.fairness.window_ms! / 1e3;
    const most = (lim.rate * windowS + (lim.burst + 1514) * 8) / windowS / 1e6;
    for (const w of doc.fairness.windows!) expect(w.throughput_mbps[i]!).toBeLessThanOrEqual(most);
    expect(doc.clients[i]!.rate_limit!.tx_throttled_frames).toBeGreaterThan(0);
    // The rest of the line goes to 'bulk'.
    const bulk = perClient(doc, 'bulk');
    expect(within(bulk.throughput_mbps, bulk.fair_share_mbps, 0.02)).toBe(true);
  });

  it('drops what a client receives over its rx_rate_limit at its copier, and counts it', () => {
    const doc = runScenario(example('rate-limited'));
    const c = doc.clients.find((x) => x.name === 'capped_rx')!;
    expect(within(c.rx_mbps, 50, 0.02), `capped_rx ${c.rx_mbps}`).toBe(true);
    expect(c.drops['rx_rate_limited']).toBeGreaterThan(1000);
    expect(c.rate_limit!.rx_dropped_frames).toBe(c.drops['rx_rate_limited']);
    expect(perClient(doc, 'capped_rx').share!).toBeGreaterThan(0.98);
  });
});

describe('overload', () => {
  it('with more demand than the line and equal weights, round robin keeps Jain at 0.98 or more', () => {
    const doc = runScenario(example('overload'));
    expect(doc.fairness.jain).toBeGreaterThanOrEqual(0.98);
    const windows = doc.fairness.windows!.map((w) => w.jain!);
    expect(Math.min(...windows)).toBeGreaterThanOrEqual(0.98);
    // The two large clients split what the small ones leave.
    const large = perClient(doc, 'large');
    const huge = perClient(doc, 'huge');
    expect(large.fair_share_mbps).toBe(huge.fair_share_mbps);
    expect(large.fair_share_mbps).toBeLessThan(large.demand_mbps!);
  });
});
