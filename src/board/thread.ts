import type { Kernel } from './kernel.js';
import type { PdSignals } from './pd.js';

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
 * The kernel's scheduling record of one thread. Every kind of thread shares this one class, so
 * the kernel's hot paths (dispatch, signal delivery, charging) read and write it with
 * monomorphic field accesses; the same fields on the Thread subclasses themselves (six hidden
 * classes in an eight-guest system) made every such access a megamorphic lookup. Thread exposes
 * each field under its old name.
 */
export class Tcb {
  id = -1;
  core = 0;
  priority = 0;
  state = T_BLOCKED;
  /** MCS budget/period in cycles; budget = Infinity when unlimited. */
  budgetCycles = Number.POSITIVE_INFINITY;
  periodCycles = Number.POSITIVE_INFINITY;
  periodStart = 0;
  usedInPeriod = 0;
  dispatches = 0;
  notificationsSent = 0;
  /** A PD's one deferred signal / IRQ ack slot of the current entry point: kind 0 none, 1 signal, 2 IRQ ack. */
  deferredKind = 0;
  deferredCh = -1;
  /** A PD's notification state (its own object, shared); null for a vCPU. */
  signals: PdSignals | null = null;

  constructor() {
    // A cycle count: a double from the start (see CYCLE_FIELDS_AS_DOUBLES in cpu_accounting.ts).
    this.periodStart = 0.5;
    this.periodStart = 0;
  }
}

/**
 * Something the kernel schedules: a protection domain's thread or a VM's vCPU.
 * Subclasses say whether they have work and run one batch of it per dispatch (one
 * return from seL4_Recv, in Microkit terms).
 */
export abstract class Thread {
  /** Scheduling state, kept where the kernel reads it fast (see Tcb). */
  readonly tcb = new Tcb();
  kernel!: Kernel;
  readonly name: string;
  passive = false;

  // Counters reported per PD (dispatches and notificationsSent live in the Tcb).
  notificationsSuppressed = 0;
  signalsLost = 0;
  throttles = 0;
  faults = 0;

  constructor(name: string) {
    this.name = name;
  }

  get id(): number {
    return this.tcb.id;
  }
  set id(v: number) {
    this.tcb.id = v;
  }
  get core(): number {
    return this.tcb.core;
  }
  set core(v: number) {
    this.tcb.core = v;
  }
  get priority(): number {
    return this.tcb.priority;
  }
  set priority(v: number) {
    this.tcb.priority = v;
  }
  get state(): number {
    return this.tcb.state;
  }
  set state(v: number) {
    this.tcb.state = v;
  }
  /** MCS budget/period in cycles; budget = Infinity when unlimited. */
  get budgetCycles(): number {
    return this.tcb.budgetCycles;
  }
  set budgetCycles(v: number) {
    this.tcb.budgetCycles = v;
  }
  get periodCycles(): number {
    return this.tcb.periodCycles;
  }
  set periodCycles(v: number) {
    this.tcb.periodCycles = v;
  }
  get periodStart(): number {
    return this.tcb.periodStart;
  }
  set periodStart(v: number) {
    this.tcb.periodStart = v;
  }
  get usedInPeriod(): number {
    return this.tcb.usedInPeriod;
  }
  set usedInPeriod(v: number) {
    this.tcb.usedInPeriod = v;
  }
  get dispatches(): number {
    return this.tcb.dispatches;
  }
  set dispatches(v: number) {
    this.tcb.dispatches = v;
  }
  get notificationsSent(): number {
    return this.tcb.notificationsSent;
  }
  set notificationsSent(v: number) {
    this.tcb.notificationsSent = v;
  }

  abstract hasWork(): boolean;
  /** Runs one batch of work. Charges cycles through the kernel as it goes. */
  abstract run(): void;
  /** Called when the thread is stopped (fault, crash): drop pending work. */
  onStopped(): void {}
}
