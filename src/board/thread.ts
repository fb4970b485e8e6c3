import type { Kernel } from './kernel.js';

/** Scheduling states of a thread (a PD's TCB or a vCPU). */
export const T_BLOCKED = 0;
export const T_READY = 1;
export const T_RUNNING = 2;
export const T_THROTTLED = 3;
export const T_STOPPED = 4;

export interface SchedParams {
  core: number;
  /** 0..254. */
  priority: number;
  /** MCS budget and period in microseconds; budget >= period means unlimited. */
  budgetUs?: number;
  periodUs?: number;
  passive?: boolean;
}

/**
 * Something the kernel schedules: a protection domain's thread or a VM's vCPU.
 * Subclasses say whether they have work and run one batch of it per dispatch (one
 * return from seL4_Recv, in Microkit terms).
 */
export abstract class Thread {
  id = -1;
  kernel!: Kernel;
  readonly name: string;
  core = 0;
  priority = 0;
  passive = false;
  state = T_BLOCKED;
  /** MCS budget/period in cycles; budget = Infinity when unlimited. */
  budgetCycles = Number.POSITIVE_INFINITY;
  periodCycles = Number.POSITIVE_INFINITY;
  periodStart = 0;
  usedInPeriod = 0;

  // Counters reported per PD.
  dispatches = 0;
  notificationsSent = 0;
  notificationsSuppressed = 0;
  signalsLost = 0;
  throttles = 0;
  faults = 0;

  constructor(name: string) {
    this.name = name;
  }

  abstract hasWork(): boolean;
  /** Runs one batch of work. Charges cycles through the kernel as it goes. */
  abstract run(): void;
  /** Called when the thread is stopped (fault, crash): drop pending work. */
  onStopped(): void {}
}
