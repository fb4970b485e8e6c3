import { AddressSpace, type MemoryFaultInfo } from './address_space.js';
import { Thread } from './thread.js';

/**
 * Channel ids a PD may use. Microkit allows 63 (MICROKIT_MAX_CHANNELS) and at most 63 PDs;
 * sddfsim lifts both so that systems larger than a Microkit image (64 guests behind one
 * virt_rx, for instance) can still be studied. `sddfsim system --format microkit` names the
 * PDs that exceed Microkit's limits.
 */
export const MAX_CHANNELS = 128;
export const MICROKIT_MAX_CHANNELS = 63;
const PENDING_WORDS = MAX_CHANNELS / 32;

/** A fault delivered to a parent's `fault` entry point. */
export interface FaultInfo extends MemoryFaultInfo {
  /** 'vm-fault' (memory access), 'crash' (the child died some other way). */
  kind: 'vm-fault' | 'crash';
  /** For an emulated load the handler sets the value the child reads. */
  readValue: number;
}

/**
 * A PD's notification state: pending bits (32 channels per word; `any` says whether one is set),
 * the batch being delivered, whether init has run, and faults from children. One class for every
 * PD, reached through the PD's Tcb by the kernel, so these per-signal and per-dispatch accesses
 * are monomorphic (on the PD subclasses themselves they were megamorphic).
 */
export class PdSignals {
  readonly bits = new Int32Array(PENDING_WORDS);
  readonly batch = new Int32Array(PENDING_WORDS);
  any = false;
  initDone = false;
  /** Pending faults from children, delivered after notifications (seL4 receiveIPC order). */
  readonly faults: { child: number; info: FaultInfo }[] = [];
  /** The PD's channel tables (ProtectionDomain.chanPeer, ...), here for the kernel's signal path. */
  readonly chanPeer = new Int32Array(MAX_CHANNELS).fill(-1);
  readonly chanPeerCh = new Int32Array(MAX_CHANNELS).fill(-1);
  readonly chanIrq = new Int32Array(MAX_CHANNELS).fill(-1);

  /** Marks channel `ch` pending. */
  set(ch: number): void {
    this.bits[ch >>> 5]! |= 1 << (ch & 31);
    this.any = true;
  }

  /** Whether the PD has an entry point to run (ProtectionDomain.hasWork). */
  hasWork(): boolean {
    return !this.initDone || this.any || this.faults.length > 0;
  }
}

/** Up to 64 message registers of a protected procedure call. */
export class PpcMessage {
  label = 0;
  length = 0;
  readonly mr = new Float64Array(64);
}

/**
 * A Microkit protection domain. Subclasses implement the entry points; the methods
 * below them are libmicrokit's API. Everything a PD does to the outside world goes
 * through its address space (memory) or the kernel (signals, IRQs, PPCs).
 */
export abstract class ProtectionDomain extends Thread {
  readonly as: AddressSpace;
  parent: ProtectionDomain | null = null;
  /** Child id (Microkit `id`) under the parent, for faults. */
  childId = -1;
  /** Notification state (see PdSignals); also reachable as this.tcb.signals. */
  readonly sig = new PdSignals();
  /** Channel end -> peer thread id, peer's channel id, or IRQ number. */
  readonly chanPeer = this.sig.chanPeer;
  readonly chanPeerCh = this.sig.chanPeerCh;
  readonly chanIrq = this.sig.chanIrq;

  constructor(name: string) {
    super(name);
    this.as = new AddressSpace(name);
    this.tcb.signals = this.sig;
  }

  /** Pending notification bits, 32 channels per word. */
  get pendingBits(): Int32Array {
    return this.sig.bits;
  }
  get initDone(): boolean {
    return this.sig.initDone;
  }
  set initDone(v: boolean) {
    this.sig.initDone = v;
  }
  /** Pending faults from children, delivered after notifications (seL4 receiveIPC order). */
  get pendingFaults(): { child: number; info: FaultInfo }[] {
    return this.sig.faults;
  }

  // ---- entry points (Microkit) ----
  init(): void {}
  notified(_ch: number): void {}
  protected(_ch: number, _msg: PpcMessage): void {}
  fault(_child: number, _info: FaultInfo): boolean {
    return false;
  }

  // ---- libmicrokit ----
  notify(ch: number): void {
    this.kernel.notify(this, ch);
  }
  /** One slot per entry point; a second deferred call replaces the first (libmicrokit). */
  deferredNotify(ch: number): void {
    const tcb = this.tcb;
    tcb.deferredKind = 1;
    tcb.deferredCh = ch;
  }
  irqAck(ch: number): void {
    this.kernel.irqAck(this, ch, false);
  }
  deferredIrqAck(ch: number): void {
    const tcb = this.tcb;
    tcb.deferredKind = 2;
    tcb.deferredCh = ch;
  }
  /** The channel currently deferred, or -1 (sddf_deferred_notify_curr). */
  deferredNotifyCurr(): number {
    const tcb = this.tcb;
    return tcb.deferredKind === 1 ? tcb.deferredCh : -1;
  }
  ppcall(ch: number, msg: PpcMessage): void {
    this.kernel.ppcall(this, ch, msg);
  }
  /** Charges `cycles` of this PD's own work at the current point of its entry point. */
  charge(cycles: number): void {
    this.kernel.charge(cycles);
  }
  /** Logical time (ns) inside the running entry point. */
  now(): number {
    return this.kernel.logicalNowNs();
  }
  /** The timer subsystem: a notification on `ch` after `delayNs`. */
  setTimeout(ch: number, delayNs: number): void {
    this.kernel.setTimeout(this, ch, delayNs);
  }
  /** Counts a notification the sDDF protocol let this PD skip. */
  suppressed(): void {
    this.notificationsSuppressed++;
  }

  // ---- kernel side ----
  hasWork(): boolean {
    return this.sig.hasWork();
  }

  setPending(ch: number): void {
    this.sig.set(ch);
  }

  /**
   * Runs one batch: init, or every pending notification, or one child fault. The kernel calls
   * runPdEntry directly rather than this (see there), so a subclass must not override run.
   */
  run(): void {
    runPdEntry(this, this.sig);
  }

  override onStopped(): void {
    const sig = this.sig;
    sig.bits.fill(0);
    sig.any = false;
    this.tcb.deferredKind = 0;
  }
}

/**
 * ProtectionDomain.run, as a function of the PD and its PdSignals (pd.sig): the kernel's dispatch
 * calls it directly, a monomorphic call, where `pd.run()` would be a megamorphic lookup over every
 * PD subclass.
 */
export function runPdEntry(pd: ProtectionDomain, sig: PdSignals): void {
  if (!sig.initDone) {
    sig.initDone = true;
    pd.init();
    return;
  }
  // One notification word per Recv: every bit set now, lowest channel first.
  const batch = sig.batch;
  const pending = sig.bits;
  for (let w = 0; w < PENDING_WORDS; w++) {
    batch[w] = pending[w]!;
    pending[w] = 0;
  }
  sig.any = false;
  for (let w = 0; w < PENDING_WORDS; w++) {
    let bits = batch[w]!;
    while (bits !== 0) {
      const bit = 31 - Math.clz32(bits & -bits);
      bits &= bits - 1;
      pd.notified(w * 32 + bit);
    }
  }
  if (!sig.any && sig.faults.length > 0) {
    const f = sig.faults.shift()!;
    const resume = pd.fault(f.child, f.info);
    pd.kernel.replyFault(pd, f.child, resume);
  }
}
