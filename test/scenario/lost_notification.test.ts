import { describe, expect, it } from 'vitest';
import { loadScenarioText } from '../../src/scenario/load.js';
import { runScenario } from '../../src/scenario/run.js';

function run(target: string, rate: string, fault = true) {
  const faults = fault ? `faults:\n  - { at: 40ms, kind: lost-notification, target: '${target}' }\n` : '';
  const r = loadScenarioText(
    `name: lost\nduration: 100ms\nwarmup: 20ms\nclients:\n  - { name: c0, kind: native, app: echo }\nload:\n  - { to: c0, rate: ${rate} }\ninvariants: { check: true }\n${faults}`,
    'lost.yaml',
  );
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('; '));
  return runScenario(r.scenario);
}

/**
 * The sDDF signalling protocol assumes notifications are never lost (seL4 guarantees it): a
 * producer cancels the consumer's request before signalling, so a lost signal leaves the
 * consumer asleep with its flag cleared and no later enqueue signals it again. Whether the path
 * recovers depends on whether something else wakes the consumer.
 */
describe('a lost notification', () => {
  it('between the driver and virt_rx at low load stalls the receive path for good, with no buffer lost', () => {
    const ok = run('', '10Mbps', false);
    const doc = run('ethernet_driver->net_virt_rx', '10Mbps');
    expect(ok.load[0]!.lost).toBe(0);
    expect(doc.faults.some((f) => f.kind === 'lost-notification')).toBe(true);
    // Only the echoes before the loss come back: about 20 of the 100 measured milliseconds.
    expect(doc.load[0]!.achieved_mbps).toBeLessThan(0.3 * ok.load[0]!.achieved_mbps);
    expect(doc.load[0]!.lost).toBeGreaterThan(50);
    expect(doc.invariants.violations).toEqual([]);
  });

  it('between virt_tx and the driver at high load is recovered by the next TX completion', () => {
    const ok = run('', '300Mbps', false);
    const doc = run('net_virt_tx->ethernet_driver', '300Mbps');
    expect(doc.faults.some((f) => f.kind === 'lost-notification')).toBe(true);
    expect(doc.load[0]!.achieved_mbps).toBeGreaterThan(0.99 * ok.load[0]!.achieved_mbps);
    expect(doc.load[0]!.lost).toBe(0);
  });

  it('names an unknown channel as an input error', () => {
    expect(() => run('ethernet_driver->nobody', '10Mbps')).toThrow(
      /no channel from 'ethernet_driver' to 'nobody'/,
    );
  });
});
