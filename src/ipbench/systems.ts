import type { ScenarioInput, SystemName } from '../scenario/schema.js';

/** The measured systems of the calibration tables and the echo-server example. */
export const IPBENCH_SYSTEMS: readonly SystemName[] = [
  'linux',
  'sddf-2pd',
  'sddf-4pd',
  'sddf-d5pd',
  'sddf-5pd',
  'echo-server',
];

/** ipbench's requested rates in the published tables (Mb/s). */
export const IPBENCH_DEFAULT_LOADS = [10, 20, 50, 100, 200, 300, 400, 500, 600, 700, 800, 900, 957];

export interface IpbenchPointOptions {
  system: SystemName;
  requestedBps: number;
  payload: number;
  cores: number;
  durationNs: number;
  warmupNs: number;
  seed: number;
  smp: boolean;
  smpBarriers: boolean;
  /** ipbench drives the target from 4 load-generator machines. */
  streams: number;
  pattern?: 'cbr' | 'poisson';
  costs?: Record<string, number>;
  /** The native sDDF driver (default) or a Linux driver VM in its place (docs/driver-vm.md). */
  driver?: 'native' | 'vm';
}

/**
 * The scenario of one ipbench load point: the named system echoing UDP back to the
 * generator. echo-server has two clients and the load is split evenly between them;
 * the other systems have one client.
 */
export function ipbenchScenario(o: IpbenchPointOptions): ScenarioInput {
  const clientCount = o.system === 'echo-server' ? 2 : 1;
  const clients = Array.from({ length: clientCount }, (_, i) => ({
    name: `client${i}`,
    kind: 'native' as const,
    app: 'echo' as const,
    ...(o.cores >= 4 ? { core: 2 + (i % (o.cores - 2)) } : {}),
  }));
  const load = clients.map((c) => ({
    to: c.name,
    rate: o.requestedBps / clientCount,
    payload: o.payload,
    streams: o.streams,
    pattern: o.pattern ?? 'cbr',
  }));
  const multi = o.cores >= 2;
  return {
    name: `ipbench-${o.system}${o.driver === 'vm' ? '-driver-vm' : ''}-${Math.round(o.requestedBps / 1e6)}Mbps`,
    seed: o.seed,
    duration: o.durationNs / 1e9,
    warmup: o.warmupNs / 1e9,
    system: o.system,
    board: {
      cores: o.cores,
      cost_model: 'imx8mm',
      kernel: { smp: o.smp, smp_barriers: o.smpBarriers },
      ...(o.costs ? { costs: o.costs } : {}),
    },
    // Two-core layout of the sDDF echo server: driver and virt_tx on core 1.
    driver: multi ? { kind: o.driver ?? 'native', core: 1 } : { kind: o.driver ?? 'native' },
    virt: multi ? { tx_policy: 'fixed-order', core: 0 } : { tx_policy: 'fixed-order' },
    clients,
    load,
  };
}
