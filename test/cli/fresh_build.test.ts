// bin/sddfsim.js runs the compiled build only while it is newer than every source file. Times are
// set with utimesSync, never read from the clock.

import { mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chooseBuild, STAMP } from '../../bin/fresh_build.js';
import { cleanup, scratchDir } from './cli_harness.js';

let root: string;
const BUILT = 2_000_000_000; // seconds since the epoch, as utimes takes them
const at = (path: string, seconds: number) => utimesSync(path, seconds, seconds);

beforeEach(() => {
  root = scratchDir('sddfsim-fresh-');
  mkdirSync(join(root, 'src', 'cli'), { recursive: true });
  writeFileSync(join(root, 'src', 'cli.ts'), '');
  writeFileSync(join(root, 'src', 'cli', 'io.ts'), '');
  mkdirSync(join(root, 'dist'));
  writeFileSync(join(root, 'dist', STAMP), '');
  for (const p of ['src/cli/io.ts', 'src/cli.ts', 'src/cli', 'src']) at(join(root, p), BUILT - 10);
  at(join(root, 'dist', STAMP), BUILT);
});
afterEach(() => cleanup(root));

describe('chooseBuild', () => {
  it('uses dist/ when everything under src/ is older than the build', () => {
    expect(chooseBuild(root, {}).use).toBe('dist');
  });

  it('falls back to src/ when a file, or a directory (a file added or removed), is newer', () => {
    at(join(root, 'src', 'cli', 'io.ts'), BUILT + 1);
    expect(chooseBuild(root, {})).toEqual({
      use: 'src',
      why: `${join(root, 'src', 'cli', 'io.ts')} changed after the build`,
    });
    at(join(root, 'src', 'cli', 'io.ts'), BUILT - 10);
    at(join(root, 'src', 'cli'), BUILT);
    expect(chooseBuild(root, {}).use).toBe('src');
  });

  it('falls back to src/ without a finished build, and obeys SDDFSIM_FROM_SOURCE', () => {
    expect(chooseBuild(root, { SDDFSIM_FROM_SOURCE: '1' }).use).toBe('src');
    at(join(root, 'src', 'cli.ts'), BUILT + 1);
    expect(chooseBuild(root, { SDDFSIM_FROM_SOURCE: '0' }).use).toBe('dist');
    rmSync(join(root, 'dist', STAMP));
    expect(chooseBuild(root, {}).use).toBe('src');
    expect(chooseBuild(root, { SDDFSIM_FROM_SOURCE: '0' }).use).toBe('src');
  });
});
