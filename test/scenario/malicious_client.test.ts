import { describe, expect, it } from 'vitest';
import type { ResultDocument } from '../../src/report/result.js';
import { loadScenarioText } from '../../src/scenario/load.js';
import { runScenario } from '../../src/scenario/run.js';

function scenario(fault: string) {
  const text = `name: malicious-client
seed: 3
duration: 80ms
warmup: 20ms
clients:
  - { name: c0, kind: native, app: echo }
  - { name: c1, kind: native, app: echo }
  - { name: bad, kind: native, app: echo }
load:
  - { to: c0, rate: 200Mbps, streams: 2 }
  - { to: c1, rate: 200Mbps, streams: 2 }
  - { to: bad, rate: 200Mbps, streams: 2 }
invariants: { check: true }
${fault}`;
  const r = loadScenarioText(text, 'm.yaml');
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('; '));
  return r.scenario;
}

const rate = (d: ResultDocument, n: string) => d.load.find((l) => l.to === n)!.achieved_mbps;

describe('an untrusted native client abusing its queues', () => {
  const baseline = runScenario(scenario(''));

  for (const kind of [
    'double-enqueue',
    'bad-offset',
    'corrupt-queue',
    'notification-storm',
    'write-after-handover',
  ]) {
    it(`${kind}: the other clients keep their throughput, trusted pools stay whole, nothing faults`, () => {
      const doc = runScenario(scenario(`faults:\n  - { at: 40ms, kind: ${kind}, target: bad }\n`));
      for (const n of ['c0', 'c1']) {
        expect(rate(doc, n)).toBeGreaterThan(0.95 * rate(baseline, n));
        expect(doc.load.find((l) => l.to === n)!.lost).toBe(0);
      }
      expect(doc.faults).toEqual([]);
      expect(doc.invariants.checks).toBeGreaterThan(5);
      // Whatever went wrong concerns only the bad client's own buffers.
      for (const v of doc.invariants.violations as { detail: string }[])
        expect(v.detail).toContain('client bad');
    });
  }

  it('bad offsets are refused by virt_tx and the corrupt queue only silences the bad client', () => {
    const off = runScenario(scenario('faults:\n  - { at: 40ms, kind: bad-offset, target: bad }\n'));
    const corrupt = runScenario(scenario('faults:\n  - { at: 40ms, kind: corrupt-queue, target: bad }\n'));
    expect(rate(off, 'bad')).toBeGreaterThan(0.9 * rate(baseline, 'bad'));
    expect(rate(corrupt, 'bad')).toBeLessThan(0.8 * rate(baseline, 'bad'));
  });
});
