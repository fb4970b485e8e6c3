import { PERM_R, PERM_W } from '../board/address_space.js';
import { ProtectionDomain } from '../board/pd.js';
import { MAC_BROADCAST } from '../net/mac.js';
import type { VirtRxConfig } from './config.js';
import { type SddfCosts, sddfCosts } from './costs.js';
import { NET_BUFFER_SIZE, NetBuffDesc, type NetQueueHandle } from './net_queue.js';
import { openQueue } from './queue_binding.js';

const DROP = -1;
const BROADCAST = -2;

/**
 * The RX virtualiser (network/components/virt_rx.c): hands each received buffer to the
 * client whose MAC it is addressed to, after cleaning and invalidating its cache lines
 * (a user-mode invalidate alone is not available on Arm, so clean+invalidate it is).
 * Broadcast frames go to every client with a reference count; frames nobody wants go
 * straight back to the driver. It maps the DMA region read-only and never writes it.
 */
export class VirtRx extends ProtectionDomain {
  private readonly cfg: VirtRxConfig;
  private c!: SddfCosts;
  private drv!: NetQueueHandle;
  private clients: NetQueueHandle[] = [];
  /** Clients that got buffers this round; sized at init, when the configuration is complete. */
  private clientNotify = new Uint8Array(0);
  private numBuffers = 0;
  private readonly d = new NetBuffDesc();
  private readonly macBuf = new Uint8Array(6);
  /**
   * Clean+invalidate each received buffer before handing it on, as virt_rx.c does. Turning it
   * off is for studying the bug it prevents: the copier then reads stale cached lines.
   */
  cacheMaintenance = true;
  // Counters
  delivered = 0;
  broadcasts = 0;
  unmatched = 0;
  badReturns = 0;

  constructor(name: string, cfg: VirtRxConfig) {
    super(name);
    this.cfg = cfg;
  }

  override init(): void {
    this.c = sddfCosts(this.kernel.costs);
    this.drv = openQueue(this, this.cfg.driver);
    this.clients = this.cfg.clients.map((cl) => openQueue(this, cl.conn));
    this.clientNotify = new Uint8Array(this.clients.length);
    this.numBuffers = this.cfg.driver.capacity;
    this.as.resolve(this.cfg.metadataVaddr, this.numBuffers, PERM_R | PERM_W);
    this.charge(this.c.vrx_entry);
    this.drv.buffersInit(this.cfg.data.ioAddr);
    if (this.drv.requireSignalFree()) {
      this.drv.cancelSignalFree();
      this.deferredNotify(this.cfg.driver.ch);
    }
  }

  override notified(_ch: number): void {
    this.charge(this.c.vrx_entry);
    this.rxReturn();
    this.rxProvide();
  }

  /** Finds the client a frame is for: first match in client order (get_mac_addr_match). */
  private match(vaddr: number): number {
    this.as.readBytes(vaddr, this.macBuf, 0, 6);
    const b = this.macBuf;
    const dst =
      b[0]! * 2 ** 40 + b[1]! * 2 ** 32 + ((b[2]! << 24) >>> 0) + (b[3]! << 16) + (b[4]! << 8) + b[5]!;
    const clients = this.cfg.clients;
    for (let i = 0; i < clients.length; i++) {
      const macs = clients[i]!.macs;
      for (let j = 0; j < macs.length; j++) if (macs[j] === dst) return i;
    }
    return dst === MAC_BROADCAST ? BROADCAST : DROP;
  }

  private rxReturn(): void {
    const drv = this.drv;
    const d = this.d;
    const data = this.cfg.data;
    const meta = this.cfg.metadataVaddr;
    let reprocess = true;
    let notifyDrv = false;
    while (reprocess) {
      while (!drv.emptyActive()) {
        drv.dequeueActive(d);
        const offset = d.ioOrOffset - data.ioAddr;
        if (offset < 0 || offset >= this.numBuffers * NET_BUFFER_SIZE || offset % NET_BUFFER_SIZE !== 0) {
          // The driver is trusted; a bad address is a configuration bug we count.
          this.badReturns++;
          continue;
        }
        const vaddr = data.vaddr + offset;
        const lines = this.cacheMaintenance ? this.as.cacheCleanInvalidate(vaddr, d.len) : 0;
        this.charge(this.c.vrx_pkt + 2 * this.c.queue_barrier + lines * this.c.cache_line_op);
        const client = this.match(vaddr);
        const idx = offset / NET_BUFFER_SIZE;
        if (client >= 0) {
          this.as.write(meta + idx, 1, 1);
          this.clients[client]!.enqueueActive(offset, d.len, 0);
          this.clientNotify[client] = 1;
          this.delivered++;
        } else if (client === BROADCAST) {
          this.as.write(meta + idx, 1, this.clients.length);
          for (let i = 0; i < this.clients.length; i++) {
            this.clients[i]!.enqueueActive(offset, d.len, 0);
            this.clientNotify[i] = 1;
          }
          this.broadcasts++;
        } else {
          drv.enqueueFree(d.ioOrOffset, 0);
          notifyDrv = true;
          this.unmatched++;
        }
      }
      drv.requestSignalActive();
      reprocess = false;
      if (!drv.emptyActive()) {
        drv.cancelSignalActive();
        reprocess = true;
      }
    }
    if (notifyDrv) this.signalDriverFree();
    for (let i = 0; i < this.clients.length; i++) {
      if (this.clientNotify[i] === 0) continue;
      this.clientNotify[i] = 0;
      const q = this.clients[i]!;
      if (q.requireSignalActive()) {
        q.cancelSignalActive();
        this.notify(this.cfg.clients[i]!.conn.ch);
      } else this.suppressed();
    }
  }

  /** Buffers went back to the driver: signal it if it asked (deferred, as virt_rx.c does). */
  private signalDriverFree(): void {
    const drv = this.drv;
    if (drv.requireSignalFree()) {
      drv.cancelSignalFree();
      this.deferredNotify(this.cfg.driver.ch);
    } else this.suppressed();
  }

  private rxProvide(): void {
    const drv = this.drv;
    const d = this.d;
    const meta = this.cfg.metadataVaddr;
    let notifyDrv = false;
    for (let i = 0; i < this.clients.length; i++) {
      const q = this.clients[i]!;
      // What the loop below does to a quiet client changes nothing (and is not charged): with many
      // clients, most are quiet on any one call.
      if (q.quietFree()) continue;
      let reprocess = true;
      while (reprocess) {
        while (!q.emptyFree()) {
          q.dequeueFree(d);
          this.charge(this.c.vrx_free_pkt + 2 * this.c.queue_barrier);
          const off = d.ioOrOffset;
          // The C code asserts here; a copier is trusted, but we count instead of crash.
          if (off % NET_BUFFER_SIZE !== 0 || off < 0 || off >= NET_BUFFER_SIZE * this.numBuffers) {
            this.badReturns++;
            continue;
          }
          const idx = off / NET_BUFFER_SIZE;
          const refs = this.as.read(meta + idx, 1);
          if (refs === 0) {
            // Returned more often than handed out: a duplicate; dropping it keeps the pool whole.
            this.badReturns++;
            continue;
          }
          this.as.write(meta + idx, 1, refs - 1);
          if (refs - 1 !== 0) continue;
          drv.enqueueFree(off + this.cfg.data.ioAddr, 0);
          notifyDrv = true;
        }
        q.requestSignalFree();
        reprocess = false;
        if (!q.emptyFree()) {
          q.cancelSignalFree();
          reprocess = true;
        }
      }
    }
    if (notifyDrv) this.signalDriverFree();
  }

  snapshot(): object {
    return {
      delivered: this.delivered,
      broadcasts: this.broadcasts,
      unmatched: this.unmatched,
      badReturns: this.badReturns,
    };
  }
}
