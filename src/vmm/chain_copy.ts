import type { AddressSpace } from '../board/address_space.js';
import type { ChainOut } from '../virtio/chain_out.js';

/**
 * Where the VMM sees guest RAM: guest-physical `gpaBase` is at VMM virtual address `vaddr`.
 * The copies below go through the VMM's own address space (so its mappings and, for sDDF data
 * regions a device reaches, the cache model apply) and only ever touch segments a
 * VirtqueueDevice.walkChain accepted, which lie inside guest RAM.
 */
export interface GuestRamWindow {
  readonly vaddr: number;
  readonly gpaBase: number;
}

/**
 * Copies `len` bytes of the chain's device-readable data, starting `skip` bytes in (past the
 * net header), to `dstVaddr`. Returns the bytes copied (less than `len` only if the chain is
 * shorter, which the caller has ruled out).
 */
export function copyFromChain(
  as: AddressSpace,
  ram: GuestRamWindow,
  chain: ChainOut,
  skip: number,
  dstVaddr: number,
  len: number,
): number {
  let done = 0;
  for (let k = 0; k < chain.firstWritable && done < len; k++) {
    const segLen = chain.len[k]!;
    if (skip >= segLen) {
      skip -= segLen;
      continue;
    }
    const n = Math.min(segLen - skip, len - done);
    as.copy(dstVaddr + done, ram.vaddr + (chain.gpa[k]! - ram.gpaBase) + skip, n);
    skip = 0;
    done += n;
  }
  return done;
}

/**
 * Copies `len` bytes from `srcVaddr` into the chain's device-writable buffers, starting `skip`
 * bytes in. Never writes a device-readable segment. Returns the bytes copied.
 */
export function copyToChain(
  as: AddressSpace,
  ram: GuestRamWindow,
  chain: ChainOut,
  skip: number,
  srcVaddr: number,
  len: number,
): number {
  let done = 0;
  for (let k = chain.firstWritable; k < chain.count && done < len; k++) {
    const segLen = chain.len[k]!;
    if (skip >= segLen) {
      skip -= segLen;
      continue;
    }
    const n = Math.min(segLen - skip, len - done);
    as.copy(ram.vaddr + (chain.gpa[k]! - ram.gpaBase) + skip, srcVaddr + done, n);
    skip = 0;
    done += n;
  }
  return done;
}
