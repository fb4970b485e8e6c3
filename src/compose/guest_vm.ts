import { assert } from '../board/assert.js';
import type { Kernel } from '../board/kernel.js';
import type { PhysicalMemory, Region } from '../board/memory.js';
import type { SchedParams } from '../board/thread.js';
import type { GuestSoftware, VirtualCpu } from '../board/vcpu.js';
import { GuestKernel, type GuestKernelOptions } from '../guest/guest_kernel.js';
import type { ClientConfig } from '../sddf/config.js';
import { DEFAULT_GUEST_PHYS_BASE, DEFAULT_MMIO_BASE, DEFAULT_VIRTIO_NET_VIRQ, Vmm } from '../vmm/vmm.js';

export const DEFAULT_GUEST_RAM_BYTES = 16 * 1024 * 1024;

/** The guest-side choices of a Linux-like guest; addresses and IP come from the VM and its slot. */
export type LinuxGuestOptions = Omit<
  GuestKernelOptions,
  'ramGpa' | 'ramSize' | 'mmioBase' | 'virq' | 'ip'
> & {
  /** Defaults to the IP of the client slot (ClientConfig.ip). */
  ip?: number;
};

export interface GuestVmOptions {
  /** Client name; the VMM PD is called `name`, its vCPU `${name}_vcpu`, its RAM `guest/${name}/ram`. */
  name: string;
  /** The VMM's scheduling: pass the same SchedParams as ClientSlot.sched. */
  sched: SchedParams;
  /** The vCPU's priority; default one below the VMM's (see createGuestVm). */
  vcpuPriority?: number;
  /** Guest RAM size; default 16 MiB. */
  ramBytes?: number;
  guestPhysBase?: number;
  mmioBase?: number;
  virq?: number;
  /** QueueNumMax the device reports (scenario `guest.queue_size`); default 256. */
  queueNumMax?: number;
  /** Offer VIRTIO_F_EVENT_IDX (scenario `guest.event_idx`); default true. */
  eventIdx?: boolean;
  violationThreshold?: number;
  /** The Linux-like guest to run; ignored when `software` is given. */
  guest?: LinuxGuestOptions;
  /** Other guest software (a malicious guest in tests, say) instead of the Linux-like one. */
  software?: (vcpu: VirtualCpu, vm: GuestVm) => GuestSoftware;
}

/**
 * One guest VM being composed: its RAM exists from the start, its VMM, vCPU and guest software
 * once the network composition calls `make` with the client's ClientConfig.
 */
export class GuestVm {
  readonly name: string;
  readonly ram: Region;
  readonly opts: GuestVmOptions;
  readonly guestPhysBase: number;
  readonly mmioBase: number;
  readonly virq: number;
  vmm: Vmm | null = null;
  vcpu: VirtualCpu | null = null;
  guest: GuestSoftware | null = null;
  /** The Linux-like guest, when that is what runs. */
  linux: GuestKernel | null = null;
  /** ClientSlot.make: builds the VMM (composeNetSystem then adds it to the kernel with slot.sched). */
  readonly make: (cfg: ClientConfig) => Vmm;

  constructor(kernel: Kernel, memory: PhysicalMemory, opts: GuestVmOptions) {
    this.name = opts.name;
    this.opts = opts;
    this.guestPhysBase = opts.guestPhysBase ?? DEFAULT_GUEST_PHYS_BASE;
    this.mmioBase = opts.mmioBase ?? DEFAULT_MMIO_BASE;
    this.virq = opts.virq ?? DEFAULT_VIRTIO_NET_VIRQ;
    this.ram = memory.allocate(`guest/${opts.name}/ram`, opts.ramBytes ?? DEFAULT_GUEST_RAM_BYTES, {
      sparse: true,
    });
    this.make = (cfg) => this.build(kernel, cfg);
  }

  private build(kernel: Kernel, cfg: ClientConfig): Vmm {
    assert(this.vmm === null, `${this.name}: make() called twice`);
    const o = this.opts;
    const vmmOpts = {
      guestRam: this.ram,
      guestPhysBase: this.guestPhysBase,
      mmioBase: this.mmioBase,
      virq: this.virq,
      ...(o.queueNumMax !== undefined ? { queueNumMax: o.queueNumMax } : {}),
      ...(o.eventIdx !== undefined ? { eventIdx: o.eventIdx } : {}),
      ...(o.violationThreshold !== undefined ? { violationThreshold: o.violationThreshold } : {}),
    };
    const vmm = new Vmm(o.name, cfg, vmmOpts);
    const vcpu = vmm.vcpu;
    kernel.addVcpu(vcpu, {
      core: o.sched.core,
      priority: o.vcpuPriority ?? Math.max(0, o.sched.priority - 1),
    });
    if (o.software !== undefined) {
      this.guest = o.software(vcpu, this);
    } else {
      const g = o.guest ?? { app: 'echo' };
      const linux = new GuestKernel(vcpu, {
        ...g,
        ip: g.ip ?? cfg.ip,
        ramGpa: this.guestPhysBase,
        ramSize: this.ram.size,
        mmioBase: this.mmioBase,
        virq: this.virq,
      });
      this.linux = linux;
      this.guest = linux;
    }
    vcpu.guest = this.guest;
    this.vmm = vmm;
    this.vcpu = vcpu;
    return vmm;
  }
}

/**
 * Creates a guest VM for the network composition: pass `vm.make` as ClientSlot.make and the same
 * `opts.sched` as ClientSlot.sched. To virt_rx, virt_tx and the copier the VMM is just another
 * client.
 *
 * Priorities: sDDF keeps the echo-server system's order (driver 101, virt_tx 100, virt_rx 99,
 * copier 98, clients 97), and the VMM runs at the client's priority. The vCPU runs one below the
 * VMM (96 by default): an sDDF notification to the VMM, and every sDDF component above it, take
 * the core ahead of guest work, so a busy guest can delay only itself and lower-priority clients,
 * never the NIC path; and the VMM's RX batch is finished before the guest takes its interrupt, as
 * with libvmm, where the VMM PD outranks its virtual machine. On the same core as the VMM (asserted
 * at init), since a vCPU's VM exits are handled by its VMM there.
 */
export function createGuestVm(kernel: Kernel, memory: PhysicalMemory, opts: GuestVmOptions): GuestVm {
  return new GuestVm(kernel, memory, opts);
}

export interface GuestQueueDump {
  index: number;
  ready: boolean;
  size: number;
  descGpa: number;
  availGpa: number;
  usedGpa: number;
}

export interface GuestRamDump {
  name: string;
  /** Guest-physical address of ram[0]. */
  gpaBase: number;
  /** A copy of guest RAM as it is now. */
  ram: Uint8Array;
  /** The virtqueues as the driver programmed them into the device (for --dump-ram). */
  queues: GuestQueueDump[];
}

/** Guest RAM and where its virtqueues are, for the CLI's --dump-ram. */
export function dumpGuestRam(vm: GuestVm): GuestRamDump {
  const queues: GuestQueueDump[] = [];
  const vmm = vm.vmm;
  if (vmm !== null) {
    vmm.mmio.queues.forEach((q, index) => {
      queues.push({
        index,
        ready: q.ready,
        size: q.num,
        descGpa: q.descGpa,
        availGpa: q.driverGpa,
        usedGpa: q.deviceGpa,
      });
    });
  }
  return { name: vm.name, gpaBase: vm.guestPhysBase, ram: vm.ram.bytes.slice(), queues };
}
