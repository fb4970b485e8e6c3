import { PERM_R, PERM_W } from '../board/address_space.js';
import {
  ECR_ETHEREN,
  EIR_EBERR,
  EIR_RXF,
  EIR_TXF,
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
import { NetBuffDesc, type NetQueueHandle } from './net_queue.js';
import { openQueue } from './queue_binding.js';

const IRQ_MASK = EIR_RXF | EIR_TXF | EIR_EBERR;
const MAX_PACKET_SIZE = 1536;
const MAX_FRAME_LEN = 1518;

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
    this.c = sddfCosts(this.kernel.costs);
    this.rxQ = openQueue(this, cfg.virtRx);
    this.txQ = openQueue(this, cfg.virtTx);
    this.as.resolve(cfg.rxRingVaddr, cfg.rxCount * 8, PERM_R | PERM_W);
    this.as.resolve(cfg.txRingVaddr, cfg.txCount * 8, PERM_R | PERM_W);
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
    this.rxProvide();
    this.txProvide();
  }

  override notified(ch: number): void {
    this.charge(this.c.drv_entry);
    if (ch === this.cfg.irqCh) {
      this.handleIrq();
      this.deferredIrqAck(ch);
    } else if (ch === this.cfg.virtRx.ch) {
      this.rxProvide();
    } else if (ch === this.cfg.virtTx.ch) {
      this.txProvide();
    }
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
