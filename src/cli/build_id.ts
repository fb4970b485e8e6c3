// Identifies the simulator build a result came from: the package version and a hash of every
// source file, computed at run time, so a recording made by different code is recognised. Both the
// TypeScript and the compiled build (dist/) hash the sources in <package>/src, so they give the same id
// and a recording made by one replays cleanly with the other.

import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface BuildId {
  package_version: string;
  /** sha256 over the sorted relative paths and contents of src/. */
  src_hash: string;
}

let cached: BuildId | null = null;

export function buildId(): BuildId {
  if (cached !== null) return cached;
  const src = join(packageRoot(), 'src');
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) files.push(p);
    }
  };
  walk(src);
  files.sort();
  const h = createHash('sha256');
  for (const f of files) {
    h.update(relative(src, f).split('\\').join('/'));
    h.update('\0');
    h.update(readFileSync(f));
    h.update('\0');
  }
  cached = { package_version: packageVersion(), src_hash: h.digest('hex').slice(0, 16) };
  return cached;
}

/** The version in package.json, or 'unknown'. */
export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8'));
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The nearest directory holding package.json, from `from` upwards (this module by default). */
export function packageRoot(from: string = import.meta.url): string {
  let dir = dirname(fileURLToPath(from));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${fileURLToPath(from)}`);
    dir = up;
  }
  return dir;
}
