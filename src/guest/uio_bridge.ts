import type { AddressSpace } from '../board/address_space.js';
import { PAGE_SIZE } from '../board/memory.js';
import { type PacketSocket, SOCKET_EAGAIN } from './packet_socket.js';
import type { UioFramework } from './uio.js';

/**
 * One sDDF queue pair as the bridge program uses it: the operations of sDDF's queue.h, over the
 * bytes of two mapped queues. The guest does not link sDDF itself; the VM's builder hands it an
 * implementation (the same code sDDF components use, as the real program includes queue.h).
 */
export interface SddfQueuePair {
  emptyFree(): boolean;
  emptyActive(): boolean;
  dequeueFree(out: SddfDesc): boolean;
  dequeueActive(out: SddfDesc): boolean;
  enqueueFree(ioOrOffset: number, len: number): boolean;
  enqueueActive(ioOrOffset: number, len: number): boolean;
  requestSignalFree(): void;
  requestSignalActive(): void;
  cancelSignalFree(): void;
  cancelSignalActive(): void;
  requireSignalFree(): boolean;
  requireSignalActive(): boolean;
}

export interface SddfDesc {
  ioOrOffset: number;
  len: number;
}

/** Builds a queue pair over two queues: (view, byte offset) each, and the capacity. */
export type QueuePairFactory = (
  free: DataView,
  freeOff: number,
  active: DataView,
  activeOff: number,
  capacity: number,
) => SddfQueuePair;

/** UIO device names and map numbers the bridge expects (its device tree). */
export const UIO_NET_RX = 'sddf-net-rx';
export const UIO_NET_TX = 'sddf-net-tx';
export const UIO_NET_CONFIG = 'sddf-net-config';
/** sddf-net-rx maps. */
export const RX_MAP_FREE = 0;
export const RX_MAP_ACTIVE = 1;
export const RX_MAP_DATA = 2;
export const RX_MAP_DOORBELL = 3;
/** sddf-net-tx maps; one data map per client from TX_MAP_DATA0 on. */
export const TX_MAP_FREE = 0;
export const TX_MAP_ACTIVE = 1;
export const TX_MAP_DOORBELL = 2;
export const TX_MAP_DATA0 = 3;

const NET_BUFFER_SIZE = 2048;
/**
 * Frames one rx_process or tx_process round handles before the loop goes round again. main.c's
 * rx_process runs while the socket has data, which under sustained overload never ends (the kernel
 * refills the socket faster than the program's copies drain it) and starves TX: receive livelock.
 * The bridge here bounds each round, as NAPI bounds a poll, so RX and TX take turns.
 */
const ROUND_FRAMES = 64;
/**
 * UIO (device-memory) accesses per queue operation: a dequeue loads tail, head and the two words
 * of the descriptor it needs and stores head; an enqueue loads tail and head, stores the three
 * descriptor words and tail; an empty test loads two indices; a signal flag is one access.
 */
const ACC_DEQUEUE = 5;
const ACC_ENQUEUE = 6;
const ACC_EMPTY = 2;
const ACC_FLAG = 1;

export interface BridgeHost {
  readonly as: AddressSpace;
  chargeUser(cycles: number): void;
  chargeKernel(cycles: number): void;
  /** The program has used its time slice: it stops after the frame in hand and runs on later. */
  sliceOver(): boolean;
}

export interface BridgeCosts {
  readonly dvm_uio_access: number;
  readonly dvm_user_pkt: number;
  readonly dvm_syscall: number;
  readonly dvm_epoll: number;
}

export interface UioBridgeOptions {
  rxCapacity: number;
  txCapacity: number;
  /** Guest RAM for the program's two frame buffers (2 x 2048 bytes). */
  scratchGpa: number;
  /** The program's own copies between UIO memory and its buffers (main.c); false recvs/sends in place. */
  userCopies: boolean;
  openQueues: QueuePairFactory;
}

export class UioBridgeCounters {
  loops = 0;
  rxFrames = 0;
  txFrames = 0;
  rxDoorbells = 0;
  txDoorbells = 0;
  /** The socket had frames but sDDF had no free RX buffer: the program waits for the RX interrupt. */
  rxStarved = 0;
  /** sendto would block: the TX buffer stays with the program until the kernel has room. */
  txBlocked = 0;
  /** Descriptors from the virtualisers outside the mapped data regions: counted and handed back unused. */
  badRx = 0;
  badTx = 0;
  setupFailures = 0;
}

/** runSlice results. */
export const BRIDGE_BLOCKED = 0;
export const BRIDGE_YIELD = 1;

/**
 * The user-level UIO bridge of the driver VM (libvmm tools/linux/uio_drivers/net/main.c): maps the
 * sDDF queues and data regions through /dev/uioN, opens a raw packet socket on the ENET, and moves
 * frames between them in an epoll loop over {socket, RX interrupt, TX interrupt}.
 *
 * RX: for each frame in the socket, take a free sDDF buffer, recv() into a program buffer (the
 * kernel's copy) and copy that into the buffer's UIO data (the program's copy), then enqueue it
 * active; ring the RX doorbell if virt_rx asked for a signal. TX: for each active buffer, copy its
 * data out of UIO memory (the program's copy), sendto() it (the kernel's copy), return the buffer
 * free; ring the TX doorbell if virt_tx asked. Both follow sDDF's request/re-check protocol. Without
 * userCopies, recv and sendto work on the UIO buffers directly (the prototype's later variant).
 *
 * UIO memory is device memory to Linux, so every queue field access and every byte the program
 * copies is one device access (dvm_uio_access); the copy loops are byte-wise because glibc's
 * memcpy is not safe on device memory.
 *
 * Buffers held: between runs, at most one TX buffer (a blocked sendto) and no RX buffer.
 */
export class UioBridge {
  readonly counters = new UioBridgeCounters();
  private readonly uio: UioFramework;
  private readonly sock: PacketSocket;
  private readonly h: BridgeHost;
  private readonly c: BridgeCosts;
  private readonly o: UioBridgeOptions;
  private readonly d: SddfDesc = { ioOrOffset: 0, len: 0 };
  rxFd = -1;
  txFd = -1;
  private rx: SddfQueuePair | null = null;
  private tx: SddfQueuePair | null = null;
  private rxDataIo = 0;
  private rxDataEnd = 0;
  private rxDoorbell = 0;
  private txDoorbell = 0;
  private txIo: number[] = [];
  private txEnd: number[] = [];
  started = false;
  failed = false;
  /** Watching the socket; off while sDDF has no free RX buffer. */
  watchSocket = true;
  /** A TX buffer whose sendto would block: IO address, length, or -1. */
  pendingTxIo = -1;
  private pendingTxLen = 0;
  /** tx_process stopped with buffers left (end of its round or of the slice): TX is still ready. */
  private txBacklog = false;
  /** The last slice ended mid-loop: the program resumes where it was, without a new epoll_wait. */
  private resumed = false;

  constructor(
    uio: UioFramework,
    sock: PacketSocket,
    host: BridgeHost,
    costs: BridgeCosts,
    opts: UioBridgeOptions,
  ) {
    this.uio = uio;
    this.sock = sock;
    this.h = host;
    this.c = costs;
    this.o = opts;
  }

  private acc(n: number): void {
    this.h.chargeUser(n * this.c.dvm_uio_access);
  }

  /** The program's view of an mmap'ed queue map: the region's bytes and the queue's offset. */
  private queueView(fd: number, map: number): { view: DataView; off: number } | null {
    const gpa = this.uio.mmap(fd, map * PAGE_SIZE);
    if (gpa < 0) return null;
    const m = this.h.as.find(gpa, this.uio.mapSize(fd, map));
    if (m === null) return null;
    return { view: m.region.view, off: gpa - m.vaddr + m.regionOffset };
  }

  /** main(): open and map the devices, enable both interrupts, drain TX once. */
  start(): void {
    this.started = true;
    const uio = this.uio;
    this.rxFd = uio.open(UIO_NET_RX);
    this.txFd = uio.open(UIO_NET_TX);
    const rf = this.queueView(this.rxFd, RX_MAP_FREE);
    const ra = this.queueView(this.rxFd, RX_MAP_ACTIVE);
    const tf = this.queueView(this.txFd, TX_MAP_FREE);
    const ta = this.queueView(this.txFd, TX_MAP_ACTIVE);
    if (rf === null || ra === null || tf === null || ta === null) {
      this.failed = true;
      this.counters.setupFailures++;
      return;
    }
    this.rx = this.o.openQueues(rf.view, rf.off, ra.view, ra.off, this.o.rxCapacity);
    this.tx = this.o.openQueues(tf.view, tf.off, ta.view, ta.off, this.o.txCapacity);
    this.rxDataIo = uio.mapAddr(this.rxFd, RX_MAP_DATA);
    this.rxDataEnd = this.rxDataIo + uio.mapSize(this.rxFd, RX_MAP_DATA);
    this.rxDoorbell = uio.mapAddr(this.rxFd, RX_MAP_DOORBELL);
    this.txDoorbell = uio.mapAddr(this.txFd, TX_MAP_DOORBELL);
    for (let i = TX_MAP_DATA0; i < uio.mapCount(this.txFd); i++) {
      this.txIo.push(uio.mapAddr(this.txFd, i));
      this.txEnd.push(uio.mapAddr(this.txFd, i) + uio.mapSize(this.txFd, i));
    }
    uio.write(this.rxFd, 1);
    uio.write(this.txFd, 1);
    this.txProcess();
  }

  /** Whether the program, blocked in epoll_wait, has something to wake up for. */
  hasEvent(): boolean {
    if (this.pendingTxIo >= 0) return this.sock.writable();
    return (
      this.txBacklog ||
      this.uio.poll(this.rxFd) ||
      this.uio.poll(this.txFd) ||
      (this.watchSocket && this.sock.readable())
    );
  }

  /** Runs the loop until it blocks (BRIDGE_BLOCKED) or its time slice is over (BRIDGE_YIELD). */
  runSlice(): number {
    if (!this.started) this.start();
    if (this.failed) return BRIDGE_BLOCKED;
    const uio = this.uio;
    for (;;) {
      if (this.h.sliceOver()) {
        this.resumed = true;
        return BRIDGE_YIELD;
      }
      if (this.pendingTxIo >= 0) {
        if (!this.retrySend()) return BRIDGE_BLOCKED;
        this.txBacklog = true;
      }
      if (!this.resumed) {
        this.counters.loops++;
        // epoll_wait: a system call, kernel work on the program's behalf.
        this.h.chargeKernel(this.c.dvm_syscall + this.c.dvm_epoll);
      }
      this.resumed = false;
      const txIrq = uio.poll(this.txFd);
      const rxIrq = uio.poll(this.rxFd);
      const sockReady = this.watchSocket && this.sock.readable();
      if (!txIrq && !this.txBacklog && !rxIrq && !sockReady) return BRIDGE_BLOCKED;
      if (txIrq) uio.read(this.txFd);
      if (txIrq || this.txBacklog) this.txProcess();
      if (txIrq) uio.write(this.txFd, 1);
      if (rxIrq) {
        uio.read(this.rxFd);
        this.watchSocket = true;
        this.rxProcess();
        uio.write(this.rxFd, 1);
      } else if (sockReady) {
        this.rxProcess();
      }
    }
  }

  private rxProcess(): number {
    const rx = this.rx!;
    const sock = this.sock;
    const d = this.d;
    const as = this.h.as;
    let moved = 0;
    while (sock.readable()) {
      // The socket stays readable: whatever is left is picked up at the next round.
      if (moved >= ROUND_FRAMES || (moved > 0 && this.h.sliceOver())) break;
      this.acc(ACC_EMPTY);
      if (rx.emptyFree()) {
        this.acc(ACC_FLAG + ACC_EMPTY);
        rx.requestSignalFree();
        if (rx.emptyFree()) {
          // Nothing to copy into: stop watching the socket until virt_rx returns buffers.
          this.watchSocket = false;
          this.counters.rxStarved++;
          break;
        }
        this.acc(ACC_FLAG);
        rx.cancelSignalFree();
      }
      this.acc(ACC_DEQUEUE);
      rx.dequeueFree(d);
      const io = d.ioOrOffset;
      if (
        io < this.rxDataIo ||
        io + NET_BUFFER_SIZE > this.rxDataEnd ||
        (io - this.rxDataIo) % NET_BUFFER_SIZE !== 0
      ) {
        // Handed straight back (virt_rx counts it), so consumed and produced stay in step.
        this.counters.badRx++;
        this.acc(ACC_ENQUEUE);
        rx.enqueueActive(io, 0);
        continue;
      }
      this.h.chargeUser(this.c.dvm_user_pkt);
      let len: number;
      if (this.o.userCopies) {
        len = sock.recv(this.o.scratchGpa, false);
        // The program's byte-wise copy into device memory.
        this.acc(len);
        as.copy(io, this.o.scratchGpa, len);
      } else {
        len = sock.recv(io, true);
      }
      this.acc(ACC_ENQUEUE);
      rx.enqueueActive(io, len);
      moved++;
      this.counters.rxFrames++;
    }
    if (moved > 0) {
      this.acc(ACC_FLAG);
      if (rx.requireSignalActive()) {
        this.acc(ACC_FLAG);
        rx.cancelSignalActive();
        this.counters.rxDoorbells++;
        as.write(this.rxDoorbell, 4, 0);
      }
    }
    return moved;
  }

  private txRegion(io: number, len: number): boolean {
    for (let i = 0; i < this.txIo.length; i++) {
      if (io >= this.txIo[i]! && io + len <= this.txEnd[i]!) return true;
    }
    return false;
  }

  /** One sendto of a frame; false when it would block (the buffer is kept as pending). */
  private send(io: number, len: number): boolean {
    const scratch = this.o.scratchGpa + NET_BUFFER_SIZE;
    const r = this.o.userCopies ? this.sock.sendto(scratch, len, false) : this.sock.sendto(io, len, true);
    if (r !== SOCKET_EAGAIN) return true;
    this.pendingTxIo = io;
    this.pendingTxLen = len;
    this.counters.txBlocked++;
    return false;
  }

  private retrySend(): boolean {
    const io = this.pendingTxIo;
    this.pendingTxIo = -1;
    if (!this.send(io, this.pendingTxLen)) return false;
    this.returnTx(io);
    this.counters.txFrames++;
    this.txSignal();
    return true;
  }

  private returnTx(io: number): void {
    this.acc(ACC_ENQUEUE);
    this.tx!.enqueueFree(io, 0);
  }

  private txSignal(): void {
    const tx = this.tx!;
    this.acc(ACC_FLAG);
    if (tx.requireSignalFree()) {
      this.acc(ACC_FLAG);
      tx.cancelSignalFree();
      this.counters.txDoorbells++;
      this.h.as.write(this.txDoorbell, 4, 0);
    }
  }

  private txProcess(): number {
    const tx = this.tx!;
    const d = this.d;
    const scratch = this.o.scratchGpa + NET_BUFFER_SIZE;
    let moved = 0;
    let returned = 0;
    let again = true;
    this.txBacklog = false;
    while (again && this.pendingTxIo < 0 && !this.txBacklog) {
      for (;;) {
        if (returned >= ROUND_FRAMES || (returned > 0 && this.h.sliceOver())) {
          this.txBacklog = true;
          break;
        }
        this.acc(ACC_EMPTY);
        if (tx.emptyActive()) break;
        this.acc(ACC_DEQUEUE);
        tx.dequeueActive(d);
        const io = d.ioOrOffset;
        const len = d.len;
        returned++;
        if (len === 0 || len > NET_BUFFER_SIZE || !this.txRegion(io, len)) {
          this.counters.badTx++;
          this.returnTx(io);
          continue;
        }
        this.h.chargeUser(this.c.dvm_user_pkt);
        if (this.o.userCopies) {
          // The program's byte-wise copy out of device memory.
          this.acc(len);
          this.h.as.copy(scratch, io, len);
        }
        if (!this.send(io, len)) {
          returned--;
          break;
        }
        this.returnTx(io);
        moved++;
        this.counters.txFrames++;
      }
      if (this.pendingTxIo >= 0 || this.txBacklog) break;
      this.acc(ACC_FLAG + ACC_EMPTY);
      tx.requestSignalActive();
      again = !tx.emptyActive();
      if (again) {
        this.acc(ACC_FLAG);
        tx.cancelSignalActive();
      }
    }
    if (returned > 0) this.txSignal();
    return moved;
  }

  snapshot(): object {
    return {
      started: this.started,
      failed: this.failed,
      watchSocket: this.watchSocket,
      pendingTxIo: this.pendingTxIo,
      counters: { ...this.counters },
    };
  }
}
