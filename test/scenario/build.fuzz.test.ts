// Scenarios that load must build and run: whatever the loader accepts, the composition and the
// model take without an exception (what only a build can refuse is a BuildError, an input error).
// A scenario fuzzer of this shape found 13 kinds of scenario that validated and then crashed the run
// (too many clients for virt_tx's channels, TX buffers beyond one queue, sddf-2pd with two clients,
// faults aimed at the wrong kind of client, ...); they are refused at load now.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { knownCostNames } from '../../src/board/cost_model.js';
import '../../src/guest/costs.js';
import '../../src/vmm/costs.js';
import { BuildError, buildSimulation } from '../../src/scenario/build.js';
import { loadScenarioText } from '../../src/scenario/load.js';
import { runSimulation } from '../../src/scenario/run.js';
import { CLIENT_APPS, FAULT_KINDS, PROTECTIONS, SYSTEMS, TX_POLICIES } from '../../src/scenario/schema.js';

const pow2 = (lo: number, hi: number) => fc.integer({ min: lo, max: hi }).map((e) => 2 ** e);
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 2 });

const client = fc.record(
  {
    kind: fc.constantFrom('native', 'vm'),
    app: fc.constantFrom(...CLIENT_APPS),
    rx_buffers: maybe(pow2(1, 12)),
    tx_buffers: maybe(pow2(1, 12)),
    core: maybe(fc.integer({ min: 0, max: 7 })),
    weight: maybe(fc.constantFrom(0.001, 1, 1000)),
    priority: maybe(fc.constantFrom(0, 100, 254)),
    rate_limit: maybe(
      fc.record({ rate: fc.constantFrom('1Mbps', '500Mbps'), burst: fc.constantFrom('1514', '64KiB') }),
    ),
    rx_rate_limit: maybe(
      fc.record({ rate: fc.constantFrom('1Mbps', '500Mbps'), burst: fc.constantFrom('1514', '64KiB') }),
    ),
    guest: maybe(
      fc.record({
        ram: fc.constantFrom('64KiB', '2MiB', '16MiB'),
        queue_size: pow2(1, 12),
        event_idx: fc.boolean(),
        boot_time: fc.constantFrom('0ms', '1ms'),
      }),
    ),
  },
  { requiredKeys: ['kind', 'app'] },
);

const scenario = fc
  .record({
    cores: fc.constantFrom(1, 2, 4),
    clients: fc.array(client, { minLength: 1, maxLength: 4 }),
    loads: fc.array(
      fc.record({
        to: fc.nat(3),
        rate: fc.constantFrom('1bps', '10Mbps', '957Mbps', '5Gbps'),
        payload: fc.constantFrom(16, 100, 1472),
        streams: fc.constantFrom(1, 2, 64),
      }),
      { maxLength: 3 },
    ),
    faults: fc.array(
      fc.record({
        at: fc.constantFrom('1ms', '2ms'),
        kind: fc.constantFrom(...FAULT_KINDS),
        target: fc.constantFrom('driver', 'c0', 'c1', 'ethernet_driver->net_virt_rx', 'c0->net_virt_tx'),
      }),
      { maxLength: 2 },
    ),
    system: maybe(fc.constantFrom(...SYSTEMS)),
    driverKind: fc.constantFrom('native', 'vm'),
    txPolicy: fc.constantFrom(...TX_POLICIES),
    protection: maybe(fc.constantFrom(...PROTECTIONS)),
    nicRing: maybe(pow2(1, 12)),
  })
  .map((g) => {
    const n = g.clients.length;
    const clients = g.clients.map((c, i) => {
      const out: Record<string, unknown> = { name: `c${i}`, ...c };
      if (c.core !== undefined) out['core'] = c.core % g.cores;
      if (c.kind === 'native') delete out['guest'];
      if (c.app === 'source') out['source'] = { rate: '100Mbps', payload: 1472 };
      return out;
    });
    return {
      name: 'fuzz',
      seed: 1,
      duration: '3ms',
      warmup: '1ms',
      board: { cores: g.cores },
      ...(g.nicRing !== undefined ? { nic: { rx_ring: g.nicRing, tx_ring: g.nicRing } } : {}),
      driver: { kind: g.driverKind },
      virt: { tx_policy: g.txPolicy },
      ...(g.system !== undefined ? { system: g.system } : {}),
      ...(g.protection !== undefined ? { protections: { [g.protection]: false } } : {}),
      clients,
      load: g.loads.map((l) => ({ ...l, to: `c${l.to % n}` })),
      faults: g.faults,
    };
  });

describe('scenarios that load', () => {
  it('build and run without an exception (or are refused by the build as input errors)', () => {
    const knownCosts = knownCostNames('imx8mm');
    let ran = 0;
    fc.assert(
      fc.property(scenario, (doc) => {
        const r = loadScenarioText(JSON.stringify(doc), 'fuzz.json', { knownCosts });
        if (!r.ok) return;
        let sim: ReturnType<typeof buildSimulation>;
        try {
          sim = buildSimulation(r.scenario);
        } catch (e) {
          // Only a lost-notification target naming a channel the system lacks is left to the build.
          if (e instanceof BuildError && e.path !== null) return;
          throw e;
        }
        runSimulation(sim);
        sim.board.memory.release();
        ran++;
      }),
      { numRuns: 60, seed: 7 },
    );
    // The generator is not all refusals: a good part of the scenarios run.
    expect(ran).toBeGreaterThan(10);
  });
});
