import type { AddressSpace } from '../board/address_space.js';
import { writeMac } from '../net/mac.js';
import type { ClientConfig } from '../sddf/config.js';
import { NET_BUFFER_SIZE, NetBuffDesc, type NetQueueHandle } from '../sddf/net_queue.js';
import { CHAIN_READABLE, CHAIN_WRITABLE, ChainOut } from '../virtio/chain_out.js';
import {
  VIRTIO_F_EVENT_IDX,
  VIRTIO_ID_NET,
  VIRTIO_NET_RX_QUEUE,
  VIRTIO_NET_TX_QUEUE,
  VIRTIO_STATUS_DEVICE_NEEDS_RESET,
} from '../virtio/constants.js';
import type { GuestMemory } from '../virtio/guest_memory.js';
import type { VirtioDeviceBackend, VirtioMmioDevice } from '../virtio/mmio_device.js';
import { NetConfig, VIRTIO_NET_S_LINK_UP } from '../virtio/net_config.js';
import { netDeviceFeatures } from '../virtio/net_features.js';
import { VIRTIO_NET_HDR_SIZE, writePlainNetHdr } from '../virtio/net_hdr.js';
import { VirtqueueDevice } from '../virtio/virtqueue_device.js';
import { VQ_BAD_AVAIL_IDX, VQ_BAD_HEAD, VQ_OK } from '../virtio/virtqueue_violation.js';
import { copyFromChain, copyToChain, type GuestRamWindow } from './chain_copy.js';
import { uncheckedChainConsequence } from './unchecked_chain.js';
import type { VmmCosts } from './costs.js';
import { VirtioNetCounters } from './virtio_net_counters.js';

/** What the device needs from the VMM protection domain around it. */
export interface NetBackendHost {
  /** Charges VMM cycles at the current point of the running entry point. */
  charge(cycles: number): void;
  /** Sends an sDDF notification on channel `ch`. */
  signal(ch: number): void;
  /** Counts a notification the sDDF protocol let the VMM skip. */
  suppressed(): void;
  /** Injects the device's virtual IRQ (the caller has set InterruptStatus). */
  injectIrq(): void;
  /** Logical time (ns) inside the running entry point. */
  now(): number;
}

/** The sDDF client side the device is bridged to, opened by the VMM at init. */
export interface SddfNetPort {
  readonly rx: NetQueueHandle;
  readonly tx: NetQueueHandle;
  readonly cfg: ClientConfig;
  /** The VMM's address space: sDDF data regions and guest RAM are both mapped in it. */
  readonly as: AddressSpace;
  readonly ram: GuestRamWindow;
  readonly costs: VmmCosts;
}

export interface VirtioNetBackendOptions {
  mac: number;
  /** QueueNumMax of both queues (a power of two <= 32768). */
  queueNumMax: number;
  /** Offer VIRTIO_F_EVENT_IDX (libvmm does not). */
  eventIdx: boolean;
  /** Guest ring violations after which the device sets DEVICE_NEEDS_RESET. */
  violationThreshold: number;
}

/**
 * Longest descriptor chain the device follows. A frame is at most 12 + 1514 bytes; Linux uses
 * at most MAX_SKB_FRAGS + 2 segments for one; a longer chain is a guest bug (VQ_BAD_CHAIN_TOO_LONG).
 */
export const MAX_CHAIN_SEGMENTS = 64;

const ZERO_COSTS: VmmCosts = { vmm_entry: 0, vmm_pkt: 0, vmm_byte: 0 };

/**
 * The VMM's virtio-net device (libvmm src/virtio/net.c), bridged to one sDDF client queue pair.
 * TX: each guest chain is copied, minus its 12-byte header, into a free sDDF TX buffer and
 * completed with len 0 at once. RX: each frame the copier delivers is copied, behind a 12-byte
 * header with num_buffers = 1, into the next guest RX chain; no chain means the frame is dropped.
 * Unlike libvmm it offers STATUS and EVENT_IDX, checks every chain and sets DEVICE_NEEDS_RESET
 * after `violationThreshold` ring violations. It never throws on anything the guest wrote.
 */
export class VirtioNetBackend implements VirtioDeviceBackend {
  readonly deviceId = VIRTIO_ID_NET;
  readonly numQueues = 2;
  readonly queueNumMax: number;
  readonly config: NetConfig;
  readonly rxq: VirtqueueDevice;
  readonly txq: VirtqueueDevice;
  readonly counters = new VirtioNetCounters();
  /**
   * Capture hook at the guest's interface, as the VMM sees it (0 = delivered to the guest,
   * 1 = sent by the guest); null when not capturing, so it costs nothing.
   */
  onFrame: ((dir: 0 | 1, timeNs: number, buf: Uint8Array, off: number, len: number) => void) | null = null;
  private captureBuf: Uint8Array | null = null;
  private readonly host: NetBackendHost;
  private readonly features: bigint;
  private readonly threshold: number;
  private mmio: VirtioMmioDevice | null = null;
  private port: SddfNetPort | null = null;
  private c: VmmCosts = ZERO_COSTS;
  private readonly chain: ChainOut;
  private readonly d = new NetBuffDesc();
  /** The 12-byte header every received frame gets: no offloads, num_buffers = 1. */
  private readonly rxHdr = new Uint8Array(VIRTIO_NET_HDR_SIZE);
  /** Per queue: 1 after an avail index jump, until the next reset or re-enable. */
  private readonly broken = new Uint8Array(2);
  private violationsSinceReset = 0;
  /**
   * Protection (scenario `protections.vmm_chain_validation`), on by default: a chain walkChain
   * refuses is counted and dropped. Off, the device meets it as libvmm's unchecked walk would
   * (vmm/unchecked_chain.ts): the VMM faults on the address or stalls in the loop.
   */
  chainValidation = true;

  constructor(host: NetBackendHost, mem: GuestMemory, opts: VirtioNetBackendOptions) {
    this.host = host;
    this.queueNumMax = opts.queueNumMax;
    this.threshold = opts.violationThreshold;
    this.features = netDeviceFeatures({ status: true, eventIdx: opts.eventIdx, csum: false });
    const mac = new Uint8Array(6);
    writeMac(mac, 0, opts.mac);
    this.config = new NetConfig(mac, VIRTIO_NET_S_LINK_UP);
    this.rxq = new VirtqueueDevice(mem, opts.queueNumMax);
    this.txq = new VirtqueueDevice(mem, opts.queueNumMax);
    this.chain = new ChainOut(Math.min(opts.queueNumMax, MAX_CHAIN_SEGMENTS));
    writePlainNetHdr(this.rxHdr, 0, 1);
  }

  /** The register file in front of this device (they reference each other). */
  attach(mmio: VirtioMmioDevice): void {
    this.mmio = mmio;
  }

  /** Connects the sDDF side (VMM init). Until then transmitted frames are dropped. */
  bindSddf(port: SddfNetPort): void {
    this.port = port;
    this.c = port.costs;
  }

  // ------------------------------------------------------------------ VirtioDeviceBackend

  deviceFeatures(): bigint {
    return this.features;
  }

  /** The register file has checked VERSION_1 and offered bits; nothing else is required. */
  acceptFeatures(_lo: number, _hi: number): boolean {
    return true;
  }

  readConfig(offset: number, width: number): number {
    return this.config.read(offset, width);
  }

  /** virtio-net's config is read-only to a VERSION_1 driver; libvmm fails such an access too. */
  writeConfig(_offset: number, _width: number, _value: number): void {
    this.counters.configWrites++;
  }

  queueNotify(queueIndex: number): void {
    if (queueIndex === VIRTIO_NET_TX_QUEUE) {
      this.counters.txKicks++;
      this.transmit();
    } else if (queueIndex === VIRTIO_NET_RX_QUEUE) {
      // As libvmm: a refill kick drains whatever sDDF has pending.
      this.counters.rxKicks++;
      this.receive();
    }
  }

  queueReadyChanged(queueIndex: number, ready: boolean): void {
    const vq = this.queueOf(queueIndex);
    const mmio = this.mmio;
    if (vq === null || mmio === null) return;
    this.broken[queueIndex] = 0;
    if (!ready) {
      vq.reset();
      return;
    }
    const q = mmio.queue(queueIndex);
    const eventIdx = mmio.negotiated(VIRTIO_F_EVENT_IDX);
    const r = vq.configure(q.num, q.descGpa, q.driverGpa, q.deviceGpa, eventIdx);
    if (r !== VQ_OK) {
      this.violation();
      return;
    }
    // The receive queue is fed by sDDF notifications, not by refill kicks: with EVENT_IDX, park
    // avail_event behind every index the driver can publish, so it never needs to kick it.
    if (eventIdx && queueIndex === VIRTIO_NET_RX_QUEUE) vq.setAvailEvent((vq.lastAvailIdx - 1) & 0xffff);
  }

  reset(): void {
    this.rxq.reset();
    this.txq.reset();
    this.broken.fill(0);
    this.violationsSinceReset = 0;
    this.counters.resets++;
  }

  // ------------------------------------------------------------------ TX: guest -> sDDF

  /**
   * virtio_net_queue_notify for the transmit queue. Takes at most one ring's worth of chains per
   * kick, so a guest that rewrites its avail ring while the device runs cannot keep it looping.
   */
  private transmit(): void {
    const vq = this.txq;
    if (!vq.ready || this.broken[VIRTIO_NET_TX_QUEUE] === 1) return;
    const host = this.host;
    const c = this.c;
    const chain = this.chain;
    const cnt = this.counters;
    const port = this.port;
    host.charge(c.vmm_entry);
    const oldUsed = vq.usedIdx;
    let enqueued = false;
    let budget = vq.num;
    for (;;) {
      if (budget === 0) {
        if (vq.enableNotify()) cnt.txBudgetExhausted++;
        break;
      }
      const r = vq.popAvail(chain);
      if (r === VQ_BAD_AVAIL_IDX) {
        this.breakQueue(VIRTIO_NET_TX_QUEUE);
        break;
      }
      if (r !== VQ_OK) {
        // Ask for the next kick (avail_event with EVENT_IDX); entries that slipped in meanwhile are taken now.
        if (vq.enableNotify()) continue;
        break;
      }
      budget--;
      host.charge(c.vmm_pkt);
      const head = chain.head;
      const w = vq.walkChain(head, chain, CHAIN_READABLE);
      if (w !== VQ_OK) {
        cnt.txMalformedChain++;
        if (!this.chainValidation) this.unchecked(vq, w);
        if (w !== VQ_BAD_HEAD) vq.pushUsed(head, 0);
        if (this.violation()) break;
        continue;
      }
      if (this.forward(port)) enqueued = true;
      vq.pushUsed(head, 0);
    }
    if (enqueued && port !== null) {
      const tx = port.tx;
      if (tx.requireSignalActive()) {
        tx.cancelSignalActive();
        host.signal(port.cfg.tx.ch);
      } else host.suppressed();
    }
    if (vq.needInterrupt(oldUsed)) this.raiseUsed();
  }

  /** Copies the validated chain's frame into a free sDDF TX buffer; false when it was dropped. */
  private forward(port: SddfNetPort | null): boolean {
    const chain = this.chain;
    const cnt = this.counters;
    const len = chain.readableBytes - VIRTIO_NET_HDR_SIZE;
    if (len <= 0 || len > NET_BUFFER_SIZE) {
      cnt.txBadLength++;
      return false;
    }
    const d = this.d;
    if (port === null || !port.tx.dequeueFree(d)) {
      cnt.txNoSddfBuffer++;
      return false;
    }
    const cfg = port.cfg;
    const off = d.ioOrOffset - cfg.txIoBase;
    if (!(off >= 0 && off % NET_BUFFER_SIZE === 0 && off + NET_BUFFER_SIZE <= cfg.txData.size)) {
      // A free descriptor outside our own region: a peer bug; keep it out of circulation.
      cnt.txBadSddfBuffer++;
      return false;
    }
    const vaddr = cfg.txData.vaddr + off;
    copyFromChain(port.as, port.ram, chain, VIRTIO_NET_HDR_SIZE, vaddr, len);
    this.host.charge(len * this.c.vmm_byte);
    if (cfg.cacheOps) port.as.cacheClean(vaddr, len);
    if (!port.tx.enqueueActive(d.ioOrOffset, len, 0)) {
      port.tx.enqueueFree(d.ioOrOffset, 0, 0);
      cnt.txBadSddfBuffer++;
      return false;
    }
    cnt.txFrames++;
    cnt.txBytes += len;
    if (this.onFrame !== null) this.capture(1, port, vaddr, len);
    return true;
  }

  private capture(dir: 0 | 1, port: SddfNetPort, vaddr: number, len: number): void {
    if (this.captureBuf === null) this.captureBuf = new Uint8Array(NET_BUFFER_SIZE);
    port.as.readBytes(vaddr, this.captureBuf, 0, len);
    this.onFrame!(dir, this.host.now(), this.captureBuf, 0, len);
  }

  // ------------------------------------------------------------------ RX: sDDF -> guest

  /**
   * virtio_net_handle_rx: every frame on the sDDF active queue goes into a guest RX chain or is
   * dropped, and its sDDF buffer goes back to the free queue either way; then the sDDF
   * request-signal / re-check loop, the used-buffer interrupt if the guest wants one, and a
   * signal to the copier if it asked for free buffers.
   */
  receive(): void {
    const port = this.port;
    if (port === null) return;
    const rx = port.rx;
    const d = this.d;
    const vq = this.rxq;
    const host = this.host;
    const oldUsed = vq.usedIdx;
    let freed = false;
    let reprocess = true;
    while (reprocess) {
      while (rx.dequeueActive(d)) {
        host.charge(this.c.vmm_pkt);
        if (!this.deliver(port)) continue;
        rx.enqueueFree(d.ioOrOffset, 0, 0);
        freed = true;
      }
      rx.requestSignalActive();
      reprocess = false;
      if (!rx.emptyActive()) {
        rx.cancelSignalActive();
        reprocess = true;
      }
    }
    if (vq.needInterrupt(oldUsed)) this.raiseUsed();
    if (freed) {
      if (rx.requireSignalFree()) {
        rx.cancelSignalFree();
        host.signal(port.cfg.rx.ch);
      } else host.suppressed();
    }
  }

  /**
   * Puts the frame in `this.d` into the next guest RX chain (or drops it, counted). Returns false
   * only for an sDDF buffer that must not go back to the free queue (outside our RX region).
   */
  private deliver(port: SddfNetPort): boolean {
    const d = this.d;
    const cfg = port.cfg;
    const cnt = this.counters;
    const off = d.ioOrOffset - cfg.rxIoBase;
    if (!(off >= 0 && off % NET_BUFFER_SIZE === 0 && off + NET_BUFFER_SIZE <= cfg.rxData.size)) {
      cnt.rxBadSddfBuffer++;
      return false;
    }
    if (d.len > NET_BUFFER_SIZE) {
      cnt.rxBadSddfBuffer++;
      return true;
    }
    const vq = this.rxq;
    const mmio = this.mmio;
    if (mmio === null || !mmio.isLive() || !vq.ready || this.broken[VIRTIO_NET_RX_QUEUE] === 1) {
      cnt.rxDeviceNotLive++;
      return true;
    }
    const chain = this.chain;
    const r = vq.popAvail(chain);
    if (r === VQ_BAD_AVAIL_IDX) {
      cnt.rxMalformedChain++;
      this.breakQueue(VIRTIO_NET_RX_QUEUE);
      return true;
    }
    if (r !== VQ_OK) {
      cnt.rxNoGuestBuffer++;
      return true;
    }
    const head = chain.head;
    const w = vq.walkChain(head, chain, CHAIN_WRITABLE);
    if (w !== VQ_OK) {
      cnt.rxMalformedChain++;
      if (!this.chainValidation) this.unchecked(vq, w);
      if (w !== VQ_BAD_HEAD) vq.pushUsed(head, 0);
      this.violation();
      return true;
    }
    const len = d.len;
    if (chain.writableBytes < VIRTIO_NET_HDR_SIZE + len) {
      cnt.rxGuestBufferTooSmall++;
      vq.pushUsed(head, 0);
      return true;
    }
    const vaddr = cfg.rxData.vaddr + off;
    if (cfg.cacheOps) port.as.cacheCleanInvalidate(vaddr, len);
    vq.writeChain(chain, this.rxHdr, 0, VIRTIO_NET_HDR_SIZE, 0);
    copyToChain(port.as, port.ram, chain, VIRTIO_NET_HDR_SIZE, vaddr, len);
    this.host.charge(len * this.c.vmm_byte);
    vq.pushUsed(head, VIRTIO_NET_HDR_SIZE + len);
    cnt.rxFrames++;
    cnt.rxBytes += len;
    if (this.onFrame !== null) this.capture(0, port, vaddr, len);
    return true;
  }

  // ------------------------------------------------------------------ guest misbehaviour

  /**
   * Counts one ring violation (the VirtqueueDevice has counted its reason). At the threshold the
   * device enters DEVICE_NEEDS_RESET, the spec's SHOULD for an unrecoverable error, and sends the
   * configuration-change interrupt it then MUSTs. Returns true once the device needs a reset.
   */
  private violation(): boolean {
    this.counters.violations++;
    this.violationsSinceReset++;
    const mmio = this.mmio;
    if (mmio === null) return false;
    if ((mmio.status & VIRTIO_STATUS_DEVICE_NEEDS_RESET) !== 0) return true;
    if (this.violationsSinceReset < this.threshold) return false;
    this.counters.needsReset++;
    if (mmio.setDeviceNeedsReset()) this.host.injectIrq();
    return true;
  }

  /** Without chain validation: what the unchecked walk does with the refused chain (may throw). */
  private unchecked(vq: VirtqueueDevice, code: number): void {
    const port = this.port;
    if (port === null) return;
    uncheckedChainConsequence(port.as.owner, vq, this.chain, code, port.as, port.ram);
  }

  /** After an avail index jump nothing in that ring can be trusted: stop using it until reset. */
  private breakQueue(i: number): void {
    this.broken[i] = 1;
    this.counters.queuesBroken++;
    this.violation();
  }

  private raiseUsed(): void {
    const mmio = this.mmio;
    if (mmio?.raiseUsedInterrupt()) this.host.injectIrq();
  }

  private queueOf(i: number): VirtqueueDevice | null {
    if (i === VIRTIO_NET_RX_QUEUE) return this.rxq;
    if (i === VIRTIO_NET_TX_QUEUE) return this.txq;
    return null;
  }

  snapshot(): Record<string, unknown> {
    return {
      rxq: this.rxq.snapshot(),
      txq: this.txq.snapshot(),
      broken: [this.broken[0], this.broken[1]],
      violationsSinceReset: this.violationsSinceReset,
      counters: this.counters.snapshot(),
      drops: this.counters.drops(),
    };
  }
}
