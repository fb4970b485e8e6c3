// Where a command's output goes and what it knows of its surroundings. main() takes one of
// these instead of touching process.*, so tests run commands in-process with captured output.

import type { Simulation } from '../scenario/build.js';
import type { RunOptions } from '../scenario/run.js';
import type { ResultDocument } from '../report/result.js';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  readonly stdoutIsTTY: boolean;
  readonly stderrIsTTY: boolean;
  /** Width of the terminal on stderr (progress bars); undefined when not a terminal. */
  readonly stderrColumns?: number | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Relative paths on the command line are resolved against this directory. */
  readonly cwd: string;
  /**
   * Runs a built simulation in place of runSimulation. Tests that exercise argument handling set
   * it to a fast stand-in; with it set, sweeps run in this thread (a function cannot cross to a
   * worker).
   */
  readonly simulate?: ((sim: Simulation, opts: RunOptions) => ResultDocument) | undefined;
}

let pipeGuard = false;

/**
 * A reader that goes away (`sddfsim ... | head`) closes the pipe: stop quietly, as Unix tools do
 * on SIGPIPE, instead of dying on an unhandled EPIPE with a stack trace.
 */
function guardPipes(): void {
  if (pipeGuard) return;
  pipeGuard = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
      throw e;
    });
  }
}

/** The real process: stdout, stderr, environment and working directory. */
export function processIo(): CliIo {
  guardPipes();
  return {
    stdout: (text) => {
      process.stdout.write(text);
    },
    stderr: (text) => {
      process.stderr.write(text);
    },
    stdoutIsTTY: process.stdout.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
    stderrColumns: process.stderr.isTTY === true ? process.stderr.columns : undefined,
    env: process.env,
    cwd: process.cwd(),
  };
}

/** Captures output in memory (tests, embedding). */
export class MemoryIo implements CliIo {
  private readonly out: string[] = [];
  private readonly err: string[] = [];
  readonly stdoutIsTTY: boolean;
  readonly stderrIsTTY: boolean;
  readonly stderrColumns: number | undefined = undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly simulate: ((sim: Simulation, opts: RunOptions) => ResultDocument) | undefined;

  constructor(
    opts: {
      cwd?: string;
      env?: Record<string, string | undefined>;
      tty?: boolean;
      simulate?: (sim: Simulation, opts: RunOptions) => ResultDocument;
    } = {},
  ) {
    this.cwd = opts.cwd ?? process.cwd();
    this.env = opts.env ?? {};
    this.stdoutIsTTY = opts.tty ?? false;
    this.stderrIsTTY = opts.tty ?? false;
    this.simulate = opts.simulate;
  }

  stdout(text: string): void {
    this.out.push(text);
  }

  stderr(text: string): void {
    this.err.push(text);
  }

  get stdoutText(): string {
    return this.out.join('');
  }

  get stderrText(): string {
    return this.err.join('');
  }
}
