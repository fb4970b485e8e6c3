import { type CostEntry, registerCostEntries } from '../board/cost_model.js';

/**
 * Per-operation costs of the VMM's virtio-net device on the imx8mm preset. The board table
 * already has the virtualisation primitives (vm_exit, mmio_emulate, virq_inject); these are
 * the VMM's own work around them. No published table measures a libvmm virtio-net VMM on this
 * board, so every value is fitted by analogy with a measured sDDF component and says which.
 */
const vmmTable = {
  vmm_entry: {
    value: 800,
    source:
      'fitted: no published guest table; order of an sDDF component handler entry (drv_entry/vrx_entry 700) plus the virtio device dispatch',
  },
  vmm_pkt: {
    value: 400,
    source:
      'fitted: no published guest table; a descriptor-chain walk and check, a used-ring update and an sDDF enqueue/dequeue, of the order of vtx_pkt (250) plus the chain walk',
  },
  vmm_byte: {
    value: 0.5,
    source:
      'fitted: the memcpy between guest RAM and an sDDF data region, as copy_byte (calib: the copier costs ~700 cycles per 1514-byte frame)',
  },
} as const satisfies Record<string, CostEntry>;

export type VmmCostName = keyof typeof vmmTable;
export type VmmCosts = Record<VmmCostName, number>;

registerCostEntries(vmmTable);

/** Reads the VMM entries off a resolved cost table. */
export function vmmCosts(costs: object): VmmCosts {
  return costs as VmmCosts;
}
