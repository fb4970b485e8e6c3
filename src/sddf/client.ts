import { PERM_R, PERM_W } from '../board/address_space.js';
import { ProtectionDomain } from '../board/pd.js';
import { buildUdpFrame, UdpFrameSpec } from '../net/frame_builder.js';
import { readMac } from '../net/mac.js';
import { IN_REPLY, NetStack } from '../net/stack.js';
import type { ClientConfig } from './config.js';
import { type SddfCosts, sddfCosts } from './costs.js';
import { NET_BUFFER_SIZE, NetBuffDesc, type NetQueueHandle } from './net_queue.js';
import { openQueue } from './queue_binding.js';
import { SNOOP_PEEK_BYTES, snoopedFrameLength } from './rx_pool_snoop.js';

export type ClientApp = 'echo' | 'sink' | 'source';

/** Ways an untrusted client can abuse its queues (scenario faults against a native client). */
export type ClientMisbehaviour =
  | 'double-enqueue'
  | 'bad-offset'
  | 'corrupt-queue'
  | 'notification-storm'
  | 'write-after-handover'
  | 'snoop-rx-pool';

export interface SourceSpec {
  rateBps: number;
  payload: number;
  dstMac: number;
  dstIp: number;
  dstPort: number;
  /** Send period of the app's timer; each tick sends what the rate allows. */
  tickNs: number;
}

const LWIP_TICK_NS = 100e6;
/** The offset a bad-offset client writes: 2048-aligned, far outside any region it has. */
const BAD_OFFSET = 0x7fff_f800;
const TIMER_TICK = 0;
const TIMER_SOURCE = 1;

/**
 * A native sDDF network client: lib_sddf_lwip's queue handling (zero-copy receive,
 * one copy on transmit, the maybe-notify rules) around a small stack and one app
 * (UDP echo on 1235, a sink, or a UDP source). Frames are read out of and written into
 * the client's own data regions through its mappings.
 */
export class NetClient extends ProtectionDomain {
  private readonly cfg: ClientConfig;
  readonly app: ClientApp;
  readonly stack: NetStack;
  private c!: SddfCosts;
  private rx!: NetQueueHandle;
  private tx!: NetQueueHandle;
  private readonly d = new NetBuffDesc();
  private readonly frame = new Uint8Array(NET_BUFFER_SIZE);
  private notifyRx = false;
  private notifyTx = false;
  source: SourceSpec | null = null;
  /** Capture hook at the client's interface (0 = received, 1 = sent); null when not capturing. */
  onFrame: ((dir: 0 | 1, timeNs: number, buf: Uint8Array, off: number, len: number) => void) | null = null;
  private readonly spec = new UdpFrameSpec();
  private sourceCredit = 0;
  private sourceLast = 0;
  private seq = 0;
  private timerKind = TIMER_TICK;
  // Counters
  rxFrames = 0;
  rxBytes = 0;
  txFrames = 0;
  txBytes = 0;
  txDropNoBuffer = 0;
  badRxBuffers = 0;
  /** Frames read out of RX DMA buffers never handed to this client (snoop-rx-pool). */
  snoopedFrames = 0;
  /**
   * True while a snooped frame is at the receive path's capture hook, so an observer (the invariant
   * checker) can tell it from one delivered through the client's queue: the snooper, not a
   * trusted component, put it there.
   */
  snooping = false;

  constructor(name: string, cfg: ClientConfig, app: ClientApp) {
    super(name);
    this.cfg = cfg;
    this.app = app;
    this.stack = new NetStack(cfg.mac, cfg.ip, app === 'echo');
  }

  override init(): void {
    this.c = sddfCosts(this.kernel.costs);
    this.rx = openQueue(this, this.cfg.rx);
    this.tx = openQueue(this, this.cfg.tx);
    this.charge(this.c.client_entry);
    this.tx.buffersInit(this.cfg.txIoBase);
    // Talking to the driver directly (sddf-2pd), the client posts the RX DMA buffers itself.
    if (this.cfg.rxIoBase !== 0) {
      this.rx.buffersInit(this.cfg.rxIoBase);
      this.notifyRx = true;
    }
    if (this.source !== null) {
      this.timerKind = TIMER_SOURCE;
      this.sourceLast = this.now();
      this.setTimeout(this.cfg.timerCh, this.source.tickNs);
    } else {
      this.setTimeout(this.cfg.timerCh, LWIP_TICK_NS);
    }
    this.maybeNotify();
  }

  override notified(ch: number): void {
    this.charge(this.c.client_entry);
    if (this.misbehaviour !== null) {
      const m = this.misbehaviour;
      this.misbehaviour = null;
      this.misbehave(m);
    }
    if (ch === this.cfg.timerCh) this.onTimer();
    else this.receive();
    this.maybeNotify();
  }

  /** Set by a fault injector; carried out at the start of the client's next entry. */
  misbehaviour: ClientMisbehaviour | null = null;
  /** For double-enqueue: how many extra times the buffer is handed over (the fault's count). */
  misbehaviourCount = 1;
  misbehaviours = 0;
  /** bad-offset: the next received buffer goes back to the copier as an offset outside our region. */
  private badRxReturn = false;

  /**
   * What a malicious client can do with memory it shares with virt_tx: everything here is a
   * store to its own queues, which the trusted side must survive.
   */
  private misbehave(kind: ClientMisbehaviour): void {
    const tx = this.tx;
    const d = this.d;
    this.misbehaviours++;
    switch (kind) {
      case 'double-enqueue': {
        // The same filled buffer handed over twice (or 1 + count times, as far as the queue holds).
        if (!tx.dequeueFree(d)) return;
        tx.enqueueActive(d.ioOrOffset, 60, 0);
        for (let k = 0; k < this.misbehaviourCount; k++) if (!tx.enqueueActive(d.ioOrOffset, 60, 0)) break;
        this.notify(this.cfg.tx.ch);
        return;
      }
      case 'bad-offset': {
        // Descriptors naming memory outside the client's region, misaligned, or too long; and
        // the next received buffer is returned to the copier as an offset outside the RX region.
        tx.enqueueActive(BAD_OFFSET, 60, 0);
        tx.enqueueActive(123, 60, 0);
        tx.enqueueActive(0, 60000, 0);
        this.notify(this.cfg.tx.ch);
        this.badRxReturn = true;
        return;
      }
      case 'corrupt-queue': {
        // Garbage in the index the client owns: the active queue's tail jumps far ahead.
        const m = this.as.resolve(this.cfg.tx.activeVaddr, 8, PERM_R | PERM_W);
        const off = this.cfg.tx.activeVaddr - m.vaddr + m.regionOffset;
        const view = m.region.view;
        view.setUint16(off, (view.getUint16(off + 2, true) + 40000) & 0xffff, true);
        this.notify(this.cfg.tx.ch);
        return;
      }
      case 'write-after-handover': {
        // Hand a frame to virt_tx, then keep writing into the buffer: only this client's frame
        // can come out changed (and virt_tx's clean may or may not have caught the new bytes).
        if (!tx.dequeueFree(d)) return;
        const vaddr = this.cfg.txData.vaddr + (d.ioOrOffset - this.cfg.txIoBase);
        this.frame.fill(0xa5, 0, 1514);
        this.as.writeBytes(vaddr, this.frame, 0, 1514);
        tx.enqueueActive(d.ioOrOffset, 1514, 0);
        this.notify(this.cfg.tx.ch);
        this.frame.fill(0x5a, 0, 1514);
        this.as.writeBytes(vaddr, this.frame, 0, 1514);
        return;
      }
      case 'notification-storm': {
        for (let k = 0; k < 1000; k++) this.notify(this.cfg.tx.ch);
        return;
      }
      case 'snoop-rx-pool': {
        this.snoopRxPool();
        return;
      }
    }
  }

  /**
   * snoop-rx-pool: walk the shared RX DMA pool by address, buffer by buffer, as a malicious C
   * client would with a pointer, and hand every frame for someone else to the receive path as if
   * received. Every read goes through this client's own mappings, so the kernel decides: where a
   * copier stands between the client and the pool there is no mapping, the first read faults and
   * the client is stopped; where the client maps the pool (no copier) it reads the other clients'
   * frames.
   */
  private snoopRxPool(): void {
    const pool = this.cfg.rxPool;
    if (pool === undefined) return;
    const f = this.frame;
    const c = this.c;
    for (let at = 0; at + NET_BUFFER_SIZE <= pool.size; at += NET_BUFFER_SIZE) {
      this.as.readBytes(pool.vaddr + at, f, 0, SNOOP_PEEK_BYTES);
      this.charge(SNOOP_PEEK_BYTES * c.client_byte);
      const len = snoopedFrameLength(f);
      // Its own frames it gets anyway, through its queue.
      if (len === 0 || readMac(f, 0) === this.cfg.mac) continue;
      this.as.readBytes(pool.vaddr + at + SNOOP_PEEK_BYTES, f, SNOOP_PEEK_BYTES, len - SNOOP_PEEK_BYTES);
      this.charge(c.client_rx_pkt + len * c.client_byte);
      this.snoopedFrames++;
      if (this.onFrame !== null) {
        this.snooping = true;
        this.onFrame(0, this.now(), f, 0, len);
        this.snooping = false;
      }
      this.stack.input(f, 0, len);
    }
  }

  private onTimer(): void {
    if (this.timerKind === TIMER_SOURCE && this.source !== null) {
      this.sendSource();
      this.setTimeout(this.cfg.timerCh, this.source.tickNs);
    } else {
      this.charge(this.c.client_tick);
      this.setTimeout(this.cfg.timerCh, LWIP_TICK_NS);
    }
    // Frames may have arrived without a signal reaching us (we asked for none).
    this.receive();
  }

  /** sddf_lwip_process_rx: drain the active queue, request a signal, re-check. */
  private receive(): void {
    const rx = this.rx;
    const d = this.d;
    const cfg = this.cfg;
    let reprocess = true;
    while (reprocess) {
      while (rx.dequeueActive(d)) {
        const off = d.ioOrOffset - cfg.rxIoBase;
        if (
          off < 0 ||
          off % NET_BUFFER_SIZE !== 0 ||
          off + NET_BUFFER_SIZE > cfg.rxData.size ||
          d.len > NET_BUFFER_SIZE
        ) {
          this.badRxBuffers++;
          continue;
        }
        const vaddr = cfg.rxData.vaddr + off;
        if (cfg.cacheOps) this.charge(this.as.cacheCleanInvalidate(vaddr, d.len) * this.c.cache_line_op);
        this.as.readBytes(vaddr, this.frame, 0, d.len);
        this.charge(this.c.client_rx_pkt + 2 * this.c.queue_barrier);
        this.rxFrames++;
        this.rxBytes += d.len;
        if (this.onFrame !== null) this.onFrame(0, this.now(), this.frame, 0, d.len);
        const r = this.stack.input(this.frame, 0, d.len);
        // pbuf_free: the buffer goes back as soon as lwIP is done with it.
        if (this.badRxReturn) {
          // Misbehaving: it keeps the buffer and hands back an offset that is not its own.
          this.badRxReturn = false;
          rx.enqueueFree(BAD_OFFSET, 0, 0);
        } else rx.enqueueFree(d.ioOrOffset, 0, 0);
        this.notifyRx = true;
        if (r === IN_REPLY) this.transmit(this.frame, this.stack.replyLen);
      }
      rx.requestSignalActive();
      reprocess = false;
      if (!rx.emptyActive()) {
        rx.cancelSignalActive();
        reprocess = true;
      }
    }
  }

  /** lwip_eth_send: one copy into a free TX buffer, or drop when there is none. */
  transmit(buf: Uint8Array, len: number): boolean {
    const tx = this.tx;
    const d = this.d;
    const cfg = this.cfg;
    this.charge(this.c.client_tx_pkt + 2 * this.c.queue_barrier);
    if (len > NET_BUFFER_SIZE || !tx.dequeueFree(d)) {
      this.txDropNoBuffer++;
      // handle_empty_tx_free: make sure virt_tx knows about what we queued.
      if (this.notifyTx && tx.requireSignalActive()) {
        tx.cancelSignalActive();
        this.notify(cfg.tx.ch);
        this.notifyTx = false;
      }
      return false;
    }
    const off = d.ioOrOffset - cfg.txIoBase;
    if (off < 0 || off + NET_BUFFER_SIZE > cfg.txData.size) {
      this.badRxBuffers++;
      return false;
    }
    const vaddr = cfg.txData.vaddr + off;
    this.as.writeBytes(vaddr, buf, 0, len);
    this.charge(len * this.c.client_byte);
    if (cfg.cacheOps) this.charge(this.as.cacheClean(vaddr, len) * this.c.cache_line_op);
    tx.enqueueActive(d.ioOrOffset, len, 0);
    if (this.onFrame !== null) this.onFrame(1, this.now(), buf, 0, len);
    this.notifyTx = true;
    this.txFrames++;
    this.txBytes += len;
    return true;
  }

  private sendSource(): void {
    const s = this.source!;
    const now = this.now();
    this.sourceCredit += ((now - this.sourceLast) * s.rateBps) / 1e9;
    this.sourceLast = now;
    const bits = s.payload * 8;
    // Never bank more than a few ticks of credit: a source paused by its queue does not burst.
    const cap = Math.max(bits, (s.rateBps * s.tickNs * 4) / 1e9);
    if (this.sourceCredit > cap) this.sourceCredit = cap;
    const sp = this.spec;
    sp.srcMac = this.cfg.mac;
    sp.srcIp = this.cfg.ip;
    sp.dstMac = s.dstMac;
    sp.dstIp = s.dstIp;
    sp.srcPort = 40000;
    sp.dstPort = s.dstPort;
    while (this.sourceCredit >= bits) {
      sp.seq = this.seq;
      sp.ipId = this.seq & 0xffff;
      sp.timeNs = Math.round(this.now());
      const len = buildUdpFrame(this.frame, 0, sp, null, 0, s.payload);
      if (!this.transmit(this.frame, len)) {
        this.sourceCredit = 0;
        break;
      }
      this.seq++;
      this.sourceCredit -= bits;
    }
  }

  /** sddf_lwip_maybe_notify: one deferred signal, the other one immediate. */
  private maybeNotify(): void {
    const cfg = this.cfg;
    if (this.notifyRx && this.rx.requireSignalFree()) {
      this.rx.cancelSignalFree();
      this.notifyRx = false;
      const curr = this.deferredNotifyCurr();
      if (curr === -1) this.deferredNotify(cfg.rx.ch);
      else if (curr !== cfg.rx.ch) this.notify(cfg.rx.ch);
    } else if (this.notifyRx) {
      this.notifyRx = false;
      this.suppressed();
    }
    if (this.notifyTx && this.tx.requireSignalActive()) {
      this.tx.cancelSignalActive();
      this.notifyTx = false;
      const curr = this.deferredNotifyCurr();
      if (curr === -1) this.deferredNotify(cfg.tx.ch);
      else if (curr !== cfg.tx.ch) this.notify(cfg.tx.ch);
    } else if (this.notifyTx) {
      this.notifyTx = false;
      this.suppressed();
    }
  }

  snapshot(): object {
    return {
      rxFrames: this.rxFrames,
      txFrames: this.txFrames,
      txDropNoBuffer: this.txDropNoBuffer,
      badRxBuffers: this.badRxBuffers,
      snoopedFrames: this.snoopedFrames,
      stack: { ...this.stack.counters },
    };
  }
}
