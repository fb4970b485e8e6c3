import { describe, expect, it } from 'vitest';
import { freshZeroedBytes, giveBytes, pooledBytes, takeZeroedBytes } from '../../src/board/byte_pool.js';
import { PhysicalMemory } from '../../src/board/memory.js';
import { loadScenarioText } from '../../src/scenario/load.js';
import { guestsEchoScenarioText } from '../../src/scenario/reference_scenarios.js';
import { runScenario } from '../../src/scenario/run.js';

// Sizes no other test in this file's worker hands back, so the pool's contents are this test's.
const SIZE = 3 * 4096 + 64;

describe('byte pool', () => {
  it('hands a given buffer back zeroed, once, and keeps only whole buffers', () => {
    const a = takeZeroedBytes(SIZE);
    a.fill(0xa5);
    const before = pooledBytes();
    giveBytes(a);
    giveBytes(a); // a double release must not hand the same memory out twice
    expect(pooledBytes()).toBe(before + SIZE);
    const b = takeZeroedBytes(SIZE);
    expect(b).toBe(a);
    expect(b.every((x) => x === 0)).toBe(true);
    expect(takeZeroedBytes(SIZE)).not.toBe(a);

    // A view into a larger buffer is not kept.
    const big = new Uint8Array(2 * SIZE);
    giveBytes(big.subarray(SIZE));
    expect(pooledBytes()).toBe(before);
  });

  it('gives sparse memory a fresh zeroed mapping of its own that a release never pools', () => {
    const size = 8 * 1024 * 1024 + 4096; // not a multiple of the 64 KiB the mapping is made of
    const a = freshZeroedBytes(size);
    const b = freshZeroedBytes(size);
    expect(a.length).toBe(size);
    expect(a.byteOffset).toBe(0);
    expect(a.buffer).not.toBe(b.buffer);
    a.fill(0xff);
    expect(b.every((x) => x === 0)).toBe(true);

    // A board's dense regions go back to the pool on release; its sparse ones (VM RAM) do not.
    const mem = new PhysicalMemory();
    const dense = mem.allocate('dense', 5 * 4096);
    const sparse = mem.allocate('sparse', 7 * 4096, { sparse: true });
    dense.bytes.fill(1);
    sparse.bytes.fill(2);
    const before = pooledBytes();
    mem.release();
    expect(pooledBytes()).toBe(before + 5 * 4096);
    const again = takeZeroedBytes(5 * 4096);
    expect(again).toBe(dense.bytes);
    expect(again.every((x) => x === 0)).toBe(true);
    expect(takeZeroedBytes(7 * 4096)).not.toBe(sparse.bytes);
  });

  it('gives a scenario the same result whether its memory is new or was used by another run', () => {
    const load = (guests: number, mbps: number, s: number) => {
      const r = loadScenarioText(guestsEchoScenarioText(guests, mbps, s), 'pool.yaml');
      if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('; '));
      return r.scenario;
    };
    const first = JSON.stringify(runScenario(load(2, 400, 0.02)));
    // Releases its data regions and cache mirrors: the pool now holds memory with frames in it.
    runScenario(load(4, 900, 0.03));
    expect(pooledBytes()).toBeGreaterThan(0);
    expect(JSON.stringify(runScenario(load(2, 400, 0.02)))).toBe(first);
  });
});
