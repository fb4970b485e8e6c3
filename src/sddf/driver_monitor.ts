import type { Kernel } from '../board/kernel.js';
import { type FaultInfo, ProtectionDomain } from '../board/pd.js';
import { type SchedParams, T_STOPPED } from '../board/thread.js';
import { DRIVER_FAULT_CH, type EthDriver } from './eth_driver.js';
import { type NativeDriverRecovery, newRecovery } from './eth_driver_restart.js';
import { RestartBudget, type RestartBudgetSpec } from './restart_budget.js';

/**
 * The monitor's channels, none with a peer: requests from a fault injector (restart, crash) and
 * its own timers (restart due, crash wait over).
 */
export const MONITOR_RESTART_CH = 0;
export const MONITOR_TIMER_CH = 1;
export const MONITOR_CRASH_CH = 2;
export const MONITOR_CRASH_WAIT_CH = 3;
/**
 * An armed bug strikes in the driver's next entry, in the middle of real work (an IRQ with frames
 * in the ring, a queue notification with buffers to take). If nothing wakes the driver within this
 * time (no traffic), the monitor's fault injection wakes it so the crash still happens.
 */
export const CRASH_WAIT_NS = 100e3;
/** The driver's child id under the monitor (Microkit `id`). */
export const DRIVER_CHILD_ID = 0;
/**
 * How long the monitor waits after a crash before it restarts the driver, unless the fault says
 * (`duration`). The same default as a driver VM's reboot delay, so the two modes compare; a native
 * PD has no boot to wait for, so this is the monitor's policy (back off before retrying), not a cost.
 */
export const DEFAULT_CRASH_REBOOT_NS = 10e6;
/** An orderly restart (driver-restart) brings the driver straight back unless the fault says. */
export const DEFAULT_RESTART_DOWN_NS = 0;
/**
 * Above every sDDF component (the driver has 101): the handler of a fault must run before the
 * components it supervises, as Microkit's monitor does.
 */
export const MONITOR_PRIORITY = 254;

/**
 * The native driver's supervisor: its Microkit parent. A fault of the driver PD arrives at the
 * monitor's `fault` entry; the monitor leaves the driver stopped (no resume: its state is not
 * trusted), records the outage and, after the reboot delay, restarts it (microkit_pd_restart):
 * the driver's `init` runs again, resets the NIC, rebuilds its rings and takes back every buffer
 * the dead instance held (eth_driver.ts, reclaim). An orderly restart (driver-restart) is the
 * monitor suspending the driver between two of its entries and restarting it the same way.
 *
 * While the driver is down nothing else is told: virt_rx, virt_tx and the clients keep running,
 * their notifications to the driver are lost (counted), the NIC fills what RX descriptors were
 * posted and then drops frames (rxDropNoDescriptor), clients run out of TX buffers (their own
 * tx_no_buffer drops). Nobody waits on the driver in a way a restart cannot undo.
 *
 * Only composed when a scenario injects a native driver fault, so runs without one are unchanged.
 */
export class DriverMonitor extends ProtectionDomain {
  readonly driver: EthDriver;
  readonly recoveries: NativeDriverRecovery[] = [];
  private readonly nicDrops: () => number;
  private nextCrashDelayNs = DEFAULT_CRASH_REBOOT_NS;
  private requestedDownNs = DEFAULT_RESTART_DOWN_NS;
  /** When the pending restart is due; a timer that fires before it is stale (superseded). */
  private restartDueNs = Number.POSITIVE_INFINITY;
  /** Restarts after crashes it may make (driver.restart_budget); null: no limit. */
  private readonly budget: RestartBudget | null;

  constructor(
    name: string,
    driver: EthDriver,
    nicDrops: () => number,
    budget: RestartBudgetSpec | null = null,
  ) {
    super(name);
    this.driver = driver;
    this.nicDrops = nicDrops;
    this.budget = budget === null ? null : new RestartBudget(budget);
  }

  // ------------------------------------------------------------------ fault injection

  /**
   * driver-crash: the driver's next entry faults (within CRASH_WAIT_NS); the monitor restarts it
   * `rebootNs` after the fault.
   */
  driverCrash(rebootNs?: number): void {
    // Already down: there is nothing left to crash (the pending restart stands).
    if (this.driver.state === T_STOPPED) return;
    this.nextCrashDelayNs = rebootNs ?? DEFAULT_CRASH_REBOOT_NS;
    this.driver.crashArmed = true;
    this.kernel.externalSignal(this, MONITOR_CRASH_CH);
  }

  /** driver-restart: the monitor stops the driver now and restarts it `downNs` later (default 0). */
  driverRestart(downNs?: number): void {
    this.requestedDownNs = downNs ?? DEFAULT_RESTART_DOWN_NS;
    this.kernel.externalSignal(this, MONITOR_RESTART_CH);
  }

  /** Not a native driver fault (refused at build); here so the monitor is a DriverControl. */
  dmaEscape(): void {}

  // ------------------------------------------------------------------ entry points

  override fault(child: number, info: FaultInfo): boolean {
    if (child !== DRIVER_CHILD_ID) return false;
    const what =
      info.kind === 'vm-fault'
        ? `${info.write ? 'store to' : 'load from'} 0x${info.addr.toString(16)}`
        : 'crash';
    const rec = newRecovery('crash', `${this.driver.name}: ${what}`, this.now(), this.nicDrops());
    this.recoveries.push(rec);
    const delay = this.nextCrashDelayNs;
    this.nextCrashDelayNs = DEFAULT_CRASH_REBOOT_NS;
    // A driver that keeps crashing stays down once the budget is spent.
    if (this.budget !== null && !this.budget.take(this.now())) {
      rec.gaveUp = true;
      return false;
    }
    this.scheduleRestart(delay);
    // Not resumed: the driver restarts from init, which trusts none of its old state.
    return false;
  }

  override notified(ch: number): void {
    if (ch === MONITOR_RESTART_CH) {
      const d = this.driver;
      // A driver that is already down (crashed) is brought back after this request's delay.
      if (d.state !== T_STOPPED) {
        this.kernel.suspendThread(d);
        this.recoveries.push(
          newRecovery('restart', `${d.name}: orderly restart by ${this.name}`, this.now(), this.nicDrops()),
        );
      }
      this.scheduleRestart(this.requestedDownNs);
      this.requestedDownNs = DEFAULT_RESTART_DOWN_NS;
    } else if (ch === MONITOR_CRASH_CH) {
      this.setTimeout(MONITOR_CRASH_WAIT_CH, CRASH_WAIT_NS);
    } else if (ch === MONITOR_CRASH_WAIT_CH) {
      const d = this.driver;
      if (d.crashArmed && d.state !== T_STOPPED) this.kernel.externalSignal(d, DRIVER_FAULT_CH);
    } else if (ch === MONITOR_TIMER_CH) {
      if (this.now() + 1e-3 < this.restartDueNs) return;
      this.restartDueNs = Number.POSITIVE_INFINITY;
      this.restartDriver();
    }
  }

  private scheduleRestart(delayNs: number): void {
    this.setTimeout(MONITOR_TIMER_CH, delayNs);
    this.restartDueNs = this.now() + Math.max(0, delayNs);
  }

  private restartDriver(): void {
    const d = this.driver;
    if (d.state !== T_STOPPED) return;
    const rec = this.recoveries[this.recoveries.length - 1];
    if (rec !== undefined) {
      rec.restartNs = this.now();
      d.recovery = rec;
    }
    this.kernel.restartThread(d);
  }
}

/**
 * Puts `driver` under a new monitor PD on `sched` (before boot): the monitor becomes its parent,
 * so the kernel delivers the driver's faults to it.
 */
export function superviseDriver(
  kernel: Kernel,
  driver: EthDriver,
  sched: SchedParams,
  nicDrops: () => number,
  budget: RestartBudgetSpec | null = null,
): DriverMonitor {
  const m = new DriverMonitor('driver_monitor', driver, nicDrops, budget);
  kernel.addThread(m, sched);
  driver.parent = m;
  driver.childId = DRIVER_CHILD_ID;
  driver.nicDrops = nicDrops;
  return m;
}
