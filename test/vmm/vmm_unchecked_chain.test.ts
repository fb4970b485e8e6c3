// The VMM's virtio device with its chain validation removed (protections.vmm_chain_validation:
// false): it meets a malformed chain the way libvmm's unchecked walk would. The VMM stops with a
// recorded fault or stall where the C one would fault or spin; nothing escapes as an exception.
import { describe, expect, it } from 'vitest';
import { T_STOPPED } from '../../src/board/thread.js';
import { VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } from '../../src/virtio/constants.js';
import { type RawDesc, ScriptGuest } from './script_guest.js';
import { buildRig, type Rig } from './vmm_rig.js';

const N = VIRTQ_DESC_F_NEXT;
const RAM_BASE = 0x4000_0000;
const DATA = RAM_BASE + 0x80_0000;

/** One guest that posts `descs` on its transmit queue and kicks, its VMM unprotected. */
function unprotected(descs: RawDesc[]): Rig {
  const rig = buildRig([
    {
      violationThreshold: 1000,
      software: (vcpu, vm) => new ScriptGuest(vcpu, vm, [(g) => g.postRaw(1, descs, 0)]),
    },
  ]);
  rig.vms[0]!.vmm.net.chainValidation = false;
  rig.run(1e6);
  return rig;
}

const faultsOf = (rig: Rig) => rig.kernel.faultLog.map((f) => [f.thread, f.kind]);

describe('VMM without chain validation', () => {
  it('stalls on a looping chain: recorded as a stall of the VMM', () => {
    const rig = unprotected([
      { index: 0, addr: DATA, len: 100, flags: N, next: 1 },
      { index: 1, addr: DATA, len: 100, flags: N, next: 0 },
    ]);
    const vmm = rig.vms[0]!.vmm;
    expect(vmm.state).toBe(T_STOPPED);
    expect(faultsOf(rig)).toEqual([[vmm.name, 'stall']]);
    expect(rig.kernel.faultLog[0]!.detail).toMatch(/endless walk of the guest's looping descriptor chain/);
  });

  it('faults on a buffer outside guest RAM that is outside its own mappings too', () => {
    const rig = unprotected([{ index: 0, addr: 0x1000, len: 100, flags: 0, next: 0 }]);
    const vmm = rig.vms[0]!.vmm;
    expect(vmm.state).toBe(T_STOPPED);
    expect(faultsOf(rig)).toEqual([[vmm.name, 'vm-fault']]);
  });

  it('drops a chain whose only fault is its direction, as the protected device does', () => {
    const rig = unprotected([{ index: 0, addr: DATA, len: 100, flags: VIRTQ_DESC_F_WRITE, next: 0 }]);
    expect(rig.vms[0]!.vmm.state).not.toBe(T_STOPPED);
    expect(rig.kernel.faultLog).toEqual([]);
    expect(rig.vms[0]!.vmm.net.counters.txMalformedChain).toBe(1);
  });
});
