import { PERM_R, PERM_W, PERM_X } from '../board/address_space.js';
import { assert } from '../board/assert.js';
import type { Region } from '../board/memory.js';
import { type FaultInfo, ProtectionDomain } from '../board/pd.js';
import { T_STOPPED } from '../board/thread.js';
import { VirtualCpu } from '../board/vcpu.js';
import type { ClientConfig } from '../sddf/config.js';
import { openQueue } from '../sddf/queue_binding.js';
import {
  VIRTIO_MMIO_CONFIG,
  VIRTIO_MMIO_STATUS,
  VIRTIO_MMIO_WINDOW_SIZE,
  VIRTQ_DEFAULT_NUM_MAX,
} from '../virtio/constants.js';
import { guestMemoryOver } from '../virtio/guest_memory.js';
import { VirtioMmioDevice } from '../virtio/mmio_device.js';
import { isValidQueueSize } from '../virtio/split_ring.js';
import type { GuestRamWindow } from './chain_copy.js';
import { type VmmCosts, vmmCosts } from './costs.js';
import { type NetBackendHost, VirtioNetBackend } from './virtio_net_backend.js';

/** Guest-physical base of guest RAM (QEMU virt's and libvmm's usual 0x4000_0000). */
export const DEFAULT_GUEST_PHYS_BASE = 0x4000_0000;
/** Guest-physical base of the virtio-mmio window (QEMU virt's first virtio-mmio slot); never mapped. */
export const DEFAULT_MMIO_BASE = 0x0a00_0000;
/** The SPI the device tree gives the virtio-net device; any number below the vGIC's limit works. */
export const DEFAULT_VIRTIO_NET_VIRQ = 42;
export const DEFAULT_VIOLATION_THRESHOLD = 8;
/**
 * Where the VMM maps guest RAM: far above the maps an sdfgen-style allocator hands out from
 * 0x2000_0000, so composeNetSystem can keep mapping queues and data regions after make().
 */
export const VMM_GUEST_RAM_VADDR = 0x10_0000_0000;

export interface VmmOptions {
  /** Guest RAM: mapped rw into the VMM and rwx into the vCPU at guestPhysBase. */
  guestRam: Region;
  guestPhysBase?: number;
  /** Guest-physical address of the virtio-mmio window (not mapped: accesses trap). */
  mmioBase?: number;
  virq?: number;
  /** QueueNumMax; default 256. */
  queueNumMax?: number;
  /** Offer VIRTIO_F_EVENT_IDX; default true (libvmm does not). */
  eventIdx?: boolean;
  violationThreshold?: number;
  ramVaddr?: number;
  vcpuName?: string;
}

/**
 * One guest reboot and how long the guest took to carry traffic again; ns of simulated time,
 * -1 until it happens (a guest that never brings its device back up keeps -1).
 */
export interface GuestRestartRecord {
  restartNs: number;
  /** First frame the device copied into the rebooted guest's RX queue. */
  firstRxNs: number;
  /** First frame the device took from the rebooted guest's TX queue. */
  firstTxNs: number;
}

export class VmmCounters {
  /** Emulated guest loads and stores (each one a VM exit). */
  mmioReads = 0;
  mmioWrites = 0;
  /** VM faults the VMM did not handle (the vCPU then stops, as in libvmm). */
  unhandledFaults = 0;
  /** vIRQ injections that reached the kernel, and those libvmm's vGIC coalesces itself. */
  virqInjected = 0;
  virqCoalesced = 0;
  /** Injections refused by the kernel (vCPU stopped). */
  virqDropped = 0;
  guestCrashes = 0;
  guestRestarts = 0;
}

/**
 * The VMM protection domain of one guest (libvmm's client_vmm.c): it owns the guest's vCPU,
 * emulates a virtio-mmio virtio-net device on the guest's trapped accesses, and is an sDDF
 * network client on the other side, exactly like a native client to virt_rx, virt_tx and its
 * copier. Entry points: `fault` (a VM exit), `notified` (sDDF RX from the copier; TX-free and
 * timer notifications need nothing, as in libvmm). It never throws on what the guest wrote.
 */
export class Vmm extends ProtectionDomain implements NetBackendHost {
  readonly cfg: ClientConfig;
  readonly vcpu: VirtualCpu;
  readonly mmio: VirtioMmioDevice;
  readonly net: VirtioNetBackend;
  readonly guestRam: Region;
  readonly guestPhysBase: number;
  readonly mmioBase: number;
  readonly virq: number;
  readonly ramWindow: GuestRamWindow;
  readonly counters = new VmmCounters();
  readonly restarts: GuestRestartRecord[] = [];
  /** The restart still waiting for its first RX or TX frame, and the frame counts at the reboot. */
  private pendingRestart: GuestRestartRecord | null = null;
  private rxFramesAtRestart = 0;
  private txFramesAtRestart = 0;
  /**
   * When set (tests, --trace), every emulated access is appended as four numbers:
   * offset, width, 1 for a store / 0 for a load, value stored or read.
   */
  mmioLog: number[] | null = null;
  private c!: VmmCosts;
  /** Inside `fault`: signals go out at once (the deferred slot belongs to the vCPU's batch). */
  private inFault = false;

  constructor(name: string, cfg: ClientConfig, opts: VmmOptions) {
    super(name);
    const queueNumMax = opts.queueNumMax ?? VIRTQ_DEFAULT_NUM_MAX;
    assert(
      isValidQueueSize(queueNumMax),
      `${name}: queueNumMax ${queueNumMax} is not a power of two <= 32768`,
    );
    this.cfg = cfg;
    this.guestRam = opts.guestRam;
    this.guestPhysBase = opts.guestPhysBase ?? DEFAULT_GUEST_PHYS_BASE;
    this.mmioBase = opts.mmioBase ?? DEFAULT_MMIO_BASE;
    this.virq = opts.virq ?? DEFAULT_VIRTIO_NET_VIRQ;
    const ram = opts.guestRam;
    const ramEnd = this.guestPhysBase + ram.size;
    assert(
      this.mmioBase + VIRTIO_MMIO_WINDOW_SIZE <= this.guestPhysBase || this.mmioBase >= ramEnd,
      `${name}: the virtio-mmio window overlaps guest RAM, so guest accesses to it would not trap`,
    );
    const ramVaddr = opts.ramVaddr ?? VMM_GUEST_RAM_VADDR;
    this.as.map(ram, ramVaddr, PERM_R | PERM_W, true);
    this.ramWindow = { vaddr: ramVaddr, gpaBase: this.guestPhysBase };
    this.vcpu = new VirtualCpu(opts.vcpuName ?? `${name}_vcpu`, this, 0);
    this.vcpu.as.map(ram, this.guestPhysBase, PERM_R | PERM_W | PERM_X, true);
    this.net = new VirtioNetBackend(this, guestMemoryOver(ram.bytes, this.guestPhysBase), {
      mac: cfg.mac,
      queueNumMax,
      eventIdx: opts.eventIdx ?? true,
      violationThreshold: opts.violationThreshold ?? DEFAULT_VIOLATION_THRESHOLD,
    });
    this.mmio = new VirtioMmioDevice(this.net);
    this.net.attach(this.mmio);
  }

  override init(): void {
    this.c = vmmCosts(this.kernel.costs);
    assert(
      typeof this.c.vmm_entry === 'number',
      `${this.name}: the VMM cost entries are missing; import src/vmm/costs.js before resolveCosts`,
    );
    assert(
      this.vcpu.id >= 0 && this.vcpu.core === this.core,
      `${this.name}: add its vCPU with kernel.addVcpu on the VMM's core`,
    );
    const cfg = this.cfg;
    const rx = openQueue(this, cfg.rx);
    const tx = openQueue(this, cfg.tx);
    this.charge(this.c.vmm_entry);
    // libvmm: net_buffers_init(&tx_queue, 0); the VMM owns its TX data region.
    tx.buffersInit(cfg.txIoBase);
    // Talking to the driver directly (sddf-2pd), the client posts the RX DMA buffers itself.
    if (cfg.rxIoBase !== 0) {
      rx.buffersInit(cfg.rxIoBase);
      if (rx.requireSignalFree()) {
        rx.cancelSignalFree();
        this.deferredNotify(cfg.rx.ch);
      }
    }
    this.net.bindSddf({ rx, tx, cfg, as: this.as, ram: this.ramWindow, costs: this.c });
  }

  override notified(ch: number): void {
    this.charge(this.c.vmm_entry);
    // TX-free and timer notifications need nothing: the TX path never waits for a free buffer.
    if (ch === this.cfg.rx.ch) this.net.receive();
    if (this.pendingRestart !== null) this.noteResume();
  }

  /**
   * A VM exit. Only loads and stores inside the virtio-mmio window are emulated: control
   * registers as aligned 32-bit accesses, config space as 1/2/4-byte accesses. Anything else
   * (another address, a bad width, an offset the register file does not know, a config write)
   * returns false, so the vCPU stays stopped, as libvmm's fault_handle does.
   */
  override fault(child: number, info: FaultInfo): boolean {
    const off = info.addr - this.mmioBase;
    const width = info.width;
    if (
      child !== this.vcpu.vcpuId ||
      info.kind !== 'vm-fault' ||
      !(off >= 0 && off < VIRTIO_MMIO_WINDOW_SIZE) ||
      !isEmulatedAccess(off, width)
    ) {
      this.counters.unhandledFaults++;
      return false;
    }
    this.charge(this.kernel.costs.mmio_emulate);
    const mmio = this.mmio;
    const unknownBefore = mmio.counters.unknownOffset;
    const configWritesBefore = this.net.counters.configWrites;
    this.inFault = true;
    let value = info.value;
    if (info.write) {
      this.counters.mmioWrites++;
      mmio.write(off, width, info.value);
    } else {
      this.counters.mmioReads++;
      value = mmio.read(off, width);
      info.readValue = value;
    }
    this.inFault = false;
    if (this.pendingRestart !== null) this.noteResume();
    const log = this.mmioLog;
    if (log !== null) log.push(off, width, info.write ? 1 : 0, value);
    if (
      mmio.counters.unknownOffset !== unknownBefore ||
      this.net.counters.configWrites !== configWritesBefore
    ) {
      this.counters.unhandledFaults++;
      return false;
    }
    return true;
  }

  // ------------------------------------------------------------------ NetBackendHost

  /** In `notified`, the first signal takes the deferred slot (as sDDF clients do); in `fault`, all go at once. */
  signal(ch: number): void {
    if (this.inFault) {
      this.notify(ch);
      return;
    }
    const curr = this.deferredNotifyCurr();
    if (curr === -1) this.deferredNotify(ch);
    else if (curr !== ch) this.notify(ch);
  }

  /**
   * libvmm's vgic_inject_irq: an IRQ already pending in the virtual distributor is coalesced by
   * the VMM itself, without a syscall; otherwise the kernel injects it.
   */
  injectIrq(): void {
    const v = this.vcpu;
    if (v.virqPending[this.virq] === 1) {
      this.counters.virqCoalesced++;
      return;
    }
    if (this.kernel.vcpuInjectIrq(v, this.virq)) this.counters.virqInjected++;
    else this.counters.virqDropped++;
  }

  // ------------------------------------------------------------------ fault injection

  /** The guest dies (a panic that stops its vCPU): microkit_vcpu_stop. */
  guestCrash(): void {
    if (this.vcpu.state === T_STOPPED) return;
    this.counters.guestCrashes++;
    this.kernel.stopThread(this.vcpu, 'crash', `${this.vcpu.name}: guest crash`);
  }

  /**
   * Reboots the guest: the device is reset (the rings of the old kernel are forgotten), then the
   * vCPU restarts and the guest's boot probes the device and rebuilds its queues.
   */
  guestRestart(): void {
    this.counters.guestRestarts++;
    if (this.vcpu.state !== T_STOPPED)
      this.kernel.stopThread(this.vcpu, 'crash', `${this.vcpu.name}: reboot`);
    // The register file resets on Status = 0; it has no other reset entry.
    this.mmio.write(VIRTIO_MMIO_STATUS, 4, 0);
    this.kernel.restartThread(this.vcpu);
    const rec: GuestRestartRecord = { restartNs: this.now(), firstRxNs: -1, firstTxNs: -1 };
    this.restarts.push(rec);
    this.pendingRestart = rec;
    this.rxFramesAtRestart = this.net.counters.rxFrames;
    this.txFramesAtRestart = this.net.counters.txFrames;
  }

  /** Called only while a restart waits: stamps the first frame each way after it. */
  private noteResume(): void {
    const rec = this.pendingRestart!;
    const n = this.net.counters;
    if (rec.firstRxNs < 0 && n.rxFrames !== this.rxFramesAtRestart) rec.firstRxNs = this.now();
    if (rec.firstTxNs < 0 && n.txFrames !== this.txFramesAtRestart) rec.firstTxNs = this.now();
    if (rec.firstRxNs >= 0 && rec.firstTxNs >= 0) this.pendingRestart = null;
  }

  /** Drops by reason, for the report. */
  drops(): Record<string, number> {
    return this.net.counters.drops();
  }

  snapshot(): Record<string, unknown> {
    return {
      name: this.name,
      vcpu: {
        name: this.vcpu.name,
        state: this.vcpu.state,
        booted: this.vcpu.booted,
        virqCount: this.vcpu.virqCount,
        generation: this.vcpu.generation,
      },
      counters: { ...this.counters },
      mmio: this.mmio.snapshot(),
      net: this.net.snapshot(),
    };
  }
}

/** Control registers: aligned 32-bit; config space: 1, 2 or 4 bytes inside the window. */
function isEmulatedAccess(off: number, width: number): boolean {
  if (!Number.isInteger(off)) return false;
  if (off < VIRTIO_MMIO_CONFIG) return width === 4 && off % 4 === 0;
  return (width === 1 || width === 2 || width === 4) && off + width <= VIRTIO_MMIO_WINDOW_SIZE;
}
