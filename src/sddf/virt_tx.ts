import { ProtectionDomain } from '../board/pd.js';
import type { VirtTxConfig } from './config.js';
import { type SddfCosts, sddfCosts } from './costs.js';
import { NET_BUFFER_SIZE, NetBuffDesc, type NetQueueHandle } from './net_queue.js';
import { openQueue } from './queue_binding.js';
import { FixedOrderPolicy, type TxPolicy, type TxPort } from './tx_policy.js';

/** Why virt_tx refused a client's buffer (returned to the client's free queue). */
export const TX_REJECT_LEN = 0;
export const TX_REJECT_OID = 1;
export const TX_REJECT_OFFSET = 2;

/**
 * The TX virtualiser (network/components/virt_tx.c): takes clients' filled buffers,
 * checks them (the clients are not trusted), cleans their cache lines so the device
 * reads what the client wrote, translates offset -> IO address and hands them to the
 * driver; completed buffers go back to their owner, found by IO address range.
 */
export class VirtTx extends ProtectionDomain implements TxPort {
  private readonly cfg: VirtTxConfig;
  private c!: SddfCosts;
  private drv!: NetQueueHandle;
  private clients: NetQueueHandle[] = [];
  private readonly clientNotify: Uint8Array;
  private readonly d = new NetBuffDesc();
  policy: TxPolicy = new FixedOrderPolicy();
  /** Bound on buffers outstanding at the driver (Infinity = sDDF mainline: none). */
  outstandingLimit = Number.POSITIVE_INFINITY;
  outstanding = 0;
  private enqueued = false;
  // Counters
  forwarded = 0;
  readonly rejected = [0, 0, 0];
  readonly perClientForwarded: number[];
  readonly perClientBytes: number[];
  unknownReturns = 0;

  constructor(name: string, cfg: VirtTxConfig) {
    super(name);
    this.cfg = cfg;
    this.clientNotify = new Uint8Array(cfg.clients.length);
    this.perClientForwarded = cfg.clients.map(() => 0);
    this.perClientBytes = cfg.clients.map(() => 0);
  }

  get numClients(): number {
    return this.clients.length;
  }

  override init(): void {
    this.c = sddfCosts(this.kernel.costs);
    this.drv = openQueue(this, this.cfg.driver);
    this.clients = this.cfg.clients.map((cl) => openQueue(this, cl.conn));
    this.charge(this.c.vtx_entry);
    this.txProvide();
  }

  override notified(_ch: number): void {
    this.charge(this.c.vtx_entry);
    this.txReturn();
    this.txProvide();
  }

  // ---- TxPort, used by the policy ----

  clientEmpty(i: number): boolean {
    return this.clients[i]!.emptyActive();
  }

  driverRoom(): number {
    return this.outstandingLimit - this.outstanding;
  }

  sleepOrRecheck(i: number): boolean {
    const q = this.clients[i]!;
    q.requestSignalActive();
    if (!q.emptyActive()) {
      q.cancelSignalActive();
      return true;
    }
    return false;
  }

  forwardOne(i: number): boolean {
    const q = this.clients[i]!;
    const d = this.d;
    if (!q.dequeueActive(d)) return false;
    const cl = this.cfg.clients[i]!;
    this.charge(this.c.vtx_pkt + 2 * this.c.queue_barrier);
    let reject = -1;
    if (d.len === 0 || d.len > NET_BUFFER_SIZE) reject = TX_REJECT_LEN;
    else if (d.oid !== 0) reject = TX_REJECT_OID;
    else if (d.ioOrOffset % NET_BUFFER_SIZE !== 0 || d.ioOrOffset >= NET_BUFFER_SIZE * cl.numBuffers)
      reject = TX_REJECT_OFFSET;
    if (reject >= 0) {
      this.rejected[reject]!++;
      // Back to the owner untouched: a client's mistake costs only that client a buffer.
      q.enqueueFree(d.ioOrOffset, 0, 0);
      this.clientNotify[i] = 1;
      return true;
    }
    const lines = this.as.cacheClean(cl.data.vaddr + d.ioOrOffset, d.len);
    this.charge(lines * this.c.cache_line_op);
    this.drv.enqueueActive(d.ioOrOffset + cl.data.ioAddr, d.len, 0);
    this.outstanding++;
    this.enqueued = true;
    this.forwarded++;
    this.perClientForwarded[i]!++;
    this.perClientBytes[i]! += d.len;
    return true;
  }

  private txProvide(): void {
    this.enqueued = false;
    this.policy.provide(this);
    if (this.enqueued) {
      if (this.drv.requireSignalActive()) {
        this.drv.cancelSignalActive();
        this.deferredNotify(this.cfg.driver.ch);
      } else this.suppressed();
    }
    this.notifyClients();
  }

  /** extract_offset: a linear search over every client's region for the IO address. */
  private owner(io: number): number {
    const clients = this.cfg.clients;
    for (let i = 0; i < clients.length; i++) {
      const cl = clients[i]!;
      this.charge(this.c.vtx_return_region);
      if (io >= cl.data.ioAddr && io < cl.data.ioAddr + cl.numBuffers * NET_BUFFER_SIZE) return i;
    }
    return -1;
  }

  private txReturn(): void {
    const drv = this.drv;
    const d = this.d;
    let reprocess = true;
    while (reprocess) {
      while (drv.dequeueFree(d)) {
        this.charge(this.c.vtx_return_pkt + 2 * this.c.queue_barrier);
        if (this.outstanding > 0) this.outstanding--;
        const i = this.owner(d.ioOrOffset);
        if (i < 0) {
          this.unknownReturns++;
          continue;
        }
        this.clients[i]!.enqueueFree(d.ioOrOffset - this.cfg.clients[i]!.data.ioAddr, 0, 0);
        this.clientNotify[i] = 1;
      }
      drv.requestSignalFree();
      reprocess = false;
      if (!drv.emptyFree()) {
        drv.cancelSignalFree();
        reprocess = true;
      }
    }
    this.notifyClients();
  }

  private notifyClients(): void {
    for (let i = 0; i < this.clients.length; i++) {
      if (this.clientNotify[i] === 0) continue;
      this.clientNotify[i] = 0;
      const q = this.clients[i]!;
      if (q.requireSignalFree()) {
        q.cancelSignalFree();
        this.notify(this.cfg.clients[i]!.conn.ch);
      } else this.suppressed();
    }
  }

  snapshot(): object {
    return {
      forwarded: this.forwarded,
      outstanding: this.outstanding,
      rejected: [...this.rejected],
      unknownReturns: this.unknownReturns,
      policy: this.policy.name,
    };
  }
}
