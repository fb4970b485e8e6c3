#!/usr/bin/env node
// The sddfsim command. It runs the compiled build in dist/ when `npm run build` (run by `npm ci`)
// made one after the last change under src/: that starts about twice as fast as the TypeScript
// loader. Otherwise it runs the TypeScript as is through tsx, so an edit is never run stale.
// SDDFSIM_FROM_SOURCE=1 forces the TypeScript, =0 the build.
import { fileURLToPath } from 'node:url';
import { chooseBuild } from './fresh_build.js';

const build = chooseBuild(fileURLToPath(new URL('../', import.meta.url)), process.env);
if (process.env['SDDFSIM_DEBUG']) process.stderr.write(`sddfsim: running ${build.use}/ (${build.why})\n`);
let cli;
if (build.use === 'dist') {
  cli = await import('../dist/cli.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import('../src/cli.ts');
}
process.exitCode = await cli.main(process.argv.slice(2));
