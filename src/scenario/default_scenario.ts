// The scenario that runs when none is given: four guest VMs running the echo app behind the native
// driver, offered 800 Mb/s in total, split evenly. Like libvmm's four-VM example, each guest has a
// core of its own (the i.MX8M Mini has four); the sDDF components share core 0 with guest0. On one
// core the four Linux-like guests cannot keep up with 800 Mb/s, which `--set board.cores=1` shows. It goes through the same schema and loader as a
// user's file, so it cannot drift from the format, and problems in it would carry positions.

import { stringify } from 'yaml';
import { loadScenarioText } from './load.js';
import { formatProblem } from './problems.js';
import type { Scenario, ScenarioInput } from './schema.js';

/** File name used in positions and problems for the built-in scenario. */
export const DEFAULT_SCENARIO_FILE = '<built-in default>';

const GUESTS = ['guest0', 'guest1', 'guest2', 'guest3'] as const;

/** The default scenario in the input format, as a user would write it. */
export const DEFAULT_SCENARIO_INPUT = {
  name: 'default-four-guests-echo',
  seed: 1,
  duration: '1s',
  warmup: '200ms',
  board: { cores: 4, cost_model: 'imx8mm' },
  nic: { rate: '1Gbps' },
  driver: { kind: 'native' },
  virt: { tx_policy: 'fixed-order' },
  clients: GUESTS.map((name, core) => ({ name, kind: 'vm', app: 'echo', core })),
  load: GUESTS.map((to) => ({ to, rate: '200Mbps', payload: 1472 })),
} as const satisfies ScenarioInput;

/** The default scenario as YAML, for `sddfsim run` without a file and for the docs. */
export const DEFAULT_SCENARIO_TEXT: string =
  '# Built-in default: four guest VMs echo 800 Mb/s of UDP (200 Mb/s each) through the native driver.\n' +
  stringify(DEFAULT_SCENARIO_INPUT, { lineWidth: 0 });

/** The validated default scenario; a fresh object on every call, so callers may change it. */
export function defaultScenario(): Scenario {
  const result = loadScenarioText(DEFAULT_SCENARIO_TEXT, DEFAULT_SCENARIO_FILE);
  if (!result.ok) {
    // Our own constant failing our own schema is a bug in this file, not a user error.
    throw new Error(
      `built-in default scenario is invalid:\n${result.problems.map(formatProblem).join('\n')}`,
    );
  }
  return result.scenario;
}
