import { assert } from './assert.js';
import type { CoherenceLog } from './coherence.js';
import type { Region } from './memory.js';

export const DMA_READ = 1;
export const DMA_WRITE = 2;

/** One IO-address window a device may DMA through. */
export interface IommuWindow {
  ioaddr: number;
  size: number;
  region: Region;
  regionOffset: number;
  perms: number;
}

export interface BlockedDma {
  timeNs: number;
  device: string;
  ioaddr: number;
  len: number;
  write: boolean;
}

const MAX_BLOCKED_KEPT = 64;

/**
 * The IOMMU (SMMU) in front of one DMA-capable device. The device can reach memory
 * only through the windows the system gives it; anything else is blocked, recorded
 * and never performed. Device models call only these methods to touch memory.
 */
export class Iommu {
  readonly device: string;
  readonly windows: IommuWindow[] = [];
  blockedCount = 0;
  readonly blocked: BlockedDma[] = [];
  private log: CoherenceLog | null;
  private last: IommuWindow | null = null;
  /** The window used before `last`: a NIC alternates between its descriptor ring and buffers. */
  private prev: IommuWindow | null = null;
  /** Scratch out-parameters of translate(). */
  private tRegion: Region | null = null;
  private tOffset = 0;

  constructor(device: string, log: CoherenceLog | null) {
    this.device = device;
    this.log = log;
  }

  addWindow(ioaddr: number, region: Region, regionOffset: number, size: number, perms: number): void {
    assert(
      regionOffset >= 0 && regionOffset + size <= region.size,
      `IOMMU window outside region ${region.name}`,
    );
    this.windows.push({ ioaddr, size, region, regionOffset, perms });
    region.noteDmaWindow();
  }

  /** Identity-mapped window covering a whole region (IO address = physical address). */
  addRegion(region: Region, perms: number): void {
    this.addWindow(region.paddr, region, 0, region.size, perms);
  }

  removeAll(): void {
    this.windows.length = 0;
    this.last = null;
    this.prev = null;
  }

  /** Finds the window holding [io, io+len) with the permission; false means blocked. */
  private translate(io: number, len: number, perm: number): boolean {
    let w = this.last;
    if (w === null || io < w.ioaddr || io + len > w.ioaddr + w.size || (w.perms & perm) === 0) {
      const l = w;
      w = this.prev;
      if (w === null || io < w.ioaddr || io + len > w.ioaddr + w.size || (w.perms & perm) === 0) {
        w = null;
        for (const c of this.windows) {
          if (io >= c.ioaddr && io + len <= c.ioaddr + c.size && (c.perms & perm) !== 0) {
            w = c;
            break;
          }
        }
        if (w === null) return false;
      }
      this.prev = l;
      this.last = w;
    }
    this.tRegion = w.region;
    this.tOffset = io - w.ioaddr + w.regionOffset;
    return true;
  }

  private block(io: number, len: number, write: boolean): void {
    this.blockedCount++;
    if (this.blocked.length < MAX_BLOCKED_KEPT) {
      this.blocked.push({ timeNs: this.log?.nowNs ?? 0, device: this.device, ioaddr: io, len, write });
    }
  }

  dmaRead(io: number, dst: Uint8Array, dstOff: number, len: number): boolean {
    if (!(len >= 0) || !this.translate(io, len, DMA_READ)) {
      this.block(io, len, false);
      return false;
    }
    const r = this.tRegion!;
    const off = this.tOffset;
    if (r.cache !== null) r.cache.dmaRead(off, len, this.device);
    dst.set(r.bytes.subarray(off, off + len), dstOff);
    return true;
  }

  dmaWrite(io: number, src: Uint8Array, srcOff: number, len: number): boolean {
    if (!(len >= 0) || !this.translate(io, len, DMA_WRITE)) {
      this.block(io, len, true);
      return false;
    }
    const r = this.tRegion!;
    const off = this.tOffset;
    r.bytes.set(src.subarray(srcOff, srcOff + len), off);
    if (r.cache !== null) r.cache.dmaWrite(off, len, this.device);
    return true;
  }

  /** Little-endian u16/u32 reads used for hardware descriptors; -1 when blocked. */
  dmaReadInt(io: number, width: number): number {
    if (!this.translate(io, width, DMA_READ)) {
      this.block(io, width, false);
      return -1;
    }
    const r = this.tRegion!;
    const off = this.tOffset;
    if (r.cache !== null) r.cache.dmaRead(off, width, this.device);
    if (width === 2) return r.view.getUint16(off, true);
    return r.view.getUint32(off, true);
  }

  dmaWriteInt(io: number, width: number, value: number): boolean {
    if (!this.translate(io, width, DMA_WRITE)) {
      this.block(io, width, true);
      return false;
    }
    const r = this.tRegion!;
    const off = this.tOffset;
    if (width === 2) r.view.setUint16(off, value, true);
    else r.view.setUint32(off, value, true);
    if (r.cache !== null) r.cache.dmaWrite(off, width, this.device);
    return true;
  }
}
