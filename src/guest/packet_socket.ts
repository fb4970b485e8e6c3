import type { AddressSpace } from '../board/address_space.js';
import type { EnetRxSink, LinuxEnetDriver } from './linux_enet_driver.js';

export interface SocketKernel {
  chargeKernel(cycles: number): void;
}

export interface SocketCosts {
  readonly dvm_syscall: number;
  readonly dvm_recv_pkt: number;
  readonly dvm_xmit_pkt: number;
  readonly dvm_byte: number;
  readonly dvm_uio_access: number;
}

/** rmem_default / wmem_default 212992 over a ~2304-byte truesize per full-size frame. */
export const SOCKET_DATAGRAMS = 92;
/** The kernel's copy routines move 16 bytes per load or store (ldp/stp). */
const KERNEL_COPY_CHUNK = 16;
export const SOCKET_EAGAIN = -11;

export class PacketSocketCounters {
  rxQueued = 0;
  recvs = 0;
  sends = 0;
  /** sendto found the send buffer (or the TX ring, or the page pool) full and would block. */
  sendBlocked = 0;
}

/**
 * An AF_PACKET / ETH_P_ALL raw socket bound to the ENET, as the UIO bridge opens it: every
 * received frame is queued (up to sk_rcvbuf, in frames), recvfrom copies one out to user memory
 * and frees its page, sendto copies the user's frame into a fresh page and transmits it (up to
 * sk_sndbuf frames in flight). Copies to or from UIO memory (the bridge without its own copies)
 * are device-memory accesses, 16 bytes each; others are cached copies.
 */
export class PacketSocket implements EnetRxSink {
  readonly counters = new PacketSocketCounters();
  private readonly drv: LinuxEnetDriver;
  private readonly as: AddressSpace;
  private readonly k: SocketKernel;
  private readonly c: SocketCosts;
  private readonly rxBuf: Int32Array;
  private readonly rxLen: Int32Array;
  private rxHead = 0;
  private rxTail = 0;
  private readonly rcvLimit: number;
  private readonly sndLimit: number;
  txInFlight = 0;

  constructor(
    drv: LinuxEnetDriver,
    as: AddressSpace,
    kernel: SocketKernel,
    costs: SocketCosts,
    rcvLimit = SOCKET_DATAGRAMS,
    sndLimit = SOCKET_DATAGRAMS,
  ) {
    this.drv = drv;
    this.as = as;
    this.k = kernel;
    this.c = costs;
    this.rcvLimit = rcvLimit;
    this.sndLimit = sndLimit;
    this.rxBuf = new Int32Array(rcvLimit);
    this.rxLen = new Int32Array(rcvLimit);
  }

  get queued(): number {
    return this.rxTail - this.rxHead;
  }

  hasRoom(): boolean {
    return this.rxTail - this.rxHead < this.rcvLimit;
  }

  rxFrame(buf: number, len: number): void {
    const i = this.rxTail % this.rcvLimit;
    this.rxBuf[i] = buf;
    this.rxLen[i] = len;
    this.rxTail++;
    this.counters.rxQueued++;
  }

  readable(): boolean {
    return this.rxTail !== this.rxHead;
  }

  writable(): boolean {
    return this.txInFlight < this.sndLimit && this.drv.freeBuffers > 0;
  }

  /** Length of the next queued frame, or -1. */
  peekLength(): number {
    return this.rxTail === this.rxHead ? -1 : this.rxLen[this.rxHead % this.rcvLimit]!;
  }

  private copyCost(len: number, device: boolean): number {
    return device ? Math.ceil(len / KERNEL_COPY_CHUNK) * this.c.dvm_uio_access : len * this.c.dvm_byte;
  }

  /** recvfrom into `dstGpa` (UIO memory when `device`): the frame's length, or SOCKET_EAGAIN. */
  recv(dstGpa: number, device: boolean): number {
    const c = this.c;
    this.k.chargeKernel(c.dvm_syscall);
    if (this.rxTail === this.rxHead) return SOCKET_EAGAIN;
    const i = this.rxHead % this.rcvLimit;
    const buf = this.rxBuf[i]!;
    const len = this.rxLen[i]!;
    this.rxHead++;
    this.k.chargeKernel(c.dvm_recv_pkt + this.copyCost(len, device));
    this.as.copy(dstGpa, this.drv.bufGpa(buf), len);
    this.drv.freeBuffer(buf);
    this.counters.recvs++;
    return len;
  }

  /** sendto from `srcGpa` (UIO memory when `device`): `len`, or SOCKET_EAGAIN when it would block. */
  sendto(srcGpa: number, len: number, device: boolean): number {
    const c = this.c;
    this.k.chargeKernel(c.dvm_syscall);
    if (this.txInFlight >= this.sndLimit) {
      this.counters.sendBlocked++;
      return SOCKET_EAGAIN;
    }
    const buf = this.drv.takeBuffer();
    if (buf < 0) {
      this.counters.sendBlocked++;
      return SOCKET_EAGAIN;
    }
    this.k.chargeKernel(c.dvm_xmit_pkt + this.copyCost(len, device));
    this.as.copy(this.drv.bufGpa(buf), srcGpa, len);
    if (!this.drv.xmit(buf, len)) {
      this.drv.freeBuffer(buf);
      this.counters.sendBlocked++;
      return SOCKET_EAGAIN;
    }
    this.txInFlight++;
    this.counters.sends++;
    return len;
  }

  /** IO addresses of the pages of the frames waiting in the receive queue. */
  holdings(out: number[]): void {
    for (let i = this.rxHead; i !== this.rxTail; i++)
      out.push(this.drv.bufGpa(this.rxBuf[i % this.rcvLimit]!));
  }

  /** The driver reclaimed `n` sent frames. */
  txReclaimed(n: number): void {
    this.txInFlight = Math.max(0, this.txInFlight - n);
  }
}
