#!/usr/bin/env node
// The sddfsim command. It runs the compiled build in dist/ when `npm run build` (run by `npm ci`)
// made one after the last change under src/: that starts about twice as fast as the TypeScript
// loader. Otherwise it runs the TypeScript as is through tsx, so an edit is never run stale.
// SDDFSIM_FROM_SOURCE=1 forces the TypeScript, =0 the build.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chooseBuild } from './fresh_build.js';

const build = chooseBuild(fileURLToPath(new URL('../', import.meta.url)), process.env);
// From a build, the one-file bundle starts faster; a build made before bundles existed has only
// the per-file tree.
const entry =
  build.use === 'src'
    ? '../src/cli.ts'
    : existsSync(fileURLToPath(new URL('../dist/sddfsim.js', import.meta.url)))
      ? '../dist/sddfsim.js'
      : '../dist/cli.js';
if (process.env['SDDFSIM_DEBUG']) {
  // Stack traces from the build then name the TypeScript lines (dist/ carries source maps).
  process.setSourceMapsEnabled(true);
  process.stderr.write(`sddfsim: running ${entry.slice(3)} (${build.why})\n`);
}
if (build.use === 'src') {
  const { register } = await import('tsx/esm/api');
  register();
}
const cli = await import(entry);
process.exitCode = await cli.main(process.argv.slice(2));
