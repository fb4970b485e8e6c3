import type { Board } from '../board/board.js';
import type { EventSink } from '../board/engine.js';
import type { FieldProblem } from './problems.js';
import { DRIVER, type Scenario } from './schema.js';

/** The fault kinds this build can inject; the rest of the schema's kinds are refused at build. */
export const INJECTABLE_FAULTS = [
  'guest-crash',
  'guest-restart',
  'driver-crash',
  'driver-restart',
  'dma-escape',
  'double-enqueue',
  'bad-offset',
  'corrupt-queue',
  'notification-storm',
  'lost-notification',
  'write-after-handover',
  'guest-hang',
  'malformed-chain',
  'snoop-rx-pool',
] as const;
/** Misbehaviour of an untrusted native client: against its own queues, or reading the RX DMA pool. */
const CLIENT_FAULTS: readonly string[] = [
  'double-enqueue',
  'bad-offset',
  'corrupt-queue',
  'notification-storm',
  'write-after-handover',
  'snoop-rx-pool',
];

/** A native client a fault injector can make misbehave. */
export interface ClientControl {
  /** `count`: the fault's count (for double-enqueue, the extra copies; default 1). */
  misbehave(kind: string, count?: number): void;
}
/** Faults aimed at the driver, whichever kind it is (a native driver's monitor or a driver VM's VMM restarts it). */
const DRIVER_FAULTS: readonly string[] = ['driver-crash', 'driver-restart'];
/** Faults aimed at the driver, injectable only when it is a driver VM. */
const DRIVER_VM_FAULTS: readonly string[] = ['dma-escape'];

export interface GuestControl {
  guestCrash(): void;
  guestRestart(): void;
  guestHang(): void;
  /** From now on the guest writes malformed chains into its own virtqueues. */
  guestMalformed(): void;
}

/**
 * The driver: crash (its supervisor restarts it, after `rebootNs` if given), orderly restart (a
 * native driver's monitor keeps it down `downNs` if given; a driver VM reboots), compromise (driver
 * VM only). A driver VM's VMM supervises it (src/compose/driver_vm.ts); a native driver's monitor
 * PD does (src/sddf/driver_monitor.ts).
 */
export interface DriverControl {
  driverCrash(rebootNs?: number): void;
  driverRestart(downNs?: number): void;
  dmaEscape(): void;
}

/**
 * Injects a scenario's faults at their simulated times, as engine events (so they are part
 * of the trace). A guest crash stops the guest's vCPU (its VMM records it); a restart resets
 * the virtio device and reboots the guest, which probes the device and rebuilds its rings.
 */
export class FaultInjector implements EventSink {
  private readonly faults: Scenario['faults'];
  private readonly guests: Map<string, GuestControl>;
  private readonly driver: DriverControl | null;
  injected = 0;

  private readonly clients: Map<string, ClientControl>;

  constructor(
    board: Board,
    faults: Scenario['faults'],
    guests: Map<string, GuestControl>,
    driver: DriverControl | null = null,
    clients: Map<string, ClientControl> = new Map(),
  ) {
    this.faults = faults;
    this.guests = guests;
    this.driver = driver;
    this.clients = clients;
    const sink = board.engine.addSink(this);
    faults.forEach((f, i) => {
      board.engine.at(f.at, sink, i);
    });
  }

  /** Resolves 'from->to' to the two PDs (lost-notification); set by the builder. */
  lookupChannel: ((target: string) => { drop(count: number): void } | null) | null = null;

  onEvent(i: number): void {
    const f = this.faults[i]!;
    if (f.kind === 'lost-notification') {
      const ch = this.lookupChannel?.(f.target) ?? null;
      if (ch === null) return;
      ch.drop(f.count ?? 1);
      this.injected++;
      return;
    }
    const d = this.driver;
    if (f.target === DRIVER && d !== null) {
      if (f.kind === 'driver-crash') d.driverCrash(f.duration);
      else if (f.kind === 'driver-restart') d.driverRestart(f.duration);
      else if (f.kind === 'dma-escape') d.dmaEscape();
      else return;
      this.injected++;
      return;
    }
    const c = this.clients.get(f.target);
    if (c !== undefined && CLIENT_FAULTS.includes(f.kind)) {
      c.misbehave(f.kind, f.count);
      this.injected++;
      return;
    }
    const g = this.guests.get(f.target);
    if (g === undefined) return;
    if (f.kind === 'guest-crash') g.guestCrash();
    else if (f.kind === 'guest-restart') g.guestRestart();
    else if (f.kind === 'guest-hang') g.guestHang();
    else if (f.kind === 'malformed-chain') g.guestMalformed();
    else return;
    this.injected++;
  }
}

/** Why each of a scenario's faults cannot be injected by this build (empty when every one can). */
export function faultProblems(s: Scenario): FieldProblem[] {
  const out: FieldProblem[] = [];
  s.faults.forEach((f, i) => {
    const why = faultProblem(s, f);
    if (why !== null) out.push({ path: ['faults', i, why.field], message: why.message });
  });
  return out;
}

function faultProblem(s: Scenario, f: Scenario['faults'][number]): { field: string; message: string } | null {
  const target = (message: string) => ({ field: 'target', message });
  if (!(INJECTABLE_FAULTS as readonly string[]).includes(f.kind)) {
    return {
      field: 'kind',
      message: `fault kind '${f.kind}' is not injected by this version (supported: ${INJECTABLE_FAULTS.join(', ')})`,
    };
  }
  if (DRIVER_FAULTS.includes(f.kind)) {
    if (f.target !== DRIVER)
      return target(`fault '${f.kind}' targets the driver: it needs target '${DRIVER}'`);
    if (s.system === 'linux')
      return {
        field: 'kind',
        message: `fault '${f.kind}': system 'linux' has no sDDF driver PD to crash or restart`,
      };
    return null;
  }
  if (DRIVER_VM_FAULTS.includes(f.kind)) {
    if (f.target !== DRIVER || s.driver.kind !== 'vm')
      return target(
        `fault '${f.kind}' targets the driver VM: it needs target '${DRIVER}' and driver.kind vm`,
      );
    return null;
  }
  if (f.kind === 'lost-notification') {
    if (!/^[A-Za-z0-9_-]+->[A-Za-z0-9_-]+$/.test(f.target))
      return target(
        `fault 'lost-notification' needs a target 'from->to' naming two protection domains (e.g. 'ethernet_driver->net_virt_rx'), got '${f.target}'`,
      );
    return null;
  }
  const c = s.clients.find((x) => x.name === f.target);
  if (CLIENT_FAULTS.includes(f.kind)) {
    if (c === undefined || c.kind !== 'native')
      return target(`fault '${f.kind}' targets '${f.target}', which is not a native client`);
    return null;
  }
  if (c === undefined || c.kind !== 'vm')
    return target(`fault '${f.kind}' targets '${f.target}', which is not a guest VM`);
  return null;
}
