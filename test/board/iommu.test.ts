import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AssertionError } from '../../src/board/assert.js';
import { CoherenceLog } from '../../src/board/coherence.js';
import { DMA_READ, DMA_WRITE, Iommu } from '../../src/board/iommu.js';
import { PAGE_SIZE, PhysicalMemory, type Region } from '../../src/board/memory.js';

function snapshot(regions: Region[]): Uint8Array[] {
  return regions.map((r) => r.bytes.slice());
}

function unchanged(regions: Region[], before: Uint8Array[]): boolean {
  return regions.every((r, i) => Buffer.from(r.bytes).equals(Buffer.from(before[i]!)));
}

function board() {
  const log = new CoherenceLog();
  const mem = new PhysicalMemory(log, 0x4000_0000);
  const rx = mem.allocate('rx_data', 2 * PAGE_SIZE);
  const tx = mem.allocate('tx_data', PAGE_SIZE);
  const secret = mem.allocate('client_secret', PAGE_SIZE);
  secret.bytes.fill(0x5e);
  tx.bytes.fill(0x77);
  const iommu = new Iommu('nic', log);
  iommu.addRegion(rx, DMA_WRITE);
  iommu.addRegion(tx, DMA_READ);
  return { log, mem, rx, tx, secret, iommu, all: [rx, tx, secret] };
}

describe('Iommu', () => {
  it('lets the device read and write its windows at IO address = physical address', () => {
    const { rx, tx, iommu } = board();
    const frame = Uint8Array.from({ length: 60 }, (_, i) => i);
    expect(iommu.dmaWrite(rx.paddr + 100, frame, 0, 60)).toBe(true);
    expect(rx.bytes.subarray(100, 160)).toEqual(frame);
    const out = new Uint8Array(10);
    expect(iommu.dmaRead(tx.paddr + PAGE_SIZE - 10, out, 0, 10)).toBe(true);
    expect(out.every((b) => b === 0x77)).toBe(true);
    expect(iommu.blockedCount).toBe(0);
  });

  it('blocks a DMA outside every window, leaves memory untouched and records it', () => {
    const { log, secret, iommu, all } = board();
    log.nowNs = 5000;
    const before = snapshot(all);
    const out = new Uint8Array(16);
    expect(iommu.dmaRead(secret.paddr, out, 0, 16)).toBe(false);
    expect(out.every((b) => b === 0)).toBe(true);
    expect(iommu.dmaWrite(secret.paddr + 8, new Uint8Array(16).fill(1), 0, 16)).toBe(false);
    expect(iommu.dmaWrite(0x1000, new Uint8Array(4), 0, 4)).toBe(false);
    expect(unchanged(all, before)).toBe(true);
    expect(iommu.blockedCount).toBe(3);
    expect(iommu.blocked).toEqual([
      { timeNs: 5000, device: 'nic', ioaddr: secret.paddr, len: 16, write: false },
      { timeNs: 5000, device: 'nic', ioaddr: secret.paddr + 8, len: 16, write: true },
      { timeNs: 5000, device: 'nic', ioaddr: 0x1000, len: 4, write: true },
    ]);
  });

  it('blocks a DMA without the permission: no writes into the TX window, no reads from the RX window', () => {
    const { rx, tx, iommu, all } = board();
    const before = snapshot(all);
    expect(iommu.dmaWrite(tx.paddr, new Uint8Array(8).fill(9), 0, 8)).toBe(false);
    expect(iommu.dmaRead(rx.paddr, new Uint8Array(8), 0, 8)).toBe(false);
    expect(iommu.dmaWriteInt(tx.paddr, 4, 0xdead)).toBe(false);
    expect(iommu.dmaReadInt(rx.paddr, 2)).toBe(-1);
    expect(unchanged(all, before)).toBe(true);
    expect(iommu.blockedCount).toBe(4);
    expect(iommu.blocked.map((b) => b.write)).toEqual([true, false, true, false]);
  });

  it('blocks a DMA that runs past the end of its window even if the next region is mapped', () => {
    const { rx, tx, secret, iommu, all } = board();
    iommu.addRegion(secret, DMA_READ | DMA_WRITE);
    const before = snapshot(all);
    // tx directly follows rx in physical memory: one access may not span both windows.
    expect(tx.paddr).toBe(rx.paddr + rx.size);
    expect(iommu.dmaRead(rx.paddr + rx.size - 4, new Uint8Array(8), 0, 8)).toBe(false);
    expect(iommu.dmaWrite(secret.paddr + PAGE_SIZE - 4, new Uint8Array(8).fill(1), 0, 8)).toBe(false);
    expect(unchanged(all, before)).toBe(true);
  });

  it('blocks nonsense lengths instead of throwing', () => {
    const { rx, iommu } = board();
    expect(iommu.dmaWrite(rx.paddr, new Uint8Array(4), 0, -1)).toBe(false);
    expect(iommu.dmaWrite(rx.paddr, new Uint8Array(4), 0, Number.NaN)).toBe(false);
    expect(iommu.dmaWrite(rx.paddr, new Uint8Array(4), 0, 0)).toBe(true);
    expect(iommu.blockedCount).toBe(2);
  });

  it('keeps only the first 64 blocked attempts but counts them all', () => {
    const { secret, iommu } = board();
    for (let i = 0; i < 100; i++) iommu.dmaRead(secret.paddr + i, new Uint8Array(1), 0, 1);
    expect(iommu.blockedCount).toBe(100);
    expect(iommu.blocked).toHaveLength(64);
    expect(iommu.blocked[63]?.ioaddr).toBe(secret.paddr + 63);
  });

  it('translates a window at its own IO address into an offset of its region', () => {
    const { secret } = board();
    const iommu = new Iommu('dma', null);
    iommu.addWindow(0x1000, secret, 0x800, 0x100, DMA_READ | DMA_WRITE);
    expect(iommu.dmaWriteInt(0x1010, 4, 0x0102_0304)).toBe(true);
    expect(secret.view.getUint32(0x810, true)).toBe(0x0102_0304);
    expect(iommu.dmaReadInt(0x1010, 2)).toBe(0x0304);
    expect(iommu.dmaRead(0x10fc, new Uint8Array(8), 0, 8)).toBe(false);
    expect(iommu.dmaRead(secret.paddr + 0x810, new Uint8Array(4), 0, 4)).toBe(false);
    expect(() => iommu.addWindow(0, secret, PAGE_SIZE - 8, 16, DMA_READ)).toThrow(AssertionError);
  });

  it('re-checks the permission even when the last window used covers the address', () => {
    const { secret } = board();
    const iommu = new Iommu('dma', null);
    iommu.addWindow(0x1000, secret, 0, 0x100, DMA_READ);
    iommu.addWindow(0x2000, secret, 0x100, 0x100, DMA_WRITE);
    expect(iommu.dmaReadInt(0x1000, 4)).toBe(0x5e5e5e5e);
    expect(iommu.dmaWriteInt(0x1000, 4, 0)).toBe(false);
    expect(iommu.dmaWriteInt(0x2000, 4, 0)).toBe(true);
    expect(iommu.dmaReadInt(0x2000, 4)).toBe(-1);
    expect(secret.view.getUint32(0, true)).toBe(0x5e5e5e5e);
    expect(secret.view.getUint32(0x100, true)).toBe(0);
  });

  it('blocks everything once its windows are removed', () => {
    const { rx, iommu } = board();
    expect(iommu.dmaWriteInt(rx.paddr, 4, 1)).toBe(true);
    iommu.removeAll();
    expect(iommu.dmaWriteInt(rx.paddr, 4, 2)).toBe(false);
    expect(rx.view.getUint32(0, true)).toBe(1);
  });
});

// ---------------------------------------------------------------------------------------

const SLOT = 0x1000;
const SLOTS = 8;
const IO_BASE = 0x8000_0000;
const REGION_SIZE = 2 * PAGE_SIZE;

const windowSpec = fc.record({
  start: fc.integer({ min: 0, max: SLOT - 1 }),
  size: fc.integer({ min: 1, max: SLOT }),
  regionOffset: fc.integer({ min: 0, max: REGION_SIZE - 1 }),
  perms: fc.integer({ min: 0, max: 3 }),
  full: fc.boolean(),
});

const windows = fc.uniqueArray(fc.integer({ min: 0, max: SLOTS - 1 }), { maxLength: SLOTS }).chain((slots) =>
  fc.tuple(
    ...slots.map((slot) =>
      windowSpec.map((w) => {
        const start = w.full ? 0 : w.start;
        const size = w.full ? SLOT : Math.min(w.size, SLOT - start);
        return {
          ioaddr: IO_BASE + slot * SLOT + start,
          size,
          regionOffset: Math.min(w.regionOffset, REGION_SIZE - size),
          perms: w.perms,
        };
      }),
    ),
  ),
);

const dma = fc.record({
  io: fc.integer({ min: IO_BASE - 32, max: IO_BASE + SLOTS * SLOT + 32 }),
  len: fc.integer({ min: 0, max: 200 }),
  write: fc.boolean(),
  fill: fc.integer({ min: 1, max: 255 }),
});

describe('Iommu permission property', () => {
  it('performs a DMA iff it lies inside one window with the permission, and otherwise changes nothing', () => {
    fc.assert(
      fc.property(windows, fc.array(dma, { minLength: 1, maxLength: 30 }), (ws, accesses) => {
        const region = new PhysicalMemory().allocate('r', REGION_SIZE);
        for (let i = 0; i < REGION_SIZE; i++) region.bytes[i] = (i * 31) & 0xff;
        const iommu = new Iommu('nic', null);
        for (const w of ws) iommu.addWindow(w.ioaddr, region, w.regionOffset, w.size, w.perms);
        let blocked = 0;
        for (const a of accesses) {
          const need = a.write ? DMA_WRITE : DMA_READ;
          const w = ws.find((x) => a.io >= x.ioaddr && a.io + a.len <= x.ioaddr + x.size);
          const ok = w !== undefined && (w.perms & need) !== 0;
          const before = region.bytes.slice();
          const buf = new Uint8Array(a.len).fill(a.fill);
          const res = a.write ? iommu.dmaWrite(a.io, buf, 0, a.len) : iommu.dmaRead(a.io, buf, 0, a.len);
          expect(res).toBe(ok);
          if (!ok) {
            blocked++;
            expect(Buffer.from(region.bytes).equals(Buffer.from(before))).toBe(true);
            expect(iommu.blocked.at(-1)).toMatchObject({ ioaddr: a.io, len: a.len, write: a.write });
            continue;
          }
          const off = a.io - w.ioaddr + w.regionOffset;
          const expected = before.slice();
          if (a.write) expected.fill(a.fill, off, off + a.len);
          else expect(Buffer.from(buf).equals(Buffer.from(before.subarray(off, off + a.len)))).toBe(true);
          expect(Buffer.from(region.bytes).equals(Buffer.from(expected))).toBe(true);
        }
        expect(iommu.blockedCount).toBe(blocked);
      }),
      { numRuns: 300 },
    );
  });
});
