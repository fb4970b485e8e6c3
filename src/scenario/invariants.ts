// The run invariants of issue 9, checked between entry points (when no component holds a buffer
// in its hands): every RX DMA buffer and every client TX buffer is in exactly one place, no
// client receives a frame addressed to another, and no trusted component (driver, virtualisers,
// copiers, VMMs) stops: not by an access outside its mappings (which the kernel records, never
// silently) nor by a stall or assertion. Each violation names the component held responsible and
// the victim. Everything is read from memory, the driver's ring indices and the kernel's fault
// log; nothing is written and no engine event is scheduled, so the trace hash is the same with
// the checker on or off.

import type { DriverVm } from '../compose/driver_vm.js';
import type { Region } from '../board/memory.js';
import { ProtectionDomain } from '../board/pd.js';
import { T_STOPPED } from '../board/thread.js';
import { tapClient, tapKernel } from './frame_hooks.js';
import { MAC_BROADCAST, readMac } from '../net/mac.js';
import type { ResultDocument } from '../report/result.js';
import { NetClient } from '../sddf/client.js';
import { EthDriver, type RingState } from '../sddf/eth_driver.js';
import { heldBuffers, type QueueBytes, queueHead, queueTail } from '../sddf/queue_custody.js';
import { NET_BUFFER_SIZE, NET_BUFF_DESC_BYTES, NET_QUEUE_HEADER_BYTES } from '../sddf/net_queue.js';
import type { ClientView, Simulation } from './build.js';
import type { RunObserver } from './run.js';

export type ViolationKind =
  | 'rx-buffer-lost'
  | 'rx-buffer-duplicated'
  | 'tx-buffer-lost'
  | 'tx-buffer-duplicated'
  | 'frame-to-wrong-client'
  | 'access-outside-mapping'
  | 'trusted-component-stopped';

export interface Violation {
  kind: ViolationKind;
  /**
   * The trusted component that broke the invariant (or, for buffer pools, their custodian; for a
   * frame a client read out of the shared RX DMA pool itself, that client).
   */
  component: string;
  /** Whose buffers, frames or service suffered: a client, or every client sharing a pool. */
  victim: string;
  detail: string;
  time_ns: number;
}

/** Violations kept in full; the rest are only counted. */
export const MAX_KEPT_VIOLATIONS = 4096;
export const DEFAULT_CHECK_EVERY = 1000;

export interface InvariantCheckerOptions {
  /** Check buffer conservation after every this many dispatches (default 1000). */
  every?: number;
}

// Per-buffer state, so a persisting fault is reported once when it appears, not at every check.
const OK = 0;
const BAD_LOST = 1;
const BAD_DUP = 2;

/** One queue of a pair: the net_queue_t at offset 0 of its region (layout in sddf/net_queue.ts). */
interface QueueRef {
  region: Region;
  capacity: number;
  label: string;
}

interface TxPool {
  name: string;
  view: ClientView;
  /** IO address of buffer 0 (the region's physical address). */
  io: number;
  count: number;
  free: QueueRef;
  active: QueueRef;
  /** How many places hold each buffer, this check. */
  seen: Uint16Array;
  state: Uint8Array;
}

interface RxPlan {
  io: number;
  count: number;
  drvFree: QueueRef;
  drvActive: QueueRef;
  /** virt_rx <-> copier queues, active and free, for every client: hold offsets. */
  virtQueues: QueueRef[];
  metadata: Region;
  /** Places on the driver side (its queues, the ring) plus 1 if virt_rx has it out (refs > 0). */
  placed: Uint16Array;
  /** Appearances in the virt_rx <-> copier queues; must equal the reference count. */
  shared: Uint16Array;
  state: Uint8Array;
}

/**
 * Checks buffer conservation (the 'full' system only: a native driver or a driver VM, virt_rx,
 * virt_tx, a copier per client) every N dispatches and at the end, and the destination MAC of
 * every frame a client receives (any system with capturable clients). Results go to
 * doc.invariants.violations.
 */
export class InvariantChecker implements RunObserver {
  readonly every: number;
  /** Conservation checks performed (skipped ones, before every PD has booted, not counted). */
  checks = 0;
  /** Frames whose destination MAC was checked. */
  framesChecked = 0;
  /** Every violation found, including those not kept. */
  violationCount = 0;
  readonly violations: Violation[] = [];
  /** Why buffer conservation is not checked in this run, or null when it is. */
  skipped: string | null = null;
  /** Queue entries naming no buffer of the pool (or queues whose indices are corrupt). */
  foreignEntries = 0;
  corruptQueues = 0;

  private sim: Simulation | null = null;
  private driver: EthDriver | null = null;
  /**
   * A driver VM in the driver's place: its buffers are in its VMM's page-pool ledger (RX) and, while
   * the guest runs, in the one sendto a blocked bridge holds (TX); see driver_vm_vmm.ts.
   */
  private dvm: DriverVm | null = null;
  private rx: RxPlan | null = null;
  private tx: TxPool[] = [];
  private drvTxFree: QueueRef | null = null;
  private drvTxActive: QueueRef | null = null;
  private rxRing: Region | null = null;
  private txRing: Region | null = null;
  private readonly ring: RingState = {
    rxHead: 0,
    rxTail: 0,
    rxCount: 0,
    txHead: 0,
    txTail: 0,
    txCount: 0,
    rxQueueCapacity: 0,
    txQueueCapacity: 0,
  };
  private dispatches = 0;
  private lastNs = 0;
  /** Trusted threads by name, with who suffers when each stops. */
  private readonly trusted = new Map<string, string>();
  /** Copiers by client name (the component that delivers a client's frames). */
  private readonly copierOf = new Map<string, string>();
  /** Fault-log entries already looked at. */
  private faultsSeen = 0;
  /** Client names by MAC address: whose frame a snooping client read. */
  private readonly clientOfMac = new Map<number, string>();

  constructor(opts: InvariantCheckerOptions = {}) {
    this.every = opts.every ?? DEFAULT_CHECK_EVERY;
    if (!(Number.isInteger(this.every) && this.every >= 1))
      throw new Error(`invariant check interval must be a positive integer, got ${this.every}`);
  }

  attach(sim: Simulation): void {
    this.sim = sim;
    this.skipped = this.plan(sim);
    this.planTrusted(sim);
    const ghz = sim.board.kernel.ghz;
    tapKernel(sim.board.kernel, (_t, _core, _start, endCycle) => {
      this.lastNs = endCycle / ghz;
      if (++this.dispatches >= this.every) {
        this.dispatches = 0;
        this.check(this.lastNs);
      }
    });
    for (const view of sim.clients) this.clientOfMac.set(view.mac, view.name);
    for (const view of sim.clients) {
      const mac = view.mac;
      const name = view.name;
      // A native client may take frames out of the RX DMA pool itself (snoop-rx-pool): those it
      // flags at its capture hook, and they are its doing, not a trusted component's.
      const snooper = view.pd instanceof NetClient ? view.pd : null;
      tapClient(view, (dir, timeNs, buf, off, len) => {
        if (dir !== 0) return;
        if (snooper?.snooping === true) this.checkSnooped(name, mac, timeNs, buf, off, len);
        else this.checkFrame(name, mac, timeNs, buf, off, len);
      });
    }
  }

  finish(sim: Simulation, doc: ResultDocument): void {
    this.check(Math.max(this.lastNs, sim.board.engine.now));
    doc.invariants.violations = this.violations.slice();
    doc.invariants.checks = this.checks;
    doc.invariants.violation_count = this.violationCount;
    if (this.skipped !== null) doc.invariants.skipped = this.skipped;
  }

  /**
   * Checks the fault log for stopped trusted components, then buffer conservation (a no-op when
   * skipped or before every PD has booted).
   */
  check(timeNs: number): void {
    const sim = this.sim;
    if (sim === null) return;
    this.checkFaults();
    if (this.skipped !== null || this.rx === null) return;
    const net = sim.net!;
    for (const pd of net.pds) if (pd instanceof ProtectionDomain && !pd.initDone) return;
    if (this.dvm !== null) {
      this.checks++;
      this.checkRx(timeNs, false);
      this.checkTx(timeNs, false);
      return;
    }
    if (this.driver === null) return;
    // A stopped driver (crashed, or stopped by its monitor) may have died with buffers in its
    // hands, off its queues and not in its rings: its custody is then read from the queues.
    const down = this.driver.state === T_STOPPED;
    if (!down && !this.driver.ringState(this.ring)) return;
    this.checks++;
    this.checkRx(timeNs, down);
    this.checkTx(timeNs, down);
  }

  /** Works out where the pools live; returns why conservation cannot be checked, or null. */
  private plan(sim: Simulation): string | null {
    const net = sim.net;
    if (net === null) return 'no sDDF network system (Linux baseline)';
    const dvm = net.driver instanceof EthDriver ? null : (sim.driverVm ?? null);
    if (!(net.driver instanceof EthDriver) && (dvm === null || dvm.vmm === null))
      return 'the driver is neither native nor a driver VM';
    if (net.virtRx === null || net.virtTx === null) return 'no virtualisers (direct system)';
    if (net.copiers.some((c) => c === null) || net.clientRxData.some((r) => r === null))
      return 'only the full (copying) system is checked, not the no-copier or zero-copy variants';
    const mem = sim.board.memory;
    const find = (name: string): Region | null => mem.regions.find((r) => r.name === name) ?? null;
    if (dvm !== null) {
      const cfg = dvm.vmm!.cfg;
      this.ring.rxQueueCapacity = cfg.virtRx.capacity;
      this.ring.txQueueCapacity = cfg.virtTx.capacity;
    } else (net.driver as EthDriver).ringState(this.ring);
    // The driver's RX queue holds every RX DMA buffer: its capacity is the pool's size.
    const count = this.ring.rxQueueCapacity;
    if (!(count > 0 && count * NET_BUFFER_SIZE <= net.rxDma.size)) return 'the RX pool size is not known';
    const queue = (label: string, capacity: number): QueueRef | null => {
      const region = find(`net/queue/${label}`);
      return region === null ? null : { region, capacity, label };
    };
    const drvFree = queue('ethernet_driver/net_virt_rx/free', count);
    const drvActive = queue('ethernet_driver/net_virt_rx/active', count);
    const metadata = find('net/rx/virt_metadata');
    this.rxRing = find('net/hw_ring/rx');
    this.txRing = find('net/hw_ring/tx');
    // A driver VM's hardware rings are in its own RAM: its VMM's ledger stands for them.
    if (
      drvFree === null ||
      drvActive === null ||
      metadata === null ||
      (dvm === null && (this.rxRing === null || this.txRing === null))
    )
      return 'the system does not have the regions of the full sDDF system';
    const virtQueues: QueueRef[] = [];
    for (const cp of net.copiers) {
      for (const k of ['active', 'free']) {
        const q = queue(`net_virt_rx/${cp!.name}/${k}`, count);
        if (q === null) return `no queue between virt_rx and ${cp!.name}`;
        virtQueues.push(q);
      }
    }
    this.rx = {
      io: net.rxDma.paddr,
      count,
      drvFree,
      drvActive,
      virtQueues,
      metadata,
      placed: new Uint16Array(count),
      shared: new Uint16Array(count),
      state: new Uint8Array(count),
    };
    for (let i = 0; i < net.clientTxData.length; i++) {
      const data = net.clientTxData[i]!;
      const name = data.name.slice('net/tx/data/client/'.length);
      const n = net.clientConfigs[i]!.tx.capacity;
      const free = queue(`net_virt_tx/${name}/free`, n);
      const active = queue(`net_virt_tx/${name}/active`, n);
      const view = sim.clients.find((c) => c.name === name);
      if (free === null || active === null || view === undefined) return `no TX queues for client ${name}`;
      this.tx.push({
        name,
        view,
        io: data.paddr,
        count: n,
        free,
        active,
        seen: new Uint16Array(n),
        state: new Uint8Array(n),
      });
    }
    const txCap = this.ring.txQueueCapacity;
    this.drvTxFree = queue('ethernet_driver/net_virt_tx/free', txCap);
    this.drvTxActive = queue('ethernet_driver/net_virt_tx/active', txCap);
    if (this.drvTxFree === null || this.drvTxActive === null)
      return 'no queues between the driver and virt_tx';
    if (dvm !== null) this.dvm = dvm;
    else this.driver = net.driver as EthDriver;
    return null;
  }

  /**
   * The trusted components: the native driver, the virtualisers, the copiers and the guests' VMMs
   * (a VMM must survive anything its guest writes). A component a scenario fault aims at (the
   * driver, under driver-crash) is not expected to survive it and is left out.
   */
  private planTrusted(sim: Simulation): void {
    const net = sim.net;
    if (net === null) return;
    const aimed = new Set(sim.scenario.faults.map((f) => f.target));
    const every = 'every client';
    if (net.driver instanceof EthDriver && !aimed.has('driver')) this.trusted.set(net.driver.name, every);
    // A driver VM's VMM must survive anything its guest does, crashes included.
    const dvmm = sim.driverVm?.vmm ?? null;
    if (dvmm !== null) this.trusted.set(dvmm.name, every);
    if (net.virtTx !== null) this.trusted.set(net.virtTx.name, `${every} (transmit path)`);
    if (net.virtRx !== null) this.trusted.set(net.virtRx.name, `${every} (receive path)`);
    sim.clients.forEach((c) => {
      const cp = c.copier;
      if (cp !== null) {
        this.copierOf.set(c.name, cp.name);
        this.trusted.set(cp.name, `client ${c.name}, then ${every} as the RX DMA pool drains into its queue`);
      }
      if (c.kind === 'vm') this.trusted.set(c.pd.name, `guest ${c.name}`);
    });
  }

  /** New fault-log entries of trusted components: each one stopped it. */
  private checkFaults(): void {
    const log = this.sim!.board.kernel.faultLog;
    for (; this.faultsSeen < log.length; this.faultsSeen++) {
      const f = log[this.faultsSeen]!;
      const victim = this.trusted.get(f.thread);
      if (victim === undefined || f.kind === 'lost-notification') continue;
      if (f.kind === 'vm-fault')
        this.report('access-outside-mapping', f.thread, victim, `recorded: ${f.detail}`, f.timeNs);
      this.report(
        'trusted-component-stopped',
        f.thread,
        victim,
        `${f.thread} stopped (${f.kind}): ${f.detail}`,
        f.timeNs,
      );
    }
  }

  /** Who answers for the RX pool: a stopped trusted component on the RX path, else virt_rx. */
  private rxCustodian(): string {
    const net = this.sim!.net!;
    for (const pd of [net.driver, net.virtRx, ...net.copiers])
      if (pd !== null && pd.state === T_STOPPED && this.trusted.has(pd.name)) return pd.name;
    return net.virtRx?.name ?? 'net_virt_rx';
  }

  private checkRx(timeNs: number, driverDown: boolean): void {
    const rx = this.rx!;
    const { placed, shared } = rx;
    placed.fill(0);
    shared.fill(0);
    this.countQueue(rx.drvFree, rx.io, rx.count, placed);
    this.countQueue(rx.drvActive, rx.io, rx.count, placed);
    const ring = this.ring;
    if (this.dvm !== null) {
      // What the driver VM holds (in its NIC ring or its kernel's hands, or reclaimed after a crash).
      for (const io of this.dvm.vmm!.poolLedger()) this.countOne(io - rx.io, rx.count, placed);
    } else if (driverDown) {
      const held = this.custody(rx.drvFree, rx.drvActive);
      if (held !== null) for (const io of held) this.countOne(io - rx.io, rx.count, placed);
    } else this.countRing(this.rxRing!, ring.rxHead, ring.rxTail, ring.rxCount, rx.io, rx.count, placed);
    for (const q of rx.virtQueues) this.countQueue(q, 0, rx.count, shared);
    const meta = rx.metadata.bytes;
    for (let i = 0; i < rx.count; i++) {
      const refs = meta[i] ?? 0;
      const where = placed[i]! + (refs > 0 ? 1 : 0);
      const a = shared[i]!;
      let now = OK;
      let why = '';
      if (where === 0 || a < refs) {
        now = BAD_LOST;
        why =
          where === 0
            ? 'in no queue, ring or hands'
            : `reference count ${refs} but in ${a} virt_rx<->copier queue slot(s)`;
      } else if (where > 1 || a > refs) {
        now = BAD_DUP;
        why =
          where > 1
            ? `in ${where} places (driver queues, ring, virt_rx's clients)`
            : `in ${a} virt_rx<->copier queue slot(s) with reference count ${refs}`;
      }
      if (now !== rx.state[i] && now !== OK)
        this.report(
          now === BAD_LOST ? 'rx-buffer-lost' : 'rx-buffer-duplicated',
          this.rxCustodian(),
          'every client (the shared RX DMA pool)',
          `RX DMA buffer ${i} ${why}`,
          timeNs,
        );
      rx.state[i] = now;
    }
  }

  private checkTx(timeNs: number, driverDown: boolean): void {
    const vtx = this.sim!.net!.virtTx!;
    for (const p of this.tx) {
      p.seen.fill(0);
      this.countQueue(p.free, 0, p.count, p.seen);
      this.countQueue(p.active, 0, p.count, p.seen);
    }
    this.countQueue(this.drvTxFree!, 0, 0, null);
    this.countQueue(this.drvTxActive!, 0, 0, null);
    if (this.dvm !== null) {
      // A blocked sendto in the bridge holds one TX buffer; a stopped guest's was given back.
      const live = this.dvm.vcpu!.state !== T_STOPPED && this.dvm.vcpu!.booted;
      const pending = live ? this.dvm.guest!.holdings().pendingTx : -1;
      if (pending >= 0) this.countTxIo(pending);
    } else if (driverDown) {
      const held = this.custody(this.drvTxActive!, this.drvTxFree!);
      if (held !== null) for (const io of held) this.countTxIo(io);
    } else this.countTxRing();
    for (const p of this.tx) {
      // A stopped client may lose what it held: an untrusted client can only lose its own.
      const stopped = p.view.pd.state === T_STOPPED;
      const k = this.tx.indexOf(p);
      const lost = vtx.perClientLostToFullQueue[k] ?? 0;
      const why = lost > 0 ? ` (${vtx.name} has lost ${lost} of its buffers to a full driver queue)` : '';
      for (let i = 0; i < p.count; i++) {
        const n = p.seen[i]!;
        const now = n === 0 ? (stopped ? OK : BAD_LOST) : n > 1 ? BAD_DUP : OK;
        if (now !== p.state[i] && now !== OK)
          this.report(
            now === BAD_LOST ? 'tx-buffer-lost' : 'tx-buffer-duplicated',
            vtx.name,
            `client ${p.name}`,
            `TX buffer ${i} of client ${p.name} is in ${n} places${why}`,
            timeNs,
          );
        p.state[i] = now;
      }
    }
  }

  /**
   * Adds one to counts[buffer] for each entry of a queue holding `base + buffer * 2048`; with
   * `counts` null the queue is a driver<->virt_tx queue, whose entries are IO addresses of any
   * client's buffers.
   */
  private countQueue(q: QueueRef, base: number, count: number, counts: Uint16Array | null): void {
    const v = q.region.view;
    const cap = q.capacity;
    if (!fits(q)) {
      this.corruptQueues++;
      return;
    }
    const tail = v.getUint16(0, true);
    const head = v.getUint16(2, true);
    const len = (tail - head) & 0xffff;
    if (len > cap) {
      this.corruptQueues++;
      return;
    }
    for (let k = 0; k < len; k++) {
      const at = NET_QUEUE_HEADER_BYTES + ((head + k) % cap) * NET_BUFF_DESC_BYTES;
      const io = v.getUint32(at, true) + v.getUint32(at + 4, true) * 2 ** 32;
      if (counts === null) this.countTxIo(io);
      else this.countOne(io - base, count, counts);
    }
  }

  /**
   * The buffers a stopped driver holds (in its rings or its hands): consumed from `consumed`, not
   * yet produced to `produced` (queue_custody.ts). Null, and counted, when the counts are corrupt.
   * Allocates, but only while the driver is down.
   */
  private custody(consumed: QueueRef, produced: QueueRef): number[] | null {
    if (!fits(consumed) || !fits(produced)) {
      this.corruptQueues++;
      return null;
    }
    const c: QueueBytes = { view: consumed.region.view, off: 0, capacity: consumed.capacity };
    const p: QueueBytes = { view: produced.region.view, off: 0, capacity: produced.capacity };
    const held = heldBuffers(c, queueHead(c), queueTail(p));
    if (held === null) this.corruptQueues++;
    return held;
  }

  private countTxRing(): void {
    const r = this.ring;
    const v = this.txRing!.view;
    const len = r.txTail - r.txHead;
    if (!(len >= 0 && len <= r.txCount) || r.txCount * 8 > this.txRing!.size) {
      this.corruptQueues++;
      return;
    }
    for (let k = 0; k < len; k++) this.countTxIo(v.getUint32(((r.txHead + k) % r.txCount) * 8 + 4, true));
  }

  private countTxIo(io: number): void {
    for (const p of this.tx) {
      if (io >= p.io && io < p.io + p.count * NET_BUFFER_SIZE) {
        this.countOne(io - p.io, p.count, p.seen);
        return;
      }
    }
    this.foreignEntries++;
  }

  /** Posted RX slots (head..tail) hold IO addresses. */
  private countRing(
    region: Region,
    head: number,
    tail: number,
    ringCount: number,
    base: number,
    count: number,
    counts: Uint16Array,
  ): void {
    const len = tail - head;
    if (!(len >= 0 && len <= ringCount) || ringCount * 8 > region.size) {
      this.corruptQueues++;
      return;
    }
    const v = region.view;
    for (let k = 0; k < len; k++)
      this.countOne(v.getUint32(((head + k) % ringCount) * 8 + 4, true) - base, count, counts);
  }

  private countOne(off: number, count: number, counts: Uint16Array): void {
    if (off < 0 || off % NET_BUFFER_SIZE !== 0 || off >= count * NET_BUFFER_SIZE) {
      this.foreignEntries++;
      return;
    }
    const i = off / NET_BUFFER_SIZE;
    if (counts[i]! < 0xffff) counts[i]!++;
  }

  private checkFrame(
    name: string,
    mac: number,
    timeNs: number,
    buf: Uint8Array,
    off: number,
    len: number,
  ): void {
    this.framesChecked++;
    const by = this.copierOf.get(name) ?? this.sim?.net?.virtRx?.name ?? 'net_virt_rx';
    if (len < 6) {
      this.report(
        'frame-to-wrong-client',
        by,
        `client ${name}`,
        `client ${name} received a ${len}-byte frame`,
        timeNs,
      );
      return;
    }
    const dst = readMac(buf, off);
    if (dst === mac || dst === MAC_BROADCAST) return;
    this.report(
      'frame-to-wrong-client',
      by,
      `client ${name}`,
      `client ${name} (${macText(mac)}) received a frame for ${macText(dst)}`,
      timeNs,
    );
  }

  /**
   * A frame a client read out of the shared RX DMA pool, from a buffer it was never handed (a
   * system without copiers maps the pool into every client). Unless it is broadcast, it is another
   * party's frame: the snooping client is named as the component, the frame's addressee as victim.
   */
  private checkSnooped(
    name: string,
    mac: number,
    timeNs: number,
    buf: Uint8Array,
    off: number,
    len: number,
  ): void {
    this.framesChecked++;
    if (len < 6) return;
    const dst = readMac(buf, off);
    if (dst === mac || dst === MAC_BROADCAST) return;
    const owner = this.clientOfMac.get(dst);
    this.report(
      'frame-to-wrong-client',
      name,
      owner !== undefined ? `client ${owner}` : `the owner of ${macText(dst)}`,
      `client ${name} (${macText(mac)}) read a frame for ${owner ?? 'another host'} (${macText(dst)}) out of the shared RX DMA pool, from a buffer it was never handed`,
      timeNs,
    );
  }

  private report(
    kind: ViolationKind,
    component: string,
    victim: string,
    detail: string,
    timeNs: number,
  ): void {
    this.violationCount++;
    if (this.violations.length < MAX_KEPT_VIOLATIONS)
      this.violations.push({ kind, component, victim, detail, time_ns: timeNs });
  }
}

/** Whether a queue of its capacity fits its region (a config mismatch must not read past it). */
function fits(q: QueueRef): boolean {
  return q.capacity > 0 && NET_QUEUE_HEADER_BYTES + q.capacity * NET_BUFF_DESC_BYTES <= q.region.size;
}

function macText(mac: number): string {
  return mac
    .toString(16)
    .padStart(12, '0')
    .replace(/(..)(?!$)/g, '$1:');
}
