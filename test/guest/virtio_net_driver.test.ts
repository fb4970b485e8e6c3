import { describe, expect, it } from 'vitest';
import { T_STOPPED } from '../../src/board/thread.js';
import { GuestKernel } from '../../src/guest/guest_kernel.js';
import { DRV_FAILED, DRV_UP, GUEST_NET_BUFFER_SIZE } from '../../src/guest/virtio_net_driver.js';
import { VIRTIO_STATUS_FAILED } from '../../src/virtio/constants.js';
import { dumpGuestRam } from '../../src/compose/guest_vm.js';
import { buildRig, sddfBuffersHome, udpToGuest } from '../vmm/vmm_rig.js';

/** Little-endian reads straight off guest RAM, with the offsets of Linux uapi virtio_ring.h. */
function le16(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}
function le32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

describe('the guest virtio-net driver', () => {
  it('lays its rings out as virtio_ring.h reads them and posts every RX buffer device-writable', () => {
    const rig = buildRig([{}]);
    const rv = rig.vms[0]!;
    rig.run(1e6);
    const dump = dumpGuestRam(rv.vm);
    expect(dump.ram.length).toBe(16 * 1024 * 1024);
    expect(dump.queues.map((q) => [q.index, q.ready, q.size])).toEqual([
      [0, true, 256],
      [1, true, 256],
    ]);
    const rx = dump.queues[0]!;
    const ram = dump.ram;
    const at = (gpa: number): number => gpa - dump.gpaBase;
    // Linux's vring_init: avail right after the 16*Q descriptor table, used at the next page.
    expect(rx.descGpa % 4096).toBe(0);
    expect(rx.availGpa).toBe(rx.descGpa + 16 * 256);
    expect(rx.usedGpa).toBe(rx.descGpa + 8192);
    expect(le16(ram, at(rx.availGpa) + 2)).toBe(256); // avail->idx
    const heads = new Set<number>();
    for (let slot = 0; slot < 256; slot++) {
      const head = le16(ram, at(rx.availGpa) + 4 + 2 * slot);
      heads.add(head);
      const d = at(rx.descGpa) + 16 * head;
      const addr = le32(ram, d) + le32(ram, d + 4) * 2 ** 32;
      expect(le32(ram, d + 8)).toBe(GUEST_NET_BUFFER_SIZE); // len
      expect(le16(ram, d + 12)).toBe(2); // VIRTQ_DESC_F_WRITE, no NEXT
      expect(addr).toBeGreaterThanOrEqual(dump.gpaBase);
      expect(addr + GUEST_NET_BUFFER_SIZE).toBeLessThanOrEqual(dump.gpaBase + ram.length);
    }
    expect(heads.size).toBe(256);
    // used_event (after avail->ring) asks for an interrupt on the first used entry.
    expect(le16(ram, at(rx.availGpa) + 4 + 2 * 256)).toBe(0);
  });

  it('puts a zeroed 12-byte header in front of each transmitted frame', () => {
    const rig = buildRig([{}]);
    const rv = rig.vms[0]!;
    rig.run(1e6);
    rig.sendAt(0, 1.1e6, [udpToGuest(rv, 1, 200)]);
    rig.run(2e6);
    const dump = dumpGuestRam(rv.vm);
    const tx = dump.queues[1]!;
    const ram = dump.ram;
    const at = (gpa: number): number => gpa - dump.gpaBase;
    expect(le16(ram, at(tx.availGpa) + 2)).toBe(1);
    const head = le16(ram, at(tx.availGpa) + 4);
    const d = at(tx.descGpa) + 16 * head;
    const addr = le32(ram, d) + le32(ram, d + 4) * 2 ** 32;
    const len = le32(ram, d + 8);
    expect(le16(ram, d + 12)).toBe(0); // device-readable, single descriptor
    expect(len).toBe(12 + rv.peer.sent[0]!.length);
    expect(Array.from(ram.subarray(at(addr), at(addr) + 12))).toEqual(new Array(12).fill(0));
    expect(Array.from(ram.subarray(at(addr) + 12, at(addr) + len))).toEqual(Array.from(rv.peer.sent[0]!));
    // The device completed it with len 0 (it wrote nothing), as libvmm does.
    expect(le16(ram, at(tx.usedGpa) + 2)).toBe(1);
    expect(le32(ram, at(tx.usedGpa) + 8)).toBe(0);
  });

  it('takes a large burst in several NAPI rounds of at most 64 frames behind few interrupts', () => {
    const rig = buildRig([{ rxCapacity: 256, txCapacity: 256 }]);
    const rv = rig.vms[0]!;
    rig.run(1e6);
    const frames: Uint8Array[] = [];
    for (let i = 0; i < 200; i++) frames.push(udpToGuest(rv, i));
    rig.sendAt(0, 1.1e6, frames);
    rig.run(10e6);
    const c = rv.vm.linux!.driver!.counters;
    expect(c.rxFrames).toBe(200);
    expect(c.napiPolls).toBeGreaterThanOrEqual(4);
    expect(c.irqs).toBeLessThan(10);
    expect(rv.peer.sent.length).toBe(200);
  });

  it('works without EVENT_IDX when the guest declines it', () => {
    const rig = buildRig([{ guest: { app: 'echo', driver: { eventIdx: false } } }]);
    const rv = rig.vms[0]!;
    rig.run(1e6);
    expect(rv.vm.linux!.driver!.eventIdx).toBe(false);
    expect(rv.vmm.net.rxq.eventIdx).toBe(false);
    rig.sendAt(0, 1.1e6, [udpToGuest(rv, 1), udpToGuest(rv, 2)]);
    rig.run(3e6);
    expect(rv.peer.sent.length).toBe(2);
  });

  it('fails its probe with FAILED set when guest RAM cannot hold the queues and buffers', () => {
    const rig = buildRig([{ ramBytes: 2 * 1024 * 1024 }]);
    const rv = rig.vms[0]!;
    rig.run(1e6);
    const drv = rv.vm.linux!.driver!;
    expect(drv.state).toBe(DRV_FAILED);
    expect(drv.lastFailure).toBe('out_of_guest_ram');
    expect(rv.vmm.mmio.status & VIRTIO_STATUS_FAILED).toBe(VIRTIO_STATUS_FAILED);
    rig.sendAt(0, 1.1e6, [udpToGuest(rv, 1)]);
    rig.run(2e6);
    expect(rv.vmm.net.counters.rxDeviceNotLive).toBe(1);
    const home = sddfBuffersHome(rv);
    expect(home.rx).toBe(home.rxCap);
  });

  it('stops the vCPU, as libvmm does, when the guest touches an address no device emulates', () => {
    let linux: GuestKernel | null = null;
    const rig = buildRig([
      {
        software: (vcpu, vm) => {
          linux = new GuestKernel(vcpu, {
            ramGpa: vm.guestPhysBase,
            ramSize: vm.ram.size,
            mmioBase: vm.mmioBase + 0x1000,
            virq: vm.virq,
            ip: 1,
            app: 'echo',
          });
          return linux;
        },
      },
    ]);
    const rv = rig.vms[0]!;
    rig.run(1e6);
    expect(linux!.driver!.state).not.toBe(DRV_UP);
    expect(rv.vmm.vcpu.state).toBe(T_STOPPED);
    expect(rv.vmm.state).not.toBe(T_STOPPED);
    expect(rv.vmm.counters.unhandledFaults).toBe(1);
    expect(rig.kernel.faultLog.map((f) => [f.thread, f.kind])).toEqual([[rv.vmm.vcpu.name, 'vm-fault']]);
  });
});
