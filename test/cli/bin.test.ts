import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { chooseBuild } from '../../bin/fresh_build.js';
import { BAD, cleanup, ECHO1_JSON, scratchDir } from './cli_harness.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'sddfsim.js');
const dir = scratchDir();
afterAll(() => cleanup(dir));

function sddfsim(args: string[], from: 'dist' | 'src') {
  return spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: {
      ...process.env,
      NO_COLOR: '1',
      SDDFSIM_DEBUG: '1',
      SDDFSIM_FROM_SOURCE: from === 'src' ? '1' : '0',
    },
  });
}

describe('bin/sddfsim.js', () => {
  it('starts the CLI as a program: help exits 0, an invalid scenario exits 2 without a stack trace', () => {
    const help = spawnSync(process.execPath, [BIN, '--help'], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toContain('Usage: sddfsim');
    const bad = spawnSync(process.execPath, [BIN, 'validate', BAD], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stdout).toContain("unknown key 'duraton'");
    expect(bad.stderr).not.toMatch(/^\s+at /m);
  });

  // Only with a build of the current sources (npm ci makes one; CI always has it): a stale dist/
  // would differ because of the edits, not because of the compilation.
  it.skipIf(chooseBuild(ROOT, {}).use !== 'dist')(
    'runs the same from dist/ as from src/: a sweep on worker threads, and a recording replayed by the other',
    () => {
      const sweep = ['sweep', ECHO1_JSON, '--set', 'seed=1,2', '--parallel', '2'];
      const built = sddfsim(sweep, 'dist');
      // The command line itself runs from the one-file bundle, its workers from the tree.
      expect(built.stderr).toContain('sddfsim: running dist/sddfsim.js');
      expect(built.status, built.stderr).toBe(0);
      expect(built.stdout.trim().split('\n')).toHaveLength(3);
      expect(built.stdout).toBe(sddfsim(sweep, 'src').stdout);

      const rec = join(dir, 'run.rec');
      expect(sddfsim(['run', ECHO1_JSON, '--record', rec], 'dist').status).toBe(0);
      const replay = sddfsim(['replay', rec, '--json'], 'src');
      expect(replay.status, replay.stderr).toBe(0);
      expect(JSON.parse(replay.stdout)).toMatchObject({ identical: true, same_build: true });
    },
  );
});
