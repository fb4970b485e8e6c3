// `sddfsim ipbench --system <name>`: an ipbench-style load sweep of one measured system,
// printed as a table, as ipbench's CSV, or as JSON rows.

import { buildSimulation } from '../scenario/build.js';
import {
  IPBENCH_CSV_HEADER,
  type IpbenchRow,
  ipbenchCsvRow,
  type PointRunner,
  runIpbenchPoint,
} from '../ipbench/sweep.js';
import { IPBENCH_DEFAULT_LOADS, IPBENCH_SYSTEMS } from '../ipbench/systems.js';
import type { SystemName } from '../scenario/schema.js';
import { EXIT_OK, runFailure, usageError } from './exit_codes.js';
import type { CliIo } from './io.js';
import { Progress, progressAllowed } from './progress.js';
import { textTable } from './text_table.js';

export interface IpbenchFlags {
  system: string;
  loads?: number[];
  cores?: number;
  duration?: number;
  warmup?: number;
  payload?: number;
  seed?: number;
  streams?: number;
  driver?: 'native' | 'vm';
  csv?: boolean;
  json?: boolean;
}

export function ipbenchCommand(io: CliIo, flags: IpbenchFlags): number {
  const system = IPBENCH_SYSTEMS.find((s) => s === flags.system);
  if (system === undefined) {
    throw usageError(`Cannot sweep system '${flags.system}': expected one of ${IPBENCH_SYSTEMS.join(', ')}`);
  }
  if (flags.driver === 'vm' && system === 'linux') {
    throw usageError(
      "Cannot sweep system 'linux' with --driver vm: Linux has its own driver, did you mean an sDDF system?",
    );
  }
  const loads = flags.loads ?? IPBENCH_DEFAULT_LOADS;
  const cores = flags.cores ?? 1;
  const simulate = io.simulate;
  const runner: PointRunner | undefined =
    simulate === undefined ? undefined : (s) => simulate(buildSimulation(s), {});
  const progress = new Progress(io, `ipbench ${system}`, progressAllowed(io) && flags.json !== true);
  const rows: IpbenchRow[] = [];
  for (const [i, mbps] of loads.entries()) {
    progress.update(i / loads.length, `${mbps} Mb/s`);
    const options = {
      system: system as SystemName,
      requestedBps: mbps * 1e6,
      payload: flags.payload ?? 1472,
      cores,
      durationNs: flags.duration ?? 1e9,
      warmupNs: flags.warmup ?? 200e6,
      seed: flags.seed ?? 1,
      // Several cores need the SMP kernel, as on the board.
      smp: cores > 1,
      smpBarriers: false,
      streams: flags.streams ?? 4,
      ...(flags.driver !== undefined ? { driver: flags.driver } : {}),
    };
    try {
      rows.push(runner === undefined ? runIpbenchPoint(options) : runIpbenchPoint(options, runner));
    } catch (e) {
      progress.done();
      throw runFailure(
        `ipbench ${system} at ${mbps} Mb/s failed: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  }
  progress.done();
  if (flags.json === true) io.stdout(`${JSON.stringify(rows, null, 2)}\n`);
  else if (flags.csv === true) io.stdout(`${[IPBENCH_CSV_HEADER, ...rows.map(ipbenchCsvRow)].join('\n')}\n`);
  else {
    io.stdout(
      `${textTable(
        ['requested Mb/s', 'achieved', 'sent', 'CPU %', 'cycles/pkt', 'RTT mean us', 'median', 'max'],
        rows.map((r) => [
          r.requested_mbps,
          r.achieved_mbps.toFixed(1),
          r.sent_mbps.toFixed(1),
          (r.cpu * 100).toFixed(1),
          r.cycles_per_pkt,
          r.rtt_us.mean.toFixed(1),
          r.rtt_us.median.toFixed(1),
          r.rtt_us.max.toFixed(1),
        ]),
      )}\n`,
    );
  }
  return EXIT_OK;
}
