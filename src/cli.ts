// sddfsim's command line. main(argv, io) runs one command and returns its exit code; it never
// throws and never exits the process, so tests call it in-process. Run as a program (through
// bin/sddfsim.js or `tsx src/cli.ts`), it uses the real process.
//
// Exit codes: 0 ok, 1 a run failed or a replay differed, 2 bad usage or input.

import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CommanderError } from 'commander';
import { CliError, EXIT_FAILED, EXIT_OK, EXIT_USAGE } from './cli/exit_codes.js';
import { type CliIo, processIo } from './cli/io.js';
import { buildProgram } from './cli/program.js';

export type { CliIo } from './cli/io.js';
export { MemoryIo } from './cli/io.js';

const COMMANDER_OK = new Set(['commander.helpDisplayed', 'commander.version']);

export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  let code: number = EXIT_OK;
  try {
    const program = buildProgram(io, (c) => {
      code = c;
    });
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // commander has already printed its message (or the help).
      if (COMMANDER_OK.has(e.code)) return EXIT_OK;
      if (e.code === 'commander.help') return e.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
      return EXIT_USAGE;
    }
    if (e instanceof CliError) {
      io.stderr(`error: ${e.message}\n`);
      return e.exitCode;
    }
    // A bug, not the user's input: say so, and show the stack only when asked.
    const message = e instanceof Error ? e.message : String(e);
    io.stderr(`internal error: ${message}\n`);
    const debug = io.env['SDDFSIM_DEBUG'];
    if (debug !== undefined && debug !== '' && e instanceof Error && e.stack !== undefined) {
      io.stderr(`${e.stack}\n`);
    } else {
      io.stderr('(set SDDFSIM_DEBUG=1 to see where; please report it)\n');
    }
    return EXIT_FAILED;
  }
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  process.exitCode = await main(process.argv.slice(2));
}
