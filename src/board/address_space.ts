import { assert } from './assert.js';
import type { Region } from './memory.js';

export const PERM_R = 1;
export const PERM_W = 2;
export const PERM_X = 4;

export function permString(p: number): string {
  return `${p & PERM_R ? 'r' : ''}${p & PERM_W ? 'w' : ''}${p & PERM_X ? 'x' : ''}`;
}

/** One <map> of a memory region into a protection domain's (or VM's) address space. */
export interface Mapping {
  readonly vaddr: number;
  readonly size: number;
  readonly region: Region;
  readonly regionOffset: number;
  readonly perms: number;
  readonly cached: boolean;
}

/** What went wrong with an access; delivered to the PD's parent as a fault. */
export interface MemoryFaultInfo {
  addr: number;
  width: number;
  write: boolean;
  /** 'unmapped' or 'permission'. */
  reason: 'unmapped' | 'permission';
  /** For a trapped store: the value stored (MMIO emulation needs it). */
  value: number;
}

/**
 * Thrown out of an entry point when a PD touches memory it has no mapping (or
 * permission) for. The kernel catches it, stops the PD and tells its parent: the
 * same thing seL4 does with a VM fault. It is never thrown at a trusted component
 * for what an untrusted one wrote, only for the component's own access.
 */
export class MemoryFault extends Error {
  override name = 'MemoryFault';
  readonly info: MemoryFaultInfo;
  readonly owner: string;
  constructor(owner: string, info: MemoryFaultInfo) {
    super(
      `${owner}: ${info.reason} ${info.write ? 'write' : 'read'} of ${info.width} bytes at 0x${info.addr.toString(16)}`,
    );
    this.owner = owner;
    this.info = info;
  }
}

/**
 * A trap handler for accesses to unmapped addresses: a VM's stage-2 faults go to its
 * VMM, which may emulate the access (MMIO) and resume. Returning false means the fault
 * was not handled and the accessor stops.
 */
export interface TrapHandler {
  trapAccess(info: MemoryFaultInfo, out: { value: number }): boolean;
}

/**
 * The virtual address space of one PD or VM: its mappings, and every CPU access the
 * component makes, checked against them. Accesses through a cached mapping of a
 * DMA-capable region go through the cache model.
 */
export class AddressSpace {
  readonly owner: string;
  readonly mappings: Mapping[] = [];
  trap: TrapHandler | null = null;
  faults = 0;
  private last: Mapping | null = null;
  private prev: Mapping | null = null;
  /**
   * The mappings ordered by vaddr, for a binary search when neither remembered mapping holds an
   * access: virt_tx maps every client's data region and, with dozens of clients, moves between
   * them on every frame. Rebuilt on the first miss after a map(); mappings never overlap.
   */
  private sorted: Mapping[] = [];
  private sortedValid = true;
  private readonly trapOut = { value: 0 };
  private readonly trapInfo: MemoryFaultInfo = {
    addr: 0,
    width: 0,
    write: false,
    reason: 'unmapped',
    value: 0,
  };
  private readonly scratch = new Uint8Array(8);

  constructor(owner: string) {
    this.owner = owner;
  }

  map(
    region: Region,
    vaddr: number,
    perms: number,
    cached: boolean,
    regionOffset = 0,
    size = region.size,
  ): Mapping {
    assert(
      regionOffset >= 0 && regionOffset + size <= region.size,
      `${this.owner}: mapping outside ${region.name}`,
    );
    for (const m of this.mappings) {
      assert(
        vaddr + size <= m.vaddr || vaddr >= m.vaddr + m.size,
        `${this.owner}: mapping of ${region.name} overlaps ${m.region.name}`,
      );
    }
    const m: Mapping = { vaddr, size, region, regionOffset, perms, cached };
    this.mappings.push(m);
    this.sortedValid = false;
    if (cached) region.noteCachedMapping();
    return m;
  }

  unmapAll(): void {
    this.mappings.length = 0;
    this.sorted.length = 0;
    this.sortedValid = true;
    this.last = null;
    this.prev = null;
  }

  mappingOf(regionName: string): Mapping | null {
    for (const m of this.mappings) if (m.region.name === regionName) return m;
    return null;
  }

  /** The mapping covering [vaddr, vaddr+len), or null. */
  find(vaddr: number, len: number): Mapping | null {
    const l = this.last;
    if (l !== null && vaddr >= l.vaddr && vaddr + len <= l.vaddr + l.size) return l;
    // The mapping used before the last one: a copy alternates between a source and a
    // destination mapping, which would otherwise send every access to the scan below.
    const p = this.prev;
    if (p !== null && vaddr >= p.vaddr && vaddr + len <= p.vaddr + p.size) {
      this.prev = l;
      this.last = p;
      return p;
    }
    const m = this.search(vaddr);
    if (m !== null && vaddr + len <= m.vaddr + m.size) {
      this.prev = l;
      this.last = m;
      return m;
    }
    return null;
  }

  /** The mapping with the greatest vaddr not above `vaddr` (the only one that can hold it), or null. */
  private search(vaddr: number): Mapping | null {
    if (!this.sortedValid) {
      this.sorted = this.mappings.slice().sort((a, b) => a.vaddr - b.vaddr);
      this.sortedValid = true;
    }
    const s = this.sorted;
    let lo = 0;
    let hi = s.length - 1;
    let found: Mapping | null = null;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const m = s[mid]!;
      if (m.vaddr <= vaddr) {
        found = m;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** Checks an access and returns its mapping, or faults (throws MemoryFault) / traps. */
  private check(vaddr: number, len: number, perm: number, value: number): Mapping | null {
    const m = this.find(vaddr, len);
    if (m !== null && (m.perms & perm) === perm) return m;
    if (this.trap !== null) {
      // A trapped access (MMIO emulation) is routine: describe it in a reused object.
      const t = this.trapInfo;
      t.addr = vaddr;
      t.width = len;
      t.write = perm === PERM_W;
      t.reason = m === null ? 'unmapped' : 'permission';
      t.value = value;
      if (this.trap.trapAccess(t, this.trapOut)) return null;
    }
    const info: MemoryFaultInfo = {
      addr: vaddr,
      width: len,
      write: perm === PERM_W,
      reason: m === null ? 'unmapped' : 'permission',
      value,
    };
    this.faults++;
    throw new MemoryFault(this.owner, info);
  }

  /**
   * Resolves a long-lived shared structure (a queue, a descriptor ring) once, as C code
   * does by holding a pointer: the whole range must be mapped with `perms`.
   */
  resolve(vaddr: number, len: number, perms: number): Mapping {
    const m = this.check(vaddr, len, perms, 0);
    if (m === null)
      throw new MemoryFault(this.owner, {
        addr: vaddr,
        width: len,
        write: false,
        reason: 'unmapped',
        value: 0,
      });
    return m;
  }

  read(vaddr: number, width: 1 | 2 | 4): number {
    const m = this.check(vaddr, width, PERM_R, 0);
    if (m === null) return this.trapOut.value;
    const r = m.region;
    const off = vaddr - m.vaddr + m.regionOffset;
    if (r.device !== null) return r.device.mmioRead(off, width);
    if (m.cached && r.cache !== null) return r.cache.cpuReadInt(off, width, this.owner);
    if (width === 1) return r.bytes[off]!;
    if (width === 2) return r.view.getUint16(off, true);
    return r.view.getUint32(off, true);
  }

  write(vaddr: number, width: 1 | 2 | 4, value: number): void {
    const m = this.check(vaddr, width, PERM_W, value);
    if (m === null) return;
    const r = m.region;
    const off = vaddr - m.vaddr + m.regionOffset;
    if (r.device !== null) {
      r.device.mmioWrite(off, width, value);
      return;
    }
    if (m.cached && r.cache !== null) {
      r.cache.cpuWriteInt(off, width, value, this.owner);
      return;
    }
    if (width === 1) r.bytes[off] = value;
    else if (width === 2) r.view.setUint16(off, value, true);
    else r.view.setUint32(off, value >>> 0, true);
  }

  readBytes(vaddr: number, dst: Uint8Array, dstOff: number, len: number): void {
    if (len <= 0) return;
    const m = this.check(vaddr, len, PERM_R, 0);
    if (m === null) return;
    const r = m.region;
    const off = vaddr - m.vaddr + m.regionOffset;
    if (m.cached && r.cache !== null) r.cache.cpuRead(off, dst, dstOff, len, this.owner);
    else dst.set(r.bytes.subarray(off, off + len), dstOff);
  }

  writeBytes(vaddr: number, src: Uint8Array, srcOff: number, len: number): void {
    if (len <= 0) return;
    const m = this.check(vaddr, len, PERM_W, 0);
    if (m === null) return;
    const r = m.region;
    const off = vaddr - m.vaddr + m.regionOffset;
    if (m.cached && r.cache !== null) r.cache.cpuWrite(off, src, srcOff, len, this.owner);
    else r.bytes.set(src.subarray(srcOff, srcOff + len), off);
  }

  /** memcpy within this address space. */
  copy(dstVaddr: number, srcVaddr: number, len: number): void {
    if (len <= 0) return;
    const s = this.check(srcVaddr, len, PERM_R, 0);
    const d = this.check(dstVaddr, len, PERM_W, 0);
    if (s === null || d === null) return;
    const sr = s.region;
    const dr = d.region;
    const so = srcVaddr - s.vaddr + s.regionOffset;
    const dOff = dstVaddr - d.vaddr + d.regionOffset;
    const srcCached = s.cached && sr.cache !== null;
    const dstCached = d.cached && dr.cache !== null;
    if (!srcCached && !dstCached) {
      // Within one region (a guest copying inside its RAM) copyWithin moves the bytes with the
      // same overlap semantics as set() and no view allocated per copy.
      if (dr === sr) dr.bytes.copyWithin(dOff, so, so + len);
      else dr.bytes.set(sr.bytes.subarray(so, so + len), dOff);
      return;
    }
    if (!dstCached) {
      sr.cache!.cpuRead(so, dr.bytes, dOff, len, this.owner);
      return;
    }
    if (!srcCached) {
      dr.cache!.cpuWrite(dOff, sr.bytes, so, len, this.owner);
      return;
    }
    // Both cached: allocate the destination lines first, then load straight into them.
    dr.cache!.touchForWrite(dOff, len, this.owner);
    sr.cache!.cpuRead(so, dr.cache!.data, dOff, len, this.owner);
  }

  /** Cache maintenance by virtual address. Returns the number of lines operated on. */
  cacheClean(vaddr: number, len: number): number {
    return this.maintain(vaddr, len, 0);
  }

  cacheInvalidate(vaddr: number, len: number): number {
    return this.maintain(vaddr, len, 1);
  }

  cacheCleanInvalidate(vaddr: number, len: number): number {
    return this.maintain(vaddr, len, 2);
  }

  private maintain(vaddr: number, len: number, op: number): number {
    if (len <= 0) return 0;
    // Maintenance needs only a mapping (any permission), as `dc` by VA does.
    const m = this.check(vaddr, len, 0, 0);
    if (m === null) return 0;
    const lines = ((vaddr + len - 1) >>> 6) - (vaddr >>> 6) + 1;
    const r = m.region;
    if (r.cache === null) return lines;
    const off = vaddr - m.vaddr + m.regionOffset;
    if (op === 0) r.cache.clean(off, len);
    else if (op === 1) r.cache.invalidate(off, len);
    else r.cache.cleanInvalidate(off, len);
    return lines;
  }

  /** Reads a u64 as a number (used by tests and debugging). */
  read64(vaddr: number): number {
    this.readBytes(vaddr, this.scratch, 0, 8);
    const v = new DataView(this.scratch.buffer);
    return v.getUint32(0, true) + v.getUint32(4, true) * 2 ** 32;
  }
}
