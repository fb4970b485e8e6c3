// Cost tables register at module load and must be in place before resolveCosts.
import '../../src/sddf/costs.js';
import '../../src/vmm/costs.js';
import '../../src/guest/costs.js';
import { PERM_R, PERM_W } from '../../src/board/address_space.js';
import { resolveCosts } from '../../src/board/cost_model.js';
import { Engine, type EventSink } from '../../src/board/engine.js';
import { Kernel } from '../../src/board/kernel.js';
import { PhysicalMemory, type Region } from '../../src/board/memory.js';
import { ProtectionDomain } from '../../src/board/pd.js';
import type { GuestSoftware, VirtualCpu } from '../../src/board/vcpu.js';
import { buildUdpFrame, UdpFrameSpec } from '../../src/net/frame_builder.js';
import { UDP_ECHO_PORT } from '../../src/net/stack.js';
import type { ClientConfig } from '../../src/sddf/config.js';
import { NET_BUFFER_SIZE, NetBuffDesc, type NetQueueHandle } from '../../src/sddf/net_queue.js';
import { openQueue } from '../../src/sddf/queue_binding.js';
import { dataRegionBytes, queueRegionBytes } from '../../src/sddf/sizes.js';
import { createGuestVm, type GuestVm, type LinuxGuestOptions } from '../../src/compose/guest_vm.js';
import type { Vmm } from '../../src/vmm/vmm.js';

export const HOST_MAC = 0x02_00_00_00_00_fe;
export const HOST_IP = 0x0a_00_00_fe; // 10.0.0.254
export const VMM_PRIORITY = 97;
export const PEER_PRIORITY = 98;

const PEER_RX_CH = 0;
const PEER_TX_CH = 1;
const PEER_IRQ_CH = 2;

/**
 * Stands in for the copier (rx queues: posts the client's free RX buffers, delivers frames on the
 * active queue) and for virt_tx (tx queues: takes what the VMM sends, returns the buffers at once),
 * following the sDDF signalling protocol. Frames to deliver are queued by the test; an IRQ line
 * the test raises from outside the kernel wakes it.
 */
export class FakeSddfPeer extends ProtectionDomain {
  rxConn!: ClientConfig['rx'];
  txConn!: ClientConfig['tx'];
  rxDataVaddr = 0;
  txDataVaddr = 0;
  rx!: NetQueueHandle;
  tx!: NetQueueHandle;
  irq = -1;
  readonly pending: { at: number; frame: Uint8Array }[] = [];
  /** Frames the VMM transmitted, copied out, in order. */
  readonly sent: Uint8Array[] = [];
  delivered = 0;
  stalls = 0;
  /** When set, ICMP echo requests the VMM sends come straight back as replies. */
  reflect: ((frame: Uint8Array) => Uint8Array | null) | null = null;
  /** While set, transmitted buffers are left on the active queue (a stalled virt_tx). */
  holdTx = false;
  private readonly d = new NetBuffDesc();

  override init(): void {
    this.rx = openQueue(this, this.rxConn);
    this.tx = openQueue(this, this.txConn);
    // As the copier: the client's RX buffers are offsets into its own RX data region.
    this.rx.buffersInit(0);
  }

  override notified(ch: number): void {
    if (ch === PEER_IRQ_CH) {
      this.kernel.setIrqLine(this.irq, false);
      this.irqAck(ch);
    }
    if (ch === PEER_TX_CH) this.drainTx();
    this.deliverDue();
  }

  private deliverDue(): void {
    const rx = this.rx;
    const d = this.d;
    let enqueued = false;
    const now = this.now();
    while (this.pending.length > 0 && this.pending[0]!.at <= now) {
      if (!rx.dequeueFree(d)) {
        this.stalls++;
        rx.requestSignalFree();
        break;
      }
      const f = this.pending.shift()!.frame;
      this.as.writeBytes(this.rxDataVaddr + d.ioOrOffset, f, 0, f.length);
      rx.enqueueActive(d.ioOrOffset, f.length, 0);
      this.delivered++;
      enqueued = true;
    }
    if (enqueued && rx.requireSignalActive()) {
      rx.cancelSignalActive();
      this.notify(PEER_RX_CH);
    }
  }

  private drainTx(): void {
    if (this.holdTx) return;
    const tx = this.tx;
    const d = this.d;
    let reprocess = true;
    while (reprocess) {
      while (tx.dequeueActive(d)) {
        const f = new Uint8Array(d.len);
        this.as.readBytes(this.txDataVaddr + d.ioOrOffset, f, 0, d.len);
        this.sent.push(f);
        tx.enqueueFree(d.ioOrOffset, 0, 0);
        const back = this.reflect?.(f) ?? null;
        if (back !== null) this.pending.push({ at: this.now(), frame: back });
      }
      tx.requestSignalActive();
      reprocess = false;
      if (!tx.emptyActive()) {
        tx.cancelSignalActive();
        reprocess = true;
      }
    }
  }
}

export interface RigVmSpec {
  name?: string;
  mac?: number;
  ip?: number;
  /** VMM side: offer EVENT_IDX (default true). */
  eventIdx?: boolean;
  queueNumMax?: number;
  violationThreshold?: number;
  guest?: LinuxGuestOptions;
  software?: (vcpu: VirtualCpu, vm: GuestVm) => GuestSoftware;
  rxCapacity?: number;
  txCapacity?: number;
  ramBytes?: number;
}

export interface RigVm {
  vm: GuestVm;
  vmm: Vmm;
  peer: FakeSddfPeer;
  cfg: ClientConfig;
  regions: Region[];
}

export interface Rig {
  engine: Engine;
  kernel: Kernel;
  memory: PhysicalMemory;
  vms: RigVm[];
  /** Canary regions no component maps: they must never change. */
  canaries: Region[];
  /** Queues `frames` for VM `i`'s peer to deliver at `atNs` (absolute, not before now). */
  sendAt(i: number, atNs: number, frames: Uint8Array[]): void;
  run(untilNs: number): void;
}

/** A minimal board: one core, the imx8mm costs, and per VM a VMM + vCPU + fake sDDF peer. */
export function buildRig(specs: RigVmSpec[]): Rig {
  const engine = new Engine();
  const r = resolveCosts('imx8mm');
  if (!r.ok) throw new Error(r.problems.join('; '));
  const kernel = new Kernel(engine, {
    cores: 1,
    costs: r.costs,
    smp: false,
    windowStartNs: 0,
    windowEndNs: 1e12,
    bucketNs: 0,
  });
  const memory = new PhysicalMemory();
  const canaries: Region[] = [];
  const canary = (name: string): void => {
    const c = memory.allocate(name, 4096);
    for (let i = 0; i < c.bytes.length; i++) c.bytes[i] = (i * 7 + 3) & 0xff;
    canaries.push(c);
  };
  canary('canary/low');
  const vms: RigVm[] = [];
  specs.forEach((s, i) => {
    const name = s.name ?? `guest${i}`;
    const rxCap = s.rxCapacity ?? 64;
    const txCap = s.txCapacity ?? 64;
    const sched = { core: 0, priority: VMM_PRIORITY };
    const vm = createGuestVm(kernel, memory, {
      name,
      sched,
      ...(s.eventIdx !== undefined ? { eventIdx: s.eventIdx } : {}),
      ...(s.queueNumMax !== undefined ? { queueNumMax: s.queueNumMax } : {}),
      ...(s.violationThreshold !== undefined ? { violationThreshold: s.violationThreshold } : {}),
      ...(s.guest !== undefined ? { guest: s.guest } : {}),
      ...(s.software !== undefined ? { software: s.software } : {}),
      ...(s.ramBytes !== undefined ? { ramBytes: s.ramBytes } : {}),
    });
    canary(`canary/${name}`);
    const cfg: ClientConfig = {
      rx: { freeVaddr: 0, activeVaddr: 0, capacity: rxCap, ch: 0 },
      tx: { freeVaddr: 0, activeVaddr: 0, capacity: txCap, ch: 1 },
      rxData: { vaddr: 0, size: dataRegionBytes(rxCap), ioAddr: 0 },
      txData: { vaddr: 0, size: dataRegionBytes(txCap), ioAddr: 0 },
      rxIoBase: 0,
      txIoBase: 0,
      cacheOps: false,
      mac: s.mac ?? 0x02_00_00_00_00_10 + i,
      ip: s.ip ?? 0x0a_00_00_10 + i,
      timerCh: 2,
    };
    // As composeNetSystem: make() first, then the thread, the channels and the maps.
    const vmm = vm.make(cfg);
    kernel.addThread(vmm, sched);
    const peer = new FakeSddfPeer(`${name}_peer`);
    kernel.addThread(peer, { core: 0, priority: PEER_PRIORITY });
    kernel.channel(peer, PEER_RX_CH, vmm, 0);
    kernel.channel(peer, PEER_TX_CH, vmm, 1);
    peer.irq = 100 + i;
    kernel.irq(peer, PEER_IRQ_CH, peer.irq);
    const rxFree = memory.allocate(`${name}/rx/free`, queueRegionBytes(rxCap));
    const rxActive = memory.allocate(`${name}/rx/active`, queueRegionBytes(rxCap));
    const txFree = memory.allocate(`${name}/tx/free`, queueRegionBytes(txCap));
    const txActive = memory.allocate(`${name}/tx/active`, queueRegionBytes(txCap));
    const rxData = memory.allocate(`${name}/rx/data`, cfg.rxData.size);
    const txData = memory.allocate(`${name}/tx/data`, cfg.txData.size);
    const rw = PERM_R | PERM_W;
    let v = 0x2000_0000;
    const mapVmm = (reg: Region): number => {
      const at = v;
      vmm.as.map(reg, at, rw, true);
      v += reg.size + 4096;
      return at;
    };
    cfg.rx.freeVaddr = mapVmm(rxFree);
    cfg.rx.activeVaddr = mapVmm(rxActive);
    cfg.tx.freeVaddr = mapVmm(txFree);
    cfg.tx.activeVaddr = mapVmm(txActive);
    cfg.rxData.vaddr = mapVmm(rxData);
    cfg.txData.vaddr = mapVmm(txData);
    let pv = 0x3000_0000;
    const mapPeer = (reg: Region): number => {
      const at = pv;
      peer.as.map(reg, at, rw, true);
      pv += reg.size + 4096;
      return at;
    };
    peer.rxConn = {
      freeVaddr: mapPeer(rxFree),
      activeVaddr: mapPeer(rxActive),
      capacity: rxCap,
      ch: PEER_RX_CH,
    };
    peer.txConn = {
      freeVaddr: mapPeer(txFree),
      activeVaddr: mapPeer(txActive),
      capacity: txCap,
      ch: PEER_TX_CH,
    };
    peer.rxDataVaddr = mapPeer(rxData);
    peer.txDataVaddr = mapPeer(txData);
    vms.push({ vm, vmm, peer, cfg, regions: [rxFree, rxActive, txFree, txActive, rxData, txData] });
  });
  canary('canary/high');
  const stim: EventSink = {
    onEvent(arg: number): void {
      kernel.setIrqLine(arg, true);
    },
  };
  const stimId = engine.addSink(stim);
  kernel.boot();
  return {
    engine,
    kernel,
    memory,
    vms,
    canaries,
    sendAt(i, atNs, frames) {
      const peer = vms[i]!.peer;
      for (const f of frames) peer.pending.push({ at: atNs, frame: f });
      peer.pending.sort((a, b) => a.at - b.at);
      engine.at(Math.max(atNs, engine.now), stimId, peer.irq);
    },
    run(untilNs) {
      engine.runUntil(untilNs);
    },
  };
}

/** A UDP datagram from the test host to a VM's echo port (1472-byte payload by default). */
export function udpToGuest(rv: RigVm, seq: number, payload = 1472, dstPort = UDP_ECHO_PORT): Uint8Array {
  const f = new UdpFrameSpec();
  f.srcMac = HOST_MAC;
  f.dstMac = rv.cfg.mac;
  f.srcIp = HOST_IP;
  f.dstIp = rv.cfg.ip;
  f.srcPort = 5000;
  f.dstPort = dstPort;
  f.seq = seq;
  f.ipId = seq & 0xffff;
  f.timeNs = 1000 + seq;
  const buf = new Uint8Array(NET_BUFFER_SIZE);
  const len = buildUdpFrame(buf, 0, f, null, 0, payload);
  return buf.slice(0, len);
}

/** Free + active lengths as the peer sees them: with nothing in flight, the whole capacity. */
export function sddfBuffersHome(rv: RigVm): { rx: number; tx: number; rxCap: number; txCap: number } {
  const p = rv.peer;
  return {
    rx: p.rx.lengthFree() + p.rx.lengthActive(),
    tx: p.tx.lengthFree() + p.tx.lengthActive(),
    rxCap: p.rx.capacity,
    txCap: p.tx.capacity,
  };
}
