import type { RestartBudgetSpec } from '../sddf/restart_budget.js';
import '../sddf/costs.js';
import '../baseline/costs.js';
import { Board } from '../board/board.js';
import { type Costs, resolveCosts } from '../board/cost_model.js';
import { LoadGenerator, type LoadStreamSpec } from '../board/load_generator.js';
import { ProtectionDomain } from '../board/pd.js';
import type { Thread } from '../board/thread.js';
import { parseIpv4 } from '../net/ipv4_addr.js';
import { parseMac } from '../net/mac.js';
import { type ClientMisbehaviour, NetClient } from '../sddf/client.js';
import type { Copier } from '../sddf/copier.js';
import {
  composeNetSystem,
  echoServerSched,
  type ClientSlot,
  type NetSystem,
  type NetVariant,
  nativeClientFactory,
} from '../sddf/system.js';
import { DRIVER, type Scenario } from './schema.js';
import { EthDriver } from '../sddf/eth_driver.js';
import { type DriverMonitor, MONITOR_PRIORITY, superviseDriver } from '../sddf/driver_monitor.js';
import { DEFAULT_CLIENT_RX_BUFFERS, DEFAULT_CLIENT_TX_BUFFERS, ECHO_SERVER_SCHED } from '../sddf/sizes.js';
import { RateLimiter } from '../sddf/token_bucket.js';
import { DRR_BASE_QUANTUM } from '../sddf/tx_policy_drr.js';
import { defaultTxOutstanding, makeTxPolicy } from '../sddf/tx_policy_factory.js';
import { SinkHost } from '../board/sink_host.js';
import { DEFAULT_PING_PAYLOAD, type PingSpec } from '../guest/ping_app.js';
import { type ClientControl, FaultInjector, type GuestControl } from './faults.js';
import { consistencyProblems } from './consistency.js';
import '../vmm/costs.js';
import '../guest/costs.js';
import { createGuestVm, type GuestVm } from '../compose/guest_vm.js';
import { composeLinux, type LinuxSystem } from '../baseline/linux.js';
import { createDriverVm, type DriverVm, driverVmPoolFor } from '../compose/driver_vm.js';
import { applyProtections } from './protections.js';

export const NIC_MAC = 0x02_00_00_00_00_01;
export const GENERATOR_MAC = 0x02_00_00_00_f0_01;
export const GENERATOR_IP = 0x0a_00_01_01; // 10.0.1.1
export const SINK_MAC = 0x02_00_00_00_f0_02;
export const SINK_IP = 0x0a_00_01_02; // 10.0.1.2

/** What a run needs to know about one client, whatever kind it is. */
export interface ClientView {
  readonly name: string;
  readonly kind: 'native' | 'vm';
  readonly app: string;
  readonly mac: number;
  readonly ip: number;
  readonly pd: ProtectionDomain;
  readonly copier: Copier | null;
  /** The guest VM behind a vm client. */
  readonly vm?: GuestVm;
  counters(): {
    rxFrames: number;
    rxBytes: number;
    txFrames: number;
    txBytes: number;
    drops: Record<string, number>;
    /** Rate-limit counters, for a client with a limit. */
    limited?: RateLimitCounters;
  };
  /**
   * The four traffic counters of counters(), written into `out`: what the fairness sampler reads
   * every millisecond of every client, without building counters()' drop table each time.
   */
  traffic(out: TrafficCounters): void;
}

/** Frames and bytes a client has received and sent so far. */
export interface TrafficCounters {
  rxFrames: number;
  rxBytes: number;
  txFrames: number;
  txBytes: number;
}

/** What a client's rate limits did: buffers held back on transmit, frames dropped on receive. */
export interface RateLimitCounters {
  txThrottledFrames: number;
  txThrottledBytes: number;
  rxDroppedFrames: number;
  rxDroppedBytes: number;
}

export class BuildError extends Error {
  override name = 'BuildError';
  /** The scenario field to blame, when there is one (`['faults', 2, 'target']`). */
  readonly path: (string | number)[] | null;
  constructor(message: string, path: (string | number)[] | null = null) {
    super(message);
    this.path = path;
  }
}

export interface Simulation {
  scenario: Scenario;
  board: Board;
  /** The sDDF network system, or null for the Linux baseline. */
  net: NetSystem | null;
  linux: LinuxSystem | null;
  /** Every protection domain (and vCPU) to report, in a stable order. */
  pds: Thread[];
  clients: ClientView[];
  generator: LoadGenerator | null;
  sink: SinkHost;
  /** Per load entry, the generator streams carrying it. */
  loadStreams: number[][];
  /** The driver VM, when `driver.kind` is vm. */
  driverVm?: DriverVm;
  /** The native driver's monitor, composed only when the scenario crashes or restarts that driver. */
  driverMonitor?: DriverMonitor;
}

export function clientMac(s: Scenario, i: number): number {
  const m = s.clients[i]!.mac;
  return m !== undefined ? parseMac(m) : 0x02_00_00_00_00_10 + i;
}

export function clientIp(s: Scenario, i: number): number {
  const ip = s.clients[i]!.ip;
  return ip !== undefined ? parseIpv4(ip) : 0x0a_00_00_00 + 10 + i;
}

export function resolveScenarioCosts(s: Scenario): Costs {
  const overrides: Record<string, number> = { ...s.board.costs };
  const r = resolveCosts(s.board.cost_model, overrides);
  if (!r.ok) throw new BuildError(r.problems.join('; '));
  const costs = r.costs;
  if (s.board.kernel.smp_barriers) (costs as Record<string, number>)['queue_barrier'] = costs.smp_barrier;
  return costs;
}

function variantOf(s: Scenario): NetVariant {
  switch (s.system) {
    case 'sddf-2pd':
      return 'direct';
    case 'sddf-4pd':
      return 'no-copier';
    case 'sddf-d5pd':
      return 'zero-copy-copier';
    default:
      // protections.rx_copier: false composes the copying system without its copiers.
      return s.protections.rx_copier ? 'full' : 'no-copier';
  }
}

/** A guest's ping of the host on the wire; its ICMP identifier tells the clients' pings apart. */
function pingSpec(p: Scenario['clients'][number]['ping'], clientIndex: number): PingSpec {
  return {
    dstMac: SINK_MAC,
    dstIp: SINK_IP,
    intervalNs: p?.interval ?? 1e6,
    payload: p?.payload ?? DEFAULT_PING_PAYLOAD,
    id: (0x5000 + clientIndex) & 0xffff,
    count: p?.count ?? 0,
  };
}

/** Builds the board, the network system, clients and hosts a scenario describes. */
export function buildSimulation(s: Scenario): Simulation {
  // The loader reports these with positions; a scenario built in code meets them here.
  const inconsistent = consistencyProblems(s);
  if (inconsistent.length > 0) throw new BuildError(inconsistent.map((p) => p.message).join('; '));
  const costs = resolveScenarioCosts(s);
  const windowStart = s.warmup;
  const windowEnd = s.warmup + s.duration;
  const board = new Board({
    cores: s.board.cores,
    costs,
    smp: s.board.kernel.smp,
    seed: s.seed,
    windowStartNs: windowStart,
    windowEndNs: windowEnd,
    bucketNs: 10e6,
    nicRateBps: s.nic.rate,
    nicMac: NIC_MAC,
  });
  const core = (c: number | undefined): number => c ?? 0;
  if (s.system === 'linux') {
    return attachHosts(s, board, null, buildLinux(s, board), windowStart, windowEnd);
  }
  const sched = echoServerSched(0);
  const driverCore = core(s.driver.core);
  // A driver VM's VMM runs at the driver's priority without its budget (libvmm's VMMs have none).
  const budget = restartBudget(s);
  const dvm =
    s.driver.kind === 'vm'
      ? createDriverVm(board, {
          sched: { core: driverCore, priority: sched.driver.priority },
          poolBuffers: driverVmPoolFor(s.nic.rx_ring),
          windowStartNs: windowStart,
          windowEndNs: windowEnd,
          ...(budget !== null ? { restartBudget: budget } : {}),
        })
      : null;
  const views: ClientView[] = [];
  const vms: (GuestVm | null)[] = [];
  const slots = s.clients.map((c, i) => {
    const mac = clientMac(s, i);
    const ip = clientIp(s, i);
    let source = null;
    if (c.app === 'source' && c.source !== undefined) {
      source = {
        rateBps: c.source.rate,
        payload: c.source.payload,
        dstMac: SINK_MAC,
        dstIp: SINK_IP,
        dstPort: 9,
        tickNs: 1e6,
      };
    }
    const clientCore = core(c.core);
    const clientSched = {
      ...sched.client,
      core: clientCore,
      ...(c.priority !== undefined ? { priority: c.priority } : {}),
    };
    // A native ping is refused at load (consistency.ts); only guests run one.
    let make: ClientSlot['make'] = nativeClientFactory(c.name, c.app === 'ping' ? 'sink' : c.app, source);
    let vm: GuestVm | null = null;
    if (c.kind === 'vm') {
      const g = c.guest!;
      vm = createGuestVm(board.kernel, board.memory, {
        name: c.name,
        sched: clientSched,
        ramBytes: g.ram,
        queueNumMax: g.queue_size,
        eventIdx: g.event_idx,
        // A guest's source ticks on its virtual timer, finer than lwIP's.
        guest: {
          app: c.app,
          ...(source !== null ? { source: { ...source, tickNs: 100e3 } } : {}),
          ...(c.app === 'ping' ? { ping: pingSpec(c.ping, i) } : {}),
          ...(g.boot_time !== undefined ? { bootNs: g.boot_time } : {}),
        },
      });
      make = vm.make;
    }
    vms.push(vm);
    return {
      name: c.name,
      mac,
      ip,
      rxBuffers: c.rx_buffers ?? DEFAULT_CLIENT_RX_BUFFERS,
      txBuffers: c.tx_buffers ?? DEFAULT_CLIENT_TX_BUFFERS,
      sched: clientSched,
      copierSched: { ...sched.copier, core: clientCore },
      make,
    };
  });
  const net = composeNetSystem(
    {
      memory: board.memory,
      kernel: board.kernel,
      regs: board.nicRegs,
      irq: board.nicIrq,
      iommu: board.nicIommu,
      mac: NIC_MAC,
    },
    {
      variant: variantOf(s),
      clients: slots,
      rxBuffers: dvm !== null ? dvm.rxBuffers(512) : 512,
      ...(dvm !== null ? { makeDriver: dvm.makeDriver } : {}),
      driverSched: dvm !== null ? dvm.opts.sched : { ...sched.driver, core: driverCore },
      virtRxSched: { ...sched.virtRx, core: core(s.virt.core) },
      virtTxSched: { ...sched.virtTx, core: core(s.virt.core) },
      txCoalesceFrames: s.nic.tx_coalesce_frames,
      txCoalesceTimer: 0xff,
      hwRxRingCount: s.nic.rx_ring,
      hwTxRingCount: s.nic.tx_ring,
    },
  );
  dvm?.attach(net);
  const monitor = superviseNativeDriver(s, board, net);
  applyTxPolicy(s, net);
  applyRateLimits(s, net);
  applyProtections(s, net, vms);
  s.clients.forEach((c, i) => {
    const vm = vms[i];
    if (vm !== null && vm !== undefined) {
      const vmm = vm.vmm!;
      // A guest's ping counts the requests it sends in the window (the report's `ping`).
      const ping = vm.linux?.ping ?? null;
      if (ping !== null) {
        ping.windowStartNs = windowStart;
        ping.windowEndNs = windowEnd;
      }
      views.push({
        name: c.name,
        kind: 'vm',
        app: c.app,
        mac: slots[i]!.mac,
        ip: slots[i]!.ip,
        pd: vmm,
        copier: net.copiers[i] ?? null,
        vm,
        traffic(out) {
          const n = vmm.net.counters;
          out.rxFrames = n.rxFrames;
          out.rxBytes = n.rxBytes;
          out.txFrames = n.txFrames;
          out.txBytes = n.txBytes;
        },
        counters() {
          const n = vmm.net.counters;
          const drops: Record<string, number> = { ...vmm.drops() };
          const cp = net.copiers[i];
          if (cp) drops['copier_no_buffer'] = cp.dropsNoClientBuffer;
          return withLimits(
            {
              rxFrames: n.rxFrames,
              rxBytes: n.rxBytes,
              txFrames: n.txFrames,
              txBytes: n.txBytes,
              drops,
            },
            s,
            net,
            i,
          );
        },
      });
      return;
    }
    const pd = net.clients[i]! as NetClient;
    views.push({
      name: c.name,
      kind: 'native',
      app: c.app,
      mac: slots[i]!.mac,
      ip: slots[i]!.ip,
      pd,
      copier: net.copiers[i] ?? null,
      traffic(out) {
        out.rxFrames = pd.rxFrames;
        out.rxBytes = pd.rxBytes;
        out.txFrames = pd.txFrames;
        out.txBytes = pd.txBytes;
      },
      counters() {
        const drops: Record<string, number> = { tx_no_buffer: pd.txDropNoBuffer };
        const cp = net.copiers[i];
        if (cp) drops['copier_no_buffer'] = cp.dropsNoClientBuffer;
        return withLimits(
          {
            rxFrames: pd.rxFrames,
            rxBytes: pd.rxBytes,
            txFrames: pd.txFrames,
            txBytes: pd.txBytes,
            drops,
          },
          s,
          net,
          i,
        );
      },
    });
  });

  if (s.faults.length > 0) {
    const guests = new Map<string, GuestControl>();
    s.clients.forEach((c, i) => {
      const vm = vms[i];
      const vmm = vm?.vmm;
      if (vmm)
        guests.set(c.name, {
          guestCrash: () => vmm.guestCrash(),
          guestRestart: () => {
            if (vm!.linux) vm!.linux.hung = false;
            vmm.guestRestart();
          },
          guestHang: () => {
            if (vm!.linux) vm!.linux.hung = true;
          },
          guestMalformed: () => {
            if (vm!.linux) vm!.linux.scribbler = board.prng.fork(0x6d61_6c66 + i);
          },
        });
    });
    // A native client misbehaves at the start of its next entry, woken for it on its timer channel.
    const natives = new Map<string, ClientControl>();
    s.clients.forEach((c, i) => {
      const pd = net.clients[i];
      if (c.kind === 'native' && pd instanceof NetClient) {
        natives.set(c.name, {
          misbehave(kind: string, count?: number) {
            pd.misbehaviour = kind as ClientMisbehaviour;
            pd.misbehaviourCount = count ?? 1;
            board.kernel.externalSignal(pd, net.clientConfigs[i]!.timerCh);
          },
        });
      }
    });
    const injector = new FaultInjector(board, s.faults, guests, dvm ?? monitor, natives);
    const byName = new Map(board.kernel.threads.map((t) => [t.name, t]));
    for (const [i, f] of s.faults.entries()) {
      if (f.kind !== 'lost-notification') continue;
      const [a, b] = f.target.split('->');
      const from = byName.get(a!);
      const to = byName.get(b!);
      if (
        !(from instanceof ProtectionDomain) ||
        !(to instanceof ProtectionDomain) ||
        !from.chanPeer.includes(to.id)
      ) {
        throw new BuildError(
          `fault 'lost-notification': no channel from '${a}' to '${b}' in this system (PDs: ${[...byName.keys()].join(', ')})`,
          ['faults', i, 'target'],
        );
      }
    }
    injector.lookupChannel = (target) => {
      const [a, b] = target.split('->');
      const from = byName.get(a!);
      const to = byName.get(b!);
      if (!(from instanceof ProtectionDomain) || !(to instanceof ProtectionDomain)) return null;
      return { drop: (count) => board.kernel.dropNextSignals(from, to, count) };
    };
  }
  // Report every PD, and each guest's vCPU right after its VMM.
  const pds: Thread[] = [];
  for (const pd of net.pds) {
    pds.push(pd);
    const vm = vms[net.clients.indexOf(pd)];
    if (vm?.vcpu) pds.push(vm.vcpu);
    if (dvm?.vcpu && pd === net.driver) pds.push(dvm.vcpu);
    if (monitor !== null && pd === net.driver) pds.push(monitor);
  }
  const sim = attachHosts(s, board, net, { views, pds, linux: null }, windowStart, windowEnd);
  if (dvm !== null) sim.driverVm = dvm;
  if (monitor !== null) sim.driverMonitor = monitor;
  return sim;
}

/**
 * A native driver that a fault crashes or restarts gets a supervising monitor PD (its Microkit
 * parent) on its core. Without such a fault nothing is added, so those runs are unchanged.
 */
function superviseNativeDriver(s: Scenario, board: Board, net: NetSystem): DriverMonitor | null {
  const driver = net.driver;
  if (!(driver instanceof EthDriver)) return null;
  if (
    !s.faults.some((f) => f.target === DRIVER && (f.kind === 'driver-crash' || f.kind === 'driver-restart'))
  )
    return null;
  const nic = board.nic.counters;
  return superviseDriver(
    board.kernel,
    driver,
    { core: driver.core, priority: MONITOR_PRIORITY },
    () => nic.rxDropNoDescriptor + nic.rxDropDisabled,
    restartBudget(s),
  );
}

/** driver.restart_budget in the form the supervisors take, or null. */
function restartBudget(s: Scenario): RestartBudgetSpec | null {
  const b = s.driver.restart_budget;
  if (b === undefined) return null;
  return { restarts: b.restarts, windowNs: b.window ?? Number.POSITIVE_INFINITY };
}

/** virt.tx_policy, virt.quantum, virt.tx_outstanding, clients' weight and priority. */
function applyTxPolicy(s: Scenario, net: NetSystem): void {
  const vtx = net.virtTx;
  // Without virt_tx (sddf-2pd) the one client has the driver to itself: nothing to schedule.
  if (vtx === null) return;
  const quantum = s.virt.quantum ?? DRR_BASE_QUANTUM;
  if (!(quantum > 0)) throw new BuildError('virt.quantum must be greater than zero');
  vtx.policy = makeTxPolicy(
    s.virt.tx_policy,
    s.clients.map((c) => ({ weight: c.weight, priority: c.priority ?? ECHO_SERVER_SCHED.client.priority })),
    quantum,
  );
  vtx.outstandingLimit = s.virt.tx_outstanding ?? defaultTxOutstanding(s.virt.tx_policy);
}

/** rate_limit at virt_tx (back-pressure), rx_rate_limit at the client's copier (drops). */
function applyRateLimits(s: Scenario, net: NetSystem): void {
  s.clients.forEach((c, i) => {
    if (c.rate_limit !== undefined) {
      if (net.virtTx === null)
        throw new BuildError(
          `client '${c.name}': rate_limit needs virt_tx, which system '${s.system}' has not`,
        );
      net.virtTx.setRateLimit(i, c.rate_limit);
    }
    if (c.rx_rate_limit !== undefined) {
      const cp = net.copiers[i];
      if (cp === null || cp === undefined)
        throw new BuildError(
          `client '${c.name}': rx_rate_limit is applied by the client's copier, which system '${s.system}' has not`,
        );
      cp.rxLimit = new RateLimiter(c.rx_rate_limit, 0);
    }
  });
}

/** Adds the rate-limit counters of a client that has a limit (and rx_rate_limited to its drops). */
function withLimits<T extends ReturnType<ClientView['counters']>>(
  k: T,
  s: Scenario,
  net: NetSystem,
  i: number,
): T {
  const c = s.clients[i]!;
  if (c.rate_limit === undefined && c.rx_rate_limit === undefined) return k;
  const vtx = net.virtTx;
  const cp = net.copiers[i] ?? null;
  if (c.rx_rate_limit !== undefined && cp !== null) k.drops['rx_rate_limited'] = cp.dropsRateLimited;
  k.limited = {
    txThrottledFrames: vtx?.perClientThrottled[i] ?? 0,
    txThrottledBytes: vtx?.perClientThrottledBytes[i] ?? 0,
    rxDroppedFrames: cp?.dropsRateLimited ?? 0,
    rxDroppedBytes: cp?.dropsRateLimitedBytes ?? 0,
  };
  return k;
}

interface Built {
  views: ClientView[];
  pds: Thread[];
  linux: LinuxSystem | null;
}

/** The Linux baseline: its one echo program stands for the scenario's one echo client. */
function buildLinux(s: Scenario, board: Board): Built {
  const mac = clientMac(s, 0);
  const ip = clientIp(s, 0);
  const linux = composeLinux({
    memory: board.memory,
    kernel: board.kernel,
    regs: board.nicRegs,
    irq: board.nicIrq,
    iommu: board.nicIommu,
    mac,
    ip,
    core: 0,
    rxRing: s.nic.rx_ring,
    txRing: s.nic.tx_ring,
  });
  const app = linux.app;
  const st = linux.state;
  const c = s.clients[0]!;
  const view: ClientView = {
    name: c.name,
    kind: 'native',
    app: 'echo',
    mac,
    ip,
    pd: app,
    copier: null,
    traffic(out) {
      out.rxFrames = app.rxFrames;
      out.rxBytes = app.rxBytes;
      out.txFrames = app.txFrames;
      out.txBytes = app.txBytes;
    },
    counters() {
      return {
        rxFrames: app.rxFrames,
        rxBytes: app.rxBytes,
        txFrames: app.txFrames,
        txBytes: app.txBytes,
        drops: { socket_full: st.sockDrops, tx_ring_full: st.txRingFull },
      };
    },
  };
  return { views: [view], pds: linux.pds, linux };
}

function attachHosts(
  s: Scenario,
  board: Board,
  net: NetSystem | null,
  built: Built,
  windowStart: number,
  windowEnd: number,
): Simulation {
  const views = built.views;
  // Hosts on the wire: the ipbench-like generator and a sink for client sources.
  const sink = new SinkHost(SINK_MAC, SINK_IP);
  board.wire.attachHost(sink);
  // It answers the guests' pings.
  sink.link = board.wire;
  const streams: LoadStreamSpec[] = [];
  const loadStreams: number[][] = [];
  for (const l of s.load) {
    const i = s.clients.findIndex((c) => c.name === l.to);
    const ids: number[] = [];
    for (let k = 0; k < l.streams; k++) {
      ids.push(streams.length);
      const spec: LoadStreamSpec = {
        targetMac: views[i]!.mac,
        targetIp: views[i]!.ip,
        srcPort: 40000 + streams.length,
        rateBps: l.rate / l.streams,
        payload: l.payload,
        startNs: l.start ?? 0,
        pattern: l.pattern,
      };
      // Sending stops with the measurement window; the run then drains what is in flight.
      spec.stopNs = Math.min(l.stop ?? Number.POSITIVE_INFINITY, windowEnd);
      streams.push(spec);
    }
    loadStreams.push(ids);
  }
  let generator: LoadGenerator | null = null;
  if (streams.length > 0) {
    generator = new LoadGenerator({
      engine: board.engine,
      link: board.wire,
      prng: board.prng.fork(1),
      mac: GENERATOR_MAC,
      ip: GENERATOR_IP,
      streams,
      // Checking every echoed payload byte costs more wall time than the rest of a frame's
      // journey; the UDP checksum still catches corruption.
      verifyPayload: false,
    });
    generator.setWindow(windowStart, windowEnd);
    board.wire.attachHost(generator);
  }
  sink.setWindow(windowStart, windowEnd);
  return {
    scenario: s,
    board,
    net,
    linux: built.linux,
    pds: built.pds,
    clients: views,
    generator,
    sink,
    loadStreams,
  };
}
