import type { AddressSpace } from '../board/address_space.js';
import type { VirtualCpu } from '../board/vcpu.js';
import {
  VIRTIO_F_EVENT_IDX,
  VIRTIO_ID_NET,
  VIRTIO_MMIO_CONFIG,
  VIRTIO_MMIO_CONFIG_GENERATION,
  VIRTIO_MMIO_DEVICE_FEATURES,
  VIRTIO_MMIO_DEVICE_FEATURES_SEL,
  VIRTIO_MMIO_DEVICE_ID,
  VIRTIO_MMIO_DRIVER_FEATURES,
  VIRTIO_MMIO_DRIVER_FEATURES_SEL,
  VIRTIO_MMIO_INT_CONFIG,
  VIRTIO_MMIO_INT_VRING,
  VIRTIO_MMIO_INTERRUPT_ACK,
  VIRTIO_MMIO_INTERRUPT_STATUS,
  VIRTIO_MMIO_MAGIC,
  VIRTIO_MMIO_MAGIC_VALUE,
  VIRTIO_MMIO_QUEUE_DESC_HIGH,
  VIRTIO_MMIO_QUEUE_DESC_LOW,
  VIRTIO_MMIO_QUEUE_DEVICE_HIGH,
  VIRTIO_MMIO_QUEUE_DEVICE_LOW,
  VIRTIO_MMIO_QUEUE_DRIVER_HIGH,
  VIRTIO_MMIO_QUEUE_DRIVER_LOW,
  VIRTIO_MMIO_QUEUE_NOTIFY,
  VIRTIO_MMIO_QUEUE_NUM,
  VIRTIO_MMIO_QUEUE_NUM_MAX,
  VIRTIO_MMIO_QUEUE_READY,
  VIRTIO_MMIO_QUEUE_SEL,
  VIRTIO_MMIO_STATUS,
  VIRTIO_MMIO_VENDOR_ID,
  VIRTIO_MMIO_VERSION,
  VIRTIO_MMIO_VERSION_2,
  VIRTIO_NET_F_MAC,
  VIRTIO_NET_F_STATUS,
  VIRTIO_NET_RX_QUEUE,
  VIRTIO_NET_TX_QUEUE,
  VIRTIO_STATUS_ACKNOWLEDGE,
  VIRTIO_STATUS_DEVICE_NEEDS_RESET,
  VIRTIO_STATUS_DRIVER,
  VIRTIO_STATUS_DRIVER_OK,
  VIRTIO_STATUS_FAILED,
  VIRTIO_STATUS_FEATURES_OK,
} from '../virtio/constants.js';
import { hasFeatureWords } from '../virtio/features.js';
import { type GuestMemory, gpaOffset } from '../virtio/guest_memory.js';
import {
  VIRTIO_NET_CONFIG_MAC,
  VIRTIO_NET_CONFIG_STATUS,
  VIRTIO_NET_S_LINK_UP,
} from '../virtio/net_config.js';
import { VIRTIO_NET_HDR_SIZE, writePlainNetHdr } from '../virtio/net_hdr.js';
import { type SplitRingLayout, splitRingLayout } from '../virtio/split_ring.js';
import { BufferChain, UsedOut, VirtqueueDriver } from '../virtio/virtqueue_driver.js';
import { BufferPool } from './buffer_pool.js';
import type { GuestCosts } from './costs.js';
import type { GuestRamAllocator } from './ram_allocator.js';

/** Where received frames go: the guest kernel's stack. `buf[off, off+len)` is valid only during the call. */
export interface RxFrameSink {
  rxFrame(buf: Uint8Array, off: number, len: number): void;
}

export interface VirtioNetDriverOptions {
  /** Guest-physical address of the virtio-mmio window. */
  readonly mmioBase: number;
  /** Accept VIRTIO_F_EVENT_IDX when the device offers it. */
  readonly eventIdx: boolean;
  /** Largest queue size to use (a power of two); the device's QueueNumMax caps it. */
  readonly queueSize: number;
  /** RX buffers kept posted (capped by the queue size); 0 posts none. */
  readonly rxBuffers: number;
  /** Frames one NAPI poll round takes before it yields (Linux NAPI_POLL_WEIGHT). */
  readonly napiBudget: number;
}

export const DEFAULT_DRIVER_OPTIONS: Omit<VirtioNetDriverOptions, 'mmioBase'> = {
  eventIdx: true,
  queueSize: 256,
  rxBuffers: 256,
  // Linux's NAPI weight is 64; a vCPU here is not preempted inside a batch, so it yields sooner.
  napiBudget: 16,
};

/**
 * Size of each packet buffer, one descriptor each, header and frame contiguous:
 * | off | size      | field                                      |
 * |   0 |        12 | virtio_net_hdr (num_buffers 1 on RX, 0 TX) |
 * |  12 | <= 1514+  | Ethernet frame                             |
 * 2048 holds virtio's 1526-byte minimum (no MRG_RXBUF, no guest GSO).
 */
export const GUEST_NET_BUFFER_SIZE = 2048;
/** virtio-mmio version 2 queues are page aligned by Linux (VIRTIO_MMIO_VRING_ALIGN). */
const VRING_ALIGN = 4096;
/** Safety stop for one interrupt's NAPI work; reaching it is counted. */
const CONFIG_RETRIES = 4;

export const DRV_DOWN = 0;
export const DRV_UP = 1;
export const DRV_FAILED = 2;

/** Why the last probe failed (the report's `guest_driver.last_failure`); Linux logs the same cases. */
export type ProbeFailure =
  | 'bad_magic'
  | 'bad_version'
  | 'not_a_net_device'
  | 'no_version_1'
  | 'features_refused'
  | 'rx_queue_setup'
  | 'tx_queue_setup'
  | 'out_of_guest_ram';

export class VirtioNetDriverCounters {
  probes = 0;
  probeFailures = 0;
  irqs = 0;
  spuriousIrqs = 0;
  configIrqs = 0;
  needsResetSeen = 0;
  napiPolls = 0;
  napiCapped = 0;
  rxFrames = 0;
  rxBytes = 0;
  /** Used RX buffers with a length below the header or above the buffer (dropped). */
  rxErrors = 0;
  txFrames = 0;
  txBytes = 0;
  /** No free TX buffer or descriptor. */
  txDropRingFull = 0;
  /** Transmit while the device is not up, or a frame that does not fit a buffer. */
  txDropDown = 0;
  txDropBadLength = 0;
  kicksRx = 0;
  kicksTx = 0;
}

/**
 * A Linux-like virtio-net front end over virtio-mmio (drivers/virtio/virtio_mmio.c and
 * drivers/net/virtio_net.c reduced to what a UDP/ICMP guest needs). Every register access is a
 * load or store at mmioBase through the vCPU's address space, so each one traps to the VMM: that
 * is the VM-exit cost of the driver. Rings and buffers live in guest RAM; the device is not
 * trusted (VirtqueueDriver keeps private shadows and stops on an impossible used entry).
 *
 * RX: one 2048-byte buffer per descriptor, refilled after every poll; on the virtual IRQ, read and
 * ack InterruptStatus, then NAPI: callbacks off, take up to `napiBudget` used buffers per round,
 * refill, re-enable callbacks and poll again if buffers arrived meanwhile. TX: header and frame
 * copied into one buffer, added, and kicked only when the device asks for it (EVENT_IDX);
 * completions are reclaimed before each transmit and after each poll round, so TX interrupts stay
 * off (Linux without napi_tx).
 */
export class VirtioNetDriver {
  readonly counters = new VirtioNetDriverCounters();
  readonly opts: VirtioNetDriverOptions;
  state = DRV_DOWN;
  /** Why the last failed probe failed; null until one fails. */
  lastFailure: ProbeFailure | null = null;
  /** Set by setupQueue when it fails for a reason more precise than "the queue would not set up". */
  private queueFailure: ProbeFailure | null = null;
  /** A poll ran out of budget and continues in the next batch (a scheduled NAPI). */
  private napiScheduled = false;
  mac = 0;
  linkUp = false;
  featuresLo = 0;
  featuresHi = 0;
  rxq: VirtqueueDriver | null = null;
  txq: VirtqueueDriver | null = null;
  rxLayout: SplitRingLayout | null = null;
  txLayout: SplitRingLayout | null = null;
  private rxPool: BufferPool | null = null;
  private txPool: BufferPool | null = null;
  private readonly cpu: VirtualCpu;
  private readonly as: AddressSpace;
  private readonly mem: GuestMemory;
  private readonly alloc: GuestRamAllocator;
  private readonly allocMark: number;
  private readonly sink: RxFrameSink;
  private readonly c: GuestCosts;
  private readonly base: number;
  private readonly chain = new BufferChain(1);
  private readonly used = new UsedOut();
  private txPending = false;

  constructor(
    cpu: VirtualCpu,
    mem: GuestMemory,
    alloc: GuestRamAllocator,
    sink: RxFrameSink,
    opts: VirtioNetDriverOptions,
    costs: GuestCosts,
  ) {
    this.cpu = cpu;
    this.as = cpu.as;
    this.mem = mem;
    this.alloc = alloc;
    this.allocMark = alloc.mark();
    this.sink = sink;
    this.opts = opts;
    this.c = costs;
    this.base = opts.mmioBase;
  }

  get eventIdx(): boolean {
    return hasFeatureWords(this.featuresLo, this.featuresHi, VIRTIO_F_EVENT_IDX);
  }

  // ------------------------------------------------------------------ probe

  /**
   * virtio_mmio_probe + virtio_dev_probe + virtnet_probe + virtnet_open: identify the device,
   * reset it, negotiate features, read the config, set up both queues, DRIVER_OK, fill the RX
   * ring. Returns false (and sets FAILED where the spec wants it) when the device is unusable.
   */
  probe(): boolean {
    this.counters.probes++;
    this.state = DRV_DOWN;
    this.rxq = this.txq = null;
    this.rxPool = this.txPool = null;
    this.rxLayout = this.txLayout = null;
    this.txPending = false;
    this.alloc.resetTo(this.allocMark);
    this.queueFailure = null;
    // The spec: ignore a device with the wrong magic or version; DeviceID 0 is a placeholder.
    if (this.rd(VIRTIO_MMIO_MAGIC_VALUE) !== VIRTIO_MMIO_MAGIC) return this.fail(false, 'bad_magic');
    if (this.rd(VIRTIO_MMIO_VERSION) !== VIRTIO_MMIO_VERSION_2) return this.fail(false, 'bad_version');
    if (this.rd(VIRTIO_MMIO_DEVICE_ID) !== VIRTIO_ID_NET) return this.fail(false, 'not_a_net_device');
    this.rd(VIRTIO_MMIO_VENDOR_ID);
    // vm_reset: write 0, then wait for Status to read 0.
    this.wr(VIRTIO_MMIO_STATUS, 0);
    this.rd(VIRTIO_MMIO_STATUS);
    this.addStatus(VIRTIO_STATUS_ACKNOWLEDGE);
    this.addStatus(VIRTIO_STATUS_DRIVER);
    // vm_get_features: high word first.
    this.wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    const hi = this.rd(VIRTIO_MMIO_DEVICE_FEATURES);
    this.wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    const lo = this.rd(VIRTIO_MMIO_DEVICE_FEATURES);
    // A version-2 device must offer VERSION_1 (bit 32, bit 0 of the high word).
    if ((hi & 1) === 0) return this.fail(true, 'no_version_1');
    let want = (1 << VIRTIO_NET_F_MAC) | (1 << VIRTIO_NET_F_STATUS);
    if (this.opts.eventIdx) want |= 1 << VIRTIO_F_EVENT_IDX;
    this.featuresLo = (lo & want) >>> 0;
    this.featuresHi = 1;
    this.wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    this.wr(VIRTIO_MMIO_DRIVER_FEATURES, this.featuresHi);
    this.wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    this.wr(VIRTIO_MMIO_DRIVER_FEATURES, this.featuresLo);
    this.addStatus(VIRTIO_STATUS_FEATURES_OK);
    if ((this.rd(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK) === 0)
      return this.fail(true, 'features_refused');
    this.readConfig();
    const rx = this.setupQueue(VIRTIO_NET_RX_QUEUE);
    if (rx === null) return this.fail(true, this.queueFailure ?? 'rx_queue_setup');
    const tx = this.setupQueue(VIRTIO_NET_TX_QUEUE);
    if (tx === null) return this.fail(true, this.queueFailure ?? 'tx_queue_setup');
    const rxCount = Math.min(this.opts.rxBuffers, rx.num);
    const txBase = this.alloc.alloc(tx.num * GUEST_NET_BUFFER_SIZE, VRING_ALIGN);
    const rxBase = rxCount > 0 ? this.alloc.alloc(rxCount * GUEST_NET_BUFFER_SIZE, VRING_ALIGN) : 0;
    if (txBase < 0 || rxBase < 0) return this.fail(true, 'out_of_guest_ram');
    this.rxPool = new BufferPool(rxBase, rxCount, GUEST_NET_BUFFER_SIZE);
    this.txPool = new BufferPool(txBase, tx.num, GUEST_NET_BUFFER_SIZE);
    this.rxq = rx;
    this.txq = tx;
    this.addStatus(VIRTIO_STATUS_DRIVER_OK);
    this.state = DRV_UP;
    tx.disableCallbacks();
    this.refill();
    return true;
  }

  /** MAC (F_MAC) and link status (F_STATUS), read under ConfigGeneration as virtio_cread_bytes does. */
  private readConfig(): void {
    const cfg = VIRTIO_MMIO_CONFIG;
    for (let attempt = 0; attempt < CONFIG_RETRIES; attempt++) {
      const gen = this.rd(VIRTIO_MMIO_CONFIG_GENERATION);
      let mac = 0;
      if (hasFeatureWords(this.featuresLo, this.featuresHi, VIRTIO_NET_F_MAC)) {
        for (let i = 0; i < 6; i++)
          mac = mac * 256 + this.as.read(this.base + cfg + VIRTIO_NET_CONFIG_MAC + i, 1);
      }
      let link = true;
      if (hasFeatureWords(this.featuresLo, this.featuresHi, VIRTIO_NET_F_STATUS)) {
        link = (this.as.read(this.base + cfg + VIRTIO_NET_CONFIG_STATUS, 2) & VIRTIO_NET_S_LINK_UP) !== 0;
      }
      this.mac = mac;
      this.linkUp = link;
      if (this.rd(VIRTIO_MMIO_CONFIG_GENERATION) === gen) return;
    }
  }

  /** vm_setup_vq: select, check unused, size, allocate and zero the rings, program them, ready. */
  private setupQueue(index: number): VirtqueueDriver | null {
    this.wr(VIRTIO_MMIO_QUEUE_SEL, index);
    if (this.rd(VIRTIO_MMIO_QUEUE_READY) !== 0) return null;
    const max = this.rd(VIRTIO_MMIO_QUEUE_NUM_MAX);
    if (max === 0) return null;
    let num = 1;
    const cap = Math.min(max, this.opts.queueSize, 32768);
    while (num * 2 <= cap) num *= 2;
    const base = this.alloc.alloc(splitRingLayout(num, 0, VRING_ALIGN).totalSize, VRING_ALIGN);
    if (base < 0) {
      this.queueFailure = 'out_of_guest_ram';
      return null;
    }
    const l = splitRingLayout(num, base, VRING_ALIGN);
    const vq = new VirtqueueDriver(this.mem, num, l.descGpa, l.availGpa, l.usedGpa, {
      eventIdx: this.eventIdx,
    });
    this.wr(VIRTIO_MMIO_QUEUE_NUM, num);
    this.wr64(VIRTIO_MMIO_QUEUE_DESC_LOW, VIRTIO_MMIO_QUEUE_DESC_HIGH, l.descGpa);
    this.wr64(VIRTIO_MMIO_QUEUE_DRIVER_LOW, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, l.availGpa);
    this.wr64(VIRTIO_MMIO_QUEUE_DEVICE_LOW, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, l.usedGpa);
    this.wr(VIRTIO_MMIO_QUEUE_READY, 1);
    if (index === VIRTIO_NET_RX_QUEUE) this.rxLayout = l;
    else this.txLayout = l;
    return vq;
  }

  private fail(markFailed: boolean, why: ProbeFailure): false {
    if (markFailed) this.addStatus(VIRTIO_STATUS_FAILED);
    this.state = DRV_FAILED;
    this.lastFailure = why;
    this.counters.probeFailures++;
    return false;
  }

  // ------------------------------------------------------------------ interrupt and NAPI

  /** vm_interrupt: read InterruptStatus, ack it, then config change and/or the queues' work. */
  interrupt(): void {
    const cnt = this.counters;
    this.cpu.charge(this.c.guest_irq);
    cnt.irqs++;
    if (this.state !== DRV_UP) {
      cnt.spuriousIrqs++;
      return;
    }
    const isr = this.rd(VIRTIO_MMIO_INTERRUPT_STATUS);
    if (isr === 0) {
      cnt.spuriousIrqs++;
      return;
    }
    this.wr(VIRTIO_MMIO_INTERRUPT_ACK, isr);
    if ((isr & VIRTIO_MMIO_INT_CONFIG) !== 0) {
      cnt.configIrqs++;
      if (this.configChanged()) return;
    }
    if ((isr & VIRTIO_MMIO_INT_VRING) !== 0) this.poll();
  }

  /**
   * The device's state or config changed. DEVICE_NEEDS_RESET: start over (reset and probe again,
   * a robust driver's answer; the spec leaves it to the driver). Returns true after a restart.
   */
  private configChanged(): boolean {
    if ((this.rd(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET) !== 0) {
      this.counters.needsResetSeen++;
      this.probe();
      return true;
    }
    if (hasFeatureWords(this.featuresLo, this.featuresHi, VIRTIO_NET_F_STATUS)) {
      this.linkUp =
        (this.as.read(this.base + VIRTIO_MMIO_CONFIG + VIRTIO_NET_CONFIG_STATUS, 2) &
          VIRTIO_NET_S_LINK_UP) !==
        0;
    }
    return false;
  }

  /**
   * virtnet_poll: one round of at most the budget. When the round used its whole budget the
   * poll stays scheduled: the batch ends and the vCPU comes back for the next round (see
   * VirtualCpu.raiseSoftirq), so a busy guest does not hold the core for a whole backlog.
   */
  private poll(): void {
    const rxq = this.rxq;
    if (rxq === null) return;
    const cnt = this.counters;
    const budget = this.opts.napiBudget;
    rxq.disableCallbacks();
    for (let round = 0; round < 2; round++) {
      this.cpu.charge(this.c.guest_napi_poll);
      cnt.napiPolls++;
      let work = 0;
      while (work < budget && rxq.getUsed(this.used)) {
        this.receiveOne();
        work++;
      }
      if (work > 0) this.refill();
      this.reclaimTx();
      this.flush();
      if (rxq.broken || this.state !== DRV_UP) return;
      if (work >= budget) {
        cnt.napiCapped++;
        this.napiScheduled = true;
        this.cpu.raiseSoftirq();
        return;
      }
      // virtqueue_napi_complete: false means buffers slipped in, so poll again.
      if (rxq.enableCallbacks()) return;
      rxq.disableCallbacks();
    }
    this.napiScheduled = true;
    this.cpu.raiseSoftirq();
  }

  /** The softirq that continues a poll which ran out of budget. */
  softirq(): void {
    if (!this.napiScheduled) return;
    this.napiScheduled = false;
    this.poll();
  }

  private receiveOne(): void {
    const u = this.used;
    const pool = this.rxPool!;
    const idx = u.token;
    const len = u.len;
    const cnt = this.counters;
    if (len < VIRTIO_NET_HDR_SIZE || len > GUEST_NET_BUFFER_SIZE) {
      cnt.rxErrors++;
    } else {
      const flen = len - VIRTIO_NET_HDR_SIZE;
      this.cpu.charge(this.c.guest_rx_pkt + flen * this.c.guest_byte);
      cnt.rxFrames++;
      cnt.rxBytes += flen;
      this.sink.rxFrame(this.mem.bytes, gpaOffset(this.mem, pool.gpa(idx)) + VIRTIO_NET_HDR_SIZE, flen);
    }
    pool.give(idx);
  }

  /** try_fill_recv: post every free RX buffer, then kick if the device asks for it. */
  private refill(): void {
    const rxq = this.rxq;
    const pool = this.rxPool;
    if (rxq === null || pool === null) return;
    const chain = this.chain;
    let added = false;
    while (pool.available > 0 && rxq.numFree > 0) {
      const idx = pool.take();
      chain.clear().push(pool.gpa(idx), GUEST_NET_BUFFER_SIZE, true);
      if (rxq.addBuf(chain, idx) < 0) {
        pool.give(idx);
        break;
      }
      added = true;
    }
    if (added && rxq.kickPrepare()) {
      this.counters.kicksRx++;
      this.wr(VIRTIO_MMIO_QUEUE_NOTIFY, VIRTIO_NET_RX_QUEUE);
    }
  }

  // ------------------------------------------------------------------ transmit

  /**
   * start_xmit: reclaim finished buffers, copy header + frame into a free buffer, add it, and
   * kick unless `more` says further frames follow at once (xmit_more). False when dropped.
   */
  transmit(src: Uint8Array, off: number, len: number, more: boolean): boolean {
    const cnt = this.counters;
    const txq = this.txq;
    const pool = this.txPool;
    if (this.state !== DRV_UP || txq === null || pool === null) {
      cnt.txDropDown++;
      return false;
    }
    if (!(len > 0 && len <= GUEST_NET_BUFFER_SIZE - VIRTIO_NET_HDR_SIZE)) {
      cnt.txDropBadLength++;
      return false;
    }
    this.cpu.charge(this.c.guest_tx_pkt + len * this.c.guest_byte);
    this.reclaimTx();
    const idx = pool.take();
    if (idx < 0) {
      cnt.txDropRingFull++;
      return false;
    }
    const gpa = pool.gpa(idx);
    writePlainNetHdr(this.mem.bytes, gpaOffset(this.mem, gpa), 0);
    this.as.writeBytes(gpa + VIRTIO_NET_HDR_SIZE, src, off, len);
    this.chain.clear().push(gpa, VIRTIO_NET_HDR_SIZE + len, false);
    if (txq.addBuf(this.chain, idx) < 0) {
      pool.give(idx);
      cnt.txDropRingFull++;
      return false;
    }
    cnt.txFrames++;
    cnt.txBytes += len;
    this.txPending = true;
    if (!more) this.flush();
    return true;
  }

  /** Kick the transmit queue for frames added with `more`, if the device wants a kick. */
  flush(): void {
    const txq = this.txq;
    if (!this.txPending || txq === null) return;
    this.txPending = false;
    if (txq.kickPrepare()) {
      this.counters.kicksTx++;
      this.wr(VIRTIO_MMIO_QUEUE_NOTIFY, VIRTIO_NET_TX_QUEUE);
    }
  }

  /** free_old_xmit_skbs. */
  reclaimTx(): void {
    const txq = this.txq;
    const pool = this.txPool;
    if (txq === null || pool === null) return;
    while (txq.getUsed(this.used)) pool.give(this.used.token);
  }

  snapshot(): Record<string, unknown> {
    return {
      state: this.state,
      mac: this.mac,
      linkUp: this.linkUp,
      features: { lo: this.featuresLo, hi: this.featuresHi },
      rxq: this.rxq?.snapshot() ?? null,
      txq: this.txq?.snapshot() ?? null,
      counters: { ...this.counters },
    };
  }

  // ------------------------------------------------------------------ registers (each access traps)

  private rd(off: number): number {
    return this.as.read(this.base + off, 4);
  }

  private wr(off: number, v: number): void {
    this.as.write(this.base + off, 4, v);
  }

  private wr64(lo: number, hi: number, v: number): void {
    this.wr(lo, v >>> 0);
    this.wr(hi, Math.floor(v / 0x1_0000_0000));
  }

  /** virtio_add_status: read, OR in the bit, write back. */
  private addStatus(bit: number): void {
    this.wr(VIRTIO_MMIO_STATUS, this.rd(VIRTIO_MMIO_STATUS) | bit);
  }
}
