import { assert } from './assert.js';
import { freshZeroedBytes, giveBytes, takeZeroedBytes } from './byte_pool.js';
import { RegionCache } from './cache.js';
import type { CoherenceLog } from './coherence.js';

export const PAGE_SIZE = 4096;

/** A device's register file, reached by uncached 32-bit loads and stores to its region. */
export interface MmioHandler {
  mmioRead(offset: number, width: number): number;
  mmioWrite(offset: number, width: number, value: number): void;
}

/**
 * A named physical memory region (a Microkit memory_region). Its bytes are the DRAM
 * contents; what a CPU sees through a cached mapping may differ until the cache is
 * maintained (see cache.ts).
 */
export class Region {
  readonly name: string;
  readonly paddr: number;
  readonly size: number;
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /** Allocated when the region is both reachable by DMA and mapped cached by a CPU. */
  cache: RegionCache | null = null;
  /** Set for device register regions: accesses go to the device, not to bytes. */
  device: MmioHandler | null = null;
  /** True once some IOMMU window covers this region. */
  dmaCapable = false;
  /** True once some CPU mapping of this region is cached. */
  mappedCached = false;
  /** Mostly never touched (a VM's RAM): a fresh mapping of its own, never kept for reuse. */
  readonly sparse: boolean;
  readonly log: CoherenceLog | null;

  /**
   * `backing` holds the region's DRAM at `backingOffset` (PhysicalMemory shares one block among
   * many regions); a device region has none: every access goes to the handler.
   */
  constructor(
    name: string,
    paddr: number,
    size: number,
    device: MmioHandler | null,
    log: CoherenceLog | null,
    backing: ArrayBuffer | null = null,
    backingOffset = 0,
    sparse = false,
  ) {
    this.log = log;
    this.name = name;
    this.paddr = paddr;
    this.size = size;
    this.sparse = sparse;
    if (device !== null) this.bytes = new Uint8Array(0);
    else if (sparse) this.bytes = freshZeroedBytes(size);
    else if (backing === null) this.bytes = takeZeroedBytes(size);
    else this.bytes = new Uint8Array(backing, backingOffset, size);
    this.view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
    this.device = device;
  }

  /** The cache model for this region, created on first need. */
  ensureCache(): RegionCache {
    if (this.cache === null) {
      this.cache = new RegionCache(this);
      this.cache.log = this.log;
    }
    return this.cache;
  }

  /** Cache state matters only where a CPU caches what a device also reaches. */
  noteCachedMapping(): void {
    this.mappedCached = true;
    if (this.dmaCapable && this.device === null) this.ensureCache();
  }

  noteDmaWindow(): void {
    this.dmaCapable = true;
    if (this.mappedCached && this.device === null) this.ensureCache();
  }
}

export interface AllocateOptions {
  paddr?: number;
  align?: number;
  /**
   * The region is mostly never touched (a VM's RAM): it gets a lazily zeroed mapping of its own,
   * is not carved from a block and is not handed to the byte pool (byte_pool.ts).
   */
  sparse?: boolean;
}

/**
 * Dense regions below CARVE_BELOW are carved out of shared blocks. A scenario with many guests has
 * hundreds of such regions (1 MiB data regions, queues): allocated one by one, each comes from the
 * C heap once earlier runs freed theirs (glibc raises its mmap threshold on such frees), and V8
 * answers the hundreds of external allocations with a garbage collection every few. Blocks, like
 * exact buffers, come from and go back to the byte pool, so a process's later boards reuse them.
 * Sparse regions (VM RAM) are never carved: each is a lazily zeroed mapping of its own.
 *
 * Reserving more than a board needs is not free either: a single-guest run measured ~70% slower
 * per frame with 32 MiB reserved for 19 MiB of regions, and eight guests ~10% slower with 32 MiB for
 * 18, from V8's collections for the extra external memory. So the first 32 MiB of small regions get
 * exact buffers, as do regions of 8 MiB or more; blocks start only where there are many small ones,
 * and grow with the small regions placed so far.
 */
const CARVE_BELOW = 8 * 1024 * 1024;
const CARVE_AFTER = 32 * 1024 * 1024;
const MAX_BLOCK_BYTES = 64 * 1024 * 1024;

/** One physical address space with named regions placed in it, page aligned. */
export class PhysicalMemory {
  readonly regions: Region[] = [];
  private readonly byName = new Map<string, Region>();
  private nextPaddr: number;
  private block: ArrayBuffer | null = null;
  /** Every block carved from, to hand back on release. */
  private readonly blocks: ArrayBuffer[] = [];
  private blockUsed = 0;
  /** Bytes of regions under CARVE_BELOW placed so far, carved or not. */
  private smallBytes = 0;
  private released = false;

  readonly log: CoherenceLog | null;

  constructor(log: CoherenceLog | null = null, base = 0x4000_0000) {
    this.log = log;
    this.nextPaddr = base;
  }

  allocate(name: string, size: number, opts: AllocateOptions = {}): Region {
    return this.place(name, size, null, opts);
  }

  addDevice(name: string, size: number, handler: MmioHandler, opts: AllocateOptions = {}): Region {
    return this.place(name, size, handler, opts);
  }

  /**
   * Hands every region's own buffer and every cache mirror to the byte pool (byte_pool.ts) for the
   * next board built in this process. Only for a simulation that is finished with: nothing may read
   * or write its memory afterwards.
   */
  release(): void {
    if (this.released) return;
    this.released = true;
    for (const r of this.regions) {
      if (r.cache !== null) giveBytes(r.cache.data);
      // Carved regions are views: giveBytes keeps only whole buffers, so they go back with their block.
      if (r.device === null && !r.sparse) giveBytes(r.bytes);
    }
    for (const b of this.blocks) giveBytes(new Uint8Array(b));
  }

  region(name: string): Region {
    const r = this.byName.get(name);
    assert(r !== undefined, `no memory region named '${name}'`);
    return r;
  }

  findRegion(paddr: number): Region | null {
    for (const r of this.regions) if (paddr >= r.paddr && paddr < r.paddr + r.size) return r;
    return null;
  }

  get totalBytes(): number {
    let n = 0;
    for (const r of this.regions) n += r.bytes.length;
    return n;
  }

  private place(name: string, size: number, device: MmioHandler | null, opts: AllocateOptions): Region {
    assert(!this.byName.has(name), `memory region '${name}' defined twice`);
    assert(size > 0 && Number.isInteger(size), `region '${name}' has a bad size ${size}`);
    const pageSize = roundUp(size, PAGE_SIZE);
    const align = Math.max(PAGE_SIZE, opts.align ?? PAGE_SIZE);
    const paddr = opts.paddr ?? roundUp(this.nextPaddr, align);
    // nextPaddr is past every region, so only an explicitly placed region can overlap one.
    if (opts.paddr !== undefined) {
      for (const r of this.regions) {
        assert(
          paddr + pageSize <= r.paddr || paddr >= r.paddr + r.size,
          `region '${name}' overlaps region '${r.name}'`,
        );
      }
    }
    let region: Region;
    if (opts.sparse === true && device === null) {
      region = new Region(name, paddr, pageSize, null, this.log, null, 0, true);
    } else if (device !== null || pageSize >= CARVE_BELOW || this.smallBytes < CARVE_AFTER) {
      region = new Region(name, paddr, pageSize, device, this.log);
      if (device === null && pageSize < CARVE_BELOW) this.smallBytes += pageSize;
    } else {
      const offset = this.carve(pageSize);
      region = new Region(name, paddr, pageSize, null, this.log, this.block, offset);
    }
    this.regions.push(region);
    this.byName.set(name, region);
    if (paddr + pageSize > this.nextPaddr) this.nextPaddr = paddr + pageSize;
    return region;
  }

  /** Reserves `size` bytes of the current block (starting a new one if needed); returns the offset. */
  private carve(size: number): number {
    if (this.block === null || this.blockUsed + size > this.block.byteLength) {
      this.block = takeZeroedBytes(Math.min(MAX_BLOCK_BYTES, Math.max(this.smallBytes, 2 * size))).buffer;
      this.blocks.push(this.block);
      this.blockUsed = 0;
    }
    this.smallBytes += size;
    const at = this.blockUsed;
    this.blockUsed += size;
    return at;
  }
}

export function roundUp(x: number, to: number): number {
  return Math.ceil(x / to) * to;
}
