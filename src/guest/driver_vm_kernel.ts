import type { GuestSoftware, VirtualCpu } from '../board/vcpu.js';
import { type DriverVmCosts, driverVmCosts } from './driver_vm_costs.js';
import { GuestGic } from './gic.js';
import { type EnetDeviceTree, LinuxEnetDriver } from './linux_enet_driver.js';
import { PacketSocket, SOCKET_DATAGRAMS } from './packet_socket.js';
import { UioFramework, type UioDeviceSpec } from './uio.js';
import { BRIDGE_BLOCKED, type QueuePairFactory, UioBridge } from './uio_bridge.js';
import {
  NET_CONFIG_MAGIC,
  NET_CONFIG_OFF_MAGIC,
  NET_CONFIG_OFF_POOL,
  NET_CONFIG_OFF_POOL_COUNT,
  NET_CONFIG_OFF_READY,
} from '../uio/net_config.js';

export interface DriverVmGuestOptions {
  enet: EnetDeviceTree;
  /** The UIO devices of the device tree (sddf-net-rx, sddf-net-tx, sddf-net-config). */
  uio: readonly UioDeviceSpec[];
  /** The configuration map (uio_net_config.ts), read by the ENET driver's probe. */
  configGpa: number;
  /** The interrupt the VMM raises once the page pool is granted (probe deferral ends). */
  configVirq: number;
  /** Guest RAM (the program's frame buffers live at its start). */
  ramGpa: number;
  rxCapacity: number;
  txCapacity: number;
  userCopies: boolean;
  openQueues: QueuePairFactory;
  /** Measurement window: kernel/user cycles are summed only inside it. */
  windowStartNs: number;
  windowEndNs: number;
  /** Frames per NAPI round, and cycles of bridge work per batch, before the vCPU yields. */
  napiBudget?: number;
  sliceCycles?: number;
  /** The packet socket's sk_rcvbuf / sk_sndbuf in frames (default SOCKET_DATAGRAMS). */
  socketRcvFrames?: number;
  socketSndFrames?: number;
}

/**
 * Short rounds: an entry point runs to completion, so a vCPU batch is not preempted; as with the
 * virtio guest, the driver VM yields after a few frames (NAPI) or about 50 us of program work
 * (at least one frame) so that whatever shares its core waits no longer than that.
 */
const DEFAULT_NAPI_BUDGET = 16;
const DEFAULT_SLICE_CYCLES = 90_000;

/** Cycles of the driver VM's vCPU inside the measurement window, by who did the work. */
export class DriverVmCpuSplit {
  /** Guest kernel: interrupts, NAPI, the socket, syscalls, wake-ups, UIO. */
  kernelCycles = 0;
  /** The bridge program: queue accesses and its copies. */
  userCycles = 0;
}

/**
 * The Linux kernel of the driver VM: the ENET driver with its page pool, the AF_PACKET socket, the
 * UIO framework, and one process, the UIO bridge. Boot enables the interrupts it uses (trapped
 * GIC distributor stores), registers the UIO devices and probes the ENET, deferring the probe until
 * the VMM has granted the page pool. Interrupts: the ENET's (forwarded by the VMM) runs the hard
 * IRQ and schedules NAPI; its deactivation is the exit that lets the VMM ack the real IRQ. UIO
 * interrupts wake the bridge. NAPI and the bridge run in the softirq slot of each batch.
 *
 * Fault injection: `panic()` makes the next batch take a fatal exception (an access the VMM cannot
 * emulate), `reboot()` a PSCI SYSTEM_RESET, `hijack()` the dma-escape attack.
 */
export class DriverVmKernel implements GuestSoftware {
  readonly cpu: VirtualCpu;
  readonly opts: DriverVmGuestOptions;
  readonly split = new DriverVmCpuSplit();
  c!: DriverVmCosts;
  gic!: GuestGic;
  uio!: UioFramework;
  enet: LinuxEnetDriver | null = null;
  sock: PacketSocket | null = null;
  bridge: UioBridge | null = null;
  boots = 0;
  probesDeferred = 0;
  spuriousIrqs = 0;
  private napiPending = false;
  private bridgeRunnable = false;
  private bridgeWaiting = false;
  private panicPending = false;
  private rebootPending = false;
  private hijackVictims: number[] | null = null;
  private readonly napiBudget: number;
  private readonly sliceCycles: number;
  /** Every cycle charged so far, and where the bridge's current slice started. */
  private charged = 0;
  private sliceStart = 0;

  constructor(cpu: VirtualCpu, opts: DriverVmGuestOptions) {
    this.cpu = cpu;
    this.opts = opts;
    this.napiBudget = opts.napiBudget ?? DEFAULT_NAPI_BUDGET;
    this.sliceCycles = opts.sliceCycles ?? DEFAULT_SLICE_CYCLES;
  }

  // ------------------------------------------------------------------ accounting

  private inWindow(): boolean {
    const t = this.cpu.now();
    return t >= this.opts.windowStartNs && t < this.opts.windowEndNs;
  }

  chargeKernel(cycles: number): void {
    this.cpu.charge(cycles);
    this.charged += cycles;
    if (this.inWindow()) this.split.kernelCycles += cycles;
  }

  chargeUser(cycles: number): void {
    this.cpu.charge(cycles);
    this.charged += cycles;
    if (this.inWindow()) this.split.userCycles += cycles;
  }

  get as() {
    return this.cpu.as;
  }

  /** BridgeHost: the bridge's slice of this batch is used up. */
  sliceOver(): boolean {
    return this.charged - this.sliceStart >= this.sliceCycles;
  }

  // ------------------------------------------------------------------ GuestSoftware

  boot(): void {
    this.boots++;
    this.c = driverVmCosts(this.cpu.kernel.costs);
    this.enet = null;
    this.sock = null;
    this.bridge = null;
    this.napiPending = false;
    this.bridgeRunnable = false;
    this.bridgeWaiting = false;
    this.panicPending = false;
    this.rebootPending = false;
    this.hijackVictims = null;
    this.gic = new GuestGic(this.cpu);
    this.uio = new UioFramework(this, this.opts.uio, this.c);
    this.gic.enable(this.opts.enet.irq);
    this.gic.enable(this.opts.configVirq);
    for (const d of this.opts.uio) if (d.irq >= 0) this.gic.enable(d.irq);
    this.probe();
  }

  /** fec_probe + fec_enet_open; -EPROBE_DEFER until the config map says the pool is granted. */
  private probe(): void {
    const as = this.cpu.as;
    const cfg = this.opts.configGpa;
    if (
      as.read(cfg + NET_CONFIG_OFF_MAGIC, 4) !== NET_CONFIG_MAGIC ||
      as.read(cfg + NET_CONFIG_OFF_READY, 4) !== 1
    ) {
      this.probesDeferred++;
      return;
    }
    const n = as.read(cfg + NET_CONFIG_OFF_POOL_COUNT, 4);
    const pool = new Float64Array(n);
    for (let i = 0; i < n; i++) pool[i] = as.read(cfg + NET_CONFIG_OFF_POOL + 4 * i, 4);
    const enet = new LinuxEnetDriver(as, this, this.opts.enet, this.c, pool);
    if (!enet.open()) {
      this.probesDeferred++;
      return;
    }
    this.enet = enet;
    // The pool must cover the RX ring plus whatever the socket may hold each way, or a sendto
    // waiting for a page could wait for good (the pages it needs sit in the socket it drains).
    const rcv = Math.max(1, this.opts.socketRcvFrames ?? SOCKET_DATAGRAMS);
    const room = n - this.opts.enet.rxCount - rcv;
    const snd = Math.max(1, Math.min(this.opts.socketSndFrames ?? SOCKET_DATAGRAMS, room));
    this.sock = new PacketSocket(enet, as, this, this.c, rcv, snd);
    this.bridge = new UioBridge(this.uio, this.sock, this, this.c, {
      rxCapacity: this.opts.rxCapacity,
      txCapacity: this.opts.txCapacity,
      scratchGpa: this.opts.ramGpa,
      userCopies: this.opts.userCopies,
      openQueues: this.opts.openQueues,
    });
    this.bridgeRunnable = true;
    this.cpu.raiseSoftirq();
  }

  irq(n: number): void {
    const enet = this.enet;
    if (n === this.opts.enet.irq) {
      this.chargeKernel(this.c.dvm_hardirq);
      if (enet?.hardirq()) {
        this.napiPending = true;
        this.cpu.raiseSoftirq();
      }
      this.gic.deactivate(n);
    } else if (n === this.opts.configVirq) {
      if (enet === null) this.probe();
    } else if (!this.uio.interrupt(n)) {
      this.spuriousIrqs++;
    }
  }

  softirq(): void {
    const enet = this.enet;
    const sock = this.sock;
    if (this.hijackVictims !== null && enet !== null) {
      enet.hijack(this.hijackVictims);
      this.hijackVictims = null;
    }
    if (this.napiPending && enet !== null && sock !== null) {
      if (enet.poll(this.napiBudget, sock) < this.napiBudget) {
        this.napiPending = false;
        enet.napiComplete();
      }
      this.wakeBridge();
    }
    const bridge = this.bridge;
    if (this.bridgeRunnable && bridge !== null) {
      this.sliceStart = this.charged;
      if (bridge.runSlice() === BRIDGE_BLOCKED) {
        // schedule(): the program sleeps in epoll_wait (or in a blocking sendto).
        this.chargeKernel(this.c.dvm_block);
        this.bridgeRunnable = false;
        this.bridgeWaiting = true;
        // Something may have arrived while it ran: that would have woken it.
        this.wakeBridge();
      }
    }
    if (this.napiPending || this.bridgeRunnable) this.cpu.raiseSoftirq();
  }

  timer(): void {
    if (this.panicPending) {
      this.panicPending = false;
      // A fatal kernel exception: the load of a NULL pointer, which no one emulates.
      this.cpu.as.read(0, 4);
    }
    if (this.rebootPending) {
      this.rebootPending = false;
      this.gic.systemReset();
    }
    if (this.hijackVictims !== null) this.cpu.raiseSoftirq();
  }

  // ------------------------------------------------------------------ wake-ups

  private wakeBridge(): void {
    const b = this.bridge;
    if (!this.bridgeWaiting || b === null || !b.hasEvent()) return;
    this.chargeKernel(this.c.dvm_wakeup);
    this.bridgeWaiting = false;
    this.bridgeRunnable = true;
    this.cpu.raiseSoftirq();
  }

  /** UioKernel: an event on a UIO device. */
  uioEvent(_fd: number): void {
    this.wakeBridge();
  }

  /** EnetKernel: sent frames reclaimed, the socket has send-buffer room again. */
  txReclaimed(n: number): void {
    this.sock?.txReclaimed(n);
    this.wakeBridge();
  }

  // ------------------------------------------------------------------ fault injection

  /** The next batch takes a fatal exception (driver-crash). Runs when the vCPU next runs. */
  panic(): void {
    this.panicPending = true;
  }

  /** The next batch reboots through PSCI (driver-restart). */
  reboot(): void {
    this.rebootPending = true;
  }

  /** The next batch points the NIC at `victims` (dma-escape). */
  hijack(victims: number[]): void {
    this.hijackVictims = victims;
  }

  /**
   * Every buffer this kernel holds, for audits: the page pool's (free, in the rings, in the socket),
   * as IO addresses, and the sDDF TX buffer a blocked sendto keeps (-1 when none).
   */
  holdings(): { pool: number[]; pendingTx: number } {
    const pool: number[] = [];
    this.enet?.holdings(pool);
    this.sock?.holdings(pool);
    return { pool, pendingTx: this.bridge?.pendingTxIo ?? -1 };
  }

  snapshot(): Record<string, unknown> {
    return {
      boots: this.boots,
      probesDeferred: this.probesDeferred,
      spuriousIrqs: this.spuriousIrqs,
      napiPending: this.napiPending,
      bridgeRunnable: this.bridgeRunnable,
      bridgeWaiting: this.bridgeWaiting,
      split: { ...this.split },
      enet: this.enet?.snapshot() ?? null,
      socket:
        this.sock === null
          ? null
          : { queued: this.sock.queued, txInFlight: this.sock.txInFlight, ...this.sock.counters },
      bridge: this.bridge?.snapshot() ?? null,
      uio: this.uio?.snapshot() ?? null,
    };
  }
}
