import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { MemoryIo } from '../../src/cli/io.js';
import { RESULT_SCHEMA_VERSION, type ResultDocument } from '../../src/report/result.js';
import type { Simulation } from '../../src/scenario/build.js';
import { cleanup, FIXTURES, scratchDir } from './cli_harness.js';

// Argument handling only: the model is replaced by a stand-in that answers at once, and every
// path resolves inside a scratch directory (random tokens never contain '/').
function fakeRun(sim: Simulation): ResultDocument {
  return {
    schema_version: RESULT_SCHEMA_VERSION,
    scenario: sim.scenario.name,
    seed: sim.scenario.seed,
    simulated_ns: sim.scenario.warmup + sim.scenario.duration,
    window_ns: { start: sim.scenario.warmup, end: sim.scenario.warmup + sim.scenario.duration },
    clients: sim.clients.map((c) => ({
      name: c.name,
      kind: c.kind,
      app: c.app,
      rx_mbps: 0,
      tx_mbps: 0,
      rx_frames: 0,
      tx_frames: 0,
      drops: {},
      rtt_us: { min: 0, mean: 0, median: 0, p99: 0, max: 0, stdev: 0 },
    })),
    load: [],
    pds: [],
    cores: [{ id: 0, cpu_util: 0, idle_cycles: 0, kernel_cycles: 0, total_cycles: 1 }],
    nic: {},
    fairness: { jain: 1 },
    coherence: [],
    faults: [],
    invariants: { violations: [] },
    events: 0,
    trace_hash: '00000000',
  };
}

const dir = scratchDir('sddfsim-fuzz-');
afterAll(() => cleanup(dir));
writeFileSync(
  join(dir, 's.yaml'),
  `name: f\nduration: 1ms\nwarmup: 1ms\nclients:\n  - { name: c0, kind: native }\nload:\n  - { to: c0, rate: 10Mbps }\n`,
);
writeFileSync(join(dir, 'junk.bin'), '\u0000\u0001garbage');

const COMMANDS = ['run', 'validate', 'schema', 'sweep', 'merge', 'replay', 'system', 'ipbench', 'help'];
const TOKENS = [
  ...COMMANDS,
  's.yaml',
  'junk.bin',
  join(FIXTURES, 'bad.yaml'),
  'missing.yaml',
  '--seed',
  '--duration',
  '--json',
  '--csv',
  '--out',
  '--pcap',
  '--trace',
  '--record',
  '--force',
  '--set',
  '--parallel',
  '--shard',
  '--format',
  '--system',
  '--loads',
  '--cores',
  '--payload',
  '--help',
  '-h',
  '-V',
  '--',
  '-',
  '0',
  '1',
  '-1',
  '1/2',
  '3/2',
  '0/0',
  '1ms',
  '2ms',
  'abc',
  'NaN',
  '1e400',
  'microkit',
  'echo-server',
  'wire,c0',
  'c0',
  'seed=1,2',
  'load[0].rate=1Mbps,x',
  'clients[0].name=zz',
  'board.costs.nope=3',
  'out',
  'rec',
  'r.json',
  'r.csv',
  'r.html',
  '10,20',
];

// Random text that cannot name a place outside the scratch directory.
const safeText = fc
  .string({ maxLength: 12 })
  .filter((s) => !s.includes('/') && !s.includes('\\') && !s.startsWith('~'));
const token = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...TOKENS) },
  { weight: 1, arbitrary: safeText },
);
const opt = (name: string, ...values: string[]) => fc.constantFrom(...values).map((v) => [name, v]);
const flag = (name: string) => fc.constant<string[]>([name]);
const options = (...arbs: fc.Arbitrary<string[]>[]) =>
  fc.subarray(arbs).chain((picked) => fc.tuple(...picked));

// Commands as a user would write them, with plausible and implausible option values.
const wellFormed = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('s.yaml', 'missing.yaml', 'junk.bin'),
      options(
        opt('--seed', '1', '0', '-1', 'x'),
        opt('--duration', '1ms', '0', 'abc'),
        opt('--out', 'out', 'r.json'),
        opt('--pcap', 'wire,c0', 'c9', ''),
        flag('--trace'),
        opt('--record', 'rec'),
        flag('--json'),
        flag('--force'),
      ),
    )
    .map(([f, o]) => ['run', f, ...o.flat()]),
  fc
    .tuple(
      fc.constantFrom(
        'seed=1,2',
        'load[0].rate=1Mbps,x',
        'board.costs.nope=3',
        'clients[0].name=zz',
        'a=',
        '=1',
      ),
      options(
        opt('--parallel', '1', '2', '0'),
        opt('--shard', '1/2', '2/2', '3/2', '0/0'),
        flag('--json'),
        flag('--csv'),
        opt('--out', 'r.json', 'r.csv', 'r.html'),
        flag('--force'),
      ),
    )
    .map(([set, o]) => ['sweep', 's.yaml', '--set', set, ...o.flat()]),
  fc
    .tuple(
      fc.subarray(['r.json', 'r.csv', 'junk.bin', 'missing.yaml'], { minLength: 1 }),
      options(opt('--out', 'm.json'), flag('--force')),
    )
    .map(([files, o]) => ['merge', ...files, ...o.flat()]),
  fc.constantFrom('rec', 'junk.bin', 's.yaml').map((f) => ['replay', f]),
  fc.constantFrom('microkit', 'capdl').map((f) => ['system', 's.yaml', '--format', f]),
  fc
    .tuple(
      fc.constantFrom('echo-server', 'sddf-2pd', 'linux', 'x'),
      options(
        opt('--loads', '10,20', '0', 'x'),
        opt('--cores', '1', '2', '0'),
        flag('--csv'),
        flag('--json'),
      ),
    )
    .map(([sys, o]) => ['ipbench', '--system', sys, ...o.flat()]),
);

// A well-formed command with a token dropped, duplicated or replaced.
const mutated = fc
  .tuple(
    wellFormed,
    fc.array(fc.tuple(fc.constantFrom('drop', 'dup', 'replace'), fc.nat(), token), { maxLength: 2 }),
  )
  .map(([args, edits]) => {
    const out = [...args];
    for (const [op, at, tok] of edits) {
      const i = at % Math.max(1, out.length);
      if (op === 'drop') out.splice(i, 1);
      else if (op === 'dup') out.splice(i, 0, out[i] ?? tok);
      else out[i] = tok;
    }
    return out;
  });

const argv = fc.oneof(
  fc.array(token, { maxLength: 8 }),
  fc.tuple(fc.constantFrom(...COMMANDS), fc.array(token, { maxLength: 7 })).map(([c, rest]) => [c, ...rest]),
  wellFormed,
  mutated,
);

describe('the argument layer under random and mutated argv', () => {
  it('never throws and always exits with 0, 1 or 2', async () => {
    await fc.assert(
      fc.asyncProperty(argv, async (args) => {
        const io = new MemoryIo({ cwd: dir, simulate: fakeRun });
        const code = await main(args, io);
        expect([0, 1, 2]).toContain(code);
        expect(io.stderrText).not.toContain('internal error');
      }),
      { numRuns: 300, seed: 20261125 },
    );
  });
});
