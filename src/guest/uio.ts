import { PAGE_SIZE } from '../board/memory.js';

/**
 * The Linux UIO framework (drivers/uio/uio.c with the uio_pdrv_genirq stub) as the driver VM's
 * user program sees it: `/dev/uioN` devices, each with numbered memory maps (map i is mmap'ed at
 * offset i * PAGE_SIZE and described by /sys/class/uio/uioN/maps/mapi/{addr,size}) and at most
 * one interrupt.
 *
 * Interrupts: the stub's handler disables the IRQ (disable_irq_nosync) and bumps the device's
 * event count; read() of 4 bytes returns the count once it differs from what this reader saw last
 * (EAGAIN, i.e. "would block", otherwise); write() of 1 re-enables the IRQ (irqcontrol), of 0
 * disables it. The count is the total since the device was registered, as uio_read returns it.
 */

export interface UioMapSpec {
  readonly name: string;
  /** Guest-physical address (sysfs `addr`). */
  readonly gpa: number;
  readonly size: number;
}

export interface UioDeviceSpec {
  /** sysfs `name`, which libuio looks a device up by. */
  readonly name: string;
  /** The (virtual) IRQ, or -1 for a device without an interrupt. */
  readonly irq: number;
  readonly maps: readonly UioMapSpec[];
}

/** What the UIO core needs from the kernel it runs in. */
export interface UioKernel {
  chargeKernel(cycles: number): void;
  readonly gic: { enable(irq: number): void; disable(irq: number): void };
  /** An event arrived on device `fd`: a process polling it becomes runnable. */
  uioEvent(fd: number): void;
}

export interface UioCosts {
  readonly dvm_syscall: number;
  readonly dvm_uio_irq: number;
}

/** read() when no new event is pending (the caller would block). */
export const UIO_EAGAIN = -11;
/** read()/write() with a bad descriptor or length. */
export const UIO_EINVAL = -22;

export class UioDevice {
  readonly minor: number;
  readonly spec: UioDeviceSpec;
  /** Interrupts handled since registration (idev->event). */
  event = 0;
  /** The event count this device's (single) reader last read (listener->event_count). */
  seen = 0;
  /** The stub's "IRQ disabled" flag (priv->flags bit 0). */
  irqDisabled = false;
  interrupts = 0;
  reads = 0;
  rearms = 0;

  constructor(minor: number, spec: UioDeviceSpec) {
    this.minor = minor;
    this.spec = spec;
  }
}

export class UioFramework {
  readonly devices: UioDevice[];
  private readonly kernel: UioKernel;
  private readonly c: UioCosts;
  /** Interrupts that arrived for an IRQ no UIO device owns. */
  spurious = 0;

  constructor(kernel: UioKernel, specs: readonly UioDeviceSpec[], costs: UioCosts) {
    this.kernel = kernel;
    this.c = costs;
    this.devices = specs.map((s, i) => new UioDevice(i, s));
  }

  /** open() of the /dev/uioN whose sysfs name is `name`; the minor is the descriptor, -1 if none. */
  open(name: string): number {
    for (const d of this.devices) if (d.spec.name === name) return d.minor;
    return -1;
  }

  mapCount(fd: number): number {
    return this.devices[fd]?.spec.maps.length ?? 0;
  }

  /** sysfs maps/map<i>/addr, or -1. */
  mapAddr(fd: number, i: number): number {
    return this.devices[fd]?.spec.maps[i]?.gpa ?? -1;
  }

  mapSize(fd: number, i: number): number {
    return this.devices[fd]?.spec.maps[i]?.size ?? 0;
  }

  /** mmap(fd, offset): map i lives at offset i * PAGE_SIZE; returns where it is, or -1. */
  mmap(fd: number, offset: number): number {
    if (offset % PAGE_SIZE !== 0) return -1;
    return this.mapAddr(fd, offset / PAGE_SIZE);
  }

  /** POLLIN: an event this reader has not read yet. */
  poll(fd: number): boolean {
    const d = this.devices[fd];
    return d !== undefined && d.event !== d.seen;
  }

  /** read(fd, &count, 4): the event count, or UIO_EAGAIN when nothing new happened. */
  read(fd: number): number {
    this.kernel.chargeKernel(this.c.dvm_syscall);
    const d = this.devices[fd];
    if (d === undefined || d.spec.irq < 0) return UIO_EINVAL;
    if (d.event === d.seen) return UIO_EAGAIN;
    d.seen = d.event;
    d.reads++;
    return d.event;
  }

  /** write(fd, &value, 4): irqcontrol(value); returns 4, or UIO_EINVAL. */
  write(fd: number, value: number): number {
    this.kernel.chargeKernel(this.c.dvm_syscall);
    const d = this.devices[fd];
    if (d === undefined || d.spec.irq < 0) return UIO_EINVAL;
    if (value !== 0) {
      d.rearms++;
      if (d.irqDisabled) {
        d.irqDisabled = false;
        this.kernel.gic.enable(d.spec.irq);
      }
    } else if (!d.irqDisabled) {
      d.irqDisabled = true;
      this.kernel.gic.disable(d.spec.irq);
    }
    return 4;
  }

  /** uio_pdrv_genirq's handler for `irq`; false when no UIO device owns it. */
  interrupt(irq: number): boolean {
    for (const d of this.devices) {
      if (d.spec.irq !== irq) continue;
      this.kernel.chargeKernel(this.c.dvm_uio_irq);
      if (!d.irqDisabled) {
        d.irqDisabled = true;
        this.kernel.gic.disable(irq);
      }
      d.event = (d.event + 1) >>> 0;
      d.interrupts++;
      this.kernel.uioEvent(d.minor);
      return true;
    }
    this.spurious++;
    return false;
  }

  snapshot(): object[] {
    return this.devices.map((d) => ({
      name: d.spec.name,
      irq: d.spec.irq,
      maps: d.spec.maps.map((m) => ({ name: m.name, addr: m.gpa, size: m.size })),
      event: d.event,
      seen: d.seen,
      irqDisabled: d.irqDisabled,
    }));
  }
}
