import { describe, expect, it } from 'vitest';
import { buildSimulation } from '../../src/scenario/build.js';
import { loadScenarioText } from '../../src/scenario/load.js';
import { runSimulation } from '../../src/scenario/run.js';

function sim() {
  const r = loadScenarioText(
    `name: cache
duration: 30ms
warmup: 10ms
clients:
  - { name: c0, kind: native, app: echo }
load:
  - { to: c0, rate: 300Mbps, streams: 2 }
`,
    'cache.yaml',
  );
  if (!r.ok) throw new Error('bad scenario');
  return buildSimulation(r.scenario);
}

describe('cache maintenance in the sDDF pipeline', () => {
  it('with it, every echo comes back intact and the coherence report is empty', () => {
    const s = sim();
    const doc = runSimulation(s);
    expect(doc.coherence).toEqual([]);
    const g = s.generator!.results();
    expect(g.total.duplicates + g.total.corrupt + g.malformed).toBe(0);
    expect(g.total.lost).toBe(0);
  });

  it('without virt_rx clean+invalidate the copier reads stale lines: echoes of old frames, named in the report', () => {
    const s = sim();
    s.net!.virtRx!.cacheMaintenance = false;
    const doc = runSimulation(s);
    // virt_rx itself reads the stale destination MAC; the copier copies stale payload lines.
    const stale = doc.coherence.find(
      (e) => e.kind === 'cpu-read-stale-line' && e.component === 'c0_net_copier',
    );
    expect(stale).toBeDefined();
    expect(doc.coherence.some((e) => e.kind === 'cpu-read-stale-line' && e.component === 'net_virt_rx')).toBe(
      true,
    );
    expect(stale!.region).toBe('net/rx/data/device');
    expect(stale!.lines.length).toBeGreaterThan(0);
    // The client echoed what the copier handed it: earlier frames, so echoes come back twice or never.
    const g = s.generator!.results();
    expect(g.total.duplicates + g.total.lost).toBeGreaterThan(0);
  });
});
