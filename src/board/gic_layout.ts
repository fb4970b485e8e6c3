/**
 * The guest-physical pages through which a guest reaches the interrupt controller and firmware,
 * none of them mapped, so every access is a VM exit its VMM emulates (libvmm emulates the GIC
 * distributor on faults, and PSCI calls arrive as SMC exits).
 *
 * - GICD: the i.MX8M Mini's distributor base. GICD_ISENABLERn / GICD_ICENABLERn set / clear the
 *   enable bit of SPI n*32+bit, one 32-bit word per 32 interrupts.
 * - VGIC_MAINTENANCE: stands for the VGICMaintenance exit seL4 raises when the guest deactivates a
 *   virtual IRQ whose list register the VMM marked for maintenance (libvmm does so for
 *   pass-through IRQs, to ack the real one then). The guest's deactivation is modelled as a store
 *   of the IRQ number to this page: the same single exit carrying the same information.
 * - PSCI: stands for the SMC conduit; a store of a PSCI function id is the call.
 */
export const GICD_GPA = 0x3880_0000;
export const GICD_SIZE = 0x1_0000;
export const GICD_ISENABLER = 0x100;
export const GICD_ICENABLER = 0x180;
export const VGIC_MAINTENANCE_GPA = 0x3890_0000;
export const PSCI_GPA = 0x3891_0000;
/** PSCI 0.2 SYSTEM_RESET (SMC32). */
export const PSCI_SYSTEM_RESET = 0x8400_0009;
