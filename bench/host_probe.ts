/**
 * Prints a JSON array of two BenchResults measuring the host, each best of three, in a fresh
 * process (bench/run.ts runs this before and after the modules):
 * - `host.probe`: the engine workload (16 pending, 1M events). Its working set fits in a core's
 *   cache. In the bench's own process, after the scenario modules, the engine's event dispatch has
 *   seen every component's sink and is no longer the code a fresh process runs, so the same
 *   workload measured there reads slower whatever the host does.
 * - `host.memprobe`: frame-sized copies between 2 KiB slots cycled in order through 48 MiB, the
 *   way R2's buffer pools are (about 40 MiB of regions, mirrors and guest buffers). Session 6 saw
 *   R2 slow down by a third while the engine probe held steady; this one is meant to show whether
 *   the host's caches and memory were the part that slowed.
 */
import { performance } from 'node:perf_hooks';
import { measure } from './engine.bench.js';
import type { BenchResult } from './types.js';

const SLOT = 2048;
const FRAME = 1514;
const SPAN = 48 * 1024 * 1024;

/** GB/s of 1514-byte copies from slot k to the slot half the span away, k cycling through the span. */
function memCopyRate(buf: Uint8Array, copies: number): number {
  const slots = SPAN / SLOT;
  const half = slots >>> 1;
  const t0 = performance.now();
  let k = 0;
  for (let i = 0; i < copies; i++) {
    const src = k * SLOT;
    const dst = ((k + half) % slots) * SLOT;
    buf.set(buf.subarray(src, src + FRAME), dst);
    k = k + 1 === slots ? 0 : k + 1;
  }
  const s = (performance.now() - t0) / 1000;
  return (copies * FRAME) / s / 1e9;
}

const engineRuns = [0, 1, 2].map(() => measure(16, 1_000_000, 100_000).value);
const mem = new Uint8Array(SPAN);
// Touched first, so the probe measures copies and not the host's first-touch page faults.
for (let i = 0; i < SPAN; i += 4096) mem[i] = 1;
memCopyRate(mem, 50_000);
const memRuns = [0, 1, 2].map(() => memCopyRate(mem, 400_000));
const results: BenchResult[] = [
  {
    name: 'host.probe',
    value: Math.max(...engineRuns),
    unit: 'Mevents/s',
    detail: `engine, 16 pending, 1M events in a fresh process: best of ${engineRuns.map((v) => v.toFixed(1)).join(', ')}`,
  },
  {
    name: 'host.memprobe',
    value: Math.max(...memRuns),
    unit: 'GB/s',
    detail: `1514-byte copies between 2 KiB slots cycled through 48 MiB, 400k copies: best of ${memRuns.map((v) => v.toFixed(2)).join(', ')}`,
  },
];
process.stdout.write(`${JSON.stringify(results)}\n`);
