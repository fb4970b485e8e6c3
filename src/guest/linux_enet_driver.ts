import type { AddressSpace } from '../board/address_space.js';
import { assert } from '../board/assert.js';
import {
  DESC_LAST,
  DESC_OFF_ADDR,
  DESC_OFF_LEN,
  DESC_OFF_STAT,
  DESC_WRAP,
  ECR_ETHEREN,
  ECR_RESET,
  EIR_RXF,
  EIR_TXF,
  ENET_DESC_SIZE,
  ENET_ECR,
  ENET_EIMR,
  ENET_EIR,
  ENET_EMRBR,
  ENET_ERDSR,
  ENET_ETDSR,
  ENET_PALR,
  ENET_PAUR,
  ENET_RCR,
  ENET_RDAR,
  ENET_RXIC0,
  ENET_TCR,
  ENET_TDAR,
  ENET_TXIC0,
  icft,
  RCR_MII_MODE,
  RCR_PROM,
  RCR_RGMII_EN,
  RDAR_RDAR,
  RXD_EMPTY,
  rcrMaxFl,
  TCR_FDEN,
  TDAR_TDAR,
  TXD_ADDCRC,
  TXD_READY,
  TXIC_ICEN,
} from '../board/enet_regs.js';

/** The ENET node of the driver VM's device tree, and the coherent DMA memory for its rings. */
export interface EnetDeviceTree {
  /** Guest-physical address of the passed-through register block. */
  readonly regsGpa: number;
  /** Descriptor rings (guest-physical = IO address: the VM's memory is identity mapped). */
  readonly rxRingGpa: number;
  readonly txRingGpa: number;
  readonly rxCount: number;
  readonly txCount: number;
  readonly mac: number;
  /** The virtual IRQ the VMM forwards the ENET interrupt as. */
  readonly irq: number;
}

/** Where received frames go (the packet socket): whether it can take one, and taking it. */
export interface EnetRxSink {
  hasRoom(): boolean;
  /** Takes pool buffer `buf` holding a `len`-byte frame; it is given back with freeBuffer. */
  rxFrame(buf: number, len: number): void;
}

export interface EnetKernel {
  chargeKernel(cycles: number): void;
  /** `n` transmitted frames were reclaimed (socket send-buffer space came back). */
  txReclaimed(n: number): void;
}

export interface EnetCosts {
  readonly dvm_napi_poll: number;
  readonly dvm_rx_pkt: number;
  readonly dvm_rx_drop_pkt: number;
  readonly dvm_tx_clean_pkt: number;
  readonly mmio_access: number;
  readonly cache_line_op: number;
}

/** fec_main.c defaults: FEC_ITR_ICFT_DEFAULT 200 frames, FEC_ITR_ICTT_DEFAULT 1000 us. */
const FEC_ITR_FRAMES = 200;
const FEC_ITR_USECS = 1000;
const MAX_FRAME_LEN = 1518;
const RX_BUFFER_SIZE = 1536;
export const POOL_BUFFER_SIZE = 2048;
const RX_IRQS = EIR_RXF | EIR_TXF;

export class EnetDriverCounters {
  irqs = 0;
  polls = 0;
  rxFrames = 0;
  /** No page to replace the received one with: the frame is dropped, its buffer re-armed. */
  rxAllocFailures = 0;
  /** The packet socket was full (sk_rcvbuf). */
  rxSocketFull = 0;
  txFrames = 0;
  txRingFull = 0;
  txReclaimed = 0;
}

/**
 * The Linux ENET driver of the driver VM (drivers/net/ethernet/freescale/fec_main.c reduced to
 * what the echo path uses), talking to the passed-through MAC: register accesses go straight to
 * the device (no VM exit), descriptors live in the two ring regions, and buffers come from a page
 * pool of RX-DMA-region buffers the VMM granted. Unlike sDDF's driver it owns its buffers and
 * builds a socket buffer per frame, which is why its per-frame costs are a Linux kernel's.
 *
 * RX keeps every ring slot posted, as fec does: a filled buffer goes up to the socket and a fresh
 * page takes its slot; without a fresh page (or room in the socket) the frame is dropped and its
 * buffer re-armed in place. TX reclaim clears the descriptor's buffer address, as fec_enet_tx does.
 * Interrupts: TXF/RXF with fec's default coalescing; the hard IRQ masks them and schedules NAPI,
 * napi_complete unmasks them.
 */
export class LinuxEnetDriver {
  readonly counters = new EnetDriverCounters();
  readonly dt: EnetDeviceTree;
  private readonly as: AddressSpace;
  private readonly k: EnetKernel;
  private readonly c: EnetCosts;
  /** Page pool: IO address per buffer index, and a stack of free indices. */
  readonly poolIo: Float64Array;
  private readonly poolFree: Int32Array;
  private poolTop = 0;
  /** Buffer index held by each RX / TX ring slot. */
  private readonly rxSlotBuf: Int32Array;
  private readonly txSlotBuf: Int32Array;
  private rxNext = 0;
  txHead = 0;
  txTail = 0;
  up = false;

  constructor(
    as: AddressSpace,
    kernel: EnetKernel,
    dt: EnetDeviceTree,
    costs: EnetCosts,
    pool: Float64Array,
  ) {
    this.as = as;
    this.k = kernel;
    this.dt = dt;
    this.c = costs;
    this.poolIo = pool;
    this.poolFree = new Int32Array(pool.length);
    for (let i = pool.length - 1; i >= 0; i--) this.poolFree[this.poolTop++] = i;
    this.rxSlotBuf = new Int32Array(dt.rxCount).fill(-1);
    this.txSlotBuf = new Int32Array(dt.txCount).fill(-1);
  }

  get freeBuffers(): number {
    return this.poolTop;
  }

  bufGpa(buf: number): number {
    return this.poolIo[buf]!;
  }

  takeBuffer(): number {
    return this.poolTop === 0 ? -1 : this.poolFree[--this.poolTop]!;
  }

  freeBuffer(buf: number): void {
    assert(this.poolTop < this.poolFree.length, 'page pool: buffer freed twice');
    this.poolFree[this.poolTop++] = buf;
  }

  private reg(off: number): number {
    this.k.chargeKernel(this.c.mmio_access);
    return this.as.read(this.dt.regsGpa + off, 4);
  }

  private setReg(off: number, v: number): void {
    this.k.chargeKernel(this.c.mmio_access);
    this.as.write(this.dt.regsGpa + off, 4, v >>> 0);
  }

  private writeDesc(
    ring: number,
    slot: number,
    count: number,
    addr: number,
    len: number,
    stat: number,
  ): void {
    const at = ring + slot * ENET_DESC_SIZE;
    this.as.write(at + DESC_OFF_ADDR, 4, addr >>> 0);
    this.as.write(at + DESC_OFF_LEN, 2, len);
    this.as.write(at + DESC_OFF_STAT, 2, stat | (slot + 1 === count ? DESC_WRAP : 0));
  }

  /**
   * fec_enet_open / fec_restart: reset the MAC, lay out both rings (every RX slot posted with a
   * pool page), program it and unmask TXF/RXF. False when the pool cannot fill the RX ring.
   */
  open(): boolean {
    const dt = this.dt;
    if (this.poolTop < dt.rxCount) return false;
    this.setReg(ENET_ECR, ECR_RESET);
    this.setReg(ENET_EIMR, 0);
    this.setReg(ENET_EIR, 0xffff_ffff);
    this.setReg(ENET_PALR, Math.floor(dt.mac / 0x1_0000) >>> 0);
    this.setReg(ENET_PAUR, ((dt.mac % 0x1_0000) << 16) >>> 0);
    this.setReg(ENET_RCR, rcrMaxFl(MAX_FRAME_LEN) | RCR_PROM | RCR_MII_MODE | RCR_RGMII_EN);
    this.setReg(ENET_TCR, TCR_FDEN);
    this.setReg(ENET_EMRBR, RX_BUFFER_SIZE);
    for (let s = 0; s < dt.rxCount; s++) {
      const b = this.takeBuffer();
      this.rxSlotBuf[s] = b;
      this.writeDesc(dt.rxRingGpa, s, dt.rxCount, this.poolIo[b]!, 0, RXD_EMPTY);
    }
    for (let s = 0; s < dt.txCount; s++) this.writeDesc(dt.txRingGpa, s, dt.txCount, 0, 0, 0);
    this.rxNext = 0;
    this.txHead = 0;
    this.txTail = 0;
    this.setReg(ENET_ERDSR, dt.rxRingGpa);
    this.setReg(ENET_ETDSR, dt.txRingGpa);
    // fec_enet_itr_coal_set: the timer counts 64 periods of the 125 MHz GMII clock.
    const ictt = Math.round((FEC_ITR_USECS * 125) / 64);
    const ic = TXIC_ICEN | icft(FEC_ITR_FRAMES) | (ictt & 0xffff);
    this.setReg(ENET_TXIC0, ic);
    this.setReg(ENET_RXIC0, ic);
    this.setReg(ENET_ECR, ECR_ETHEREN);
    this.setReg(ENET_RDAR, RDAR_RDAR);
    this.setReg(ENET_EIMR, RX_IRQS);
    this.up = true;
    return true;
  }

  /** fec_enet_interrupt: ack the events, mask them and ask for a NAPI poll; true if one is due. */
  hardirq(): boolean {
    this.counters.irqs++;
    const e = this.reg(ENET_EIR);
    this.setReg(ENET_EIR, e);
    if ((e & RX_IRQS) === 0) return false;
    this.setReg(ENET_EIMR, 0);
    return true;
  }

  /** fec_enet_rx_napi: reclaim TX, then up to `budget` received frames; returns how many. */
  poll(budget: number, sink: EnetRxSink): number {
    const c = this.c;
    const dt = this.dt;
    this.counters.polls++;
    this.k.chargeKernel(c.dvm_napi_poll);
    this.reclaimTx();
    let n = 0;
    let rearmed = false;
    while (n < budget) {
      const slot = this.rxNext;
      const at = dt.rxRingGpa + slot * ENET_DESC_SIZE;
      const stat = this.as.read(at + DESC_OFF_STAT, 2);
      if ((stat & RXD_EMPTY) !== 0) break;
      const len = this.as.read(at + DESC_OFF_LEN, 2);
      const buf = this.rxSlotBuf[slot]!;
      n++;
      // dma_sync_single_for_cpu: the kernel maps its pages cached and invalidates before reading.
      const lines = Math.ceil(len / 64);
      let next = buf;
      if (!sink.hasRoom()) {
        this.k.chargeKernel(c.dvm_rx_drop_pkt + lines * c.cache_line_op);
        this.counters.rxSocketFull++;
      } else {
        this.k.chargeKernel(c.dvm_rx_pkt + lines * c.cache_line_op);
        const fresh = this.takeBuffer();
        if (fresh < 0) {
          this.counters.rxAllocFailures++;
        } else {
          next = fresh;
          this.counters.rxFrames++;
          sink.rxFrame(buf, len);
        }
      }
      this.rxSlotBuf[slot] = next;
      this.writeDesc(dt.rxRingGpa, slot, dt.rxCount, this.poolIo[next]!, 0, RXD_EMPTY);
      rearmed = true;
      this.rxNext = slot + 1 === dt.rxCount ? 0 : slot + 1;
    }
    if (rearmed) this.setReg(ENET_RDAR, RDAR_RDAR);
    return n;
  }

  /** napi_complete_done: unmask TXF/RXF (the line rises at once if events are pending). */
  napiComplete(): void {
    this.setReg(ENET_EIMR, RX_IRQS);
  }

  /** fec_enet_tx: frees the pages of sent frames and clears their descriptors' addresses. */
  private reclaimTx(): void {
    const dt = this.dt;
    let n = 0;
    while (this.txHead !== this.txTail) {
      const slot = this.txHead % dt.txCount;
      const at = dt.txRingGpa + slot * ENET_DESC_SIZE;
      if ((this.as.read(at + DESC_OFF_STAT, 2) & TXD_READY) !== 0) break;
      this.as.write(at + DESC_OFF_ADDR, 4, 0);
      this.freeBuffer(this.txSlotBuf[slot]!);
      this.txSlotBuf[slot] = -1;
      this.txHead++;
      n++;
    }
    if (n > 0) {
      this.k.chargeKernel(n * this.c.dvm_tx_clean_pkt);
      this.counters.txReclaimed += n;
      this.k.txReclaimed(n);
    }
  }

  /** fec_enet_start_xmit of a frame already in pool buffer `buf`; false when the ring is full. */
  xmit(buf: number, len: number): boolean {
    const dt = this.dt;
    if (this.txTail - this.txHead >= dt.txCount) {
      this.counters.txRingFull++;
      return false;
    }
    const slot = this.txTail % dt.txCount;
    this.txSlotBuf[slot] = buf;
    // dma_map_single(DMA_TO_DEVICE): write the frame's lines back for the MAC.
    this.k.chargeKernel(Math.ceil(len / 64) * this.c.cache_line_op);
    this.writeDesc(
      dt.txRingGpa,
      slot,
      dt.txCount,
      this.poolIo[buf]!,
      len,
      TXD_READY | TXD_ADDCRC | DESC_LAST,
    );
    this.txTail++;
    this.setReg(ENET_TDAR, TDAR_TDAR);
    this.counters.txFrames++;
    return true;
  }

  /**
   * What a compromised kernel does with the device (the dma-escape fault): point every RX slot and
   * one TX descriptor at physical addresses outside the DMA windows and start both engines. The
   * IOMMU must refuse every one of these accesses.
   */
  hijack(victims: readonly number[]): void {
    const dt = this.dt;
    if (victims.length === 0) return;
    for (let s = 0; s < dt.rxCount; s++)
      this.writeDesc(dt.rxRingGpa, s, dt.rxCount, victims[s % victims.length]!, 0, RXD_EMPTY);
    this.setReg(ENET_RDAR, RDAR_RDAR);
    const slot = this.txTail % dt.txCount;
    this.writeDesc(dt.txRingGpa, slot, dt.txCount, victims[0]!, 1514, TXD_READY | TXD_ADDCRC | DESC_LAST);
    this.setReg(ENET_TDAR, TDAR_TDAR);
  }

  /** IO addresses of every pool buffer the driver has: free, posted in the RX ring, being sent. */
  holdings(out: number[]): void {
    for (let i = 0; i < this.poolTop; i++) out.push(this.poolIo[this.poolFree[i]!]!);
    for (let s = 0; s < this.dt.rxCount; s++) {
      const b = this.rxSlotBuf[s]!;
      if (b >= 0) out.push(this.poolIo[b]!);
    }
    for (let t = this.txHead; t !== this.txTail; t++)
      out.push(this.poolIo[this.txSlotBuf[t % this.dt.txCount]!]!);
  }

  snapshot(): object {
    return {
      up: this.up,
      rxNext: this.rxNext,
      txHead: this.txHead,
      txTail: this.txTail,
      freeBuffers: this.poolTop,
      counters: { ...this.counters },
    };
  }
}
