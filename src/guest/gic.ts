import type { VirtualCpu } from '../board/vcpu.js';
import {
  GICD_GPA,
  GICD_ICENABLER,
  GICD_ISENABLER,
  GICD_SIZE,
  PSCI_GPA,
  PSCI_SYSTEM_RESET,
  VGIC_MAINTENANCE_GPA,
} from '../board/gic_layout.js';

export {
  GICD_GPA,
  GICD_ICENABLER,
  GICD_ISENABLER,
  GICD_SIZE,
  PSCI_GPA,
  PSCI_SYSTEM_RESET,
  VGIC_MAINTENANCE_GPA,
};

/** The guest kernel's GIC driver: enable, disable and deactivate, each one trapped store. */
export class GuestGic {
  private readonly cpu: VirtualCpu;
  enables = 0;
  disables = 0;
  deactivations = 0;

  constructor(cpu: VirtualCpu) {
    this.cpu = cpu;
  }

  /** enable_irq: GICD_ISENABLERn. */
  enable(irq: number): void {
    this.enables++;
    this.cpu.as.write(GICD_GPA + GICD_ISENABLER + 4 * (irq >>> 5), 4, (1 << (irq & 31)) >>> 0);
  }

  /** disable_irq_nosync: GICD_ICENABLERn. */
  disable(irq: number): void {
    this.disables++;
    this.cpu.as.write(GICD_GPA + GICD_ICENABLER + 4 * (irq >>> 5), 4, (1 << (irq & 31)) >>> 0);
  }

  /** End of a pass-through interrupt: the deactivation that raises the maintenance exit. */
  deactivate(irq: number): void {
    this.deactivations++;
    this.cpu.as.write(VGIC_MAINTENANCE_GPA, 4, irq);
  }

  /** PSCI SYSTEM_RESET: Linux's reboot (and its panic=N reboot) on an seL4 VM. */
  systemReset(): void {
    this.cpu.as.write(PSCI_GPA, 4, PSCI_SYSTEM_RESET);
  }
}
