import type { RestartBudgetSpec } from '../sddf/restart_budget.js';
import '../guest/driver_vm_costs.js';
import { PERM_R, PERM_W } from '../board/address_space.js';
import { assert } from '../board/assert.js';
import type { Board } from '../board/board.js';
import { DMA_READ, DMA_WRITE } from '../board/iommu.js';
import type { Region } from '../board/memory.js';
import type { SchedParams } from '../board/thread.js';
import type { VirtualCpu } from '../board/vcpu.js';
import { DriverVmKernel } from '../guest/driver_vm_kernel.js';
import type { UioDeviceSpec, UioMapSpec } from '../guest/uio.js';
import { type QueuePairFactory, UIO_NET_CONFIG, UIO_NET_RX, UIO_NET_TX } from '../guest/uio_bridge.js';
import { netConfigBytes } from '../uio/net_config.js';
import type { DriverConfig, QueueConn } from '../sddf/config.js';
import { NetQueueHandle, netQueueBytes } from '../sddf/net_queue.js';
import { ceilPowerOfTwo } from '../sddf/sizes.js';
import type { DriverResources, NetSystem } from '../sddf/system.js';
import {
  DriverVmm,
  RX_DOORBELL_GPA,
  TX_DOORBELL_GPA,
  UIO_CONFIG_VIRQ,
  UIO_RX_VIRQ,
  UIO_TX_VIRQ,
} from '../vmm/driver_vm_vmm.js';

/** Frames the guest's packet socket holds, and frames it may have in flight to the NIC. */
const DRIVER_VM_SOCKET_FRAMES = 92;
const DRIVER_VM_TX_FRAMES = 92;

/**
 * The page pool the guest's ENET driver gets for an RX ring of `rxRing` descriptors (at least the
 * default 256): the ring plus what the packet socket and the frames being sent may hold, rounded
 * to a power of two.
 */
export function driverVmPoolFor(rxRing: number): number {
  return ceilPowerOfTwo(Math.max(rxRing, 256) + DRIVER_VM_SOCKET_FRAMES + DRIVER_VM_TX_FRAMES);
}

/** The pool for the default RX ring of 256: 512. */
export const DEFAULT_DRIVER_VM_POOL = driverVmPoolFor(256);
export const DEFAULT_DRIVER_VM_RAM = 4 * 1024 * 1024;
/**
 * The vCPU's priority: 1, as libvmm's and LionsOS's example systems give their VMs, below every
 * sDDF component and client. The guest's per-frame cost is a Linux kernel's, so at the top (where
 * the native driver sits, with its 100/400 us budget) it would take the whole core under overload
 * and starve virt_rx, the copiers and the clients it feeds: receive livelock, nothing echoed. Below
 * them it gets what they leave, and saturates gracefully. The VMM itself keeps the driver's place.
 */
export const DEFAULT_DRIVER_VM_PRIORITY = 1;
/** A Linux boot takes seconds; runs are short, so the default outage of a reboot is 10 ms. */
export const DEFAULT_DRIVER_VM_REBOOT_NS = 10e6;

export interface DriverVmOptions {
  /** The VMM PD's name; its vCPU is `${name}_vcpu`. */
  name?: string;
  /** The VMM's scheduling (pass the same as NetSystemSpec.driverSched); the vCPU runs on its core. */
  sched: SchedParams;
  /** The vCPU's priority; default DEFAULT_DRIVER_VM_PRIORITY. */
  vcpuPriority?: number;
  ramBytes?: number;
  poolBuffers?: number;
  rebootNs?: number;
  restartBudget?: RestartBudgetSpec;
  /** The bridge copies through its own buffers (main.c, default) or recvs/sends in place. */
  userCopies?: boolean;
  windowStartNs?: number;
  windowEndNs?: number;
  napiBudget?: number;
  sliceCycles?: number;
  socketRcvFrames?: number;
  socketSndFrames?: number;
}

/** The bridge's sDDF queues: the same queue code sDDF's components use. */
const openQueues: QueuePairFactory = (free, freeOff, active, activeOff, capacity) =>
  new NetQueueHandle(free, freeOff, active, activeOff, capacity);

/**
 * A driver VM being composed: `makeDriver` is NetSystemSpec.makeDriver (it builds the VMM and its
 * vCPU), `attach` runs once composeNetSystem has mapped the queues into the VMM and maps them, the
 * RX DMA region and the clients' TX regions into the guest (uncached, as Linux maps UIO memory),
 * then creates the guest. virt_rx, virt_tx, the copiers and the clients see only the driver PD's
 * queues and channels, as with the native driver.
 *
 * The guest's memory map (guest-physical = physical, so that it programs the NIC with IO addresses
 * the IOMMU windows know): its RAM, the ENET registers and rings, the config map (read-only), the
 * four queues and the data regions (TX read-only); doorbells, the GIC distributor and firmware are
 * unmapped pages whose accesses exit to the VMM. The IOMMU is left exactly as composeNetSystem set
 * it: rings, RX DMA region, clients' TX regions.
 */
/** The driver VM's VMM PD, unless named otherwise; its vCPU is `${DRIVER_VM_PD}_vcpu`. */
export const DRIVER_VM_PD = 'ethernet_driver_vmm';

export class DriverVm {
  readonly name: string;
  readonly opts: DriverVmOptions;
  readonly ram: Region;
  readonly config: Region;
  readonly poolBuffers: number;
  private readonly board: Board;
  vmm: DriverVmm | null = null;
  vcpu: VirtualCpu | null = null;
  guest: DriverVmKernel | null = null;
  /** Set by `dmaEscape`: the physical addresses the hijacked NIC was pointed at. */
  victims: number[] = [];

  constructor(board: Board, opts: DriverVmOptions) {
    this.board = board;
    this.opts = opts;
    this.name = opts.name ?? DRIVER_VM_PD;
    this.poolBuffers = opts.poolBuffers ?? DEFAULT_DRIVER_VM_POOL;
    this.ram = board.memory.allocate(`driver_vm/${this.name}/ram`, opts.ramBytes ?? DEFAULT_DRIVER_VM_RAM, {
      sparse: true,
    });
    this.config = board.memory.allocate(
      `driver_vm/${this.name}/config`,
      netConfigBytes(this.poolBuffers * 2),
    );
  }

  /** RX buffers the composition must create: sDDF's own plus the guest kernel's page pool. */
  rxBuffers(sddfRxBuffers: number): number {
    return ceilPowerOfTwo(ceilPowerOfTwo(sddfRxBuffers) + this.poolBuffers);
  }

  readonly makeDriver = (cfg: DriverConfig, res: DriverResources): DriverVmm => {
    assert(this.vmm === null, `${this.name}: makeDriver called twice`);
    const board = this.board;
    const vmm = new DriverVmm({
      name: this.name,
      vcpuName: `${this.name}_vcpu`,
      cfg,
      res,
      guestRam: this.ram,
      config: this.config,
      poolBuffers: this.poolBuffers,
      rebootNs: this.opts.rebootNs ?? DEFAULT_DRIVER_VM_REBOOT_NS,
      ...(this.opts.restartBudget !== undefined ? { restartBudget: this.opts.restartBudget } : {}),
      nicDrops: () => {
        const n = board.nic.counters;
        return n.rxDropDisabled + n.rxDropNoDescriptor + n.rxDropDmaBlocked;
      },
      windowStartNs: this.opts.windowStartNs ?? 0,
      windowEndNs: this.opts.windowEndNs ?? Number.POSITIVE_INFINITY,
    });
    const s = this.opts.sched;
    board.kernel.addVcpu(vmm.vcpu, {
      core: s.core,
      priority: this.opts.vcpuPriority ?? DEFAULT_DRIVER_VM_PRIORITY,
    });
    this.vmm = vmm;
    this.vcpu = vmm.vcpu;
    return vmm;
  };

  /** Maps what the composition made into the guest and creates the guest software. */
  attach(sys: NetSystem): void {
    const vmm = this.vmm;
    assert(vmm !== null && sys.driver === vmm, `${this.name}: attach after composeNetSystem built it`);
    const cfg = vmm.cfg;
    const g = vmm.vcpu.as;
    const queue = (conn: QueueConn, which: 'free' | 'active'): UioMapSpec => {
      const vaddr = which === 'free' ? conn.freeVaddr : conn.activeVaddr;
      const m = vmm.as.resolve(vaddr, netQueueBytes(conn.capacity), PERM_R | PERM_W);
      assert(m.regionOffset === 0 && m.vaddr === vaddr, `${this.name}: a queue does not start its region`);
      g.map(m.region, m.region.paddr, PERM_R | PERM_W, false);
      return { name: `${which}`, gpa: m.region.paddr, size: m.region.size };
    };
    const rxFree = queue(cfg.virtRx, 'free');
    const rxActive = queue(cfg.virtRx, 'active');
    const txFree = queue(cfg.virtTx, 'free');
    const txActive = queue(cfg.virtTx, 'active');
    g.map(sys.rxDma, sys.rxDma.paddr, PERM_R | PERM_W, false);
    for (const r of sys.clientTxData) g.map(r, r.paddr, PERM_R, false);
    vmm.attachData(sys.rxDma, sys.clientTxData);
    const uio: UioDeviceSpec[] = [
      {
        name: UIO_NET_RX,
        irq: UIO_RX_VIRQ,
        maps: [
          { ...rxFree, name: 'rx_free' },
          { ...rxActive, name: 'rx_active' },
          { name: 'rx_data', gpa: sys.rxDma.paddr, size: sys.rxDma.size },
          { name: 'rx_doorbell', gpa: RX_DOORBELL_GPA, size: 0x1000 },
        ],
      },
      {
        name: UIO_NET_TX,
        irq: UIO_TX_VIRQ,
        maps: [
          { ...txFree, name: 'tx_free' },
          { ...txActive, name: 'tx_active' },
          { name: 'tx_doorbell', gpa: TX_DOORBELL_GPA, size: 0x1000 },
          ...sys.clientTxData.map((r, i) => ({ name: `tx_data${i}`, gpa: r.paddr, size: r.size })),
        ],
      },
      {
        name: UIO_NET_CONFIG,
        irq: -1,
        maps: [{ name: 'net_config', gpa: this.config.paddr, size: this.config.size }],
      },
    ];
    const guest = new DriverVmKernel(vmm.vcpu, {
      enet: {
        regsGpa: vmm.res.regs.paddr,
        rxRingGpa: vmm.res.rxRing.paddr,
        txRingGpa: vmm.res.txRing.paddr,
        rxCount: cfg.rxCount,
        txCount: cfg.txCount,
        mac: cfg.mac,
        irq: vmm.res.irq,
      },
      uio,
      configGpa: this.config.paddr,
      configVirq: UIO_CONFIG_VIRQ,
      ramGpa: this.ram.paddr,
      rxCapacity: cfg.virtRx.capacity,
      txCapacity: cfg.virtTx.capacity,
      userCopies: this.opts.userCopies ?? true,
      openQueues,
      windowStartNs: this.opts.windowStartNs ?? 0,
      windowEndNs: this.opts.windowEndNs ?? Number.POSITIVE_INFINITY,
      ...(this.opts.napiBudget !== undefined ? { napiBudget: this.opts.napiBudget } : {}),
      ...(this.opts.sliceCycles !== undefined ? { sliceCycles: this.opts.sliceCycles } : {}),
      ...(this.opts.socketRcvFrames !== undefined ? { socketRcvFrames: this.opts.socketRcvFrames } : {}),
      ...(this.opts.socketSndFrames !== undefined ? { socketSndFrames: this.opts.socketSndFrames } : {}),
    });
    vmm.vcpu.guest = guest;
    this.guest = guest;
  }

  // ------------------------------------------------------------------ fault injection

  /** The guest kernel takes a fatal exception when it next runs (now: its timer fires now). */
  driverCrash(rebootNs?: number): void {
    const g = this.guest;
    const v = this.vcpu;
    if (g === null || v === null) return;
    if (rebootNs !== undefined && this.vmm !== null) this.vmm.nextRebootNs = rebootNs;
    g.panic();
    this.board.kernel.vcpuSetTimer(v, this.board.kernel.logicalNowNs());
  }

  /** The guest reboots itself (PSCI SYSTEM_RESET) now; its VMM restarts it `rebootNs` later if given. */
  driverRestart(rebootNs?: number): void {
    const g = this.guest;
    const v = this.vcpu;
    if (g === null || v === null) return;
    if (rebootNs !== undefined && this.vmm !== null) this.vmm.nextRebootNs = rebootNs;
    g.reboot();
    this.board.kernel.vcpuSetTimer(v, this.board.kernel.logicalNowNs());
  }

  /**
   * A compromised guest points the NIC at memory outside its DMA windows: every region but its own
   * that the IOMMU does not let it write (guest RAM, client data, the virtualisers' metadata and
   * queues ...), those it cannot read either first. Returns the victim addresses.
   */
  dmaEscape(): number[] {
    const g = this.guest;
    const v = this.vcpu;
    if (g === null || v === null) return [];
    const iommu = this.board.nicIommu;
    const allows = (r: Region, perm: number): boolean =>
      iommu.windows.some(
        (w) => (w.perms & perm) !== 0 && w.ioaddr <= r.paddr && r.paddr + r.size <= w.ioaddr + w.size,
      );
    const unreachable: number[] = [];
    const readOnly: number[] = [];
    for (const r of this.board.memory.regions) {
      if (r.device !== null || r === this.ram || r === this.config || allows(r, DMA_WRITE)) continue;
      (allows(r, DMA_READ) ? readOnly : unreachable).push(r.paddr);
    }
    this.victims = [...unreachable, ...readOnly].slice(0, 64);
    g.hijack(this.victims);
    this.board.kernel.vcpuSetTimer(v, this.board.kernel.logicalNowNs());
    return this.victims;
  }
}

/** Creates a driver VM; see DriverVm for the order of calls around composeNetSystem. */
export function createDriverVm(board: Board, opts: DriverVmOptions): DriverVm {
  return new DriverVm(board, opts);
}
