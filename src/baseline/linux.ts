import { PERM_R, PERM_W } from '../board/address_space.js';
import {
  DESC_LAST,
  DESC_WRAP,
  ECR_ETHEREN,
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
  ENET_RXIC0,
  ENET_TCR,
  ENET_TDAR,
  ENET_TXIC0,
  RCR_MII_MODE,
  RCR_PROM,
  RCR_RGMII_EN,
  RDAR_RDAR,
  RXD_EMPTY,
  TCR_FDEN,
  TDAR_TDAR,
  TXD_ADDCRC,
  TXD_READY,
  TXIC_ICEN,
} from '../board/enet_regs.js';
import { DMA_READ, DMA_WRITE, type Iommu } from '../board/iommu.js';
import type { Kernel } from '../board/kernel.js';
import { PAGE_SIZE, type PhysicalMemory, type Region, roundUp } from '../board/memory.js';
import { ProtectionDomain } from '../board/pd.js';
import { IN_REPLY, NetStack } from '../net/stack.js';
import { type LinuxCosts, linuxCosts } from './costs.js';
import { Schedutil } from './cpufreq.js';

const BUF = 2048;
/** fec_main.c defaults: FEC_ITR_ICFT_DEFAULT 200 frames, FEC_ITR_ICTT_DEFAULT 1000 us. */
export const FEC_ITR_FRAMES = 200;
export const FEC_ITR_USECS = 1000;
const NAPI_WEIGHT = 64;
/** __do_softirq: MAX_SOFTIRQ_RESTART rounds before handing over to ksoftirqd. */
const MAX_SOFTIRQ_RESTART = 10;
/** net_rx_action's netdev_budget per softirq run. */
const NETDEV_BUDGET = 300;
/** Datagrams the echo program handles per slice before the scheduler looks again. */
const APP_SLICE = 16;
/**
 * Frames received after a datagram beyond which its sk_buff, skb_shared_info and header lines
 * have left the 512 KiB L2 by the time the echo program reads it. Each frame echoed streams
 * about 4.5 KiB through the caches (skb and shinfo 9 lines, headers 2, the payload read by
 * copy_to_user and written by copy_from_user 46, the transmit skb 9), so 512 KiB hold about
 * 114 frames; kernel text and other data share the L2, so the threshold is a choice in
 * 48..114 (48 and 56 give the linux table within 0.3%); its cost, linux_cold_skb, is fitted.
 */
export const LINUX_L2_FRAMES = 64;

/**
 * The state of the Linux kernel's networking that its contexts share: the FEC rings,
 * the page pool of receive buffers, the UDP socket's receive queue (bounded by rmem,
 * as sk_rcvbuf bounds it), and the NAPI state.
 */
export class LinuxNetState {
  readonly rxCount: number;
  readonly txCount: number;
  rxHead = 0;
  rxTail = 0;
  txHead = 0;
  txTail = 0;
  /** Buffer index posted in each RX ring slot / queued in each TX slot. */
  readonly rxSlotBuf: Int32Array;
  readonly txSlotBuf: Int32Array;
  /** Free buffer indices (the page pool), a stack. */
  readonly freeBufs: Int32Array;
  freeCount = 0;
  /** The socket receive queue: buffer index and length, a ring. */
  readonly sockBuf: Int32Array;
  readonly sockLen: Int32Array;
  /** rxPackets when each queued datagram was received (how much traffic passed it since). */
  readonly sockRxSeq: Float64Array;
  sockHead = 0;
  sockTail = 0;
  readonly sockLimit: number;
  appWaiting = true;
  ksoftirqdActive = false;
  /** The core's clock, set by the cpufreq governor (null: always at max_freq). */
  readonly freq: Schedutil | null;
  // Counters
  rxPackets = 0;
  sockDrops = 0;
  /** Datagrams whose skb had left the L2 when the echo program read them. */
  coldReads = 0;
  txRingFull = 0;
  txPackets = 0;
  noBufferDrops = 0;

  constructor(
    rxCount: number,
    txCount: number,
    buffers: number,
    sockLimit: number,
    freq: Schedutil | null = null,
  ) {
    this.freq = freq;
    this.rxCount = rxCount;
    this.txCount = txCount;
    this.rxSlotBuf = new Int32Array(rxCount);
    this.txSlotBuf = new Int32Array(txCount);
    this.freeBufs = new Int32Array(buffers);
    for (let i = buffers - 1; i >= 0; i--) this.freeBufs[this.freeCount++] = i;
    this.sockBuf = new Int32Array(sockLimit + 1);
    this.sockLen = new Int32Array(sockLimit + 1);
    this.sockRxSeq = new Float64Array(sockLimit + 1);
    this.sockLimit = sockLimit;
  }

  sockLength(): number {
    return this.sockTail - this.sockHead;
  }
}

export interface LinuxLayout {
  regsVaddr: number;
  rxRingVaddr: number;
  txRingVaddr: number;
  bufVaddr: number;
  bufIo: number;
  rxRingIo: number;
  txRingIo: number;
}

/** Kernel-side helpers every Linux context uses (they all run the same kernel code). */
abstract class LinuxContext extends ProtectionDomain {
  protected readonly st: LinuxNetState;
  protected readonly lay: LinuxLayout;
  protected c!: LinuxCosts;
  protected mmio = 0;

  constructor(name: string, st: LinuxNetState, lay: LinuxLayout) {
    super(name);
    this.st = st;
    this.lay = lay;
  }

  protected setup(): void {
    this.c = linuxCosts(this.kernel.costs);
    this.mmio = (this.kernel.costs as unknown as Record<string, number>)['mmio_access'] ?? 60;
  }

  /**
   * CPU work: the cost model's cycles are cycles at max_freq; at a lower clock the same work
   * takes proportionally longer, and the kernel's books (and the measured CPU) count time.
   */
  override charge(cycles: number): void {
    const f = this.st.freq;
    this.kernel.charge(f === null ? cycles : cycles * f.scale);
  }

  /** Memory-bound work (DRAM streaming, cache misses): its time does not follow the core clock. */
  protected memory(cycles: number): void {
    this.kernel.charge(cycles);
  }

  /** The governor's hook, as the scheduler calls cpufreq_update_util on its paths. */
  protected cpufreqUpdate(): void {
    const f = this.st.freq;
    if (f === null) return;
    const now = this.now();
    if (!f.due(now)) return;
    let idle = 0;
    for (const c of this.kernel.accounting(this.core).idleBuckets) idle += c;
    f.update(now, idle, this.kernel.ghz);
  }

  // Device register accesses take bus time, whatever the core's clock.
  protected reg(off: number): number {
    this.kernel.charge(this.mmio);
    return this.as.read(this.lay.regsVaddr + off, 4);
  }

  protected setReg(off: number, v: number): void {
    this.kernel.charge(this.mmio);
    this.as.write(this.lay.regsVaddr + off, 4, v >>> 0);
  }

  /** One NAPI poll of the FEC: TX reclaim, then up to `budget` received frames. */
  protected napiPoll(budget: number, wakeCh: number): number {
    const st = this.st;
    const lay = this.lay;
    const c = this.c;
    this.charge(c.linux_napi_poll);
    while (st.txHead !== st.txTail) {
      const slot = st.txHead % st.txCount;
      const stat = this.as.read(lay.txRingVaddr + slot * 8 + 2, 2);
      if ((stat & TXD_READY) !== 0) break;
      st.freeBufs[st.freeCount++] = st.txSlotBuf[slot]!;
      st.txHead++;
      this.charge(c.linux_tx_clean_pkt);
    }
    let n = 0;
    let woke = false;
    while (n < budget && st.rxHead !== st.rxTail) {
      const slot = st.rxHead % st.rxCount;
      const at = lay.rxRingVaddr + slot * 8;
      const stat = this.as.read(at + 2, 2);
      if ((stat & RXD_EMPTY) !== 0) break;
      const len = this.as.read(at, 2);
      const buf = st.rxSlotBuf[slot]!;
      st.rxHead++;
      n++;
      st.rxPackets++;
      // dma_sync_single_for_cpu: the CPU must not see stale lines of the buffer.
      const lines = this.as.cacheInvalidate(lay.bufVaddr + buf * BUF, len);
      this.charge(lines * ((this.kernel.costs as unknown as Record<string, number>)['cache_line_op'] ?? 12));
      if (st.sockLength() >= st.sockLimit) {
        this.charge(c.linux_rx_drop_pkt);
        st.sockDrops++;
        st.freeBufs[st.freeCount++] = buf;
      } else {
        this.charge(c.linux_rx_pkt);
        st.sockBuf[st.sockTail % (st.sockLimit + 1)] = buf;
        st.sockLen[st.sockTail % (st.sockLimit + 1)] = len;
        st.sockRxSeq[st.sockTail % (st.sockLimit + 1)] = st.rxPackets;
        st.sockTail++;
        if (st.appWaiting && !woke) {
          this.charge(c.linux_wakeup);
          st.appWaiting = false;
          woke = true;
          this.notify(wakeCh);
        }
      }
    }
    this.refill();
    return n;
  }

  /** Posts page-pool buffers into every empty RX slot. */
  protected refill(): void {
    const st = this.st;
    const lay = this.lay;
    let posted = false;
    while (st.rxTail - st.rxHead < st.rxCount && st.freeCount > 0) {
      const slot = st.rxTail % st.rxCount;
      const buf = st.freeBufs[--st.freeCount]!;
      st.rxSlotBuf[slot] = buf;
      const at = lay.rxRingVaddr + slot * 8;
      this.as.write(at + 4, 4, lay.bufIo + buf * BUF);
      this.as.write(at, 2, 0);
      this.as.write(at + 2, 2, RXD_EMPTY | (slot + 1 === st.rxCount ? DESC_WRAP : 0));
      st.rxTail++;
      posted = true;
    }
    if (posted) this.setReg(ENET_RDAR, RDAR_RDAR);
  }

  protected napiComplete(): void {
    this.setReg(ENET_EIMR, EIR_RXF | EIR_TXF);
  }
}

/** Hard IRQ and the softirq that runs on its way out (net_rx_action on irq_exit). */
export class LinuxIrqContext extends LinuxContext {
  static readonly IRQ_CH = 0;
  static readonly KSOFTIRQD_CH = 1;
  static readonly APP_CH = 2;

  override init(): void {
    this.setup();
    const lay = this.lay;
    const st = this.st;
    for (let i = 0; i < st.rxCount; i++)
      this.as.write(lay.rxRingVaddr + i * 8 + 2, 2, i + 1 === st.rxCount ? DESC_WRAP : 0);
    for (let i = 0; i < st.txCount; i++)
      this.as.write(lay.txRingVaddr + i * 8 + 2, 2, i + 1 === st.txCount ? DESC_WRAP : 0);
    this.setReg(ENET_EIMR, 0);
    this.setReg(ENET_EIR, 0xffffffff);
    this.setReg(ENET_RCR, (1518 << 16) | RCR_PROM | RCR_MII_MODE | RCR_RGMII_EN);
    this.setReg(ENET_TCR, TCR_FDEN);
    this.setReg(ENET_EMRBR, 1536);
    this.setReg(ENET_ERDSR, lay.rxRingIo);
    this.setReg(ENET_ETDSR, lay.txRingIo);
    // fec_enet_itr_coal_set: the timer counts in units of 64 clocks of the 125 MHz clock.
    const ictt = Math.round((FEC_ITR_USECS * 125) / 64);
    const ic = TXIC_ICEN | ((FEC_ITR_FRAMES & 0xff) << 20) | (ictt & 0xffff);
    this.setReg(ENET_TXIC0, ic);
    this.setReg(ENET_RXIC0, ic);
    this.setReg(ENET_ECR, ECR_ETHEREN);
    this.refill();
    this.napiComplete();
  }

  override notified(ch: number): void {
    if (ch !== LinuxIrqContext.IRQ_CH) return;
    this.cpufreqUpdate();
    this.charge(this.c.linux_hardirq);
    const e = this.reg(ENET_EIR);
    this.setReg(ENET_EIR, e);
    // napi_schedule: interrupts stay off until the poll completes.
    this.setReg(ENET_EIMR, 0);
    this.deferredIrqAck(ch);
    if (this.st.ksoftirqdActive) return;
    let done = false;
    for (let round = 0; round < MAX_SOFTIRQ_RESTART && !done; round++) {
      done = this.napiPoll(NAPI_WEIGHT, LinuxIrqContext.APP_CH) < NAPI_WEIGHT;
    }
    if (done) this.napiComplete();
    else {
      // Too much softirq work: wake ksoftirqd, which competes with user space.
      this.charge(this.c.linux_ksoftirqd_switch);
      this.st.ksoftirqdActive = true;
      this.notify(LinuxIrqContext.KSOFTIRQD_CH);
    }
  }
}

/** ksoftirqd: NAPI polling at the priority of ordinary processes. */
export class LinuxKsoftirqd extends LinuxContext {
  static readonly IRQ_CTX_CH = 0;
  static readonly APP_CH = 1;
  static readonly SELF_CH = 2;

  override init(): void {
    this.setup();
  }

  override notified(_ch: number): void {
    if (!this.st.ksoftirqdActive) return;
    this.cpufreqUpdate();
    let total = 0;
    let done = false;
    while (!done && total < NETDEV_BUDGET) {
      const n = this.napiPoll(NAPI_WEIGHT, LinuxKsoftirqd.APP_CH);
      total += n;
      done = n < NAPI_WEIGHT;
    }
    if (done) {
      this.st.ksoftirqdActive = false;
      this.napiComplete();
    } else {
      // cond_resched: let the echo process have the CPU, then carry on.
      this.notify(LinuxKsoftirqd.SELF_CH);
    }
  }
}

/** The user-space UDP echo program: recvfrom, sendto, in a loop. */
export class LinuxEchoProcess extends LinuxContext {
  static readonly IRQ_CTX_CH = 0;
  static readonly KSOFTIRQD_CH = 1;
  static readonly SELF_CH = 2;
  readonly stack: NetStack;
  private readonly frame = new Uint8Array(BUF);
  rxFrames = 0;
  rxBytes = 0;
  txFrames = 0;
  txBytes = 0;

  constructor(name: string, st: LinuxNetState, lay: LinuxLayout, mac: number, ip: number) {
    super(name, st, lay);
    this.stack = new NetStack(mac, ip, true);
  }

  override init(): void {
    this.setup();
    this.st.appWaiting = true;
  }

  override notified(_ch: number): void {
    const st = this.st;
    const lay = this.lay;
    const c = this.c;
    this.cpufreqUpdate();
    for (let k = 0; k < APP_SLICE; k++) {
      if (st.sockLength() === 0) {
        // recvfrom blocks: schedule() away until sk_data_ready wakes us.
        this.charge(c.linux_block);
        st.appWaiting = true;
        return;
      }
      const i = st.sockHead % (st.sockLimit + 1);
      const buf = st.sockBuf[i]!;
      const len = st.sockLen[i]!;
      st.sockHead++;
      this.charge(c.linux_syscall + c.linux_recv_pkt);
      this.memory(len * c.linux_byte);
      // A datagram that waited behind enough traffic is read from DRAM, not the L2.
      if (st.rxPackets - st.sockRxSeq[i]! > LINUX_L2_FRAMES) {
        st.coldReads++;
        this.memory(c.linux_cold_skb);
      }
      this.as.readBytes(lay.bufVaddr + buf * BUF, this.frame, 0, len);
      st.freeBufs[st.freeCount++] = buf;
      this.rxFrames++;
      this.rxBytes += len;
      if (this.stack.input(this.frame, 0, len) !== IN_REPLY) continue;
      this.send(this.stack.replyLen);
    }
    // Still data queued: the process stays runnable; other contexts get their turn first.
    this.notify(LinuxEchoProcess.SELF_CH);
  }

  private send(len: number): void {
    const st = this.st;
    const lay = this.lay;
    const c = this.c;
    this.charge(c.linux_syscall + c.linux_send_pkt);
    this.memory(len * c.linux_byte);
    if (st.txTail - st.txHead >= st.txCount || st.freeCount === 0) {
      st.txRingFull++;
      return;
    }
    const buf = st.freeBufs[--st.freeCount]!;
    const vaddr = lay.bufVaddr + buf * BUF;
    this.as.writeBytes(vaddr, this.frame, 0, len);
    // dma_map_single(DMA_TO_DEVICE): write the lines back for the device.
    const lines = this.as.cacheClean(vaddr, len);
    this.charge(lines * ((this.kernel.costs as unknown as Record<string, number>)['cache_line_op'] ?? 12));
    const slot = st.txTail % st.txCount;
    st.txSlotBuf[slot] = buf;
    const at = lay.txRingVaddr + slot * 8;
    this.as.write(at + 4, 4, lay.bufIo + buf * BUF);
    this.as.write(at, 2, len);
    this.as.write(at + 2, 2, TXD_READY | TXD_ADDCRC | DESC_LAST | (slot + 1 === st.txCount ? DESC_WRAP : 0));
    st.txTail++;
    this.setReg(ENET_TDAR, TDAR_TDAR);
    st.txPackets++;
    this.txFrames++;
    this.txBytes += len;
  }
}

export interface LinuxSystem {
  irqCtx: LinuxIrqContext;
  ksoftirqd: LinuxKsoftirqd;
  app: LinuxEchoProcess;
  state: LinuxNetState;
  pds: ProtectionDomain[];
}

export interface LinuxOptions {
  memory: PhysicalMemory;
  kernel: Kernel;
  regs: Region;
  irq: number;
  iommu: Iommu;
  mac: number;
  ip: number;
  core: number;
  rxRing?: number;
  txRing?: number;
  /** Receive buffer of the echo socket, in datagrams: rmem_default 212992 / ~2304-byte truesize. */
  socketDatagrams?: number;
  /** cpufreq governor: schedutil (Linux 6.1's default on arm64) or performance (always max_freq). */
  cpufreq?: 'schedutil' | 'performance';
}

/** Puts Linux on the board: one kernel (three scheduling contexts) and the echo program. */
export function composeLinux(o: LinuxOptions): LinuxSystem {
  const rxCount = o.rxRing ?? 256;
  const txCount = o.txRing ?? 256;
  const sockLimit = o.socketDatagrams ?? 92;
  const buffers = rxCount + txCount + sockLimit + 64;
  const freq = (o.cpufreq ?? 'schedutil') === 'schedutil' ? new Schedutil() : null;
  const st = new LinuxNetState(rxCount, txCount, buffers, sockLimit, freq);
  const rxRing = o.memory.allocate('linux/fec/rx_ring', roundUp(rxCount * 8, PAGE_SIZE));
  const txRing = o.memory.allocate('linux/fec/tx_ring', roundUp(txCount * 8, PAGE_SIZE));
  const pool = o.memory.allocate('linux/page_pool', buffers * BUF);
  o.iommu.addRegion(rxRing, DMA_READ | DMA_WRITE);
  o.iommu.addRegion(txRing, DMA_READ | DMA_WRITE);
  o.iommu.addRegion(pool, DMA_READ | DMA_WRITE);
  const lay: LinuxLayout = {
    regsVaddr: 0x1000_0000,
    rxRingVaddr: 0x1100_0000,
    txRingVaddr: 0x1200_0000,
    bufVaddr: 0x2000_0000,
    bufIo: pool.paddr,
    rxRingIo: rxRing.paddr,
    txRingIo: txRing.paddr,
  };
  const irqCtx = new LinuxIrqContext('linux_irq', st, lay);
  const ksoftirqd = new LinuxKsoftirqd('linux_ksoftirqd', st, lay);
  const app = new LinuxEchoProcess('linux_echo', st, lay, o.mac, o.ip);
  for (const pd of [irqCtx, ksoftirqd, app]) {
    // One kernel address space: every context sees the device, rings and page pool.
    pd.as.map(o.regs, lay.regsVaddr, PERM_R | PERM_W, false);
    pd.as.map(rxRing, lay.rxRingVaddr, PERM_R | PERM_W, false);
    pd.as.map(txRing, lay.txRingVaddr, PERM_R | PERM_W, false);
    pd.as.map(pool, lay.bufVaddr, PERM_R | PERM_W, true);
  }
  const k = o.kernel;
  k.addThread(irqCtx, { core: o.core, priority: 200 });
  k.addThread(ksoftirqd, { core: o.core, priority: 100 });
  k.addThread(app, { core: o.core, priority: 100 });
  k.irq(irqCtx, LinuxIrqContext.IRQ_CH, o.irq);
  k.channel(irqCtx, LinuxIrqContext.KSOFTIRQD_CH, ksoftirqd, LinuxKsoftirqd.IRQ_CTX_CH);
  k.channel(irqCtx, LinuxIrqContext.APP_CH, app, LinuxEchoProcess.IRQ_CTX_CH);
  k.channel(ksoftirqd, LinuxKsoftirqd.APP_CH, app, LinuxEchoProcess.KSOFTIRQD_CH);
  k.channel(ksoftirqd, LinuxKsoftirqd.SELF_CH, ksoftirqd, 3);
  k.channel(app, LinuxEchoProcess.SELF_CH, app, 3);
  return { irqCtx, ksoftirqd, app, state: st, pds: [irqCtx, ksoftirqd, app] };
}
