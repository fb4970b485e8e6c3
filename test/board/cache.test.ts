import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AddressSpace, PERM_R, PERM_W } from '../../src/board/address_space.js';
import { CACHE_LINE } from '../../src/board/cache.js';
import {
  COHERENCE_CPU_READ_STALE,
  COHERENCE_DIRTY_OVER_DMA,
  COHERENCE_DMA_READ_DIRTY,
  CoherenceLog,
} from '../../src/board/coherence.js';
import { DMA_READ, DMA_WRITE, Iommu } from '../../src/board/iommu.js';
import { PAGE_SIZE, PhysicalMemory, type Region } from '../../src/board/memory.js';

const VA = 0x6000_0000;
const VA2 = 0x7000_0000;
const VA3 = 0x7100_0000;

interface Setup {
  log: CoherenceLog;
  region: Region;
  as: AddressSpace;
  iommu: Iommu;
}

/** A data region mapped cached into one PD and reachable by the NIC, as sDDF's DMA regions are. */
function setup(pdName = 'virt_tx', regionName = 'tx_data', pages = 2): Setup {
  const log = new CoherenceLog();
  const mem = new PhysicalMemory(log, 0x4000_0000);
  const region = mem.allocate(regionName, pages * PAGE_SIZE);
  const as = new AddressSpace(pdName);
  as.map(region, VA, PERM_R | PERM_W, true);
  const iommu = new Iommu('nic', log);
  iommu.addRegion(region, DMA_READ | DMA_WRITE);
  return { log, region, as, iommu };
}

function pattern(len: number, seed: number): Uint8Array {
  const b = new Uint8Array(len);
  for (let i = 0; i < len; i++) b[i] = (seed + i * 7) & 0xff;
  return b;
}

describe('A missing cache clean', () => {
  it('makes the device transmit stale bytes, and the coherence log names writer, device, region and lines', () => {
    const { log, region, as, iommu } = setup();
    const off = 2 * CACHE_LINE; // the frame covers lines 2 and 3
    const oldFrame = pattern(100, 1);
    const newFrame = pattern(100, 99);
    region.bytes.set(oldFrame, off); // what DRAM held before the CPU built the frame

    as.writeBytes(VA + off, newFrame, 0, newFrame.length);
    const seen = new Uint8Array(100);
    expect(iommu.dmaRead(region.paddr + off, seen, 0, 100)).toBe(true);
    expect(seen).toEqual(oldFrame);
    expect(log.report()).toEqual([
      {
        kind: COHERENCE_DMA_READ_DIRTY,
        component: 'virt_tx (read by nic)',
        region: 'tx_data',
        count: 2,
        lines: [2, 3],
        firstTimeNs: 0,
      },
    ]);

    expect(as.cacheClean(VA + off, 100)).toBe(2);
    expect(iommu.dmaRead(region.paddr + off, seen, 0, 100)).toBe(true);
    expect(seen).toEqual(newFrame);
    expect(log.total).toBe(2); // the clean read is not reported
  });

  it('reports dirty descriptor reads by the device too (dmaReadInt)', () => {
    const { log, region, as, iommu } = setup();
    region.view.setUint32(8, 0x1111_1111, true);
    as.write(VA + 8, 4, 0x2222_2222);
    expect(iommu.dmaReadInt(region.paddr + 8, 4)).toBe(0x1111_1111);
    expect(log.report()[0]?.kind).toBe(COHERENCE_DMA_READ_DIRTY);
    as.cacheClean(VA + 8, 4);
    expect(iommu.dmaReadInt(region.paddr + 8, 4)).toBe(0x2222_2222);
  });
});

describe('A missing invalidate', () => {
  for (const op of ['cacheCleanInvalidate', 'cacheInvalidate'] as const) {
    it(`makes the CPU read stale bytes until ${op}`, () => {
      const { log, region, as, iommu } = setup('virt_rx', 'rx_data');
      const off = 5 * CACHE_LINE + 10; // lines 5 and 6
      const oldFrame = pattern(80, 3);
      const newFrame = pattern(80, 200);
      region.bytes.set(oldFrame, off);
      const seen = new Uint8Array(80);

      as.readBytes(VA + off, seen, 0, 80); // brings the lines into the cache
      expect(seen).toEqual(oldFrame);
      expect(iommu.dmaWrite(region.paddr + off, newFrame, 0, 80)).toBe(true);
      expect(region.bytes.subarray(off, off + 80)).toEqual(newFrame);

      as.readBytes(VA + off, seen, 0, 80);
      expect(seen).toEqual(oldFrame);
      expect(log.report()).toEqual([
        {
          kind: COHERENCE_CPU_READ_STALE,
          component: 'virt_rx',
          region: 'rx_data',
          count: 2,
          lines: [5, 6],
          firstTimeNs: 0,
        },
      ]);

      expect(as[op](VA + off, 80)).toBe(2);
      as.readBytes(VA + off, seen, 0, 80);
      expect(seen).toEqual(newFrame);
      expect(log.total).toBe(2);
    });
  }

  it('also shows on integer loads (a queue index the device wrote)', () => {
    const { log, region, as, iommu } = setup('driver', 'hw_ring');
    expect(as.read(VA + 2, 2)).toBe(0);
    iommu.dmaWriteInt(region.paddr + 2, 2, 0xbeef);
    expect(as.read(VA + 2, 2)).toBe(0);
    expect(log.report()[0]).toMatchObject({
      kind: COHERENCE_CPU_READ_STALE,
      component: 'driver',
      lines: [0],
    });
    as.cacheInvalidate(VA, 64);
    expect(as.read(VA + 2, 2)).toBe(0xbeef);
  });

  it('does not matter for a line the CPU never cached', () => {
    const { log, region, as, iommu } = setup();
    iommu.dmaWrite(region.paddr + 64, pattern(64, 5), 0, 64);
    const seen = new Uint8Array(64);
    as.readBytes(VA + 64, seen, 0, 64);
    expect(seen).toEqual(pattern(64, 5));
    expect(log.total).toBe(0);
  });
});

describe('RegionCache maintenance', () => {
  it('invalidate discards dirty CPU data; cleanInvalidate writes it back first', () => {
    const { region, as } = setup();
    as.writeBytes(VA, pattern(64, 1), 0, 64);
    as.writeBytes(VA + 64, pattern(64, 2), 0, 64);
    expect(region.cache?.dirtyLines()).toBe(2);
    as.cacheInvalidate(VA, 64);
    as.cacheCleanInvalidate(VA + 64, 64);
    expect(region.cache?.dirtyLines()).toBe(0);
    expect(region.bytes.subarray(0, 64).every((x) => x === 0)).toBe(true);
    expect(region.bytes.subarray(64, 128)).toEqual(pattern(64, 2));
    const seen = new Uint8Array(128);
    as.readBytes(VA, seen, 0, 128);
    expect(seen.subarray(0, 64).every((x) => x === 0)).toBe(true);
  });

  it('clean writes back whole lines, so a dirty line clobbers what a device wrote to it (and says so)', () => {
    const { log, region, as, iommu } = setup('virt_rx', 'rx_data');
    as.write(VA, 1, 0xaa); // line 0 dirty
    iommu.dmaWrite(region.paddr + 32, pattern(32, 9), 0, 32);
    expect(log.report()[0]).toMatchObject({ kind: COHERENCE_DIRTY_OVER_DMA, component: 'nic', lines: [0] });
    as.cacheClean(VA, 1);
    expect(region.bytes[0]).toBe(0xaa);
    // The device's bytes are gone from DRAM: the stale cached copy was written over them.
    expect(region.bytes.subarray(32, 64).every((x) => x === 0)).toBe(true);
  });

  it('returns the number of lines a range touches, partial lines included, even without a cache', () => {
    const { as } = setup();
    expect(as.cacheClean(VA + 63, 2)).toBe(2);
    expect(as.cacheInvalidate(VA, 64)).toBe(1);
    expect(as.cacheCleanInvalidate(VA + 1, 128)).toBe(3);
    expect(as.cacheClean(VA, 0)).toBe(0);
    const mem = new PhysicalMemory();
    const plain = mem.allocate('plain', PAGE_SIZE);
    const other = new AddressSpace('client');
    other.map(plain, 0x1000, PERM_R | PERM_W, true);
    expect(plain.cache).toBeNull();
    expect(other.cacheClean(0x1000 + 10, 100)).toBe(2);
  });

  it('lets maintenance by VA work through a read-only mapping but not outside every mapping', () => {
    const { region, as } = setup();
    const ro = new AddressSpace('reader');
    ro.map(region, 0x1000, PERM_R, true);
    as.writeBytes(VA, pattern(64, 4), 0, 64);
    expect(ro.cacheClean(0x1000, 64)).toBe(1);
    expect(region.bytes.subarray(0, 64)).toEqual(pattern(64, 4));
    expect(() => ro.cacheClean(0x1000 + 2 * PAGE_SIZE, 64)).toThrow(/unmapped/);
  });

  it('keeps CPUs coherent with each other: a second PD sees the first one dirty data without maintenance', () => {
    const { region, as } = setup('copier');
    const other = new AddressSpace('client');
    other.map(region, 0x1000, PERM_R | PERM_W, true);
    as.writeBytes(VA + 100, pattern(50, 8), 0, 50);
    const seen = new Uint8Array(50);
    other.readBytes(0x1000 + 100, seen, 0, 50);
    expect(seen).toEqual(pattern(50, 8));
  });

  it('lets an uncached mapping of a cached region see DRAM, not the cache', () => {
    const { region, as } = setup();
    const uc = new AddressSpace('driver');
    uc.map(region, 0x1000, PERM_R | PERM_W, false);
    as.write(VA, 4, 0x01020304);
    expect(uc.read(0x1000, 4)).toBe(0);
    uc.write(0x1000 + 64, 4, 0x0a0b0c0d);
    expect(region.view.getUint32(64, true)).toBe(0x0a0b0c0d);
  });

  it("keeps a CPU's cached bytes when another PD stores to DRAM through an uncached mapping", () => {
    const { region, as } = setup();
    const uc = new AddressSpace('driver');
    uc.map(region, 0x1000, PERM_R | PERM_W, false);
    region.bytes.set(pattern(128, 1), 0);
    const seen = new Uint8Array(128);
    as.readBytes(VA, seen, 0, 128); // both lines now cached, clean
    uc.writeBytes(0x1000 + 10, pattern(100, 5), 0, 100);
    uc.write(0x1000 + 120, 4, 0xdeadbeef);
    as.readBytes(VA, seen, 0, 128);
    expect(seen).toEqual(pattern(128, 1));
    expect(as.read(VA + 120, 4)).toBe(new DataView(pattern(128, 1).buffer).getUint32(120, true));
    as.cacheInvalidate(VA, 128);
    as.readBytes(VA, seen, 0, 10);
    expect(seen.subarray(0, 10)).toEqual(pattern(10, 1));
    expect(as.read(VA + 120, 4)).toBe(0xdeadbeef);
  });

  it('reads and writes little-endian integers of every width through the cache', () => {
    const { region, as } = setup();
    as.write(VA + 8, 4, 0xdeadbeef);
    as.write(VA + 20, 2, 0x1234);
    as.write(VA + 30, 1, 0x1ff);
    expect(as.read(VA + 8, 4)).toBe(0xdeadbeef);
    expect(as.read(VA + 8, 2)).toBe(0xbeef);
    expect(as.read(VA + 11, 1)).toBe(0xde);
    expect(as.read(VA + 20, 2)).toBe(0x1234);
    expect(as.read(VA + 30, 1)).toBe(0xff);
    as.write(VA + 62, 4, 0xa1b2c3d4); // straddles lines 0 and 1
    as.cacheClean(VA, 128);
    expect(region.view.getUint32(8, true)).toBe(0xdeadbeef);
    expect(region.view.getUint32(62, true)).toBe(0xa1b2c3d4);
  });

  // BUG: RegionCache.cpuReadInt fills (and checks for staleness) only the line holding the
  // first byte; a load straddling into an uncached line returns whatever the cache array
  // held for the second line instead of DRAM.
  it('returns DRAM bytes for an unaligned integer load that straddles into an uncached line', () => {
    const { region, as } = setup();
    region.bytes.set([0x11, 0x22, 0x33, 0x44], 62);
    expect(as.read(VA + 62, 4)).toBe(0x44332211);
    expect(as.read(VA + 63, 2)).toBe(0x3322);
  });
});

describe('CoherenceLog', () => {
  it('counts per (kind, component, region), keeps at most 16 distinct lines and stamps the first time', () => {
    const log = new CoherenceLog();
    log.nowNs = 1234;
    for (let l = 0; l < 20; l++) log.record(COHERENCE_DMA_READ_DIRTY, 'nic', 'tx', l);
    log.record(COHERENCE_DMA_READ_DIRTY, 'nic', 'tx', 3);
    log.nowNs = 9999;
    log.record(COHERENCE_DMA_READ_DIRTY, 'nic', 'rx', 1);
    log.record(COHERENCE_CPU_READ_STALE, 'nic', 'tx', 1);
    const rep = log.report();
    expect(rep).toHaveLength(3);
    expect(rep[0]).toEqual({
      kind: COHERENCE_DMA_READ_DIRTY,
      component: 'nic',
      region: 'tx',
      count: 21,
      lines: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
      firstTimeNs: 1234,
    });
    expect(rep[1]?.firstTimeNs).toBe(9999);
    expect(log.total).toBe(23);
    rep[0]?.lines.push(99);
    expect(log.report()[0]?.lines).toHaveLength(16);
  });
});

// ---------------------------------------------------------------------------------------
// Reference model: per 64-byte line, DRAM bytes, cached bytes, a state and a stale flag.

const LIMIT = 16 * CACHE_LINE; // operations stay in the first 16 lines so they collide
const I = 0;
const C = 1;
const D = 2;

class RefCache {
  readonly dram: Uint8Array;
  readonly cached = new Uint8Array(LIMIT);
  readonly state = new Uint8Array(LIMIT / CACHE_LINE);
  readonly stale = new Uint8Array(LIMIT / CACHE_LINE);
  dmaReadDirty = 0;
  cpuReadStale = 0;
  dirtyOverDma = 0;

  constructor(initial: Uint8Array) {
    this.dram = initial.slice();
  }

  private lines(off: number, len: number): number[] {
    const out: number[] = [];
    for (let l = Math.floor(off / CACHE_LINE); l <= Math.floor((off + len - 1) / CACHE_LINE); l++)
      out.push(l);
    return out;
  }

  private load(l: number): void {
    for (let i = l * CACHE_LINE; i < (l + 1) * CACHE_LINE; i++) this.cached[i] = this.dram[i]!;
    this.state[l] = C;
    this.stale[l] = 0;
  }

  private writeBack(l: number): void {
    for (let i = l * CACHE_LINE; i < (l + 1) * CACHE_LINE; i++) this.dram[i] = this.cached[i]!;
    this.state[l] = C;
  }

  cpuRead(off: number, len: number): number[] {
    for (const l of this.lines(off, len)) {
      if (this.state[l] === I) this.load(l);
      else if (this.stale[l] === 1) this.cpuReadStale++;
    }
    return Array.from(this.cached.subarray(off, off + len));
  }

  cpuWrite(off: number, bytes: number[]): void {
    for (const l of this.lines(off, bytes.length)) {
      if (this.state[l] === I) this.load(l);
      this.state[l] = D;
    }
    bytes.forEach((b, i) => {
      this.cached[off + i] = b;
    });
  }

  dmaRead(off: number, len: number): number[] {
    for (const l of this.lines(off, len)) if (this.state[l] === D) this.dmaReadDirty++;
    return Array.from(this.dram.subarray(off, off + len));
  }

  /** A store through another PD's uncached mapping: DRAM only, nothing cached changes. */
  uncachedWrite(off: number, bytes: number[]): void {
    bytes.forEach((b, i) => {
      this.dram[off + i] = b;
    });
  }

  dmaWrite(off: number, bytes: number[]): void {
    bytes.forEach((b, i) => {
      this.dram[off + i] = b;
    });
    for (const l of this.lines(off, bytes.length)) {
      if (this.state[l] === I) continue;
      this.stale[l] = 1;
      if (this.state[l] === D) this.dirtyOverDma++;
    }
  }

  clean(off: number, len: number): void {
    for (const l of this.lines(off, len)) if (this.state[l] === D) this.writeBack(l);
  }

  invalidate(off: number, len: number): void {
    for (const l of this.lines(off, len)) {
      this.state[l] = I;
      this.stale[l] = 0;
    }
  }

  cleanInvalidate(off: number, len: number): void {
    this.clean(off, len);
    this.invalidate(off, len);
  }

  dirty(): number {
    return this.state.filter((s) => s === D).length;
  }
}

const toLe = (bytes: number[]): number => bytes.reduceRight((acc, b) => acc * 256 + b, 0);
const fromLe = (v: number, width: number): number[] =>
  Array.from({ length: width }, (_, i) => Math.floor(v / 256 ** i) & 0xff);

const range = fc
  .tuple(fc.integer({ min: 0, max: LIMIT - 1 }), fc.integer({ min: 1, max: 200 }))
  .map(([off, len]) => ({ off, len: Math.min(len, LIMIT - off) }));
const bytesAt = fc
  .tuple(fc.integer({ min: 0, max: LIMIT - 1 }), fc.uint8Array({ minLength: 1, maxLength: 200 }))
  .map(([off, b]) => ({ off, bytes: Array.from(b.subarray(0, LIMIT - off)) }));
const alignedInt = fc
  .tuple(fc.constantFrom(1, 2, 4), fc.integer({ min: 0, max: LIMIT - 1 }), fc.nat())
  .map(([width, off, value]) => ({
    width: width as 1 | 2 | 4,
    off: off - (off % width),
    value: value % 256 ** width,
  }));

const command = fc.oneof(
  range.map((r) => ({ op: 'cpuRead' as const, ...r })),
  bytesAt.map((r) => ({ op: 'cpuWrite' as const, ...r })),
  alignedInt.map((r) => ({ op: 'cpuReadInt' as const, ...r })),
  alignedInt.map((r) => ({ op: 'cpuWriteInt' as const, ...r })),
  range.map((r) => ({ op: 'dmaRead' as const, ...r })),
  bytesAt.map((r) => ({ op: 'dmaWrite' as const, ...r })),
  alignedInt.filter((r) => r.width !== 1).map((r) => ({ op: 'dmaReadInt' as const, ...r })),
  alignedInt.filter((r) => r.width !== 1).map((r) => ({ op: 'dmaWriteInt' as const, ...r })),
  range.map((r) => ({ op: 'clean' as const, ...r })),
  range.map((r) => ({ op: 'invalidate' as const, ...r })),
  range.map((r) => ({ op: 'cleanInvalidate' as const, ...r })),
  bytesAt.map((r) => ({ op: 'uncachedWrite' as const, ...r })),
  range.map((r) => ({ op: 'uncachedRead' as const, ...r })),
  bytesAt.map((r) => ({ op: 'copyIn' as const, ...r })),
);

function countOf(log: CoherenceLog, kind: string): number {
  return log
    .report()
    .filter((e) => e.kind === kind)
    .reduce((n, e) => n + e.count, 0);
}

describe('RegionCache against a reference model', () => {
  // Line state is kept in bitmaps of 32 lines per word: the second window straddles a word edge.
  it.each([
    ['lines 0-15', 0],
    ['lines 24-39, across a bitmap word', 24 * CACHE_LINE],
  ])(
    'agrees on every byte read, DRAM, dirty lines and coherence counts for random interleavings (%s)',
    (_, BASE) => {
      fc.assert(
        fc.property(
          fc.uint8Array({ minLength: LIMIT, maxLength: LIMIT }),
          fc.array(command, { maxLength: 60 }),
          (initial, cmds) => {
            const { log, region, as, iommu } = setup('pd', 'data', 1);
            region.bytes.set(initial, BASE);
            // Another PD maps the region uncached, and this PD has a plain (never cached) source region.
            const uc = new AddressSpace('uc');
            uc.map(region, VA2, PERM_R | PERM_W, false);
            const plain = new PhysicalMemory(null, 0x5000_0000).allocate('plain', PAGE_SIZE);
            as.map(plain, VA3, PERM_R | PERM_W, false);
            const ref = new RefCache(initial);
            const pa = region.paddr;
            const buf = new Uint8Array(LIMIT);
            for (const c of cmds) {
              switch (c.op) {
                case 'cpuRead':
                  as.readBytes(VA + BASE + c.off, buf, 0, c.len);
                  expect(Array.from(buf.subarray(0, c.len))).toEqual(ref.cpuRead(c.off, c.len));
                  break;
                case 'cpuWrite':
                  as.writeBytes(VA + BASE + c.off, Uint8Array.from(c.bytes), 0, c.bytes.length);
                  ref.cpuWrite(c.off, c.bytes);
                  break;
                case 'cpuReadInt':
                  expect(as.read(VA + BASE + c.off, c.width)).toBe(toLe(ref.cpuRead(c.off, c.width)));
                  break;
                case 'cpuWriteInt':
                  as.write(VA + BASE + c.off, c.width, c.value);
                  ref.cpuWrite(c.off, fromLe(c.value, c.width));
                  break;
                case 'dmaRead':
                  expect(iommu.dmaRead(pa + BASE + c.off, buf, 0, c.len)).toBe(true);
                  expect(Array.from(buf.subarray(0, c.len))).toEqual(ref.dmaRead(c.off, c.len));
                  break;
                case 'dmaWrite':
                  expect(iommu.dmaWrite(pa + BASE + c.off, Uint8Array.from(c.bytes), 0, c.bytes.length)).toBe(
                    true,
                  );
                  ref.dmaWrite(c.off, c.bytes);
                  break;
                case 'dmaReadInt':
                  expect(iommu.dmaReadInt(pa + BASE + c.off, c.width)).toBe(
                    toLe(ref.dmaRead(c.off, c.width)),
                  );
                  break;
                case 'dmaWriteInt':
                  expect(iommu.dmaWriteInt(pa + BASE + c.off, c.width, c.value)).toBe(true);
                  ref.dmaWrite(c.off, fromLe(c.value, c.width));
                  break;
                case 'clean':
                  as.cacheClean(VA + BASE + c.off, c.len);
                  ref.clean(c.off, c.len);
                  break;
                case 'invalidate':
                  as.cacheInvalidate(VA + BASE + c.off, c.len);
                  ref.invalidate(c.off, c.len);
                  break;
                case 'cleanInvalidate':
                  as.cacheCleanInvalidate(VA + BASE + c.off, c.len);
                  ref.cleanInvalidate(c.off, c.len);
                  break;
                case 'uncachedWrite':
                  uc.writeBytes(VA2 + BASE + c.off, Uint8Array.from(c.bytes), 0, c.bytes.length);
                  ref.uncachedWrite(c.off, c.bytes);
                  break;
                case 'uncachedRead':
                  uc.readBytes(VA2 + BASE + c.off, buf, 0, c.len);
                  expect(Array.from(buf.subarray(0, c.len))).toEqual(
                    Array.from(ref.dram.subarray(c.off, c.off + c.len)),
                  );
                  break;
                case 'copyIn':
                  // A memcpy from a plain region into the cached one (the VMM's TX copy).
                  plain.bytes.set(c.bytes, 0);
                  as.copy(VA + BASE + c.off, VA3, c.bytes.length);
                  ref.cpuWrite(c.off, c.bytes);
                  break;
              }
            }
            expect(Array.from(region.bytes.subarray(BASE, BASE + LIMIT))).toEqual(Array.from(ref.dram));
            expect(region.cache?.dirtyLines()).toBe(ref.dirty());
            expect(countOf(log, COHERENCE_DMA_READ_DIRTY)).toBe(ref.dmaReadDirty);
            expect(countOf(log, COHERENCE_CPU_READ_STALE)).toBe(ref.cpuReadStale);
            expect(countOf(log, COHERENCE_DIRTY_OVER_DMA)).toBe(ref.dirtyOverDma);
          },
        ),
        { numRuns: 200 },
      );
    },
  );
});
