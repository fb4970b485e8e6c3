import { MemoryFault, type MemoryFaultInfo } from './address_space.js';
import { ComponentHalt } from './halt.js';
import { assert } from './assert.js';
import type { Costs } from './cost_model.js';
import { ACCT_IDLE, ACCT_KERNEL, CoreAccounting } from './cpu_accounting.js';
import type { Engine, EventSink } from './engine.js';
import {
  type FaultInfo,
  MAX_CHANNELS,
  type PdSignals,
  type PpcMessage,
  ProtectionDomain,
  runPdEntry,
} from './pd.js';
import { ReadyQueue } from './ready_queue.js';
import {
  type SchedParams,
  T_BLOCKED,
  T_READY,
  T_RUNNING,
  T_STOPPED,
  T_THROTTLED,
  type Tcb,
  type Thread,
} from './thread.js';
import { MAX_VIRQ, VirtualCpu } from './vcpu.js';

// Kernel event kinds, packed into the engine's numeric arg as payload * 8 + kind.
const EV_CORE_FREE = 0;
const EV_SIGNAL = 1;
const EV_REPLENISH = 2;
const EV_VCPU_TIMER = 3;
const EV_KICK = 4;
/** Channel ids packed under a thread id in event payloads (CH_SPAN = 2^CH_BITS). */
const CH_BITS = 7;
const CH_SPAN = 1 << CH_BITS;
assert(CH_SPAN === MAX_CHANNELS, 'CH_BITS matches MAX_CHANNELS');
/** Thread ids stay below this, so every event arg is an integer below 2^31. */
const MAX_THREADS = 1 << 20;

/** Interrupt line state, as seL4 keeps it per IRQ handler. */
interface IrqLine {
  pd: ProtectionDomain | null;
  /** pd's Tcb (pd.tcb is a megamorphic load). */
  tcb: Tcb;
  ch: number;
  level: boolean;
  masked: boolean;
  raised: number;
}

class Core {
  readonly id: number;
  readonly ready = new ReadyQueue();
  busy = false;
  /** Cycle at which the core finished its last piece of work. */
  freeAt = 0;
  lastThread: Thread | null = null;
  /** Kernel work (IRQ entries) waiting to be charged at the next dispatch. */
  pendingKernel = 0;
  readonly acct: CoreAccounting;
  constructor(id: number, bucketCycles: number) {
    this.id = id;
    this.acct = new CoreAccounting(id, bucketCycles);
    // A cycle count: a double from the start (see CYCLE_FIELDS_AS_DOUBLES in cpu_accounting.ts).
    this.freeAt = 0.5;
    this.freeAt = 0;
  }
}

export interface KernelOptions {
  cores: number;
  costs: Costs;
  /** The SMP kernel (dearer syscalls). */
  smp: boolean;
  /** Measurement window (ns) and time-series bucket (ns). */
  windowStartNs: number;
  windowEndNs: number;
  bucketNs: number;
}

export interface FaultRecord {
  timeNs: number;
  thread: string;
  kind: string;
  detail: string;
}

/**
 * The seL4 + Microkit kernel model. Entry points run to completion as JS calls and
 * charge cycles as they go; a side effect (signal, IRQ ack, MMIO write) happens at
 * the entry's start plus the cycles charged so far. Scheduling decisions are taken
 * between entry points: per core, fixed priority 0..254, FIFO within a priority, MCS
 * budgets. Every cycle of every core is accounted as idle, kernel or one thread's.
 */
export class Kernel implements EventSink {
  readonly engine: Engine;
  readonly costs: Costs;
  readonly ghz: number;
  readonly threads: Thread[] = [];
  /** threads[i].tcb, so hot paths reach a thread's scheduling state without a megamorphic load. */
  private readonly tcbs: Tcb[] = [];
  private readonly cores: Core[] = [];
  private readonly irqs = new Map<number, IrqLine>();
  private readonly sinkId: number;
  private readonly syscallFactor: number;

  /** The thread whose work is being charged now, and the cycle cursor of its core. */
  current: Thread | null = null;
  /** current's Tcb (null when current is). */
  private curTcb: Tcb | null = null;
  // The open accounting interval (see accFlush); accTcb is the Tcb of the thread it is open for.
  private accTcb: Tcb | null = null;
  private accStart = 0;
  private accLimit = -1;
  private accUser = 0;
  private accKernel = 0;
  private cursor = 0;
  private curCore: Core | null = null;
  /**
   * Cycles charged to `current`'s budget since the last accFlush, not yet added to its
   * usedInPeriod. Thread fields are megamorphic loads and stores here (six thread classes share
   * them), so the per-charge sum stays in the kernel; every switch of `current` flushes first.
   * The sums are of whole cycles, so adding them later gives the same figures.
   */
  private curUsed = 0;

  /**
   * Observer of every dispatch (for traces): the thread, its core and the cycle span of
   * the batch it ran. Null in normal runs, so it costs nothing.
   */
  onEntry: ((t: Thread, core: number, startCycle: number, endCycle: number) => void) | null = null;
  /**
   * A sampler's clock (one at a time): after each dispatch whose batch started at or after cycle
   * sampleFrom, sampleHook gets the start cycle, and moves sampleFrom on. The dispatches in between
   * cost one comparison, where an onEntry observer is called for every one.
   */
  sampleHook: ((startCycle: number) => void) | null = null;
  sampleFrom = Number.POSITIVE_INFINITY;

  readonly faultLog: FaultRecord[] = [];
  faultCount = 0;
  booted = false;

  constructor(engine: Engine, opts: KernelOptions) {
    // Cycle counts: doubles from the start (see CYCLE_FIELDS_AS_DOUBLES in cpu_accounting.ts).
    this.accStart = 0.5;
    this.accStart = 0;
    this.cursor = 0.5;
    this.cursor = 0;
    this.engine = engine;
    this.costs = opts.costs;
    this.ghz = opts.costs.cpu_ghz;
    this.syscallFactor = opts.smp ? opts.costs.smp_syscall_factor : 1;
    const bucketCycles = Math.round(opts.bucketNs * this.ghz);
    for (let c = 0; c < opts.cores; c++) {
      const core = new Core(c, bucketCycles);
      core.acct.setWindow(Math.round(opts.windowStartNs * this.ghz), Math.round(opts.windowEndNs * this.ghz));
      this.cores.push(core);
    }
    this.sinkId = engine.addSink(this);
  }

  get coreCount(): number {
    return this.cores.length;
  }

  accounting(core: number): CoreAccounting {
    return this.cores[core]!.acct;
  }

  // ------------------------------------------------------------------ set-up

  addThread(t: Thread, p: SchedParams): Thread {
    assert(!this.booted, 'threads are added before boot');
    assert(p.core >= 0 && p.core < this.cores.length, `${t.name}: core ${p.core} does not exist`);
    assert(p.priority >= 0 && p.priority <= 254, `${t.name}: priority ${p.priority} outside 0..254`);
    assert(this.threads.length < MAX_THREADS, `${t.name}: more than ${MAX_THREADS} threads`);
    t.id = this.threads.length;
    t.kernel = this;
    t.core = p.core;
    t.priority = p.priority;
    t.passive = p.passive ?? false;
    if (p.budgetUs !== undefined) {
      const period = p.periodUs ?? p.budgetUs;
      assert(p.budgetUs <= period, `${t.name}: budget exceeds period`);
      if (p.budgetUs < period) {
        t.budgetCycles = Math.round(p.budgetUs * 1000 * this.ghz);
        t.periodCycles = Math.round(period * 1000 * this.ghz);
      }
    }
    this.threads.push(t);
    this.tcbs.push(t.tcb);
    return t;
  }

  /**
   * Adds a VM's vCPU: its stage-2 faults (an access to a guest-physical address with no
   * mapping, such as a virtio-mmio window) become VM exits handled by its VMM.
   */
  addVcpu(vcpu: VirtualCpu, p: SchedParams): VirtualCpu {
    this.addThread(vcpu, p);
    const kernel = this;
    // One fault record per vCPU, refilled at every exit: the VMM handles it synchronously.
    const f: FaultInfo = {
      kind: 'vm-fault',
      addr: 0,
      width: 0,
      write: false,
      reason: 'unmapped',
      value: 0,
      readValue: 0,
    };
    vcpu.as.trap = {
      trapAccess(info, out) {
        f.addr = info.addr;
        f.width = info.width;
        f.write = info.write;
        f.reason = info.reason;
        f.value = info.value;
        f.readValue = 0;
        const handled = kernel.vmTrap(vcpu, f);
        out.value = f.readValue;
        return handled;
      },
    };
    return vcpu;
  }

  /** A Microkit channel between two PDs' channel ends. */
  channel(a: ProtectionDomain, chA: number, b: ProtectionDomain, chB: number): void {
    for (const [pd, ch] of [
      [a, chA],
      [b, chB],
    ] as const) {
      assert(ch >= 0 && ch < MAX_CHANNELS, `${pd.name}: channel id ${ch} outside 0..${MAX_CHANNELS - 1}`);
      assert(pd.chanPeer[ch] === -1 && pd.chanIrq[ch] === -1, `${pd.name}: channel id ${ch} used twice`);
    }
    a.chanPeer[chA] = b.id;
    a.chanPeerCh[chA] = chB;
    b.chanPeer[chB] = a.id;
    b.chanPeerCh[chB] = chA;
  }

  /** Delivers IRQ `irq` to `pd` as a notification on channel `ch`. */
  irq(pd: ProtectionDomain, ch: number, irq: number): void {
    assert(pd.chanPeer[ch] === -1 && pd.chanIrq[ch] === -1, `${pd.name}: channel id ${ch} used twice`);
    pd.chanIrq[ch] = irq;
    this.irqs.set(irq, { pd, tcb: pd.tcb, ch, level: false, masked: false, raised: 0 });
  }

  /** Makes every thread runnable for its init (Microkit boot). */
  boot(): void {
    this.booted = true;
    // Queue every thread first, then start the cores: the highest priority runs first.
    for (const t of this.threads) {
      if (!t.hasWork()) continue;
      t.state = T_READY;
      this.cores[t.core]!.ready.push(t.id, t.priority);
    }
    for (const core of this.cores) this.kick(core);
  }

  // ------------------------------------------------------------------ time

  /** Logical time inside the running entry point, or the engine's time between entries. */
  logicalNowNs(): number {
    return this.current !== null ? this.cursor / this.ghz : this.engine.now;
  }

  /** The first whole cycle not before engine.now (the 1e-6 absorbs float error on grid times). */
  private nowCycles(): number {
    return Math.ceil(this.engine.now * this.ghz - 1e-6);
  }

  // ------------------------------------------------------------------ charging

  /** Charges user-level cycles to the current thread. */
  charge(cycles: number): void {
    const t = this.curTcb;
    if (t === null || !(cycles > 0)) return;
    const c = Math.round(cycles);
    const end = this.cursor + c;
    // Fast path: cycles that stay inside the current accounting interval are only summed;
    // where inside the interval they fell does not matter to any figure.
    if (t === this.accTcb && end <= this.accLimit) this.accUser += c;
    else {
      this.accFlush();
      this.curCore!.acct.add(t.id, this.cursor, c);
      this.accRestart(end);
    }
    this.cursor = end;
    this.curUsed += c;
  }

  private chargeKernel(cycles: number, onBehalf: Thread | null): void {
    const c = Math.round(cycles);
    if (c <= 0) return;
    const end = this.cursor + c;
    if (onBehalf !== null && onBehalf === this.current && this.curTcb === this.accTcb && end <= this.accLimit)
      this.accKernel += c;
    else {
      this.accFlush();
      this.curCore!.acct.add(ACCT_KERNEL, this.cursor, c, onBehalf === null ? -1 : onBehalf.id);
      this.accRestart(end);
    }
    this.cursor = end;
    if (onBehalf === null) return;
    if (onBehalf === this.current) this.curUsed += c;
    else onBehalf.tcb.usedInPeriod += c;
  }

  /**
   * Writes the summed cycles of the open accounting interval to the core's books. All of
   * them lie in [accStart, cursor), inside one time-series bucket and on one side of each
   * window edge, so booking them as two adjacent segments there is exact.
   */
  private accFlush(): void {
    if (this.curUsed !== 0) {
      this.curTcb!.usedInPeriod += this.curUsed;
      this.curUsed = 0;
    }
    const t = this.accTcb;
    if (t !== null && (this.accUser > 0 || this.accKernel > 0))
      this.curCore!.acct.addPair(t.id, this.accStart, this.accUser, this.accKernel);
    this.accUser = 0;
    this.accKernel = 0;
    this.accStart = this.cursor;
  }

  /** Opens a new accounting interval at `at` for the current thread. */
  private accRestart(at: number): void {
    this.accTcb = this.curTcb;
    this.accStart = at;
    this.accLimit = this.curCore!.acct.nextBoundary(at);
  }

  private syscall(cost: number): void {
    this.chargeKernel(cost * this.syscallFactor, this.current);
  }

  // ------------------------------------------------------------------ signals

  notify(from: ProtectionDomain, ch: number): void {
    this.syscall(this.costs.syscall_signal);
    // The sender is nearly always the running PD, whose Tcb is at hand; from.tcb is megamorphic.
    this.signalPeer(from, from === this.current ? this.curTcb! : from.tcb, ch);
  }

  /** `from` signals its channel `ch`; fromTcb is from.tcb. */
  private signalPeer(from: ProtectionDomain, fromTcb: Tcb, ch: number): void {
    // The channel tables through the Tcb's PdSignals: one class, where `from` is any PD subclass.
    const sig = fromTcb.signals!;
    const peer = ch >= 0 && ch < MAX_CHANNELS ? sig.chanPeer[ch]! : -1;
    if (peer < 0) {
      // Signalling a channel that does not exist is a capability error: nothing happens.
      from.signalsLost++;
      return;
    }
    if (this.signalDrops.size > 0 && this.dropped(from, peer)) return;
    fromTcb.notificationsSent++;
    const tch = sig.chanPeerCh[ch]!;
    const peerTcb = this.tcbs[peer]!;
    if (peerTcb.core === fromTcb.core) {
      this.deliver(this.threads[peer] as ProtectionDomain, tch, peerTcb);
    } else {
      this.chargeKernel(this.costs.ipi, this.current);
      const at = this.cursor / this.ghz + this.costs.ipi_latency_ns;
      this.engine.at(at, this.sinkId, (peer * CH_SPAN + tch) * 8 + EV_SIGNAL);
    }
  }

  /** Sets a notification bit and wakes the PD if it was waiting; tcb is target.tcb. */
  private deliver(target: ProtectionDomain, ch: number, tcb: Tcb): void {
    if (tcb.state === T_STOPPED) {
      target.signalsLost++;
      return;
    }
    // Through the Tcb's PdSignals rather than target.setPending: one class, a monomorphic call.
    tcb.signals!.set(ch);
    if (tcb.state === T_BLOCKED) this.makeReady(tcb);
  }

  irqAck(pd: ProtectionDomain, ch: number, deferred: boolean): void {
    if (!deferred) this.syscall(this.costs.irq_ack);
    this.ackIrqLine((pd === this.current ? this.curTcb! : pd.tcb).signals!, ch);
  }

  /** Unmasks the IRQ behind channel `ch` of the PD whose PdSignals are `sig`. */
  private ackIrqLine(sig: PdSignals, ch: number): void {
    const n = sig.chanIrq[ch]!;
    const line = n >= 0 ? this.irqs.get(n) : undefined;
    if (line === undefined) return;
    line.masked = false;
    if (line.level) this.raise(line);
  }

  /** A device drives its interrupt line. */
  setIrqLine(irq: number, level: boolean): void {
    const line = this.irqs.get(irq);
    if (line === undefined) return;
    line.level = level;
    if (level && !line.masked) this.raise(line);
  }

  private raise(line: IrqLine): void {
    const pd = line.pd;
    if (pd === null) return;
    line.masked = true;
    line.raised++;
    const core = this.cores[line.tcb.core]!;
    core.pendingKernel += this.costs.irq_entry;
    this.deliver(pd, line.ch, line.tcb);
    // The kernel work of the IRQ entry happens even if the PD is already runnable.
    this.kick(core);
  }

  /** Gets an idle core going: now if nothing is running, else at the current logical time. */
  private kick(core: Core): void {
    if (core.busy || core === this.curCore) return;
    if (this.current === null) this.dispatch(core);
    else this.engine.at(this.cursor / this.ghz, this.sinkId, core.id * 8 + EV_KICK);
  }

  irqRaisedCount(irq: number): number {
    return this.irqs.get(irq)?.raised ?? 0;
  }

  /** Notifications to lose on purpose (fault injection), by "from:to" thread ids. */
  private readonly signalDrops = new Map<string, number>();

  /** Loses the next `count` notifications `from` sends to `to` (the lost-notification fault). */
  dropNextSignals(from: ProtectionDomain, to: ProtectionDomain, count = 1): void {
    const key = `${from.id}:${to.id}`;
    this.signalDrops.set(key, (this.signalDrops.get(key) ?? 0) + count);
  }

  private dropped(from: ProtectionDomain, peer: number): boolean {
    const key = `${from.id}:${peer}`;
    const n = this.signalDrops.get(key);
    if (n === undefined) return false;
    if (n <= 1) this.signalDrops.delete(key);
    else this.signalDrops.set(key, n - 1);
    from.signalsLost++;
    if (this.faultLog.length < 256) {
      this.faultLog.push({
        timeNs: this.logicalNowNs(),
        thread: from.name,
        kind: 'lost-notification',
        detail: `${from.name} -> ${this.threads[peer]!.name}: notification lost (injected)`,
      });
    }
    return true;
  }

  /**
   * A notification from outside the system's PDs (a fault injector, a test) on `pd`'s channel
   * `ch`, delivered now; no PD pays for it.
   */
  externalSignal(pd: ProtectionDomain, ch: number): void {
    this.engine.at(this.engine.now, this.sinkId, (pd.id * CH_SPAN + ch) * 8 + EV_SIGNAL);
  }

  setTimeout(pd: ProtectionDomain, ch: number, delayNs: number): void {
    this.chargeKernel(this.costs.timer_set, pd);
    const at = this.logicalNowNs() + Math.max(0, delayNs);
    this.engine.at(at, this.sinkId, (pd.id * CH_SPAN + ch) * 8 + EV_SIGNAL);
  }

  // ------------------------------------------------------------------ PPC and faults

  /** Protected procedure call: runs the callee's `protected` now, on the caller's core. */
  ppcall(from: ProtectionDomain, ch: number, msg: PpcMessage): void {
    const peer = from.chanPeer[ch]!;
    if (peer < 0) {
      from.signalsLost++;
      return;
    }
    const callee = this.threads[peer] as ProtectionDomain;
    assert(
      callee.priority > from.priority,
      `${from.name} -> ${callee.name}: PPC needs a strictly higher priority callee`,
    );
    this.chargeKernel(this.costs.ppc_call * this.syscallFactor, from);
    this.nested(callee, () => callee.protected(from.chanPeerCh[ch]!, msg));
  }

  /** Runs `fn` as `t`'s work on the current core (for PPCs and VM exits). */
  private nested(t: Thread, fn: () => void): void {
    const saved = this.current;
    const savedTcb = this.curTcb;
    const savedState = t.state;
    this.accFlush();
    this.current = t;
    this.curTcb = t.tcb;
    this.accRestart(this.cursor);
    t.state = T_RUNNING;
    try {
      fn();
    } catch (e) {
      if (!isStop(e)) throw e;
      this.accFlush();
      this.current = saved;
      this.curTcb = savedTcb;
      this.accRestart(this.cursor);
      t.state = savedState; // so that stopThread takes it off a ready queue
      this.stopThread(t, stopKind(e), e.message, stopAccess(e));
      return;
    }
    this.accFlush();
    this.current = saved;
    this.curTcb = savedTcb;
    this.accRestart(this.cursor);
    t.state = savedState;
    // Woken while it served the call (an IRQ it acked, ...): queue it now.
    if (savedState === T_BLOCKED && t.hasWork()) this.makeReady(t.tcb);
  }

  /** A vCPU's access to an unmapped guest-physical address: a VM exit to its VMM. */
  vmTrap(vcpu: VirtualCpu, info: FaultInfo): boolean {
    this.chargeKernel(this.costs.vm_exit, vcpu);
    let handled = false;
    const vmm = vcpu.vmm;
    if (vmm.state === T_STOPPED) return false;
    // The VMM's fault handler runs now, on this core, charged to the VMM (as nested() does,
    // written out because VM exits are frequent enough that a closure per exit shows).
    const saved = this.current;
    const savedTcb = this.curTcb;
    const savedState = vmm.state;
    this.accFlush();
    this.current = vmm;
    this.curTcb = vmm.tcb;
    this.accRestart(this.cursor);
    vmm.state = T_RUNNING;
    try {
      handled = vmm.fault(vcpu.vcpuId, info);
    } catch (e) {
      if (!isStop(e)) throw e;
      this.accFlush();
      this.current = saved;
      this.curTcb = savedTcb;
      this.accRestart(this.cursor);
      vmm.state = savedState;
      this.stopThread(vmm, stopKind(e), e.message, stopAccess(e));
      return false;
    }
    this.accFlush();
    this.current = saved;
    this.curTcb = savedTcb;
    this.accRestart(this.cursor);
    vmm.state = savedState;
    if (savedState === T_BLOCKED && vmm.hasWork()) this.makeReady(vmm.tcb);
    return handled;
  }

  /** After a parent's `fault` returned: resume the child or leave it stopped. */
  replyFault(parent: ProtectionDomain, child: number, resume: boolean): void {
    if (!resume) return;
    for (const t of this.threads) {
      if (
        t instanceof ProtectionDomain &&
        t.parent === parent &&
        t.childId === child &&
        t.state === T_STOPPED
      ) {
        t.state = T_BLOCKED;
        if (t.hasWork()) this.makeReady(t.tcb);
      }
    }
  }

  /** Stops a thread for good (until restarted) and tells its parent. */
  stopThread(t: Thread, kind: string, detail: string, access: MemoryFaultInfo | null = null): void {
    if (t.state === T_STOPPED) return;
    if (t.state === T_READY) this.cores[t.core]!.ready.remove(t.id, t.priority);
    t.state = T_STOPPED;
    t.faults++;
    t.onStopped();
    this.faultCount++;
    if (this.faultLog.length < 256)
      this.faultLog.push({ timeNs: this.logicalNowNs(), thread: t.name, kind, detail });
    if (t instanceof ProtectionDomain && t.parent !== null) {
      t.parent.pendingFaults.push({
        child: t.childId,
        info: {
          kind: kind === 'vm-fault' ? 'vm-fault' : 'crash',
          addr: access?.addr ?? 0,
          width: access?.width ?? 0,
          write: access?.write ?? false,
          reason: access?.reason ?? 'unmapped',
          value: access?.value ?? 0,
          readValue: 0,
        },
      });
      if (t.parent.state === T_BLOCKED) this.makeReady(t.parent.tcb);
    }
  }

  /**
   * Stops a thread that did not fault: a parent suspending its child (microkit_pd_stop) for an
   * orderly restart. Nothing is logged and no fault goes to the parent; restartThread resumes it.
   */
  suspendThread(t: Thread): void {
    if (t.state === T_STOPPED) return;
    if (t.state === T_READY) this.cores[t.core]!.ready.remove(t.id, t.priority);
    t.state = T_STOPPED;
    t.onStopped();
  }

  /** Restarts a stopped thread (microkit_pd_restart / microkit_vcpu_restart). */
  restartThread(t: Thread): void {
    if (t.state !== T_STOPPED) return;
    t.state = T_BLOCKED;
    if (t instanceof ProtectionDomain) t.initDone = false;
    if (t instanceof VirtualCpu) {
      t.booted = false;
      t.generation++;
    }
    if (t.hasWork()) this.makeReady(t.tcb);
  }

  // ------------------------------------------------------------------ vCPUs

  /** Injects a virtual IRQ; coalesced while the same one is still pending. */
  vcpuInjectIrq(vcpu: VirtualCpu, irq: number): boolean {
    this.syscall(this.costs.virq_inject);
    if (vcpu.state === T_STOPPED || irq < 0 || irq >= MAX_VIRQ) return false;
    if (vcpu.virqPending[irq] === 1) {
      vcpu.virqCoalesced++;
      return true;
    }
    vcpu.virqPending[irq] = 1;
    vcpu.virqCount++;
    if (vcpu.state === T_BLOCKED) this.makeReady(vcpu.tcb);
    return true;
  }

  vcpuSetTimer(vcpu: VirtualCpu, atNs: number): void {
    const at = Math.max(atNs, this.logicalNowNs());
    vcpu.timerAt = at;
    this.engine.at(at, this.sinkId, (vcpu.id * 64 + (vcpu.generation & 63)) * 8 + EV_VCPU_TIMER);
  }

  // ------------------------------------------------------------------ scheduling

  /** Queues a blocked thread (by its Tcb) on its core and gets the core going. */
  private makeReady(tcb: Tcb): void {
    const s = tcb.state;
    if (s === T_STOPPED || s === T_READY || s === T_RUNNING) return;
    // A throttled thread stays off the ready queue until its replenishment.
    if (s === T_THROTTLED) return;
    tcb.state = T_READY;
    const core = this.cores[tcb.core]!;
    core.ready.push(tcb.id, tcb.priority);
    this.kick(core);
  }

  onEvent(arg: number, _time: number): void {
    // Args are integers below 2^31 (see MAX_THREADS): shifts and masks decode them, where a float
    // division and modulo would be dearer.
    const kind = arg & 7;
    const payload = arg >>> 3;
    switch (kind) {
      case EV_CORE_FREE: {
        const core = this.cores[payload]!;
        core.busy = false;
        this.dispatch(core);
        break;
      }
      case EV_KICK: {
        const core = this.cores[payload]!;
        if (!core.busy) this.dispatch(core);
        break;
      }
      case EV_SIGNAL: {
        const tid = payload >>> CH_BITS;
        this.deliver(this.threads[tid] as ProtectionDomain, payload & (CH_SPAN - 1), this.tcbs[tid]!);
        break;
      }
      case EV_REPLENISH: {
        const t = this.threads[payload]!;
        if (t.state !== T_THROTTLED) break;
        t.periodStart = this.nowCycles();
        t.state = T_BLOCKED;
        if (t.hasWork()) this.makeReady(t.tcb);
        break;
      }
      case EV_VCPU_TIMER: {
        const v = this.threads[payload >>> 6] as VirtualCpu;
        if ((v.generation & 63) !== (payload & 63) || v.state === T_STOPPED) break;
        if (this.engine.now + 1e-6 < v.timerAt) break; // re-armed later: a newer event will fire
        v.timerAt = Number.POSITIVE_INFINITY;
        v.timerPending = true;
        if (v.state === T_BLOCKED) this.makeReady(v.tcb);
        break;
      }
    }
  }

  /** Picks the next thread on an idle core and runs one batch of its work. */
  private dispatch(core: Core): void {
    while (this.dispatchOnce(core)) {}
  }

  /** Runs one batch on an idle core; true when the core should go straight on to the next. */
  private dispatchOnce(core: Core): boolean {
    if (core.busy) return false;
    const now = this.nowCycles();
    let start = now > core.freeAt ? now : core.freeAt;
    if (start > core.freeAt) {
      core.acct.add(ACCT_IDLE, core.freeAt, start - core.freeAt);
      core.lastThread = null; // the idle thread ran in between
    }
    const tid = core.ready.pop();
    if (tid < 0) {
      core.freeAt = start;
      if (core.pendingKernel > 0) {
        const k = Math.round(core.pendingKernel);
        core.acct.add(ACCT_KERNEL, start, k);
        core.pendingKernel = 0;
        core.freeAt = start + k;
      }
      return false;
    }
    const t = this.threads[tid]!;
    const tcb = this.tcbs[tid]!;
    this.current = t;
    this.curTcb = tcb;
    this.curCore = core;
    this.cursor = start;
    const entryStart = start;
    this.accRestart(start);
    if (core.pendingKernel > 0) {
      this.chargeKernel(core.pendingKernel, null);
      core.pendingKernel = 0;
    }
    // MCS: a new period starts once the old one has passed.
    if (tcb.budgetCycles !== Number.POSITIVE_INFINITY && this.cursor >= tcb.periodStart + tcb.periodCycles) {
      tcb.periodStart = this.cursor;
      tcb.usedInPeriod = 0;
    }
    if (core.lastThread !== t) this.chargeKernel(this.costs.ctx_switch, t);
    tcb.state = T_RUNNING;
    tcb.dispatches++;
    // PDs and vCPUs are the only threads; calling each kind's code directly keeps these call sites
    // monomorphic (t's hidden class is one of every PD subclass).
    const sig = tcb.signals;
    try {
      if (sig !== null) runPdEntry(t as ProtectionDomain, sig);
      else (t as VirtualCpu).run();
    } catch (e) {
      if (!isStop(e)) throw e;
      this.stopThread(t, stopKind(e), e.message, stopAccess(e));
    }
    if (tcb.deferredKind !== 0 && tcb.state === T_RUNNING) {
      // The deferred signal or IRQ ack goes out with the Recv that ends the entry (only a PD
      // defers anything).
      const pd = t as ProtectionDomain;
      if (tcb.deferredKind === 1) this.signalPeer(pd, tcb, tcb.deferredCh);
      else if (tcb.deferredKind === 2) this.ackIrqLine(sig!, tcb.deferredCh);
      tcb.deferredKind = 0;
    }
    if (tcb.state === T_RUNNING) this.syscall(this.costs.syscall_recv);
    this.accFlush();
    this.accTcb = null;
    if (this.onEntry !== null) this.onEntry(t, core.id, entryStart, this.cursor);
    if (entryStart >= this.sampleFrom) this.sampleHook!(entryStart);
    start = this.cursor;
    this.current = null;
    this.curTcb = null;
    this.curCore = null;
    core.lastThread = t;
    if (tcb.state === T_RUNNING) {
      if (tcb.usedInPeriod >= tcb.budgetCycles) {
        tcb.state = T_THROTTLED;
        t.throttles++;
        // Entries run to completion, so an overrun is paid back: wait one period per budget used.
        const periods = Math.max(1, Math.floor(tcb.usedInPeriod / tcb.budgetCycles));
        tcb.usedInPeriod -= periods * tcb.budgetCycles;
        tcb.periodStart += (periods - 1) * tcb.periodCycles;
        const at = (tcb.periodStart + tcb.periodCycles) / this.ghz;
        this.engine.at(Math.max(at, start / this.ghz), this.sinkId, tid * 8 + EV_REPLENISH);
      } else if (sig !== null ? sig.hasWork() : (t as VirtualCpu).hasWork()) {
        tcb.state = T_READY;
        core.ready.push(tid, tcb.priority);
      } else {
        tcb.state = T_BLOCKED;
      }
    }
    core.freeAt = start;
    const endNs = start / this.ghz;
    // Nothing else happens before this core is free again: run its next batch straight
    // away instead of going through the event queue (same order, fewer events).
    if (core.ready.size > 0 && endNs < this.engine.horizon && this.engine.peekTime() > endNs) return true;
    core.busy = true;
    this.engine.at(endNs, this.sinkId, core.id * 8 + EV_CORE_FREE);
    return false;
  }

  /** Closes the books at the end of a run: idle time up to `endNs` on every core. */
  finish(endNs: number): void {
    const end = Math.round(endNs * this.ghz);
    for (const core of this.cores) {
      if (!core.busy && end > core.freeAt) {
        core.acct.add(ACCT_IDLE, core.freeAt, end - core.freeAt);
        core.freeAt = end;
      }
    }
  }
}

// What stops a thread from inside an entry point: an access outside its mappings, or a halt
// standing for an assertion or endless loop of the C component (board/halt.ts).
function isStop(e: unknown): e is MemoryFault | ComponentHalt {
  return e instanceof MemoryFault || e instanceof ComponentHalt;
}

function stopKind(e: MemoryFault | ComponentHalt): string {
  return e instanceof MemoryFault ? 'vm-fault' : e.kind;
}

function stopAccess(e: MemoryFault | ComponentHalt): MemoryFaultInfo | null {
  return e instanceof MemoryFault ? e.info : null;
}
