// The command-line grammar: commands, options and help, with commander. Output goes through the
// CliIo, and commander never exits the process (exitOverride): main() turns its errors into
// exit codes. A command's module, and the simulator behind it, is imported only when that command
// runs, so help and usage errors answer without loading the simulator.

import { Command, Option } from 'commander';
import { IPBENCH_DEFAULT_LOADS, IPBENCH_SYSTEMS } from '../ipbench/systems.js';
import { packageVersion } from './build_id.js';
import type { CliIo } from './io.js';
import {
  collect,
  integerIn,
  nameList,
  positiveNumbers,
  SYSTEM_FORMATS,
  shard,
  timeNs,
  timeText,
} from './option_values.js';
import { colourEnabled } from './style.js';

const MAX_SEED = 2 ** 31 - 1;

const RUN_EXAMPLES = `
Examples:
  sddfsim run                                   the built-in default scenario
  sddfsim run examples/four-guests-echo.yaml --duration 200ms
  sddfsim run s.yaml --json > result.json
  sddfsim run s.yaml --out results/ --pcap wire,client0 --trace
  sddfsim run s.yaml --record run.rec && sddfsim replay run.rec`;

const SWEEP_EXAMPLES = `
Paths address the scenario as written: load[0].rate, virt.tx_policy, board.costs.ctx_switch;
[*] addresses every element of a list (load[*].rate: every flow's rate at once).
Runs are numbered over the cross product, the last --set varying fastest.

Examples:
  sddfsim sweep s.yaml --set load[0].rate=100Mbps,200Mbps,400Mbps --set virt.tx_policy=fixed-order,drr
  sddfsim sweep s.yaml --set 'load[*].rate=50Mbps,100Mbps,200Mbps' --csv
  sddfsim sweep s.yaml --set load[0].rate=100Mbps,200Mbps --shard 1/2 --json --out part1.json
  sddfsim merge part1.json part2.json --out all.json
  sddfsim sweep s.yaml --set load[0].rate=100Mbps,500Mbps,900Mbps --out report.html`;

/** Builds the program; `done` receives the exit code of the command that ran. */
export function buildProgram(io: CliIo, done: (code: number) => void): Command {
  const program = new Command('sddfsim');
  program
    .description('A deterministic, byte-faithful simulator of an seL4 board sharing one NIC through sDDF.')
    .version(packageVersion(), '-V, --version')
    .configureOutput({
      writeOut: (s) => io.stdout(s),
      writeErr: (s) => io.stderr(s),
      getOutHelpWidth: () => 100,
      getErrHelpWidth: () => 100,
      getOutHasColors: () => colourEnabled(io, 'stdout'),
      getErrHasColors: () => colourEnabled(io, 'stderr'),
    })
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .helpCommand(true);

  program
    .command('run')
    .description('run one scenario (the built-in default without an argument) and print a summary')
    .argument('[scenario]', 'scenario file, YAML or JSON')
    .option('--seed <n>', "override the scenario's seed", integerIn(0, MAX_SEED))
    .option('--duration <time>', "override the scenario's measured duration (e.g. 500ms)", timeText)
    .option('--json', 'print the result document as JSON on stdout (logs go to stderr)')
    .option('--out <dir>', 'write results.json, results.csv, report.html and captures into DIR')
    .option('--pcap <points>', "capture points, comma separated: 'wire' and client names", nameList)
    .option('--trace', 'write trace.json (Chrome trace events, for Perfetto)')
    .option('--record <file>', 'write a recording that `sddfsim replay` can check')
    .option(
      '--dump-ram <dir>',
      "at the end, write each guest's RAM (<name>.ram) and its virtqueue layout (<name>.json)",
    )
    .option('--driver <kind>', "override the scenario's driver: native, or vm (a Linux driver VM)")
    .option('--force', 'overwrite existing output files')
    .addHelpText('after', RUN_EXAMPLES)
    .action(async (scenario: string | undefined, opts) =>
      done((await import('./run_command.js')).runCommand(io, scenario, opts)),
    );

  program
    .command('validate')
    .description('check a scenario file; print every problem with file:line:column and field path')
    .argument('<scenario>', 'scenario file, YAML or JSON')
    .option('--json', 'print { ok, problems } as JSON')
    .action(async (file: string, opts) =>
      done((await import('./validate_command.js')).validateCommand(io, file, opts)),
    );

  program
    .command('schema')
    .description('print the JSON Schema of scenario files')
    .action(async () => done((await import('./validate_command.js')).schemaCommand(io)));

  program
    .command('sweep')
    .description('run the cross product of --set values, in parallel, into one CSV or JSON')
    .argument('<scenario>', 'scenario file, YAML or JSON')
    .requiredOption('--set <path=values>', 'a field and its comma-separated values (repeatable)', collect)
    .option('--parallel <n>', 'worker threads (default min(2, CPUs))', integerIn(1, 256))
    .option('--shard <k/n>', 'run only the runs with index % n == k-1', shard)
    .addOption(new Option('--json', 'write a JSON document').conflicts('csv'))
    .addOption(new Option('--csv', 'write CSV (the default)').conflicts('json'))
    .option('--out <file>', 'write to FILE (.csv, .json, or .html for a report) instead of stdout')
    .option('--force', 'overwrite an existing output file')
    .addHelpText('after', SWEEP_EXAMPLES)
    .action(async (file: string, opts) =>
      done(await (await import('./sweep_command.js')).sweepCommand(io, file, opts)),
    );

  program
    .command('merge')
    .description('join sweep shard outputs (all JSON or all CSV) into one, ordered by run')
    .argument('<files...>', 'shard outputs of one sweep')
    .option('--out <file>', 'write to FILE instead of stdout')
    .option('--force', 'overwrite an existing output file')
    .action(async (files: string[], opts) =>
      done((await import('./merge_command.js')).mergeCommand(io, files, opts)),
    );

  program
    .command('replay')
    .description('run a recording again; exit 0 if it reproduces the result and trace, 1 if not')
    .argument('<recording>', 'file written by run --record')
    .option('--json', 'print the comparison as JSON')
    .action(async (file: string, opts) =>
      done((await import('./replay_command.js')).replayCommand(io, file, opts)),
    );

  program
    .command('system')
    .description('write the composed system as a Microkit .system document')
    .argument('[scenario]', 'scenario file, YAML or JSON (default: the built-in scenario)')
    .addOption(new Option('--format <format>', 'output format').choices(SYSTEM_FORMATS).default('microkit'))
    .option('--out <file>', 'write to FILE instead of stdout')
    .option('--force', 'overwrite an existing output file')
    .action(async (file: string | undefined, opts) =>
      done((await import('./system_command.js')).systemCommand(io, file, opts)),
    );

  program
    .command('ipbench')
    .description('sweep applied load the way ipbench does, for one measured system')
    .addOption(
      new Option('--system <name>', 'system to measure').choices(IPBENCH_SYSTEMS).makeOptionMandatory(),
    )
    .option(
      '--loads <mbps,...>',
      `requested rates in Mb/s (default ${IPBENCH_DEFAULT_LOADS.join(',')})`,
      positiveNumbers,
    )
    .option('--cores <n>', 'cores of the board (default 1)', integerIn(1, 64))
    .option('--duration <time>', 'measured time per point (default 1s)', timeNs)
    .option('--warmup <time>', 'warm-up per point (default 200ms)', timeNs)
    .option('--payload <bytes>', 'UDP payload (default 1472)', integerIn(16, 1472))
    .option('--streams <n>', 'load-generator streams per client (default 4)', integerIn(1, 64))
    .option('--seed <n>', 'seed (default 1)', integerIn(0, MAX_SEED))
    .addOption(
      new Option('--driver <kind>', 'the native sDDF driver or a Linux driver VM (default native)').choices([
        'native',
        'vm',
      ]),
    )
    .addOption(new Option('--csv', "ipbench's CSV columns").conflicts('json'))
    .addOption(new Option('--json', 'a JSON array of rows').conflicts('csv'))
    .action(async (opts) => done((await import('./ipbench_command.js')).ipbenchCommand(io, opts)));

  program
    .command('crash-test')
    .description('a campaign of runs with seeded random fault schedules and the invariant checker on')
    .argument('[scenario]', 'scenario file, YAML or JSON (the built-in default without one)')
    .requiredOption('--runs <n>', 'number of runs', integerIn(1, 1_000_000))
    .option('--seed <n>', "seed of the fault schedules (default: the scenario's)", integerIn(0, MAX_SEED))
    .option('--duration <time>', "override the scenario's measured duration (e.g. 100ms)", timeText)
    .option('--parallel <n>', 'worker threads (default min(2, CPUs))', integerIn(1, 256))
    .option('--out <dir>', 'where reproducers of failed runs go (default crash-test-reproducers)')
    .option('--json', 'print the summary as JSON')
    .option('--force', 'overwrite existing reproducer files')
    .action(async (file: string | undefined, opts) =>
      done(await (await import('./crash_test_command.js')).crashTestCommand(io, file, opts)),
    );

  return program;
}
