import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { buildId, packageRoot } from '../../src/cli/build_id.js';
import { cleanup, scratchDir } from './cli_harness.js';

const dir = scratchDir('sddfsim-build-id-');
afterAll(() => cleanup(dir));

describe('build id', () => {
  it('finds the package from a module in src/ or dist/, so both hash the same sources', () => {
    const root = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');
    expect(packageRoot()).toBe(root);
    expect(packageRoot(pathToFileURL(join(root, 'dist', 'cli', 'build_id.js')).href)).toBe(root);
    expect(buildId().src_hash).toMatch(/^[0-9a-f]{16}$/);
  });

  it('walks up to the nearest package.json, and says so when there is none', () => {
    mkdirSync(join(dir, 'pkg', 'a', 'b'), { recursive: true });
    writeFileSync(join(dir, 'pkg', 'package.json'), '{}');
    expect(packageRoot(pathToFileURL(join(dir, 'pkg', 'a', 'b', 'm.js')).href)).toBe(join(dir, 'pkg'));
    expect(() => packageRoot('file:///m.js')).toThrow(/no package.json above/);
  });
});
