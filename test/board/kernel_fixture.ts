import { type Costs, resolveCosts } from '../../src/board/cost_model.js';
import { Engine } from '../../src/board/engine.js';
import { Kernel } from '../../src/board/kernel.js';
import { type FaultInfo, type PpcMessage, ProtectionDomain } from '../../src/board/pd.js';

/** The imx8mm preset with `overrides` applied; fails the test on a bad override. */
export function imx8mmCosts(overrides: Record<string, number> = {}): Costs {
  const r = resolveCosts('imx8mm', overrides);
  if (!r.ok) throw new Error(`bad cost overrides: ${r.problems.join('; ')}`);
  return r.costs;
}

export interface BoardOptions {
  cores?: number;
  overrides?: Record<string, number>;
  smp?: boolean;
  windowStartNs?: number;
  windowEndNs?: number;
  bucketNs?: number;
}

export interface Board {
  engine: Engine;
  kernel: Kernel;
  costs: Costs;
  /** Cycles per ns. */
  ghz: number;
}

export function makeBoard(opts: BoardOptions = {}): Board {
  const engine = new Engine();
  const costs = imx8mmCosts(opts.overrides ?? {});
  const kernel = new Kernel(engine, {
    cores: opts.cores ?? 1,
    costs,
    smp: opts.smp ?? false,
    windowStartNs: opts.windowStartNs ?? 0,
    windowEndNs: opts.windowEndNs ?? 1e12,
    bucketNs: opts.bucketNs ?? 0,
  });
  return { engine, kernel, costs, ghz: costs.cpu_ghz };
}

/** One entry-point call seen by a ScriptPd. */
export interface TraceEntry {
  pd: string;
  entry: 'init' | 'notified' | 'protected' | 'fault';
  /** Channel (notified/protected) or child id (fault); -1 for init. */
  arg: number;
  /** Engine time when the entry point was called (the event that woke the PD). */
  engineNs: number;
  /** The PD's logical time at the start of the entry point. */
  logicalNs: number;
  /** The PD's dispatch count at that moment (equal values = same batch). */
  dispatch: number;
}

/**
 * A protection domain whose entry points are set by the test. Every call is appended to
 * the shared trace before the script runs.
 */
export class ScriptPd extends ProtectionDomain {
  readonly trace: TraceEntry[];
  onInit: ((pd: ScriptPd) => void) | null = null;
  onNotified: ((pd: ScriptPd, ch: number) => void) | null = null;
  onProtected: ((pd: ScriptPd, ch: number, msg: PpcMessage) => void) | null = null;
  onFault: ((pd: ScriptPd, child: number, info: FaultInfo) => boolean) | null = null;

  constructor(name: string, trace: TraceEntry[]) {
    super(name);
    this.trace = trace;
  }

  private record(entry: TraceEntry['entry'], arg: number): void {
    this.trace.push({
      pd: this.name,
      entry,
      arg,
      engineNs: this.kernel.engine.now,
      logicalNs: this.now(),
      dispatch: this.dispatches,
    });
  }

  override init(): void {
    this.record('init', -1);
    this.onInit?.(this);
  }

  override notified(ch: number): void {
    this.record('notified', ch);
    this.onNotified?.(this, ch);
  }

  override protected(ch: number, msg: PpcMessage): void {
    this.record('protected', ch);
    this.onProtected?.(this, ch, msg);
  }

  override fault(child: number, info: FaultInfo): boolean {
    this.record('fault', child);
    return this.onFault === null ? false : this.onFault(this, child, info);
  }
}

/** The entries of the trace other than init, as "pd:entry:arg" strings. */
export function calls(trace: readonly TraceEntry[]): string[] {
  return trace.filter((t) => t.entry !== 'init').map((t) => `${t.pd}:${t.entry}:${t.arg}`);
}
