import '../../src/guest/costs.js';
import { MemoryFault } from '../../src/board/address_space.js';
import type { GuestSoftware, VirtualCpu } from '../../src/board/vcpu.js';
import { guestCosts } from '../../src/guest/costs.js';
import { GUEST_KERNEL_RESERVED } from '../../src/guest/guest_kernel.js';
import { GuestRamAllocator } from '../../src/guest/ram_allocator.js';
import {
  DEFAULT_DRIVER_OPTIONS,
  type VirtioNetDriverOptions,
  VirtioNetDriver,
} from '../../src/guest/virtio_net_driver.js';
import {
  VIRTIO_MMIO_INTERRUPT_ACK,
  VIRTIO_MMIO_INTERRUPT_STATUS,
  VIRTIO_MMIO_QUEUE_NOTIFY,
} from '../../src/virtio/constants.js';
import { type GuestMemory, guestMemoryOver } from '../../src/virtio/guest_memory.js';
import {
  availIdx,
  type SplitRingLayout,
  setAvailIdx,
  setAvailRing,
  writeDesc,
} from '../../src/virtio/split_ring.js';
import type { GuestVm } from '../../src/compose/guest_vm.js';

export interface RawDesc {
  index: number;
  addr: number;
  len: number;
  flags: number;
  next: number;
}

/**
 * Guest software driven by the test: boot probes with the real driver, then each virtual timer
 * tick runs the next step. Interrupts are only read and acked (bits collected in `isrSeen`), so
 * the test sees what the device signalled without the driver reacting. Its own unhandled
 * accesses are caught (a fuzzing guest keeps going; `ownFaults` counts them).
 */
export class ScriptGuest implements GuestSoftware {
  readonly cpu: VirtualCpu;
  readonly vm: GuestVm;
  readonly steps: ((g: ScriptGuest) => void)[];
  readonly stepNs: number;
  driver!: VirtioNetDriver;
  mem!: GuestMemory;
  isrSeen = 0;
  irqs = 0;
  ownFaults = 0;
  stepsRun = 0;
  private readonly driverOpts: Partial<VirtioNetDriverOptions>;
  private readonly probe: boolean;

  constructor(
    cpu: VirtualCpu,
    vm: GuestVm,
    steps: ((g: ScriptGuest) => void)[],
    opts: { stepNs?: number; driver?: Partial<VirtioNetDriverOptions>; probe?: boolean } = {},
  ) {
    this.cpu = cpu;
    this.vm = vm;
    this.steps = steps;
    this.stepNs = opts.stepNs ?? 20_000;
    this.driverOpts = opts.driver ?? {};
    this.probe = opts.probe ?? true;
  }

  boot(): void {
    const vm = this.vm;
    this.mem = guestMemoryOver(vm.ram.bytes, vm.guestPhysBase);
    const alloc = new GuestRamAllocator(
      vm.guestPhysBase + GUEST_KERNEL_RESERVED,
      vm.ram.size - GUEST_KERNEL_RESERVED,
    );
    const opts = { ...DEFAULT_DRIVER_OPTIONS, ...this.driverOpts, mmioBase: vm.mmioBase };
    this.driver = new VirtioNetDriver(
      this.cpu,
      this.mem,
      alloc,
      { rxFrame() {} },
      opts,
      guestCosts(this.cpu.kernel.costs),
    );
    if (this.probe) this.driver.probe();
    if (this.steps.length > 0) this.cpu.setTimer(this.cpu.now() + this.stepNs);
  }

  irq(_n: number): void {
    this.irqs++;
    const isr = this.read(VIRTIO_MMIO_INTERRUPT_STATUS);
    this.isrSeen |= isr;
    this.write(VIRTIO_MMIO_INTERRUPT_ACK, isr);
  }

  timer(): void {
    const step = this.steps[this.stepsRun++];
    if (step !== undefined) step(this);
    if (this.stepsRun < this.steps.length) this.cpu.setTimer(this.cpu.now() + this.stepNs);
  }

  /** A register load at the device window (traps); 0 when the VMM refused it. */
  read(off: number, width: 1 | 2 | 4 = 4): number {
    try {
      return this.cpu.as.read(this.vm.mmioBase + off, width);
    } catch (e) {
      if (!(e instanceof MemoryFault)) throw e;
      this.ownFaults++;
      return 0;
    }
  }

  write(off: number, value: number, width: 1 | 2 | 4 = 4): void {
    try {
      this.cpu.as.write(this.vm.mmioBase + off, width, value);
    } catch (e) {
      if (!(e instanceof MemoryFault)) throw e;
      this.ownFaults++;
    }
  }

  /** Any guest-physical access, caught like the register ones. */
  access(gpa: number, width: 1 | 2 | 4, write: boolean, value: number): void {
    try {
      if (write) this.cpu.as.write(gpa, width, value);
      else this.cpu.as.read(gpa, width);
    } catch (e) {
      if (!(e instanceof MemoryFault)) throw e;
      this.ownFaults++;
    }
  }

  /** Writes raw descriptors and publishes `head` behind the driver's back, then kicks `queue`. */
  postRaw(queue: 0 | 1, descs: RawDesc[], head: number, kick = true): void {
    const l = this.layout(queue);
    for (const d of descs) writeDesc(this.mem, l.descGpa, d.index, d.addr, d.len, d.flags, d.next);
    const idx = availIdx(this.mem, l.availGpa);
    setAvailRing(this.mem, l.availGpa, idx & (l.num - 1), head);
    setAvailIdx(this.mem, l.availGpa, idx + 1);
    if (kick) this.write(VIRTIO_MMIO_QUEUE_NOTIFY, queue);
  }

  /** Moves the avail index by `delta` without publishing anything real. */
  jumpAvail(queue: 0 | 1, delta: number): void {
    const l = this.layout(queue);
    setAvailIdx(this.mem, l.availGpa, availIdx(this.mem, l.availGpa) + delta);
  }

  layout(queue: 0 | 1): SplitRingLayout {
    const l = queue === 0 ? this.driver.rxLayout : this.driver.txLayout;
    if (l === null) throw new Error('the script guest has no rings: its probe failed');
    return l;
  }
}
