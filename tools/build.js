// @ts-check
// `npm run build`: compiles src/ to dist/ with tsc (tsconfig.build.json), then stamps dist/ so that
// bin/sddfsim.js runs it only while nothing under src/ is newer. The stamp is created before tsc reads
// src/ and renamed into place only when tsc succeeds: its mtime is the start of the build.

import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { STAMP } from '../bin/fresh_build.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const dist = join(root, 'dist');
// From scratch, so nothing compiled from a since-deleted source file lingers.
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist);
const partial = join(dist, `${STAMP}.partial`);
closeSync(openSync(partial, 'w'));
let tsc = '';
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  // An install without dev dependencies (npm ci --omit=dev) has no TypeScript compiler: leave no
  // stamp, so bin/sddfsim.js runs the sources through tsx, and let the install succeed.
  process.stderr.write(
    'sddfsim build: typescript is not installed; sddfsim will run the sources through tsx\n',
  );
}
if (tsc !== '') {
  const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
  if (r.status !== 0) {
    process.exitCode = r.status ?? 1;
  } else {
    renameSync(partial, join(dist, STAMP));
  }
}
