// Runs the CLI in-process with captured output, in a scratch directory of its own.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli.js';
import { MemoryIo } from '../../src/cli/io.js';
import type { ResultDocument } from '../../src/report/result.js';
import type { Simulation } from '../../src/scenario/build.js';
import type { RunOptions } from '../../src/scenario/run.js';

export const FIXTURES = fileURLToPath(new URL('../fixtures', import.meta.url));
export const ECHO2 = join(FIXTURES, 'echo2.yaml');
export const ECHO1_JSON = join(FIXTURES, 'echo1.json');
export const BAD = join(FIXTURES, 'bad.yaml');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  tty?: boolean;
  simulate?: (sim: Simulation, opts: RunOptions) => ResultDocument;
}

export async function cli(argv: string[], opts: CliOptions = {}): Promise<CliResult> {
  const io = new MemoryIo(opts);
  const code = await main(argv, io);
  return { code, stdout: io.stdoutText, stderr: io.stderrText };
}

/** A fresh scratch directory; remove it with cleanup(). */
export function scratchDir(prefix = 'sddfsim-cli-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function cleanup(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** No stack trace lines ("    at f (file:1:2)") in what the user sees. */
export function hasStackTrace(text: string): boolean {
  return /^\s+at .+\(.+:\d+:\d+\)$/m.test(text) || /^\s+at .+:\d+:\d+$/m.test(text);
}
