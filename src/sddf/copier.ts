import { ProtectionDomain } from '../board/pd.js';
import type { CopyConfig } from './config.js';
import { type SddfCosts, sddfCosts } from './costs.js';
import { NET_BUFFER_SIZE, NetBuffDesc, type NetQueueHandle } from './net_queue.js';
import { openQueue } from './queue_binding.js';
import type { RateLimiter } from './token_bucket.js';

/**
 * The copier (network/components/copy.c), one per client. It copies each frame out of
 * the shared RX DMA region into the client's own region and returns the DMA buffer at
 * once, so a client never sees other clients' traffic and can never hoard DMA buffers.
 * When the client has no free buffer the frame is dropped here: a slow client loses
 * only its own packets.
 */
export class Copier extends ProtectionDomain {
  private readonly cfg: CopyConfig;
  private c!: SddfCosts;
  private virt!: NetQueueHandle;
  private cli!: NetQueueHandle;
  private readonly vd = new NetBuffDesc();
  private readonly cd = new NetBuffDesc();
  /**
   * The client's receive rate limit, or null. Frames over it are dropped here, like frames for a
   * client with no free buffer: the DMA buffer goes straight back, so only this client loses.
   */
  rxLimit: RateLimiter | null = null;
  /**
   * Protection (scenario `protections.copier_validation`), on by default: check each client
   * buffer's offset before copying into it, as copy.c does. Off, the copier copies to wherever the
   * offset points: outside its mappings that faults the copier, with a DMA buffer in its hands.
   */
  validation = true;
  // Counters
  copied = 0;
  copiedBytes = 0;
  dropsNoClientBuffer = 0;
  badClientBuffers = 0;
  dropsRateLimited = 0;
  dropsRateLimitedBytes = 0;

  constructor(name: string, cfg: CopyConfig) {
    super(name);
    this.cfg = cfg;
  }

  override init(): void {
    this.c = sddfCosts(this.kernel.costs);
    this.virt = openQueue(this, this.cfg.virt);
    this.cli = openQueue(this, this.cfg.client);
    this.charge(this.c.copy_entry);
    if (this.cfg.copyBytes) this.cli.buffersInit(0);
  }

  override notified(_ch: number): void {
    this.charge(this.c.copy_entry);
    if (this.cfg.copyBytes) this.rxReturn();
    else this.passThrough();
  }

  private rxReturn(): void {
    const virt = this.virt;
    const cli = this.cli;
    const vd = this.vd;
    const cd = this.cd;
    const clientSize = this.cfg.clientData.size;
    let clientEnqueued = false;
    let virtEnqueued = false;
    let reprocess = true;
    while (reprocess) {
      while (!virt.emptyActive()) {
        if (!cli.emptyFree()) {
          if (this.rxLimit !== null && this.overRxLimit()) {
            virt.dequeueActive(vd);
            this.charge(this.c.copy_pkt);
            virt.enqueueFree(vd.ioOrOffset, 0, 0);
            virtEnqueued = true;
            continue;
          }
          cli.dequeueFree(cd);
          if (
            this.validation &&
            (cd.ioOrOffset % NET_BUFFER_SIZE !== 0 || cd.ioOrOffset + NET_BUFFER_SIZE > clientSize)
          ) {
            // copy.c logs and drops that client buffer from circulation; so do we.
            this.badClientBuffers++;
            continue;
          }
          virt.dequeueActive(vd);
          const len = vd.len <= NET_BUFFER_SIZE ? vd.len : NET_BUFFER_SIZE;
          this.as.copy(
            this.cfg.clientData.vaddr + cd.ioOrOffset,
            this.cfg.deviceData.vaddr + vd.ioOrOffset,
            len,
          );
          this.charge(this.c.copy_pkt + 4 * this.c.queue_barrier + len * this.c.copy_byte);
          cli.enqueueActive(cd.ioOrOffset, len, 0);
          virt.enqueueFree(vd.ioOrOffset, 0, 0);
          if (this.rxLimit !== null) this.rxLimit.take(len);
          this.copied++;
          this.copiedBytes += len;
          clientEnqueued = true;
          virtEnqueued = true;
        } else {
          virt.dequeueActive(vd);
          this.charge(this.c.copy_pkt);
          virt.enqueueFree(vd.ioOrOffset, 0, 0);
          this.dropsNoClientBuffer++;
          virtEnqueued = true;
        }
      }
      virt.requestSignalActive();
      reprocess = false;
      if (!virt.emptyActive()) {
        virt.cancelSignalActive();
        reprocess = true;
      }
    }
    this.signal(clientEnqueued, virtEnqueued);
  }

  /** sddf-d5pd: the same PD in the path, moving descriptors without copying bytes. */
  private passThrough(): void {
    const virt = this.virt;
    const cli = this.cli;
    const d = this.vd;
    let clientEnqueued = false;
    let virtEnqueued = false;
    let reprocess = true;
    while (reprocess) {
      while (virt.dequeueActive(d)) {
        this.charge(this.c.copy_pkt);
        if (this.rxLimit !== null && !this.admitRx(d.len)) {
          virt.enqueueFree(d.ioOrOffset, 0, 0);
          virtEnqueued = true;
          continue;
        }
        cli.enqueueActive(d.ioOrOffset, d.len, 0);
        clientEnqueued = true;
      }
      while (cli.dequeueFree(d)) {
        this.charge(this.c.copy_pkt);
        virt.enqueueFree(d.ioOrOffset, 0, 0);
        virtEnqueued = true;
      }
      virt.requestSignalActive();
      cli.requestSignalFree();
      reprocess = false;
      if (!virt.emptyActive() || !cli.emptyFree()) {
        virt.cancelSignalActive();
        cli.cancelSignalFree();
        reprocess = true;
      }
    }
    this.signal(clientEnqueued, virtEnqueued);
  }

  /** Whether the frame at the head of the virt active queue is over the limit (counted if so). */
  private overRxLimit(): boolean {
    if (!this.virt.peekActive(this.vd)) return false;
    const len = Math.min(this.vd.len, NET_BUFFER_SIZE);
    if (this.rxLimit!.allows(this.now(), len)) return false;
    this.dropsRateLimited++;
    this.dropsRateLimitedBytes += len;
    return true;
  }

  /** Pays for a frame of `len` bytes if the limit allows it; counts a drop otherwise. */
  private admitRx(len: number): boolean {
    const n = Math.min(len, NET_BUFFER_SIZE);
    const lim = this.rxLimit!;
    if (lim.allows(this.now(), n)) {
      lim.take(n);
      return true;
    }
    this.dropsRateLimited++;
    this.dropsRateLimitedBytes += n;
    return false;
  }

  /** Frames waiting for this client: in the queue from virt_rx and copied but not yet taken (metrics). */
  backlog(): number {
    if (!this.initDone) return 0;
    return this.virt.lengthActive() + this.cli.lengthActive();
  }

  private signal(clientEnqueued: boolean, virtEnqueued: boolean): void {
    if (clientEnqueued) {
      if (this.cli.requireSignalActive()) {
        this.cli.cancelSignalActive();
        this.notify(this.cfg.client.ch);
      } else this.suppressed();
    }
    if (virtEnqueued) {
      if (this.virt.requireSignalFree()) {
        this.virt.cancelSignalFree();
        this.deferredNotify(this.cfg.virt.ch);
      } else this.suppressed();
    }
  }

  snapshot(): object {
    return {
      copied: this.copied,
      copiedBytes: this.copiedBytes,
      dropsNoClientBuffer: this.dropsNoClientBuffer,
      badClientBuffers: this.badClientBuffers,
      dropsRateLimited: this.dropsRateLimited,
    };
  }
}
