import { RestartBudget, type RestartBudgetSpec } from '../sddf/restart_budget.js';
import { PERM_R, PERM_W, PERM_X } from '../board/address_space.js';
import { assert } from '../board/assert.js';
import {
  DESC_OFF_STAT,
  ECR_RESET,
  ENET_DESC_SIZE,
  ENET_ECR,
  ENET_EIMR,
  RXD_EMPTY,
} from '../board/enet_regs.js';
import type { Region } from '../board/memory.js';
import { type FaultInfo, ProtectionDomain } from '../board/pd.js';
import { T_STOPPED } from '../board/thread.js';
import { MAX_VIRQ, VirtualCpu } from '../board/vcpu.js';
import {
  GICD_GPA,
  GICD_ICENABLER,
  GICD_ISENABLER,
  GICD_SIZE,
  PSCI_GPA,
  PSCI_SYSTEM_RESET,
  VGIC_MAINTENANCE_GPA,
} from '../board/gic_layout.js';
import {
  NET_CONFIG_MAGIC,
  NET_CONFIG_OFF_GENERATION,
  NET_CONFIG_OFF_MAGIC,
  NET_CONFIG_OFF_POOL,
  NET_CONFIG_OFF_POOL_COUNT,
  NET_CONFIG_OFF_READY,
} from '../uio/net_config.js';
import type { DriverConfig } from '../sddf/config.js';
import { sddfCosts } from '../sddf/costs.js';
import { NET_BUFFER_SIZE, NetBuffDesc, type NetQueueHandle, netQueueBytes } from '../sddf/net_queue.js';
import { openQueue } from '../sddf/queue_binding.js';
import type { DriverResources } from '../sddf/system.js';
import { type VmmCosts, vmmCosts } from './costs.js';
import { heldBuffers, type QueueBytes, queueHead, queueHolds, queueTail } from './driver_vm_reclaim.js';

/** Guest-physical pages whose stores are the UIO doorbells (never mapped: every store exits). */
export const RX_DOORBELL_GPA = 0x3000_0000;
export const TX_DOORBELL_GPA = 0x3000_1000;
const PAGE = 0x1000;
/** Virtual IRQs: the ENET's keeps its SPI number (passed through), the rest are UIO's. */
export const UIO_RX_VIRQ = 50;
export const UIO_TX_VIRQ = 51;
export const UIO_CONFIG_VIRQ = 52;
/** The VMM's own timer channels (no peer; above composeNetSystem's driver channels). */
export const RECOVER_CH = 120;
export const RESTART_CH = 121;
/** Where the VMM maps the config page: clear of the sdfgen-style maps from 0x2000_0000. */
const CONFIG_VADDR = 0x30_0000_0000;

/** Driver-VM life cycle. */
export const DVM_UP = 0;
/** Died (fault or reset call); recovery is scheduled. */
export const DVM_DYING = 1;
/** Device quiesced, buffers reclaimed; waiting out the reboot delay. */
export const DVM_DOWN = 2;

export interface DriverVmmOptions {
  name: string;
  vcpuName: string;
  cfg: DriverConfig;
  res: DriverResources;
  guestRam: Region;
  config: Region;
  /** Buffers of the RX DMA region lent to the guest kernel as its page pool. */
  poolBuffers: number;
  /** How long a reboot keeps the driver VM down after its buffers are reclaimed. */
  rebootNs: number;
  /** Reboots after crashes the VMM may make (driver.restart_budget); absent: no limit. */
  restartBudget?: RestartBudgetSpec;
  /** NIC receive drops so far (for the outage report). */
  nicDrops: () => number;
  windowStartNs: number;
  windowEndNs: number;
}

export class DriverVmmCounters {
  exitsRxDoorbell = 0;
  exitsTxDoorbell = 0;
  exitsGicd = 0;
  exitsMaintenance = 0;
  exitsPsci = 0;
  /** Accesses no handler knows (the guest stops: treated as a crash). */
  exitsUnhandled = 0;
  virqNic = 0;
  virqRx = 0;
  virqTx = 0;
  virqConfig = 0;
  /** Injections held in the distributor because the guest had the interrupt disabled. */
  virqLatched = 0;
  virqCoalesced = 0;
  /** Notifications that arrived while the guest was down (nothing to inject into). */
  virqWhileDown = 0;
  /** Impossible counts or addresses found while reclaiming (a misbehaving guest). */
  reclaimViolations = 0;
}

/** One crash (or reset) of the driver VM and its recovery; times in ns, -1 until they happen. */
export interface DriverVmRecovery {
  kind: 'crash' | 'reboot';
  detail: string;
  crashNs: number;
  /** Device quiesced and buffers reclaimed. */
  recoveredNs: number;
  /** vCPU restarted (the guest boots and re-initialises the device and queues). */
  restartNs: number;
  /** First frame handed to virt_rx after the restart. */
  resumeNs: number;
  reclaimedRx: number;
  reclaimedTx: number;
  /** Pool buffers (posted in the hardware ring, in the socket, being sent) taken back. */
  poolReclaimed: number;
  /** Frames the NIC had written into the ring that the dead guest never took. */
  lostInRing: number;
  nicDropsAtCrash: number;
  nicDropsAtResume: number;
  /** The restart budget was spent: the VM stays down, quiesced (restartNs stays -1). */
  gaveUp: boolean;
}

/**
 * The VMM of the driver VM: in the composition it is the driver PD (it holds the driver's ends of
 * the sDDF queues, the ENET's register map, the rings and the IRQ channel), and it owns the vCPU of
 * a Linux VM that drives the NIC. It exposes the sDDF queues and data regions to the guest as UIO
 * maps, passes the ENET through (its registers are mapped into the guest; its IRQ is forwarded as a
 * virtual IRQ and acked when the guest deactivates it), turns stores to the two doorbell pages into
 * notifications to virt_rx and virt_tx, emulates the GIC distributor's enable registers, and lends
 * the guest kernel its page pool.
 *
 * IRQ forwarding: the real IRQ arrives on the IRQ channel and stays masked (seL4 masks until ack);
 * the VMM injects the vIRQ; the guest's handler clears and masks the ENET's events; its deactivation
 * is a maintenance exit, on which the VMM acks the real IRQ. So the line is never unmasked while the
 * guest still owns an interrupt, and an interrupt raised after the guest re-enables events arrives
 * as a fresh one. Distributor: an injection while the guest has the IRQ disabled is latched and
 * delivered when it enables it again, as a GIC's pending state is (libvmm drops it instead).
 *
 * Crash: an exit no handler knows (a fatal guest exception) or a PSCI SYSTEM_RESET stops the vCPU.
 * The VMM then resets the ENET (no DMA while down: the NIC counts what it drops), acks the IRQ,
 * reclaims every buffer the guest held (see driver_vm_reclaim.ts: TX buffers go back to virt_tx,
 * RX buffers and the page pool stay with the VMM, which grants them again), waits `rebootNs` and
 * restarts the vCPU, whose boot re-initialises the device and picks up the queues where they are.
 */
export class DriverVmm extends ProtectionDomain {
  readonly cfg: DriverConfig;
  readonly res: DriverResources;
  readonly vcpu: VirtualCpu;
  readonly counters = new DriverVmmCounters();
  /** Exit counters restricted to the measurement window. */
  readonly windowCounters = new DriverVmmCounters();
  readonly recoveries: DriverVmRecovery[] = [];
  readonly config: Region;
  readonly opts: DriverVmmOptions;
  phase = DVM_UP;
  /** Reboot delay of the next recovery (a fault may set its own). */
  nextRebootNs: number;
  private readonly budget: RestartBudget | null;
  private c!: VmmCosts;
  private rxQ!: NetQueueHandle;
  private txQ!: NetQueueHandle;
  private rxFreeBytes!: QueueBytes;
  private rxActiveBytes!: QueueBytes;
  private txFreeBytes!: QueueBytes;
  private txActiveBytes!: QueueBytes;
  private readonly d = new NetBuffDesc();
  /** The page pool ledger: every buffer lent to (or held back for) the guest kernel. */
  readonly pool: number[] = [];
  private granted = false;
  private generation = 0;
  /** Free-queue dequeues the VMM made itself, and TX-free enqueues (mod 2^16). */
  private vmmRxTaken = 0;
  private vmmTxReturned = 0;
  private readonly virqEnabled = new Uint8Array(MAX_VIRQ);
  private readonly virqLatchedBits = new Uint8Array(MAX_VIRQ);
  private rxTailAtRestart = -1;
  private rxDma: Region | null = null;
  private txData: Region[] = [];

  constructor(opts: DriverVmmOptions) {
    super(opts.name);
    this.opts = opts;
    this.cfg = opts.cfg;
    this.res = opts.res;
    this.config = opts.config;
    this.nextRebootNs = opts.rebootNs;
    this.budget = opts.restartBudget === undefined ? null : new RestartBudget(opts.restartBudget);
    this.vcpu = new VirtualCpu(opts.vcpuName, this, 0);
    // The guest's memory is identity mapped (guest-physical = physical = IO address), so the
    // addresses its driver programs into the NIC are the ones the IOMMU windows use.
    const v = this.vcpu.as;
    v.map(opts.guestRam, opts.guestRam.paddr, PERM_R | PERM_W | PERM_X, true);
    v.map(opts.res.regs, opts.res.regs.paddr, PERM_R | PERM_W, false);
    v.map(opts.res.rxRing, opts.res.rxRing.paddr, PERM_R | PERM_W, false);
    v.map(opts.res.txRing, opts.res.txRing.paddr, PERM_R | PERM_W, false);
    v.map(opts.config, opts.config.paddr, PERM_R, false);
    this.as.map(opts.config, CONFIG_VADDR, PERM_R | PERM_W, false);
  }

  /** Gives the VMM the data regions it checks reclaimed addresses against. */
  attachData(rxDma: Region, txData: readonly Region[]): void {
    this.rxDma = rxDma;
    this.txData = [...txData];
  }

  private inWindow(): boolean {
    const t = this.now();
    return t >= this.opts.windowStartNs && t < this.opts.windowEndNs;
  }

  /** Counts an event in the run's totals and, inside the measurement window, in the window's. */
  private bump(key: keyof DriverVmmCounters): void {
    this.counters[key]++;
    if (this.inWindow()) this.windowCounters[key]++;
  }

  private bytesOf(vaddr: number, capacity: number): QueueBytes {
    const m = this.as.resolve(vaddr, netQueueBytes(capacity), PERM_R | PERM_W);
    return { view: m.region.view, off: vaddr - m.vaddr + m.regionOffset, capacity };
  }

  override init(): void {
    this.c = vmmCosts(this.kernel.costs);
    assert(
      this.vcpu.id >= 0 && this.vcpu.core === this.core,
      `${this.name}: add its vCPU with kernel.addVcpu on the VMM's core`,
    );
    const cfg = this.cfg;
    this.rxQ = openQueue(this, cfg.virtRx);
    this.txQ = openQueue(this, cfg.virtTx);
    this.rxFreeBytes = this.bytesOf(cfg.virtRx.freeVaddr, cfg.virtRx.capacity);
    this.rxActiveBytes = this.bytesOf(cfg.virtRx.activeVaddr, cfg.virtRx.capacity);
    this.txFreeBytes = this.bytesOf(cfg.virtTx.freeVaddr, cfg.virtTx.capacity);
    this.txActiveBytes = this.bytesOf(cfg.virtTx.activeVaddr, cfg.virtTx.capacity);
    this.charge(this.c.vmm_entry);
    this.as.write(CONFIG_VADDR + NET_CONFIG_OFF_MAGIC, 4, NET_CONFIG_MAGIC);
    this.as.write(CONFIG_VADDR + NET_CONFIG_OFF_READY, 4, 0);
    // The pool comes out of the buffers virt_rx offers at its init.
    this.rxQ.requestSignalFree();
  }

  override notified(ch: number): void {
    this.charge(this.c.vmm_entry);
    const cfg = this.cfg;
    if (ch === cfg.irqCh) {
      // With the guest down the IRQ stays masked: recovery acks it once the device is quiet.
      if (this.vcpu.state !== T_STOPPED) this.inject(this.res.irq);
    } else if (ch === cfg.virtRx.ch) {
      if (!this.granted && this.phase === DVM_UP) this.grantFirstPool();
      else this.inject(UIO_RX_VIRQ);
    } else if (ch === cfg.virtTx.ch) {
      this.inject(UIO_TX_VIRQ);
    } else if (ch === RECOVER_CH) {
      this.recover();
    } else if (ch === RESTART_CH) {
      this.restart();
    }
    this.checkResumed();
  }

  // ------------------------------------------------------------------ virtual interrupts

  private inject(irq: number): void {
    if (this.vcpu.state === T_STOPPED) {
      this.bump('virqWhileDown');
      return;
    }
    if (this.virqEnabled[irq] === 0) {
      this.virqLatchedBits[irq] = 1;
      this.bump('virqLatched');
      return;
    }
    if (this.vcpu.virqPending[irq] === 1) {
      this.bump('virqCoalesced');
      return;
    }
    this.kernel.vcpuInjectIrq(this.vcpu, irq);
    if (irq === this.res.irq) this.bump('virqNic');
    else if (irq === UIO_RX_VIRQ) this.bump('virqRx');
    else if (irq === UIO_TX_VIRQ) this.bump('virqTx');
    else this.bump('virqConfig');
  }

  /** GICD_ISENABLERn / GICD_ICENABLERn stores; false for any other distributor register. */
  private gicd(off: number, value: number): boolean {
    const setBase = enableWordIrq(off, GICD_ISENABLER);
    const base = setBase >= 0 ? setBase : enableWordIrq(off, GICD_ICENABLER);
    if (base < 0) return false;
    for (let bit = 0; bit < 32; bit++) {
      const irq = base + bit;
      if ((value & (1 << bit)) === 0 || irq >= MAX_VIRQ) continue;
      if (setBase < 0) {
        this.virqEnabled[irq] = 0;
        continue;
      }
      this.virqEnabled[irq] = 1;
      if (this.virqLatchedBits[irq] === 1) {
        this.virqLatchedBits[irq] = 0;
        this.inject(irq);
      }
    }
    return true;
  }

  /** Both enable banks read as the enable bits. */
  private gicdRead(off: number): number {
    const setBase = enableWordIrq(off, GICD_ISENABLER);
    const base = setBase >= 0 ? setBase : enableWordIrq(off, GICD_ICENABLER);
    let v = 0;
    for (let bit = 0; base >= 0 && bit < 32 && base + bit < MAX_VIRQ; bit++)
      if (this.virqEnabled[base + bit] === 1) v |= 1 << bit;
    return v >>> 0;
  }

  // ------------------------------------------------------------------ VM exits

  /**
   * A VM exit. Doorbell stores notify a virtualiser, distributor accesses are emulated, the
   * maintenance exit of the ENET's vIRQ acks the real IRQ. A PSCI reset or an access nobody
   * emulates stops the guest (returns false) and starts recovery.
   */
  override fault(child: number, info: FaultInfo): boolean {
    if (child !== this.vcpu.vcpuId || info.kind !== 'vm-fault' || this.vcpu.state === T_STOPPED) return false;
    this.charge(this.kernel.costs.mmio_emulate);
    const a = info.addr;
    if (info.write && a >= RX_DOORBELL_GPA && a < RX_DOORBELL_GPA + PAGE) {
      this.bump('exitsRxDoorbell');
      this.notify(this.cfg.virtRx.ch);
      this.checkResumed();
      return true;
    }
    if (info.write && a >= TX_DOORBELL_GPA && a < TX_DOORBELL_GPA + PAGE) {
      this.bump('exitsTxDoorbell');
      this.notify(this.cfg.virtTx.ch);
      return true;
    }
    if (a >= GICD_GPA && a < GICD_GPA + GICD_SIZE && info.width === 4) {
      this.bump('exitsGicd');
      if (!info.write) {
        info.readValue = this.gicdRead(a - GICD_GPA);
        return true;
      }
      if (this.gicd(a - GICD_GPA, info.value >>> 0)) return true;
    }
    if (info.write && a >= VGIC_MAINTENANCE_GPA && a < VGIC_MAINTENANCE_GPA + PAGE) {
      this.bump('exitsMaintenance');
      if (info.value === this.res.irq) this.irqAck(this.cfg.irqCh);
      return true;
    }
    if (info.write && a >= PSCI_GPA && a < PSCI_GPA + PAGE && info.value >>> 0 === PSCI_SYSTEM_RESET) {
      this.bump('exitsPsci');
      this.beginRecovery('reboot', 'PSCI SYSTEM_RESET');
      return false;
    }
    this.bump('exitsUnhandled');
    this.beginRecovery(
      'crash',
      `unhandled ${info.write ? 'store to' : 'load from'} 0x${a.toString(16)} (${info.width} bytes)`,
    );
    return false;
  }

  // ------------------------------------------------------------------ the page pool

  private writePool(): void {
    // The ledger only grows by reclaimed buffers; the map has room for twice the pool.
    const n = Math.min(this.pool.length, (this.config.size - NET_CONFIG_OFF_POOL) >>> 2);
    for (let i = 0; i < n; i++) this.as.write(CONFIG_VADDR + NET_CONFIG_OFF_POOL + 4 * i, 4, this.pool[i]!);
    this.as.write(CONFIG_VADDR + NET_CONFIG_OFF_POOL_COUNT, 4, n);
    this.as.write(CONFIG_VADDR + NET_CONFIG_OFF_GENERATION, 4, ++this.generation);
    this.as.write(CONFIG_VADDR + NET_CONFIG_OFF_READY, 4, 1);
    this.granted = true;
  }

  /** Takes the pool out of the RX free queue once, before the guest's driver can start. */
  private grantFirstPool(): void {
    const q = this.rxQ;
    const d = this.d;
    while (this.pool.length < this.opts.poolBuffers && q.dequeueFree(d)) {
      this.pool.push(d.ioOrOffset);
      this.vmmRxTaken = (this.vmmRxTaken + 1) & 0xffff;
    }
    if (this.pool.length < this.opts.poolBuffers) {
      q.requestSignalFree();
      return;
    }
    q.cancelSignalFree();
    this.writePool();
    this.inject(UIO_CONFIG_VIRQ);
  }

  // ------------------------------------------------------------------ crash and recovery

  private beginRecovery(kind: 'crash' | 'reboot', detail: string): void {
    if (this.phase !== DVM_UP) return;
    this.phase = DVM_DYING;
    this.recoveries.push({
      kind,
      detail,
      crashNs: this.now(),
      recoveredNs: -1,
      restartNs: -1,
      resumeNs: -1,
      reclaimedRx: 0,
      reclaimedTx: 0,
      poolReclaimed: 0,
      lostInRing: 0,
      nicDropsAtCrash: this.opts.nicDrops(),
      nicDropsAtResume: -1,
      gaveUp: false,
    });
    // The vCPU stops when this exit returns; the rest runs in the VMM's own entry.
    this.setTimeout(RECOVER_CH, 0);
  }

  private reg(off: number, v: number): void {
    this.charge(sddfCosts(this.kernel.costs).mmio_access);
    this.as.write(this.cfg.regsVaddr + off, 4, v >>> 0);
  }

  private recover(): void {
    if (this.phase !== DVM_DYING) return;
    if (this.vcpu.state !== T_STOPPED)
      this.kernel.stopThread(this.vcpu, 'crash', `${this.vcpu.name}: stopped by its VMM`);
    const rec = this.recoveries[this.recoveries.length - 1]!;
    // Quiesce the passed-through device: no DMA, no interrupt while nobody drives it.
    this.reg(ENET_EIMR, 0);
    this.reg(ENET_ECR, ECR_RESET);
    this.irqAck(this.cfg.irqCh);
    this.as.write(CONFIG_VADDR + NET_CONFIG_OFF_READY, 4, 0);
    this.granted = false;
    rec.lostInRing = this.countFilledRx();
    rec.poolReclaimed = this.pool.length;
    rec.reclaimedTx = this.reclaimTx();
    rec.reclaimedRx = this.reclaimRx();
    this.virqEnabled.fill(0);
    this.virqLatchedBits.fill(0);
    rec.recoveredNs = this.now();
    this.phase = DVM_DOWN;
    const delay = this.nextRebootNs;
    this.nextRebootNs = this.opts.rebootNs;
    // A guest that keeps crashing stays down, quiesced, once the budget is spent.
    if (rec.kind === 'crash' && this.budget !== null && !this.budget.take(this.now())) {
      rec.gaveUp = true;
      return;
    }
    this.setTimeout(RESTART_CH, delay);
  }

  private countFilledRx(): number {
    let n = 0;
    const base = this.cfg.rxRingVaddr;
    for (let s = 0; s < this.cfg.rxCount; s++) {
      if ((this.as.read(base + s * ENET_DESC_SIZE + DESC_OFF_STAT, 2) & RXD_EMPTY) === 0) n++;
    }
    return n;
  }

  /** TX buffers the guest took from virt_tx and never returned go back to virt_tx (to their owners). */
  private reclaimTx(): number {
    const q = this.txQ;
    const held = heldBuffers(
      this.txActiveBytes,
      // consumed: what the driver side dequeued; produced: what the bridge (not the VMM) returned
      queueHead(this.txActiveBytes),
      (queueTail(this.txFreeBytes) - this.vmmTxReturned) & 0xffff,
    );
    if (held === null) {
      this.bump('reclaimViolations');
      return 0;
    }
    const seen = new Set<number>();
    let n = 0;
    for (const io of held) {
      if (seen.has(io) || !this.isTxBuffer(io) || queueHolds(this.txFreeBytes, io)) {
        this.bump('reclaimViolations');
        continue;
      }
      seen.add(io);
      if (!q.enqueueFree(io, 0)) {
        this.bump('reclaimViolations');
        continue;
      }
      this.vmmTxReturned = (this.vmmTxReturned + 1) & 0xffff;
      n++;
    }
    if (n > 0 && q.requireSignalFree()) {
      q.cancelSignalFree();
      this.notify(this.cfg.virtTx.ch);
    }
    return n;
  }

  /** RX buffers the bridge took from the free queue join the VMM's pool ledger. */
  private reclaimRx(): number {
    const held = heldBuffers(
      this.rxFreeBytes,
      (queueHead(this.rxFreeBytes) - this.vmmRxTaken) & 0xffff,
      queueTail(this.rxActiveBytes),
    );
    if (held === null) {
      this.bump('reclaimViolations');
      return 0;
    }
    let n = 0;
    for (const io of held) {
      if (!this.isRxBuffer(io) || this.pool.includes(io) || queueHolds(this.rxActiveBytes, io)) {
        this.bump('reclaimViolations');
        continue;
      }
      this.pool.push(io);
      n++;
    }
    return n;
  }

  private isRxBuffer(io: number): boolean {
    const r = this.rxDma;
    return r !== null && io >= r.paddr && io < r.paddr + r.size && (io - r.paddr) % NET_BUFFER_SIZE === 0;
  }

  private isTxBuffer(io: number): boolean {
    for (const r of this.txData) {
      if (io >= r.paddr && io < r.paddr + r.size && (io - r.paddr) % NET_BUFFER_SIZE === 0) return true;
    }
    return false;
  }

  private restart(): void {
    if (this.phase !== DVM_DOWN) return;
    const rec = this.recoveries[this.recoveries.length - 1]!;
    this.writePool();
    this.phase = DVM_UP;
    this.rxTailAtRestart = queueTail(this.rxActiveBytes);
    rec.restartNs = this.now();
    this.kernel.restartThread(this.vcpu);
  }

  private checkResumed(): void {
    if (this.rxTailAtRestart < 0 || queueTail(this.rxActiveBytes) === this.rxTailAtRestart) return;
    this.rxTailAtRestart = -1;
    const rec = this.recoveries[this.recoveries.length - 1]!;
    rec.resumeNs = this.now();
    rec.nicDropsAtResume = this.opts.nicDrops();
  }

  /** Buffers of the ledger (the guest's pool, or held back while it is down), for audits. */
  poolLedger(): readonly number[] {
    return this.pool;
  }

  snapshot(): Record<string, unknown> {
    return {
      name: this.name,
      phase: this.phase,
      vcpu: { name: this.vcpu.name, state: this.vcpu.state, generation: this.vcpu.generation },
      pool: this.pool.length,
      granted: this.granted,
      counters: { ...this.counters },
      recoveries: this.recoveries.map((r) => ({ ...r })),
    };
  }
}

/** First IRQ of the enable word at distributor offset `off` in the bank at `bank`, or -1. */
function enableWordIrq(off: number, bank: number): number {
  return off >= bank && off < bank + 0x80 && off % 4 === 0 ? ((off - bank) / 4) * 32 : -1;
}
