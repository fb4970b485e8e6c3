// The scenario's `protections:` knob: each isolation protection of the trusted components can be
// removed on its own, to study what it prevents (docs/isolation.md). With every protection on
// (the default) this changes nothing: the components' defaults are the protected behaviour.
// `rx_copier` is not applied here: it decides the composition itself (build.ts, variantOf).

import type { GuestVm } from '../compose/guest_vm.js';
import type { NetSystem } from '../sddf/system.js';
import type { Scenario } from './schema.js';

export function applyProtections(s: Scenario, net: NetSystem, vms: readonly (GuestVm | null)[]): void {
  const p = s.protections;
  const vtx = net.virtTx;
  if (vtx !== null) {
    vtx.queueGuard = p.virt_tx_queue_guard;
    vtx.validation = p.virt_tx_validation;
  }
  for (const cp of net.copiers) if (cp !== null) cp.validation = p.copier_validation;
  for (const vm of vms) {
    const vmm = vm?.vmm;
    if (vmm) vmm.net.chainValidation = p.vmm_chain_validation;
  }
}
