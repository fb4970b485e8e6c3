import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BAD } from './cli_harness.js';

const BIN = fileURLToPath(new URL('../../bin/sddfsim.js', import.meta.url));

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
});
