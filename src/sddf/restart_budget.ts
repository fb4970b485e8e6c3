/**
 * A supervisor's restart budget for a crash-looping component: at most `restarts` restarts after
 * crashes within any `windowNs` of simulated time. A crash beyond it leaves the component down for
 * the rest of the run (the supervisor gives up), as a system designer would choose over restarting
 * a driver that keeps crashing. Orderly restarts do not count.
 */
export interface RestartBudgetSpec {
  restarts: number;
  /** Infinity: at most `restarts` in the whole run. */
  windowNs: number;
}

export class RestartBudget {
  readonly spec: RestartBudgetSpec;
  /** Times of the restarts granted inside the current window, oldest first. */
  private readonly granted: number[] = [];

  constructor(spec: RestartBudgetSpec) {
    this.spec = spec;
  }

  /** Whether a restart decided at `nowNs` is within budget; it is counted if so. */
  take(nowNs: number): boolean {
    const w = this.spec.windowNs;
    while (this.granted.length > 0 && this.granted[0]! <= nowNs - w) this.granted.shift();
    if (this.granted.length >= this.spec.restarts) return false;
    this.granted.push(nowNs);
    return true;
  }
}
