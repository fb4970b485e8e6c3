import { AddressSpace } from './address_space.js';
import type { ProtectionDomain } from './pd.js';
import { Thread } from './thread.js';

/**
 * Software running inside a VM: it sees only its guest-physical address space (RAM,
 * and MMIO windows that trap to the VMM), virtual interrupts and a virtual timer.
 */
export interface GuestSoftware {
  boot(): void;
  irq(n: number): void;
  timer(): void;
  /** Deferred work the guest asked for with raiseSoftirq (a NAPI poll that used its budget). */
  softirq?(): void;
}

export const MAX_VIRQ = 1024;

/**
 * A VM's virtual CPU, owned by its VMM protection domain. It runs when its priority
 * lets it; guest work happens in short batches (an interrupt, a timer tick), each
 * ending in WFI, so the kernel can schedule between them.
 */
export class VirtualCpu extends Thread {
  readonly vmm: ProtectionDomain;
  readonly vcpuId: number;
  /** Guest-physical address space (stage 2). */
  readonly as: AddressSpace;
  guest: GuestSoftware | null = null;
  booted = false;
  readonly virqPending = new Uint8Array(MAX_VIRQ);
  virqCount = 0;
  virqCoalesced = 0;
  timerPending = false;
  softirqPending = false;
  timerAt = Number.POSITIVE_INFINITY;
  /** Increments each restart so stale timer events are ignored. */
  generation = 0;

  constructor(name: string, vmm: ProtectionDomain, vcpuId: number) {
    super(name);
    this.vmm = vmm;
    this.vcpuId = vcpuId;
    this.as = new AddressSpace(name);
  }

  hasWork(): boolean {
    return (
      (this.guest !== null && !this.booted) || this.virqCount > 0 || this.timerPending || this.softirqPending
    );
  }

  run(): void {
    const g = this.guest;
    if (g === null) return;
    if (!this.booted) {
      this.booted = true;
      g.boot();
      return;
    }
    if (this.virqCount > 0) {
      for (let n = 0; n < MAX_VIRQ && this.virqCount > 0; n++) {
        if (this.virqPending[n] === 1) {
          this.virqPending[n] = 0;
          this.virqCount--;
          g.irq(n);
        }
      }
    }
    if (this.timerPending) {
      this.timerPending = false;
      g.timer();
    }
    if (this.softirqPending) {
      this.softirqPending = false;
      g.softirq?.();
    }
  }

  /**
   * Asks for another batch of guest work after this one. Entry points run to completion,
   * so a guest that has more to do (a NAPI poll out of budget) ends its batch here and is
   * dispatched again, letting the kernel run higher-priority work in between, as a
   * preemptible vCPU would.
   */
  raiseSoftirq(): void {
    this.softirqPending = true;
  }

  /** Charges guest work at the current point. */
  charge(cycles: number): void {
    this.kernel.charge(cycles);
  }

  now(): number {
    return this.kernel.logicalNowNs();
  }

  /** Arms the virtual timer (one-shot, replaces a previous setting). */
  setTimer(atNs: number): void {
    this.kernel.vcpuSetTimer(this, atNs);
  }

  override onStopped(): void {
    this.virqPending.fill(0);
    this.virqCount = 0;
    this.timerPending = false;
    this.softirqPending = false;
    this.timerAt = Number.POSITIVE_INFINITY;
  }
}
