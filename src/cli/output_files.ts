// Files a command writes. Every path is checked before the run starts, so a long run never
// ends in a refusal to overwrite; without --force an existing file is an input error (exit 2).

import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { usageError } from './exit_codes.js';
import type { CliIo } from './io.js';

export class OutputPlan {
  private readonly io: CliIo;
  private readonly force: boolean;
  /** Absolute path -> path as shown to the user. */
  private readonly files = new Map<string, string>();

  constructor(io: CliIo, force: boolean) {
    this.io = io;
    this.force = force;
  }

  /** Declares a file the command will write; returns its absolute path. */
  add(path: string): string {
    const abs = resolve(this.io.cwd, path);
    this.files.set(abs, path);
    return abs;
  }

  /** Throws a usage error naming every file that exists (unless --force) or cannot be a file. */
  check(): void {
    const existing: string[] = [];
    for (const [abs, shown] of this.files) {
      if (!existsSync(abs)) continue;
      if (statSync(abs).isDirectory()) throw usageError(`Cannot write '${shown}': it is a directory`);
      existing.push(shown);
    }
    if (existing.length > 0 && !this.force) {
      throw usageError(
        `Cannot write the outputs: ${existing.map((f) => `'${f}'`).join(', ')} already exist${existing.length === 1 ? 's' : ''}; use --force to overwrite`,
      );
    }
  }
}

/** Makes `dir` (and parents); a file in the way is an input error. */
export function ensureDirectory(io: CliIo, dir: string): string {
  const abs = resolve(io.cwd, dir);
  if (existsSync(abs) && !statSync(abs).isDirectory()) {
    throw usageError(`Cannot use '${dir}' as the output directory: it is a file`);
  }
  try {
    mkdirSync(abs, { recursive: true });
  } catch (e) {
    throw usageError(`Cannot create the output directory '${dir}': ${(e as Error).message}`);
  }
  return abs;
}

export function writeFile(absPath: string, data: string | Uint8Array): void {
  mkdirSync(dirname(absPath), { recursive: true });
  writeFileSync(absPath, data);
}
