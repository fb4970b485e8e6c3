// @ts-check
// Whether bin/sddfsim.js may run the compiled build in dist/ instead of the TypeScript in src/.
// Plain JavaScript because it decides before any TypeScript can be loaded. The build (tools/build.js)
// stamps dist/ with the time it started, so a file saved while tsc was running counts as newer.

import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Written by tools/build.js when the build succeeds; its mtime is when the build started. */
export const STAMP = '.built-from-src';

/**
 * 'dist' or 'src', and why. SDDFSIM_FROM_SOURCE=1 forces src, =0 forces dist (if it was built);
 * otherwise dist only when every file and directory under src/ is older than the stamp (a directory's
 * mtime changes when a file in it is added, removed or renamed).
 * @param {string} root the package directory, holding src/ and dist/
 * @param {Record<string, string | undefined>} env
 * @returns {{ use: 'dist' | 'src', why: string }}
 */
export function chooseBuild(root, env) {
  const forced = env['SDDFSIM_FROM_SOURCE'];
  if (forced === '1') return { use: 'src', why: 'SDDFSIM_FROM_SOURCE=1' };
  let built;
  try {
    built = statSync(join(root, 'dist', STAMP)).mtimeMs;
  } catch {
    return { use: 'src', why: 'no build in dist/ (npm run build makes one)' };
  }
  if (forced === '0') return { use: 'dist', why: 'SDDFSIM_FROM_SOURCE=0' };
  const newer = newerThan(join(root, 'src'), built);
  if (newer !== null) return { use: 'src', why: `${newer} changed after the build` };
  return { use: 'dist', why: 'dist/ is newer than every file under src/' };
}

/**
 * The first path under dir (dir included) modified at or after `time` (ms), or null.
 * @param {string} dir
 * @param {number} time
 * @returns {string | null}
 */
function newerThan(dir, time) {
  if (statSync(dir).mtimeMs >= time) return dir;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      const n = newerThan(p, time);
      if (n !== null) return n;
    } else if (statSync(p).mtimeMs >= time) {
      return p;
    }
  }
  return null;
}
