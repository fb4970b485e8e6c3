import { describe, expect, it } from 'vitest';
import { AddressSpace, PERM_R, PERM_W } from '../../src/board/address_space.js';
import { AssertionError } from '../../src/board/assert.js';
import { CoherenceLog } from '../../src/board/coherence.js';
import { DMA_READ, Iommu } from '../../src/board/iommu.js';
import { type MmioHandler, PAGE_SIZE, PhysicalMemory, roundUp } from '../../src/board/memory.js';

const nullDevice: MmioHandler = {
  mmioRead: () => 0,
  mmioWrite: () => {},
};

describe('PhysicalMemory', () => {
  it('places regions one after another from the base, page aligned, sizes rounded up to pages', () => {
    const mem = new PhysicalMemory(null, 0x1000_0000);
    const a = mem.allocate('a', 100);
    const b = mem.allocate('b', PAGE_SIZE + 1);
    const c = mem.allocate('c', PAGE_SIZE);
    expect(a.paddr).toBe(0x1000_0000);
    expect(a.size).toBe(PAGE_SIZE);
    expect(a.bytes.length).toBe(PAGE_SIZE);
    expect(b.paddr).toBe(0x1000_1000);
    expect(b.size).toBe(2 * PAGE_SIZE);
    expect(c.paddr).toBe(0x1000_3000);
    expect(mem.totalBytes).toBe(4 * PAGE_SIZE);
  });

  it('zero-initialises RAM regions', () => {
    const mem = new PhysicalMemory();
    const r = mem.allocate('ram', 3 * PAGE_SIZE);
    expect(r.bytes.every((x) => x === 0)).toBe(true);
  });

  it('honours an explicit physical address and an alignment', () => {
    const mem = new PhysicalMemory(null, 0x1000_0000);
    const fixed = mem.allocate('fixed', PAGE_SIZE, { paddr: 0x2000_0000 });
    const aligned = mem.allocate('aligned', PAGE_SIZE, { align: 0x10_0000 });
    expect(fixed.paddr).toBe(0x2000_0000);
    // The next free address is after the fixed region, rounded up to 1 MiB.
    expect(aligned.paddr).toBe(0x2010_0000);
    expect(aligned.paddr % 0x10_0000).toBe(0);
  });

  it('rejects overlapping regions, duplicate names and bad sizes as internal errors', () => {
    const mem = new PhysicalMemory(null, 0x1000_0000);
    mem.allocate('a', 2 * PAGE_SIZE);
    expect(() => mem.allocate('b', PAGE_SIZE, { paddr: 0x1000_1000 })).toThrow(AssertionError);
    expect(() => mem.allocate('c', 1, { paddr: 0x0fff_f000 + 1 })).toThrow(AssertionError);
    expect(() => mem.allocate('a', PAGE_SIZE)).toThrow(AssertionError);
    expect(() => mem.allocate('z', 0)).toThrow(AssertionError);
    expect(() => mem.allocate('f', 1.5)).toThrow(AssertionError);
    // A region ending exactly where another begins is fine.
    expect(mem.allocate('d', PAGE_SIZE, { paddr: 0x0fff_f000 }).paddr).toBe(0x0fff_f000);
  });

  it('finds regions by name and by physical address', () => {
    const mem = new PhysicalMemory(null, 0x1000_0000);
    const a = mem.allocate('a', PAGE_SIZE);
    const b = mem.allocate('b', 2 * PAGE_SIZE);
    expect(mem.region('b')).toBe(b);
    expect(() => mem.region('nope')).toThrow(AssertionError);
    expect(mem.findRegion(a.paddr)).toBe(a);
    expect(mem.findRegion(a.paddr + PAGE_SIZE - 1)).toBe(a);
    expect(mem.findRegion(b.paddr + 2 * PAGE_SIZE - 1)).toBe(b);
    expect(mem.findRegion(b.paddr + 2 * PAGE_SIZE)).toBeNull();
    expect(mem.findRegion(a.paddr - 1)).toBeNull();
  });

  it('gives device regions no backing bytes, so they do not count as RAM', () => {
    const mem = new PhysicalMemory();
    const dev = mem.addDevice('nic_regs', 0x100, nullDevice);
    expect(dev.device).toBe(nullDevice);
    expect(dev.size).toBe(PAGE_SIZE);
    expect(dev.bytes.length).toBe(0);
    expect(mem.totalBytes).toBe(0);
  });

  it('rounds up to a multiple', () => {
    expect(roundUp(0, 4096)).toBe(0);
    expect(roundUp(1, 4096)).toBe(4096);
    expect(roundUp(4096, 4096)).toBe(4096);
    expect(roundUp(4097, 64)).toBe(4160);
  });
});

describe('Region cache allocation', () => {
  it('creates a cache only once a region is both mapped cached and covered by an IOMMU window, in either order', () => {
    const log = new CoherenceLog();
    const mem = new PhysicalMemory(log);
    const first = mem.allocate('mapped_first', PAGE_SIZE);
    const second = mem.allocate('window_first', PAGE_SIZE);
    const iommu = new Iommu('nic', log);
    const as = new AddressSpace('pd');

    as.map(first, 0x10_0000, PERM_R | PERM_W, true);
    expect(first.cache).toBeNull();
    iommu.addRegion(first, DMA_READ);
    expect(first.cache).not.toBeNull();
    expect(first.cache?.log).toBe(log);

    iommu.addRegion(second, DMA_READ);
    expect(second.cache).toBeNull();
    as.map(second, 0x20_0000, PERM_R | PERM_W, true);
    expect(second.cache).not.toBeNull();
  });

  it('creates no cache for uncached mappings or for memory no device reaches', () => {
    const mem = new PhysicalMemory();
    const uncached = mem.allocate('uncached', PAGE_SIZE);
    const cpuOnly = mem.allocate('cpu_only', PAGE_SIZE);
    const iommu = new Iommu('nic', null);
    const as = new AddressSpace('pd');
    as.map(uncached, 0x10_0000, PERM_R | PERM_W, false);
    iommu.addRegion(uncached, DMA_READ);
    as.map(cpuOnly, 0x20_0000, PERM_R | PERM_W, true);
    expect(uncached.cache).toBeNull();
    expect(cpuOnly.cache).toBeNull();
  });

  it('keeps one cache per region however many cached mappings and windows it has', () => {
    const mem = new PhysicalMemory();
    const r = mem.allocate('shared', PAGE_SIZE);
    const iommu = new Iommu('nic', null);
    new AddressSpace('a').map(r, 0x10_0000, PERM_R, true);
    iommu.addRegion(r, DMA_READ);
    const cache = r.cache;
    new AddressSpace('b').map(r, 0x30_0000, PERM_R | PERM_W, true);
    iommu.addWindow(0x9000_0000, r, 0, PAGE_SIZE, DMA_READ);
    expect(r.cache).toBe(cache);
  });

  it('never gives a device region a cache', () => {
    const mem = new PhysicalMemory();
    const dev = mem.addDevice('regs', PAGE_SIZE, nullDevice);
    new AddressSpace('pd').map(dev, 0x10_0000, PERM_R | PERM_W, true);
    new Iommu('dma', null).addRegion(dev, DMA_READ);
    expect(dev.cache).toBeNull();
  });
});
