// @ts-check
// `npm run build`: compiles src/ to dist/ with tsc (tsconfig.build.json), bundles the command line
// into one file (dist/sddfsim.js, with its dependencies), then stamps dist/ so that bin/sddfsim.js
// runs it only while nothing under src/ is newer. The stamp is created before tsc reads src/ and
// renamed into place only when the build succeeds: its mtime is the start of the build.
//
// Why a bundle: Node loads an ES module graph file by file. A run loads 335 files (148 of ours, the
// rest zod's, yaml's and commander's), and resolving, reading and compiling them took about 0.28 s
// of every start; one file takes a fraction of that. Worker threads (sweep, crash-test) still
// start from the per-file tree under dist/.

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
  } else if (await bundle()) {
    renameSync(partial, join(dist, STAMP));
  } else {
    process.exitCode = 1;
  }
}

/** dist/cli.js and everything it imports, dependencies included, as dist/sddfsim.js. */
async function bundle() {
  const esbuild = await import('esbuild');
  const r = await esbuild.build({
    entryPoints: [join(dist, 'cli.js')],
    outfile: join(dist, 'sddfsim.js'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
    // dist/sddfsim.js.map, composed with tsc's maps: SDDFSIM_DEBUG=1 turns on Node's source-map
    // support (bin/sddfsim.js), so an internal error's stack names src/*.ts lines.
    sourcemap: true,
    // msgpackr loads its optional native extension with require() when it is installed.
    external: ['msgpackr-extract'],
    // CommonJS dependencies (commander) call require() for Node's built-in modules.
    banner: {
      js: "import { createRequire as sddfsimCreateRequire } from 'node:module'; const require = sddfsimCreateRequire(import.meta.url);",
    },
  });
  return r.errors.length === 0;
}
