import { describe, expect, it } from 'vitest';
import {
  UIO_EAGAIN,
  UIO_EINVAL,
  UioFramework,
  type UioDeviceSpec,
  type UioKernel,
} from '../../src/guest/uio.js';

const COSTS = { dvm_syscall: 833, dvm_uio_irq: 1500 };

class FakeKernel implements UioKernel {
  charged = 0;
  readonly gicLog: string[] = [];
  readonly events: number[] = [];
  readonly gic = {
    enable: (irq: number) => this.gicLog.push(`enable ${irq}`),
    disable: (irq: number) => this.gicLog.push(`disable ${irq}`),
  };
  chargeKernel(c: number): void {
    this.charged += c;
  }
  uioEvent(fd: number): void {
    this.events.push(fd);
  }
}

const SPECS: UioDeviceSpec[] = [
  {
    name: 'sddf-net-rx',
    irq: 50,
    maps: [
      { name: 'rx_free', gpa: 0x4000_0000, size: 0x5000 },
      { name: 'rx_active', gpa: 0x4000_8000, size: 0x5000 },
      { name: 'rx_data', gpa: 0x4100_0000, size: 0x20_0000 },
    ],
  },
  { name: 'sddf-net-config', irq: -1, maps: [{ name: 'net_config', gpa: 0x4200_0000, size: 0x2000 }] },
];

function setup(): { k: FakeKernel; uio: UioFramework; fd: number } {
  const k = new FakeKernel();
  const uio = new UioFramework(k, SPECS, COSTS);
  return { k, uio, fd: uio.open('sddf-net-rx') };
}

describe('the UIO framework of the driver VM', () => {
  it('finds devices by their sysfs name and numbers their maps from 0, each at offset i * PAGE_SIZE', () => {
    const { uio, fd } = setup();
    expect(fd).toBe(0);
    expect(uio.open('sddf-net-config')).toBe(1);
    expect(uio.open('nope')).toBe(-1);
    expect(uio.mapCount(fd)).toBe(3);
    expect(uio.mapAddr(fd, 2)).toBe(0x4100_0000);
    expect(uio.mapSize(fd, 1)).toBe(0x5000);
    expect(uio.mmap(fd, 0)).toBe(0x4000_0000);
    expect(uio.mmap(fd, 2 * 4096)).toBe(0x4100_0000);
    expect(uio.mmap(fd, 3 * 4096)).toBe(-1);
    expect(uio.mmap(fd, 100)).toBe(-1);
  });

  it('makes a read wait until an interrupt and then return the total event count', () => {
    const { k, uio, fd } = setup();
    expect(uio.poll(fd)).toBe(false);
    expect(uio.read(fd)).toBe(UIO_EAGAIN);
    expect(uio.interrupt(50)).toBe(true);
    expect(k.events).toEqual([fd]);
    expect(uio.poll(fd)).toBe(true);
    expect(uio.read(fd)).toBe(1);
    expect(uio.read(fd)).toBe(UIO_EAGAIN);
    uio.write(fd, 1);
    uio.interrupt(50);
    uio.write(fd, 1);
    uio.interrupt(50);
    // Two events since the last read: the count is the total, as uio_read returns it.
    expect(uio.read(fd)).toBe(3);
    expect(uio.poll(fd)).toBe(false);
  });

  it('disables the interrupt in its handler and re-arms it when 1 is written', () => {
    const { k, uio, fd } = setup();
    uio.interrupt(50);
    expect(k.gicLog).toEqual(['disable 50']);
    expect(uio.devices[fd]!.irqDisabled).toBe(true);
    expect(uio.write(fd, 1)).toBe(4);
    expect(k.gicLog).toEqual(['disable 50', 'enable 50']);
    // Writing 1 to an enabled interrupt touches nothing; writing 0 disables it.
    uio.write(fd, 1);
    expect(k.gicLog).toHaveLength(2);
    uio.write(fd, 0);
    expect(k.gicLog.at(-1)).toBe('disable 50');
  });

  it('refuses reads and writes on a device without an interrupt and counts foreign interrupts', () => {
    const { uio } = setup();
    const cfg = uio.open('sddf-net-config');
    expect(uio.read(cfg)).toBe(UIO_EINVAL);
    expect(uio.write(cfg, 1)).toBe(UIO_EINVAL);
    expect(uio.read(17)).toBe(UIO_EINVAL);
    expect(uio.interrupt(99)).toBe(false);
    expect(uio.spurious).toBe(1);
  });

  it('charges a syscall per read and write and the handler per interrupt', () => {
    const { k, uio, fd } = setup();
    uio.interrupt(50);
    uio.read(fd);
    uio.write(fd, 1);
    expect(k.charged).toBe(COSTS.dvm_uio_irq + 2 * COSTS.dvm_syscall);
  });
});
