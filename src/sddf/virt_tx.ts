import { ProtectionDomain } from '../board/pd.js';
import type { VirtTxConfig } from './config.js';
import { type SddfCosts, sddfCosts } from './costs.js';
import { NET_BUFFER_SIZE, NetBuffDesc, type NetQueueHandle } from './net_queue.js';
import { openQueue } from './queue_binding.js';
import { RateLimiter, type RateLimitSpec } from './token_bucket.js';
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
  /** Clients that got buffers back this round; sized with the other per-client state. */
  private clientNotify = new Uint8Array(0);
  private readonly d = new NetBuffDesc();
  /** For peeks, so a peek never clobbers the descriptor being worked on. */
  private readonly pd = new NetBuffDesc();
  policy: TxPolicy = new FixedOrderPolicy();
  /** Bound on buffers outstanding at the driver (Infinity = sDDF mainline: none). */
  outstandingLimit = Number.POSITIVE_INFINITY;
  outstanding = 0;
  /**
   * virt_tx's own timer channel (composeNetSystem gives one; -1 = none): a rate-limited client's
   * buffers wait in its queue, and the timer brings virt_tx back when its tokens will be there.
   */
  timerCh = -1;
  /** When the armed timer fires (Infinity: none armed). */
  private timerAt = Number.POSITIVE_INFINITY;
  /** Per client: its TX rate limit, or null. */
  private readonly limiters: (RateLimiter | null)[] = [];
  /** Per client: 1 once its current head buffer has been counted as held back. */
  private headHeld = new Uint8Array(0);
  private enqueued = false;
  // Counters
  forwarded = 0;
  readonly rejected = [0, 0, 0];
  readonly perClientForwarded: number[] = [];
  readonly perClientBytes: number[] = [];
  /** Per client: buffers (and their bytes) its rate limit held back at least once. */
  readonly perClientThrottled: number[] = [];
  readonly perClientThrottledBytes: number[] = [];
  unknownReturns = 0;
  /** Completed buffers that did not fit their owner's free queue (it enqueued them twice). */
  duplicateReturns = 0;
  /**
   * Protections (scenario `protections:`), on by default. Off, virt_tx does what virt_tx.c does
   * in a release build (its asserts compiled out), so the damage can be studied:
   * - queueGuard off: buffers are taken from clients even when the driver queue is full; the
   *   failed enqueue loses the buffer, whoever's it was (virt_tx.c asserts !err, a no-op there);
   * - validation off: no len/oid/offset check; the cache clean and the IO address use whatever
   *   offset the client wrote (an address outside virt_tx's mappings faults it).
   */
  queueGuard = true;
  validation = true;
  /** Per client: its buffers lost to a full driver queue (only with queueGuard off). */
  readonly perClientLostToFullQueue: number[] = [];

  constructor(name: string, cfg: VirtTxConfig) {
    super(name);
    this.cfg = cfg;
  }

  /**
   * The per-client state, sized once the configuration is complete (composeNetSystem adds the
   * clients to the config after constructing virt_tx).
   */
  private sizeForClients(): void {
    const n = this.cfg.clients.length;
    if (this.headHeld.length !== n) this.headHeld = new Uint8Array(n);
    if (this.clientNotify.length !== n) this.clientNotify = new Uint8Array(n);
    while (this.limiters.length < n) this.limiters.push(null);
    for (const a of [
      this.perClientLostToFullQueue,
      this.perClientForwarded,
      this.perClientBytes,
      this.perClientThrottled,
      this.perClientThrottledBytes,
    ])
      while (a.length < n) a.push(0);
  }

  /** Limits client i's transmit rate (set before the system boots; buckets start full at time 0). */
  setRateLimit(i: number, spec: RateLimitSpec): void {
    this.sizeForClients();
    if (!(i >= 0 && i < this.limiters.length)) throw new Error(`${this.name}: no client ${i} to rate-limit`);
    this.limiters[i] = new RateLimiter(spec, 0);
  }

  /** Buffers waiting in client i's queue (for metrics: reads the queue, changes nothing). */
  clientBacklog(i: number): number {
    return this.clients[i]?.lengthActive() ?? 0;
  }

  get numClients(): number {
    return this.clients.length;
  }

  override init(): void {
    this.sizeForClients();
    if (this.timerCh < 0 && this.limiters.some((l) => l !== null)) {
      throw new Error(`${this.name}: a client has a rate limit but virt_tx has no timer channel to wait on`);
    }
    this.c = sddfCosts(this.kernel.costs);
    this.drv = openQueue(this, this.cfg.driver);
    this.clients = this.cfg.clients.map((cl) => openQueue(this, cl.conn));
    this.charge(this.c.vtx_entry);
    this.txProvide();
  }

  override notified(ch: number): void {
    this.charge(this.c.vtx_entry);
    if (ch === this.timerCh && this.now() >= this.timerAt) this.timerAt = Number.POSITIVE_INFINITY;
    this.txReturn();
    this.txProvide();
  }

  // ---- TxPort, used by the policy ----

  clientEmpty(i: number): boolean {
    return this.clients[i]!.emptyActive();
  }

  /**
   * Buffers that may still go to the driver now: the policy bound, and never more than the
   * driver's active queue holds. sdfgen sizes that queue for every client buffer, so in sDDF it
   * cannot fill, unless a client enqueues the same buffer twice; then virt_tx.c would assert
   * (or, without asserts, drop the next client's buffer). Here the policy just stops until the
   * driver returns buffers.
   */
  driverRoom(): number {
    const room = this.outstandingLimit - this.outstanding;
    return this.queueGuard && this.drv.fullActive() ? 0 : room;
  }

  /**
   * An empty client queue is never peeked past, dequeued or throttled, and requesting a signal
   * already requested writes what is there; driverRoom's look at the driver queue counts a
   * violation only when that queue is corrupt.
   */
  clientQuiet(i: number): boolean {
    return this.clients[i]!.quietActive() && (!this.queueGuard || this.drv.saneActive());
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

  peekLen(i: number): number {
    const d = this.pd;
    if (!this.clients[i]!.peekActive(d)) return -1;
    return this.rejectReason(i, d) < 0 ? d.len : 0;
  }

  clientThrottled(i: number): boolean {
    const lim = this.limiters[i];
    if (lim === null || lim === undefined) return false;
    const len = this.peekLen(i);
    return len > 0 && this.holdBack(i, lim, len);
  }

  /**
   * Whether client i's rate limit holds back its head buffer of `len` bytes. If it does, the buffer
   * stays in the client's queue (virt_tx buffers nothing: the client feels it as a full queue), is
   * counted once, and the timer is armed for when the tokens will be there.
   */
  private holdBack(i: number, lim: RateLimiter, len: number): boolean {
    const now = this.now();
    if (lim.allows(now, len)) return false;
    if (this.headHeld[i] === 0) {
      this.headHeld[i] = 1;
      this.perClientThrottled[i]!++;
      this.perClientThrottledBytes[i]! += len;
    }
    this.armTimer(now, lim.waitNs(now, len));
    return true;
  }

  /** One wake-up at a time: an earlier one already armed re-checks and re-arms when it fires. */
  private armTimer(now: number, waitNs: number): void {
    // A whole nanosecond past the exact refill time, so the tokens are surely there.
    const delay = Math.ceil(waitNs) + 1;
    if (now + delay >= this.timerAt) return;
    this.timerAt = now + delay;
    this.setTimeout(this.timerCh, delay);
  }

  private rejectReason(i: number, d: NetBuffDesc): number {
    if (!this.validation) return -1;
    if (d.len === 0 || d.len > NET_BUFFER_SIZE) return TX_REJECT_LEN;
    if (d.oid !== 0) return TX_REJECT_OID;
    const cl = this.cfg.clients[i]!;
    if (d.ioOrOffset % NET_BUFFER_SIZE !== 0 || d.ioOrOffset >= NET_BUFFER_SIZE * cl.numBuffers)
      return TX_REJECT_OFFSET;
    return -1;
  }

  forwardOne(i: number): boolean {
    const q = this.clients[i]!;
    const d = this.d;
    const lim = this.limiters[i]!;
    if (lim !== null) {
      const len = this.peekLen(i);
      if (len > 0 && this.holdBack(i, lim, len)) return false;
    }
    if (!q.dequeueActive(d)) return false;
    this.headHeld[i] = 0;
    const cl = this.cfg.clients[i]!;
    this.charge(this.c.vtx_pkt + 2 * this.c.queue_barrier);
    const reject = this.rejectReason(i, d);
    if (reject >= 0) {
      this.rejected[reject]!++;
      // Back to the owner untouched: a client's mistake costs only that client a buffer.
      q.enqueueFree(d.ioOrOffset, 0, 0);
      this.clientNotify[i] = 1;
      return true;
    }
    const lines = this.as.cacheClean(cl.data.vaddr + d.ioOrOffset, d.len);
    this.charge(lines * this.c.cache_line_op);
    if (!this.drv.enqueueActive(d.ioOrOffset + cl.data.ioAddr, d.len, 0)) {
      // Only reachable with queueGuard off: net_enqueue_active fails, the buffer is gone.
      this.perClientLostToFullQueue[i]!++;
      return true;
    }
    this.outstanding++;
    this.enqueued = true;
    this.forwarded++;
    this.perClientForwarded[i]!++;
    this.perClientBytes[i]! += d.len;
    if (lim !== null) {
      // Pays what was dequeued: a client that rewrote its descriptor after the peek pays the truth.
      lim.take(d.len);
    }
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
        // A full free queue means the client handed over a buffer twice: its duplicate is dropped.
        if (!this.clients[i]!.enqueueFree(d.ioOrOffset - this.cfg.clients[i]!.data.ioAddr, 0, 0))
          this.duplicateReturns++;
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
      throttled: [...this.perClientThrottled],
    };
  }
}
