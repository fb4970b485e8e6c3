import { CoherenceLog } from './coherence.js';
import type { Costs } from './cost_model.js';
import { ENET_MMIO_SIZE } from './enet_regs.js';
import { Engine } from './engine.js';
import { Iommu } from './iommu.js';
import { Kernel } from './kernel.js';
import { PhysicalMemory, type Region } from './memory.js';
import { EnetNic } from './nic_enet.js';
import { Prng } from './prng.js';
import { Wire } from './wire.js';

/** The ENET's interrupt on the i.MX8M Mini (GIC SPI 118 + 32). */
export const ENET_IRQ = 150;
/** Where the SoC puts the ENET register block (i.MX8M Mini ENET1). */
export const ENET_REGS_PADDR = 0x30be_0000;

export interface BoardOptions {
  cores: number;
  costs: Costs;
  smp: boolean;
  seed: number;
  /** Measurement window and time-series bucket, ns. */
  windowStartNs: number;
  windowEndNs: number;
  bucketNs: number;
  nicRateBps: number;
  nicMac: number;
  switchBufferBytes?: number;
}

/**
 * The simulated board: one engine and clock, physical memory with its cache model and
 * coherence log, the seL4 kernel, the ENET MAC behind its IOMMU, and the wire to the
 * outside hosts. Systems (sDDF, the Linux baseline, driver VMs) are composed onto it.
 */
export class Board {
  readonly engine = new Engine(4096);
  readonly coherence = new CoherenceLog();
  readonly memory: PhysicalMemory;
  readonly kernel: Kernel;
  readonly prng: Prng;
  readonly wire: Wire;
  readonly nic: EnetNic;
  readonly nicIommu: Iommu;
  readonly nicRegs: Region;
  readonly nicIrq = ENET_IRQ;
  readonly options: BoardOptions;

  constructor(opts: BoardOptions) {
    this.options = opts;
    this.memory = new PhysicalMemory(this.coherence);
    this.prng = new Prng(opts.seed);
    this.kernel = new Kernel(this.engine, {
      cores: opts.cores,
      costs: opts.costs,
      smp: opts.smp,
      windowStartNs: opts.windowStartNs,
      windowEndNs: opts.windowEndNs,
      bucketNs: opts.bucketNs,
    });
    this.nicIommu = new Iommu('enet', this.coherence);
    const kernel = this.kernel;
    const irq = this.nicIrq;
    this.nic = new EnetNic({
      name: 'enet',
      engine: this.engine,
      iommu: this.nicIommu,
      clock: () => kernel.logicalNowNs(),
      setIrq: (level) => kernel.setIrqLine(irq, level),
      rateBps: opts.nicRateBps,
      mac: opts.nicMac,
    });
    this.nicRegs = this.memory.addDevice('enet/regs', ENET_MMIO_SIZE, this.nic, { paddr: ENET_REGS_PADDR });
    const wireOpts: ConstructorParameters<typeof Wire>[0] = { engine: this.engine, rateBps: opts.nicRateBps };
    if (opts.switchBufferBytes !== undefined) wireOpts.switchBufferBytes = opts.switchBufferBytes;
    this.wire = new Wire(wireOpts);
    this.wire.attachNic(this.nic);
  }

  /** Boots the kernel (every PD's init) and runs the simulation up to `endNs`. */
  run(endNs: number): void {
    if (!this.kernel.booted) this.kernel.boot();
    this.engine.runUntil(endNs);
    this.coherence.nowNs = this.engine.now;
  }

  finish(endNs: number): void {
    this.kernel.finish(endNs);
  }
}
