import { describe, expect, it } from 'vitest';
import { T_STOPPED } from '../../src/board/thread.js';
import { DRV_UP } from '../../src/guest/virtio_net_driver.js';
import { buildRig, sddfBuffersHome, udpToGuest } from './vmm_rig.js';

function frames(rv: Parameters<typeof udpToGuest>[0], from: number, n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) out.push(udpToGuest(rv, from + i));
  return out;
}

describe('guest crash and restart', () => {
  it('a crashed guest stops only its own vCPU; the other guest keeps echoing', () => {
    const rig = buildRig([{}, {}]);
    const [a, b] = rig.vms as [(typeof rig.vms)[0], (typeof rig.vms)[0]];
    rig.run(1e6);
    a.vmm.guestCrash();
    expect(a.vmm.vcpu.state).toBe(T_STOPPED);
    rig.sendAt(0, 1.1e6, frames(a, 0, 20));
    rig.sendAt(1, 1.1e6, frames(b, 0, 20));
    rig.run(5e6);
    expect(a.peer.sent.length).toBe(0);
    expect(b.peer.sent.length).toBe(20);
    expect(b.vmm.vcpu.state).not.toBe(T_STOPPED);
    // The crashed guest's VMM is alive and keeps its sDDF side whole.
    expect(a.vmm.state).not.toBe(T_STOPPED);
    expect(b.vmm.state).not.toBe(T_STOPPED);
    expect(a.vmm.counters.virqDropped).toBeGreaterThan(0);
    const home = sddfBuffersHome(a);
    expect(home.rx).toBe(home.rxCap);
    expect(home.tx).toBe(home.txCap);
    const crash = rig.kernel.faultLog.filter((f) => f.thread === a.vmm.vcpu.name);
    expect(crash.length).toBe(1);
    expect(rig.kernel.faultLog.every((f) => f.thread === a.vmm.vcpu.name)).toBe(true);
  });

  it('a restarted guest probes the reset device again and traffic resumes', () => {
    const rig = buildRig([{}]);
    const rv = rig.vms[0]!;
    rig.run(1e6);
    const resetsBefore = rv.vmm.mmio.counters.resets;
    rv.vmm.guestCrash();
    rig.sendAt(0, 1.1e6, frames(rv, 0, 10));
    rig.run(2e6);
    expect(rv.peer.sent.length).toBe(0);
    rv.vmm.guestRestart();
    rig.run(3e6);
    const linux = rv.vm.linux!;
    expect(linux.boots).toBe(2);
    expect(linux.driver!.state).toBe(DRV_UP);
    expect(linux.driver!.counters.probes).toBe(1);
    expect(rv.vmm.vcpu.state).not.toBe(T_STOPPED);
    // The VMM's reset plus the guest's own reset in its probe.
    expect(rv.vmm.mmio.counters.resets).toBe(resetsBefore + 2);
    expect(rv.vmm.mmio.status).toBe(0x0f);
    rig.sendAt(0, 3.1e6, frames(rv, 100, 10));
    rig.run(6e6);
    expect(rv.peer.sent.length).toBe(10);
    expect(linux.stack.counters.udpEchoed).toBe(10);
    const home = sddfBuffersHome(rv);
    expect(home.rx).toBe(home.rxCap);
    expect(home.tx).toBe(home.txCap);
  });

  it('rebooting a running guest works the same way', () => {
    const rig = buildRig([{}]);
    const rv = rig.vms[0]!;
    rig.run(1e6);
    rv.vmm.guestRestart();
    rig.run(2e6);
    expect(rv.vm.linux!.boots).toBe(2);
    rig.sendAt(0, 2.1e6, frames(rv, 0, 3));
    rig.run(4e6);
    expect(rv.peer.sent.length).toBe(3);
  });
});
