import type { AddressSpace } from '../board/address_space.js';
import { ComponentHalt } from '../board/halt.js';
import type { ChainOut } from '../virtio/chain_out.js';
import { inRange } from '../virtio/guest_memory.js';
import { descAddr } from '../virtio/split_ring.js';
import type { VirtqueueDevice } from '../virtio/virtqueue_device.js';
import {
  VQ_BAD_ADDR,
  VQ_BAD_ADDR_OVERFLOW,
  VQ_BAD_HEAD,
  VQ_BAD_LOOP,
  VQ_BAD_NEXT,
} from '../virtio/virtqueue_violation.js';
import type { GuestRamWindow } from './chain_copy.js';

/** Descriptor table entries are 16 bytes (virtio 1.x 2.7.5). */
const DESC_BYTES = 16;

/**
 * What the device does with a malformed chain when its chain validation is removed (scenario
 * `protections.vmm_chain_validation: false`): what libvmm's unchecked C walk would do with the
 * descriptor walkChain refused, `chain.badDesc`. Returns only when the consequence stays inside
 * the guest's own business (a wrong direction, an indirect table, an over-long chain: the caller
 * drops the chain as the protected device does); otherwise it stops the VMM the way the C one stops:
 * - a descriptor index past the table (VQ_BAD_HEAD / VQ_BAD_NEXT): the VMM reads the entry at
 *   desc + 16 * index through its own mappings, then the buffer that entry names;
 * - an address outside guest RAM (VQ_BAD_ADDR / _OVERFLOW): the VMM touches guest RAM's window
 *   plus that offset. Outside the VMM's mappings either access throws a MemoryFault (the kernel
 *   records the fault and stops the VMM); inside them it reads the VMM's own memory, silently;
 * - a loop (VQ_BAD_LOOP): `while (desc.flags & NEXT)` never ends: the VMM stalls (ComponentHalt).
 */
export function uncheckedChainConsequence(
  owner: string,
  vq: VirtqueueDevice,
  chain: ChainOut,
  code: number,
  as: AddressSpace,
  ram: GuestRamWindow,
): void {
  const i = chain.badDesc;
  if (code === VQ_BAD_LOOP)
    throw new ComponentHalt(
      'stall',
      `${owner}: endless walk of the guest's looping descriptor chain (head ${chain.head}, descriptor ${i} again); chain validation is off`,
    );
  let gpa: number;
  if (code === VQ_BAD_HEAD || code === VQ_BAD_NEXT) {
    const at = vq.descGpa + DESC_BYTES * i;
    touch(as, ram, at);
    // The entry lies in guest RAM: its (garbage) buffer address is what the walk uses next.
    if (!inRange(vq.mem, at, DESC_BYTES)) return;
    gpa = descAddr(vq.mem, vq.descGpa, i);
  } else if (code === VQ_BAD_ADDR || code === VQ_BAD_ADDR_OVERFLOW) {
    gpa = descAddr(vq.mem, vq.descGpa, i);
  } else return;
  touch(as, ram, gpa);
}

/** One byte at guest-physical `gpa` through the VMM's window on guest RAM: faults when unmapped. */
function touch(as: AddressSpace, ram: GuestRamWindow, gpa: number): void {
  as.read(ram.vaddr + (gpa - ram.gpaBase), 1);
}
