import { PERM_R, PERM_W } from '../board/address_space.js';
import {
  ECR_ETHEREN,
  EIR_EBERR,
  EIR_RXF,
  EIR_TXF,
  ECR_RESET,
  ENET_ECR,
  ENET_EIMR,
  ENET_EIR,
  ENET_EMRBR,
  ENET_ERDSR,
  ENET_ETDSR,
  ENET_RCR,
  ENET_RDAR,
  ENET_TCR,
  ENET_TDAR,
  ENET_TXIC0,
  ENET_PALR,
  ENET_PAUR,
  RCR_PROM,
  RDAR_RDAR,
  RXD_EMPTY,
  TDAR_TDAR,
  TXD_ADDCRC,
  TXD_LAST,
  TXD_READY,
  DESC_WRAP,
  TCR_FDEN,
  RCR_MII_MODE,
  RCR_RGMII_EN,
  TXIC_ICEN,
} from '../board/enet_regs.js';
import { ProtectionDomain } from '../board/pd.js';
import type { DriverConfig } from './config.js';
import { type SddfCosts, sddfCosts } from './costs.js';
import {
  type DriverQueues,
  driverCustody,
  type NativeDriverRecovery,
  queueBytesOf,
} from './eth_driver_restart.js';
import { NetBuffDesc, type NetQueueHandle } from './net_queue.js';
import { openQueue } from './queue_binding.js';

const IRQ_MASK = EIR_RXF | EIR_TXF | EIR_EBERR;
const MAX_PACKET_SIZE = 1536;
const MAX_FRAME_LEN = 1518;
/**
 * The channel a fault injector wakes an armed driver on when nothing else has (kernel.externalSignal:
 * no peer). Clear of the ids composeNetSystem hands out (0 for the IRQ, then one per queue pair).
 */
export const DRIVER_FAULT_CH = 126;

/** The driver's private view of a hardware ring (hw_ring_t). */
class HwRing {
  tail = 0;
  head = 0;
  readonly capacity: number;
  readonly vaddr: number;
  constructor(vaddr: number, capacity: number) {
    this.vaddr = vaddr;
    this.capacity = capacity;
  }
  full(): boolean {
    return this.tail - this.head === this.capacity;
  }
  empty(): boolean {
    return this.tail - this.head === 0;
  }
}

/** What EthDriver.ringState reports: ring indices are free-running, slot = index % count. */
export interface RingState {
  rxHead: number;
  rxTail: number;
  rxCount: number;
  txHead: number;
  txTail: number;
  txCount: number;
  /** Capacities of the driver's queues to virt_rx and virt_tx. */
  rxQueueCapacity: number;
  txQueueCapacity: number;
}

/**
 * The i.MX8 ENET driver (drivers/network/imx/ethernet.c): moves buffers between the
 * hardware descriptor rings and the sDDF queues, and does nothing else. It never maps
 * packet data; descriptors live in uncached device memory.
 *
 * Descriptor layout (8 bytes, in DMA memory): len u16 @0, stat u16 @2, addr u32 @4.
 */
export class EthDriver extends ProtectionDomain {
  private readonly cfg: DriverConfig;
  private c!: SddfCosts;
  private rxQ!: NetQueueHandle;
  private txQ!: NetQueueHandle;
  private rx!: HwRing;
  private tx!: HwRing;
  private readonly d = new NetBuffDesc();
  rxPackets = 0;
  txPackets = 0;
  busErrors = 0;
  /** Armed by a fault injector: the driver's next notified() faults half-way (crashMidEntry). */
  crashArmed = false;
  /**
   * Set by the supervising monitor (driver_monitor.ts) before it restarts this PD: the restart
   * fills in what it reclaimed and watches for the first RX and TX frame after it.
   */
  recovery: NativeDriverRecovery | null = null;
  /** NIC receive drops so far, for the outage record (set by the composition; reads a counter). */
  nicDrops: () => number = () => 0;
  /** Impossible counts or repeated addresses found while reclaiming at restarts. */
  reclaimViolations = 0;
  /** Times init ran: the first is the cold start, later ones re-initialise after a restart. */
  private inits = 0;
  /** rxPackets when the restart's init ran (the first RX after it is rxPackets growing). */
  private rxPacketsAtRestart = 0;

  constructor(name: string, cfg: DriverConfig) {
    super(name);
    this.cfg = cfg;
  }

  private reg(off: number): number {
    this.charge(this.c.mmio_access);
    return this.as.read(this.cfg.regsVaddr + off, 4);
  }

  private setReg(off: number, v: number): void {
    this.charge(this.c.mmio_access);
    this.as.write(this.cfg.regsVaddr + off, 4, v >>> 0);
  }

  /** update_ring_slot: addr and len first, barrier, then stat (the ownership bit). */
  private writeSlot(ring: HwRing, idx: number, addr: number, len: number, stat: number): void {
    const at = ring.vaddr + idx * 8;
    this.as.write(at + 4, 4, addr >>> 0);
    this.as.write(at, 2, len);
    this.as.write(at + 2, 2, stat);
  }

  override init(): void {
    const cfg = this.cfg;
    const restart = this.inits++ > 0;
    this.c = sddfCosts(this.kernel.costs);
    this.rxQ = openQueue(this, cfg.virtRx);
    this.txQ = openQueue(this, cfg.virtTx);
    this.as.resolve(cfg.rxRingVaddr, cfg.rxCount * 8, PERM_R | PERM_W);
    this.as.resolve(cfg.txRingVaddr, cfg.txCount * 8, PERM_R | PERM_W);
    // A restart finds the NIC as the dead instance left it, still DMAing: stop it first.
    const lostInRing = restart ? this.quiesce() : 0;
    this.rx = new HwRing(cfg.rxRingVaddr, cfg.rxCount);
    this.tx = new HwRing(cfg.txRingVaddr, cfg.txCount);
    this.charge(this.c.drv_entry);
    // Descriptors start owned by software, last one wraps.
    for (let i = 0; i < cfg.rxCount; i++)
      this.writeSlot(this.rx, i, 0, 0, i === cfg.rxCount - 1 ? DESC_WRAP : 0);
    for (let i = 0; i < cfg.txCount; i++)
      this.writeSlot(this.tx, i, 0, 0, i === cfg.txCount - 1 ? DESC_WRAP : 0);
    this.setReg(ENET_EIMR, 0);
    this.setReg(ENET_EIR, 0xffffffff);
    this.setReg(ENET_PALR, Math.floor(cfg.mac / 0x10000) >>> 0);
    this.setReg(ENET_PAUR, ((cfg.mac % 0x10000) << 16) >>> 0);
    this.setReg(ENET_RCR, (MAX_FRAME_LEN << 16) | RCR_PROM | RCR_MII_MODE | RCR_RGMII_EN);
    this.setReg(ENET_TCR, TCR_FDEN);
    this.setReg(ENET_EMRBR, MAX_PACKET_SIZE);
    this.setReg(ENET_ERDSR, cfg.rxRingIo);
    this.setReg(ENET_ETDSR, cfg.txRingIo);
    this.setReg(
      ENET_TXIC0,
      TXIC_ICEN | ((cfg.txCoalesceFrames & 0xff) << 20) | (cfg.txCoalesceTimer & 0xffff),
    );
    this.setReg(ENET_ECR, ECR_ETHEREN);
    this.setReg(ENET_EIMR, IRQ_MASK);
    if (restart) this.reclaim(lostInRing);
    this.rxProvide();
    this.txProvide();
    if (this.recovery !== null) this.watchResume(this.recovery);
  }

  // ------------------------------------------------------------------ crash and restart

  /**
   * Restart, before the rings are rebuilt: mask and reset the MAC (no DMA, no interrupt while the
   * rings are rewritten) and count the frames the dead instance left in the RX ring. The count
   * reads the old instance's ring indices, which may be corrupt: it is bounded and only reported;
   * no buffer is accounted from them.
   */
  private quiesce(): number {
    this.setReg(ENET_EIMR, 0);
    this.setReg(ENET_ECR, ECR_RESET);
    const old = this.rx as HwRing | undefined;
    if (old === undefined) return 0;
    const posted = old.tail - old.head;
    if (!(posted > 0 && posted <= old.capacity)) return 0;
    let filled = 0;
    for (let k = 0; k < posted; k++) {
      const at = old.vaddr + ((old.head + k) % old.capacity) * 8;
      if ((this.as.read(at + 2, 2) & RXD_EMPTY) === 0) filled++;
    }
    return filled;
  }

  /**
   * Restart, after the rings are rebuilt (all descriptors software-owned) and the MAC is
   * programmed: every buffer the dead instance held (queue_custody.ts) is taken back. RX buffers
   * are posted again, oldest first, at the start of the new RX ring: whatever the NIC wrote into
   * them is dropped (counted in lostInRing). TX buffers go back to virt_tx on the TX free queue,
   * as completions, so each client gets its own back; a frame the NIC had not sent is not sent.
   * Then the IRQ is acked: seL4 left it masked if it fired while nobody ran.
   */
  private reclaim(lostInRing: number): void {
    const cfg = this.cfg;
    const queues: DriverQueues = {
      rxFree: queueBytesOf(this, cfg.virtRx.freeVaddr, cfg.virtRx.capacity),
      rxActive: queueBytesOf(this, cfg.virtRx.activeVaddr, cfg.virtRx.capacity),
      txActive: queueBytesOf(this, cfg.virtTx.activeVaddr, cfg.virtTx.capacity),
      txFree: queueBytesOf(this, cfg.virtTx.freeVaddr, cfg.virtTx.capacity),
    };
    const held = driverCustody(queues, this.rx.capacity, cfg.txFreePrefilled ?? 0);
    this.reclaimViolations += held.violations;
    const ring = this.rx;
    for (const io of held.rx) {
      const idx = ring.tail % ring.capacity;
      this.writeSlot(ring, idx, io, 0, RXD_EMPTY | (idx + 1 === ring.capacity ? DESC_WRAP : 0));
      ring.tail++;
    }
    if (held.rx.length > 0) this.setReg(ENET_RDAR, RDAR_RDAR);
    const q = this.txQ;
    let returned = 0;
    for (const io of held.tx) {
      if (q.enqueueFree(io, 0)) returned++;
      else this.reclaimViolations++;
    }
    if (returned > 0 && q.requireSignalFree()) {
      q.cancelSignalFree();
      this.notify(cfg.virtTx.ch);
    }
    this.irqAck(cfg.irqCh);
    const rec = this.recovery;
    if (rec !== null) {
      rec.reclaimedRx = held.rx.length;
      rec.reclaimedTx = returned;
      rec.lostInRing = lostInRing;
    }
    this.rxPacketsAtRestart = this.rxPackets;
  }

  /**
   * An injected bug: half-way through its work the driver has taken an RX buffer (the oldest
   * filled one off the ring, as rxReturn does before its enqueue, or else a free one off the
   * queue, as rxProvide does) and an active TX buffer off its queue (as txProvide does), and then
   * dereferences a null pointer. Nothing is mapped at 0, so the load faults the PD: the kernel
   * stops it and tells its parent (the monitor), with those buffers in the dead PD's hands.
   */
  private crashMidEntry(): void {
    this.crashArmed = false;
    const rx = this.rx;
    if (!rx.empty() && (this.as.read(rx.vaddr + (rx.head % rx.capacity) * 8 + 2, 2) & RXD_EMPTY) === 0)
      rx.head++;
    else if (!rx.full()) this.rxQ.dequeueFree(this.d);
    if (!this.tx.full()) this.txQ.dequeueActive(this.d);
    this.as.read(0, 4);
  }

  /** After a restart: the first frame handed to virt_rx and the first handed to the NIC. */
  private watchResume(rec: NativeDriverRecovery): void {
    const now = this.now();
    if (rec.firstRxNs < 0 && this.rxPackets !== this.rxPacketsAtRestart) {
      rec.firstRxNs = now;
      rec.nicDropsAtResume = this.nicDrops();
    }
    if (rec.firstTxNs < 0 && this.tx.tail > 0) rec.firstTxNs = now;
    if (rec.firstRxNs >= 0 && rec.firstTxNs >= 0) this.recovery = null;
  }

  override notified(ch: number): void {
    // An injected bug strikes at the start of the driver's next piece of work (whatever woke it).
    if (this.crashArmed) this.crashMidEntry();
    this.charge(this.c.drv_entry);
    if (ch === this.cfg.irqCh) {
      this.handleIrq();
      this.deferredIrqAck(ch);
    } else if (ch === this.cfg.virtRx.ch) {
      this.rxProvide();
    } else if (ch === this.cfg.virtTx.ch) {
      this.txProvide();
    }
    if (this.recovery !== null) this.watchResume(this.recovery);
  }

  private handleIrq(): void {
    let e = this.reg(ENET_EIR) & IRQ_MASK;
    this.setReg(ENET_EIR, e);
    while ((e & IRQ_MASK) !== 0) {
      if ((e & EIR_TXF) !== 0) {
        this.txReturn();
        this.txProvide();
      }
      if ((e & EIR_RXF) !== 0) {
        this.rxReturn();
        this.rxProvide();
      }
      if ((e & EIR_EBERR) !== 0) this.busErrors++;
      e = this.reg(ENET_EIR) & IRQ_MASK;
      this.setReg(ENET_EIR, e);
    }
  }

  private rxProvide(): void {
    const q = this.rxQ;
    const ring = this.rx;
    let reprocess = true;
    while (reprocess) {
      while (!ring.full() && !q.emptyFree()) {
        q.dequeueFree(this.d);
        const idx = ring.tail % ring.capacity;
        const stat = RXD_EMPTY | (idx + 1 === ring.capacity ? DESC_WRAP : 0);
        this.writeSlot(ring, idx, this.d.ioOrOffset, 0, stat);
        ring.tail++;
        this.setReg(ENET_RDAR, RDAR_RDAR);
      }
      // Only ask for buffers while there is room to post them.
      if (!ring.full()) q.requestSignalFree();
      else q.cancelSignalFree();
      reprocess = false;
      if (!q.emptyFree() && !ring.full()) {
        q.cancelSignalFree();
        reprocess = true;
      }
    }
  }

  private rxReturn(): void {
    const q = this.rxQ;
    const ring = this.rx;
    let moved = false;
    while (!ring.empty()) {
      const idx = ring.head % ring.capacity;
      const at = ring.vaddr + idx * 8;
      const stat = this.as.read(at + 2, 2);
      if ((stat & RXD_EMPTY) !== 0) break;
      const len = this.as.read(at, 2);
      const addr = this.as.read(at + 4, 4);
      q.enqueueActive(addr, len);
      this.charge(this.c.drv_rx_pkt + 2 * this.c.queue_barrier);
      ring.head++;
      moved = true;
      this.rxPackets++;
    }
    if (moved) {
      if (q.requireSignalActive()) {
        q.cancelSignalActive();
        this.notify(this.cfg.virtRx.ch);
      } else this.suppressed();
    }
  }

  private txProvide(): void {
    const q = this.txQ;
    const ring = this.tx;
    let reprocess = true;
    while (reprocess) {
      while (!ring.full() && !q.emptyActive()) {
        q.dequeueActive(this.d);
        const idx = ring.tail % ring.capacity;
        const stat = TXD_READY | TXD_ADDCRC | TXD_LAST | (idx + 1 === ring.capacity ? DESC_WRAP : 0);
        this.writeSlot(ring, idx, this.d.ioOrOffset, this.d.len, stat);
        this.charge(this.c.drv_tx_pkt + 2 * this.c.queue_barrier);
        ring.tail++;
        this.setReg(ENET_TDAR, TDAR_TDAR);
      }
      q.requestSignalActive();
      reprocess = false;
      if (!ring.full() && !q.emptyActive()) {
        q.cancelSignalActive();
        reprocess = true;
      }
    }
  }

  private txReturn(): void {
    const q = this.txQ;
    const ring = this.tx;
    let moved = false;
    while (!ring.empty()) {
      const idx = ring.head % ring.capacity;
      const at = ring.vaddr + idx * 8;
      const stat = this.as.read(at + 2, 2);
      if ((stat & TXD_READY) !== 0) break;
      const addr = this.as.read(at + 4, 4);
      q.enqueueFree(addr, 0);
      ring.head++;
      moved = true;
      this.txPackets++;
    }
    if (moved) {
      if (q.requireSignalFree()) {
        q.cancelSignalFree();
        this.notify(this.cfg.virtTx.ch);
      } else this.suppressed();
    }
  }

  /**
   * The driver's private ring indices, for observers (the invariant checker): slots from head to
   * tail (mod capacity) hold posted buffers. Fills `out` (before init only the queue
   * capacities, and returns false).
   */
  ringState(out: RingState): boolean {
    out.rxQueueCapacity = this.cfg.virtRx.capacity;
    out.txQueueCapacity = this.cfg.virtTx.capacity;
    const rx = this.rx as HwRing | undefined;
    const tx = this.tx as HwRing | undefined;
    if (rx === undefined || tx === undefined) return false;
    out.rxHead = rx.head;
    out.rxTail = rx.tail;
    out.rxCount = rx.capacity;
    out.txHead = tx.head;
    out.txTail = tx.tail;
    out.txCount = tx.capacity;
    return true;
  }

  snapshot(): object {
    return {
      rx: { head: this.rx?.head, tail: this.rx?.tail },
      tx: { head: this.tx?.head, tail: this.tx?.tail },
      rxPackets: this.rxPackets,
      txPackets: this.txPackets,
      busErrors: this.busErrors,
    };
  }
}
