import { PERM_R, PERM_W } from '../board/address_space.js';
import { assert } from '../board/assert.js';
import { DMA_READ, DMA_WRITE, type Iommu } from '../board/iommu.js';
import type { Kernel } from '../board/kernel.js';
import { PAGE_SIZE, type PhysicalMemory, type Region, roundUp } from '../board/memory.js';
import type { ProtectionDomain } from '../board/pd.js';
import type { SchedParams } from '../board/thread.js';
import { NetClient, type ClientApp, type SourceSpec } from './client.js';
import type {
  ClientConfig,
  CopyConfig,
  DataRegionRes,
  DriverConfig,
  QueueConn,
  VirtRxConfig,
  VirtTxConfig,
} from './config.js';
import { Copier } from './copier.js';
import { EthDriver } from './eth_driver.js';
import {
  ceilPowerOfTwo,
  dataRegionBytes,
  ECHO_SERVER_SCHED,
  HW_RING_COUNT,
  queueRegionBytes,
} from './sizes.js';
import { VirtRx } from './virt_rx.js';
import { VirtTx } from './virt_tx.js';

/**
 * Which measured system to build:
 * - 'full' (sddf-5pd, echo-server): driver, virt_rx, virt_tx, a copier per client, clients;
 * - 'zero-copy-copier' (sddf-d5pd): as full, but copiers move descriptors, not bytes;
 * - 'no-copier' (sddf-4pd): driver, virt_rx, virt_tx, clients reading the DMA region;
 * - 'direct' (sddf-2pd): one client on the driver's queues, doing its own translation
 *   and cache maintenance.
 */
export type NetVariant = 'full' | 'zero-copy-copier' | 'no-copier' | 'direct';

/** What the board provides to the network system: the NIC's resources. */
export interface NicResources {
  memory: PhysicalMemory;
  kernel: Kernel;
  regs: Region;
  irq: number;
  iommu: Iommu;
  mac: number;
}

export interface ClientSlot {
  name: string;
  mac: number;
  ip: number;
  rxBuffers: number;
  txBuffers: number;
  sched: SchedParams;
  copierSched: SchedParams;
  /** Builds the client PD once its queues and regions exist (native client or VMM). */
  make(cfg: ClientConfig): ProtectionDomain;
}

/** The device resources composeNetSystem hands the driver slot (see NetSystemSpec.makeDriver). */
export interface DriverResources {
  regs: Region;
  rxRing: Region;
  txRing: Region;
  irq: number;
  rxDma: Region;
}

export interface NetSystemSpec {
  variant: NetVariant;
  /**
   * Builds the driver PD instead of the native EthDriver (a driver VM's VMM, say). The composition
   * then maps the registers, rings and queues into it and connects its IRQ and channels as it does
   * for the native driver; `cfg` is filled in after this returns, before init.
   */
  makeDriver?: (cfg: DriverConfig, res: DriverResources) => ProtectionDomain;
  clients: ClientSlot[];
  rxBuffers: number;
  driverSched: SchedParams;
  virtRxSched: SchedParams;
  virtTxSched: SchedParams;
  txCoalesceFrames: number;
  txCoalesceTimer: number;
  /** Descriptors in the NIC's hardware RX and TX rings (powers of two; default HW_RING_COUNT). */
  hwRxRingCount?: number;
  hwTxRingCount?: number;
}

/** A per-PD virtual address allocator, as sdfgen lays out each PD's maps. */
class VSpace {
  private next = 0x2000_0000;
  take(size: number): number {
    const v = this.next;
    this.next += roundUp(size, PAGE_SIZE) + PAGE_SIZE; // a guard page between maps
    return v;
  }
}

export class NetSystem {
  driver!: ProtectionDomain;
  virtRx: VirtRx | null = null;
  virtTx: VirtTx | null = null;
  readonly copiers: (Copier | null)[] = [];
  readonly clients: ProtectionDomain[] = [];
  readonly clientConfigs: ClientConfig[] = [];
  readonly pds: ProtectionDomain[] = [];
  rxDma!: Region;
  readonly clientTxData: Region[] = [];
  readonly clientRxData: (Region | null)[] = [];
}

/**
 * Composes the sDDF network subsystem the way sdfgen does: regions and their sizes,
 * queue capacities, maps (with permissions and cacheability), channels, priorities.
 */
export function composeNetSystem(nic: NicResources, spec: NetSystemSpec): NetSystem {
  const { memory, kernel } = nic;
  const sys = new NetSystem();
  const vs = new Map<ProtectionDomain, VSpace>();
  const chans = new Map<ProtectionDomain, number>();
  const vspace = (pd: ProtectionDomain): VSpace => {
    let v = vs.get(pd);
    if (v === undefined) {
      v = new VSpace();
      vs.set(pd, v);
    }
    return v;
  };
  const nextCh = (pd: ProtectionDomain): number => {
    const c = chans.get(pd) ?? 0;
    chans.set(pd, c + 1);
    return c;
  };
  const mapInto = (pd: ProtectionDomain, r: Region, perms: number, cached: boolean): number => {
    const v = vspace(pd).take(r.size);
    pd.as.map(r, v, perms, cached);
    return v;
  };
  const variant = spec.variant;
  const rxBuffers = ceilPowerOfTwo(spec.rxBuffers);
  const rxRingCount = spec.hwRxRingCount ?? HW_RING_COUNT;
  const txRingCount = spec.hwTxRingCount ?? HW_RING_COUNT;
  assert(variant !== 'direct' || spec.clients.length === 1, 'the direct (2pd) system has exactly one client');

  // ---- driver and its device resources
  const rxDma = memory.allocate('net/rx/data/device', dataRegionBytes(rxBuffers));
  sys.rxDma = rxDma;
  const rxRing = memory.allocate('net/hw_ring/rx', roundUp(rxRingCount * 8, PAGE_SIZE));
  const txRing = memory.allocate('net/hw_ring/tx', roundUp(txRingCount * 8, PAGE_SIZE));
  nic.iommu.addRegion(rxRing, DMA_READ | DMA_WRITE);
  nic.iommu.addRegion(txRing, DMA_READ | DMA_WRITE);
  nic.iommu.addRegion(rxDma, DMA_WRITE | DMA_READ);

  // Placeholders filled once every PD exists (configs hold channel ids and vaddrs).
  const drvCfg: DriverConfig = {
    virtRx: { freeVaddr: 0, activeVaddr: 0, capacity: rxBuffers, ch: -1 },
    virtTx: { freeVaddr: 0, activeVaddr: 0, capacity: 0, ch: -1 },
    irqCh: -1,
    regsVaddr: 0,
    rxRingVaddr: 0,
    rxRingIo: rxRing.paddr,
    txRingVaddr: 0,
    txRingIo: txRing.paddr,
    rxCount: rxRingCount,
    txCount: txRingCount,
    mac: nic.mac,
    txCoalesceFrames: spec.txCoalesceFrames,
    txCoalesceTimer: spec.txCoalesceTimer,
  };
  const driver =
    spec.makeDriver?.(drvCfg, { regs: nic.regs, rxRing, txRing, irq: nic.irq, rxDma }) ??
    new EthDriver('ethernet_driver', drvCfg);
  sys.driver = driver;
  kernel.addThread(driver, spec.driverSched);
  sys.pds.push(driver);
  drvCfg.regsVaddr = mapInto(driver, nic.regs, PERM_R | PERM_W, false);
  drvCfg.rxRingVaddr = mapInto(driver, rxRing, PERM_R | PERM_W, false);
  drvCfg.txRingVaddr = mapInto(driver, txRing, PERM_R | PERM_W, false);
  drvCfg.irqCh = nextCh(driver);
  kernel.irq(driver, drvCfg.irqCh, nic.irq);

  /** A queue pair between two PDs: two regions, mapped rw cached into both. */
  const connect = (
    server: ProtectionDomain,
    client: ProtectionDomain,
    capacity: number,
    label: string,
  ): [QueueConn, QueueConn] => {
    const free = memory.allocate(`net/queue/${label}/free`, queueRegionBytes(capacity));
    const active = memory.allocate(`net/queue/${label}/active`, queueRegionBytes(capacity));
    const sch = nextCh(server);
    const cch = nextCh(client);
    kernel.channel(server, sch, client, cch);
    const s: QueueConn = {
      freeVaddr: mapInto(server, free, PERM_R | PERM_W, true),
      activeVaddr: mapInto(server, active, PERM_R | PERM_W, true),
      capacity,
      ch: sch,
    };
    const c: QueueConn = {
      freeVaddr: mapInto(client, free, PERM_R | PERM_W, true),
      activeVaddr: mapInto(client, active, PERM_R | PERM_W, true),
      capacity,
      ch: cch,
    };
    return [s, c];
  };

  const totalTx = ceilPowerOfTwo(spec.clients.reduce((n, c) => n + ceilPowerOfTwo(c.txBuffers), 0));
  const slots = spec.clients;
  const txData = slots.map((c) => {
    const r = memory.allocate(`net/tx/data/client/${c.name}`, dataRegionBytes(ceilPowerOfTwo(c.txBuffers)));
    nic.iommu.addRegion(r, DMA_READ);
    sys.clientTxData.push(r);
    return r;
  });

  if (variant === 'direct') {
    const slot = slots[0]!;
    const cfg: ClientConfig = {
      rx: { freeVaddr: 0, activeVaddr: 0, capacity: rxBuffers, ch: -1 },
      tx: { freeVaddr: 0, activeVaddr: 0, capacity: ceilPowerOfTwo(slot.txBuffers), ch: -1 },
      rxData: { vaddr: 0, size: rxDma.size, ioAddr: rxDma.paddr },
      txData: { vaddr: 0, size: txData[0]!.size, ioAddr: txData[0]!.paddr },
      rxIoBase: rxDma.paddr,
      txIoBase: txData[0]!.paddr,
      cacheOps: true,
      mac: slot.mac,
      ip: slot.ip,
      timerCh: -1,
    };
    const client = slot.make(cfg);
    kernel.addThread(client, slot.sched);
    const [dRx, cRx] = connect(driver, client, rxBuffers, `${driver.name}/${client.name}/rx`);
    const [dTx, cTx] = connect(
      driver,
      client,
      ceilPowerOfTwo(slot.txBuffers),
      `${driver.name}/${client.name}/tx`,
    );
    drvCfg.virtRx = dRx;
    drvCfg.virtTx = dTx;
    // The client's net_buffers_init puts all its TX buffers on the driver's TX free queue.
    drvCfg.txFreePrefilled = ceilPowerOfTwo(slot.txBuffers);
    cfg.rx = cRx;
    cfg.tx = cTx;
    cfg.rxData.vaddr = mapInto(client, rxDma, PERM_R | PERM_W, true);
    cfg.txData.vaddr = mapInto(client, txData[0]!, PERM_R | PERM_W, true);
    cfg.timerCh = nextCh(client);
    cfg.rxPool = { vaddr: cfg.rxData.vaddr, size: rxDma.size };
    // The direct client fills the driver's RX free queue itself (it plays virt_rx's part).
    sys.clients.push(client);
    sys.clientConfigs.push(cfg);
    sys.pds.push(client);
    sys.copiers.push(null);
    sys.clientRxData.push(null);
    return sys;
  }

  // ---- the virtualisers
  const metadata = memory.allocate('net/rx/virt_metadata', roundUp(rxBuffers, PAGE_SIZE));
  const vrxCfg: VirtRxConfig = {
    driver: drvCfg.virtRx,
    data: { vaddr: 0, size: rxDma.size, ioAddr: rxDma.paddr },
    metadataVaddr: 0,
    clients: [],
  };
  const vtxCfg: VirtTxConfig = { driver: drvCfg.virtTx, clients: [] };
  const virtRx = new VirtRx('net_virt_rx', vrxCfg);
  const virtTx = new VirtTx('net_virt_tx', vtxCfg);
  kernel.addThread(virtTx, spec.virtTxSched);
  kernel.addThread(virtRx, spec.virtRxSched);
  sys.virtRx = virtRx;
  sys.virtTx = virtTx;
  sys.pds.push(virtTx, virtRx);
  const [dRx, vRx] = connect(driver, virtRx, rxBuffers, 'ethernet_driver/net_virt_rx');
  const [dTx, vTx] = connect(driver, virtTx, totalTx, 'ethernet_driver/net_virt_tx');
  drvCfg.virtRx = dRx;
  drvCfg.virtTx = dTx;
  vrxCfg.driver = vRx;
  vtxCfg.driver = vTx;
  vrxCfg.data.vaddr = mapInto(virtRx, rxDma, PERM_R, true);
  vrxCfg.metadataVaddr = mapInto(virtRx, metadata, PERM_R | PERM_W, true);

  slots.forEach((slot, i) => {
    const clientRxBuffers = ceilPowerOfTwo(slot.rxBuffers);
    const txBuffers = ceilPowerOfTwo(slot.txBuffers);
    const withCopier = variant === 'full' || variant === 'zero-copy-copier';
    const ownRx = variant === 'full';
    const rxData = ownRx
      ? memory.allocate(`net/rx/data/client/${slot.name}`, dataRegionBytes(rxBuffers))
      : null;
    sys.clientRxData.push(rxData);
    const cfg: ClientConfig = {
      rx: { freeVaddr: 0, activeVaddr: 0, capacity: withCopier ? clientRxBuffers : rxBuffers, ch: -1 },
      tx: { freeVaddr: 0, activeVaddr: 0, capacity: txBuffers, ch: -1 },
      rxData: { vaddr: 0, size: (rxData ?? rxDma).size, ioAddr: 0 },
      txData: { vaddr: 0, size: txData[i]!.size, ioAddr: 0 },
      rxIoBase: 0,
      txIoBase: 0,
      cacheOps: false,
      mac: slot.mac,
      ip: slot.ip,
      timerCh: -1,
    };
    const client = slot.make(cfg);
    kernel.addThread(client, slot.sched);
    let copier: Copier | null = null;
    if (withCopier) {
      const copyCfg: CopyConfig = {
        virt: { freeVaddr: 0, activeVaddr: 0, capacity: rxBuffers, ch: -1 },
        client: { freeVaddr: 0, activeVaddr: 0, capacity: clientRxBuffers, ch: -1 },
        deviceData: { vaddr: 0, size: rxDma.size, ioAddr: rxDma.paddr },
        clientData: { vaddr: 0, size: (rxData ?? rxDma).size, ioAddr: 0 },
        copyBytes: ownRx,
      };
      copier = new Copier(`${slot.name}_net_copier`, copyCfg);
      kernel.addThread(copier, slot.copierSched);
      const [vr, cv] = connect(virtRx, copier, rxBuffers, `net_virt_rx/${copier.name}`);
      const [cc, cl] = connect(
        copier,
        client,
        ownRx ? clientRxBuffers : rxBuffers,
        `${copier.name}/${slot.name}`,
      );
      vrxCfg.clients.push({ conn: vr, macs: [slot.mac] });
      copyCfg.virt = cv;
      copyCfg.client = cc;
      cfg.rx = cl;
      copyCfg.deviceData.vaddr = mapInto(copier, rxDma, PERM_R | PERM_W, true);
      if (rxData !== null) {
        copyCfg.clientData.vaddr = mapInto(copier, rxData, PERM_R | PERM_W, true);
        cfg.rxData.vaddr = mapInto(client, rxData, PERM_R | PERM_W, true);
      } else {
        copyCfg.clientData.vaddr = copyCfg.deviceData.vaddr;
        cfg.rxData.vaddr = mapInto(client, rxDma, PERM_R, true);
      }
      sys.pds.push(copier);
    } else {
      const [vr, cl] = connect(virtRx, client, rxBuffers, `net_virt_rx/${slot.name}`);
      vrxCfg.clients.push({ conn: vr, macs: [slot.mac] });
      cfg.rx = cl;
      cfg.rxData.vaddr = mapInto(client, rxDma, PERM_R, true);
    }
    const [vt, ct] = connect(virtTx, client, txBuffers, `net_virt_tx/${slot.name}`);
    cfg.tx = ct;
    const txRes: DataRegionRes = {
      vaddr: mapInto(virtTx, txData[i]!, PERM_R, true),
      size: txData[i]!.size,
      ioAddr: txData[i]!.paddr,
    };
    vtxCfg.clients.push({ conn: vt, data: txRes, numBuffers: txBuffers });
    cfg.txData.vaddr = mapInto(client, txData[i]!, PERM_R | PERM_W, true);
    cfg.timerCh = nextCh(client);
    // Taken last, so it moves none of the client's real maps (and the layout stays sdfgen's).
    cfg.rxPool = {
      vaddr: rxData === null ? cfg.rxData.vaddr : vspace(client).take(rxDma.size),
      size: rxDma.size,
    };
    sys.copiers.push(copier);
    sys.clients.push(client);
    sys.clientConfigs.push(cfg);
    sys.pds.push(client);
  });
  // virt_tx's own timer, for rate limits: the kernel signals virt_tx itself on it, no peer needed.
  virtTx.timerCh = nextCh(virtTx);
  return sys;
}

/** Default scheduling of the echo-server system on one core. */
export function echoServerSched(core = 0): {
  driver: SchedParams;
  virtTx: SchedParams;
  virtRx: SchedParams;
  copier: SchedParams;
  client: SchedParams;
} {
  return {
    driver: { core, ...ECHO_SERVER_SCHED.driver },
    virtTx: { core, ...ECHO_SERVER_SCHED.virtTx },
    virtRx: { core, ...ECHO_SERVER_SCHED.virtRx },
    copier: { core, ...ECHO_SERVER_SCHED.copier },
    client: { core, ...ECHO_SERVER_SCHED.client },
  };
}

export function nativeClientFactory(
  name: string,
  app: ClientApp,
  source: SourceSpec | null,
): (cfg: ClientConfig) => NetClient {
  return (cfg) => {
    const c = new NetClient(name, cfg, app);
    c.source = source;
    return c;
  };
}
