// driver.restart_budget: a supervisor restarts a crashing driver at most N times within a window,
// then leaves it down. For the native driver (its monitor) and a driver VM (its VMM), with the
// invariant checker on throughout.
import { describe, expect, it } from 'vitest';
import { T_STOPPED } from '../../src/board/thread.js';
import { runSummary } from '../../src/cli/run_summary.js';
import { type DriverVmResult, DriverVmResultObserver } from '../../src/compose/driver_vm_report.js';
import type { NativeDriverResult } from '../../src/report/result.js';
import { buildSimulation } from '../../src/scenario/build.js';
import { loadScenarioText } from '../../src/scenario/load.js';
import { runSimulation } from '../../src/scenario/run.js';
import { RestartBudget } from '../../src/sddf/restart_budget.js';

function load(text: string) {
  const r = loadScenarioText(text, 'restart_budget.yaml');
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.scenario;
}

const NATIVE = (budget: string) => `name: budget-native
seed: 3
duration: 80ms
warmup: 10ms
system: echo-server
driver: { kind: native${budget} }
clients:
  - { name: c0, kind: native, app: echo }
  - { name: c1, kind: native, app: echo }
load:
  - { to: c0, rate: 200Mbps }
  - { to: c1, rate: 200Mbps }
faults:
  - { at: 20ms, kind: driver-crash, target: driver, duration: 2ms }
  - { at: 45ms, kind: driver-crash, target: driver, duration: 2ms }
invariants: { check: true }
`;

const VM = (budget: string) => `name: budget-vm
seed: 3
duration: 120ms
warmup: 30ms
board: { cores: 2 }
driver: { kind: vm, core: 1${budget} }
clients:
  - { name: g0, kind: vm, app: echo, core: 0 }
  - { name: n0, kind: native, app: echo, core: 0 }
load:
  - { to: g0, rate: 10Mbps }
  - { to: n0, rate: 10Mbps }
faults:
  - { at: 40ms, kind: driver-crash, target: driver, duration: 3ms }
  - { at: 80ms, kind: driver-crash, target: driver, duration: 3ms }
invariants: { check: true }
`;

describe('RestartBudget', () => {
  it('grants at most `restarts` within any window, and again once old ones leave it', () => {
    const b = new RestartBudget({ restarts: 2, windowNs: 10 });
    expect([b.take(0), b.take(5), b.take(9)]).toEqual([true, true, false]);
    expect(b.take(10)).toBe(true); // the one at 0 has left the window (0, 10]
    expect(b.take(14)).toBe(false);
    const none = new RestartBudget({ restarts: 0, windowNs: Number.POSITIVE_INFINITY });
    expect(none.take(0)).toBe(false);
  });
});

describe('driver.restart_budget', () => {
  it('native driver: the monitor restarts the first crash and gives up on the second', () => {
    const sim = buildSimulation(load(NATIVE(', restart_budget: { restarts: 1 }')));
    const doc = runSimulation(sim);
    const d = doc.driver as NativeDriverResult;
    expect(d.recoveries.map((r) => [r.kind, r.gave_up])).toEqual([
      ['crash', false],
      ['crash', true],
    ]);
    expect(d.recoveries[0]!.restart_ms).toBeGreaterThan(0);
    expect(d.recoveries[1]!.restart_ms).toBe(-1);
    expect(sim.net!.driver.state).toBe(T_STOPPED);
    expect(doc.invariants.violations).toEqual([]);
    expect(runSummary(doc, (_s, t) => t)).toContain('left down, its restart budget spent');
    // Without a budget both crashes are restarted.
    const free = runSimulation(buildSimulation(load(NATIVE('')))).driver as NativeDriverResult;
    expect(free.recoveries.map((r) => r.gave_up)).toEqual([false, false]);
    expect(free.recoveries[1]!.restart_ms).toBeGreaterThan(0);
    // A window shorter than the time between the crashes forgives the first.
    const windowed = runSimulation(
      buildSimulation(load(NATIVE(', restart_budget: { restarts: 1, window: 10ms }'))),
    ).driver as NativeDriverResult;
    expect(windowed.recoveries.map((r) => r.gave_up)).toEqual([false, false]);
  });

  it('driver VM: the VMM reboots the first crash and leaves the VM quiesced after the second', () => {
    const sim = buildSimulation(load(VM(', restart_budget: { restarts: 1 }')));
    const doc = runSimulation(sim, { observers: [new DriverVmResultObserver()] }) as ReturnType<
      typeof runSimulation
    > & { driver_vm?: DriverVmResult };
    const recs = doc.driver_vm!.recoveries;
    expect(recs.map((r) => [r.kind, r.gave_up])).toEqual([
      ['crash', false],
      ['crash', true],
    ]);
    expect(recs[1]!.restart_ms).toBe(-1);
    expect(sim.driverVm!.vcpu!.state).toBe(T_STOPPED);
    expect(doc.invariants.violations).toEqual([]);
    expect(doc.invariants.checks).toBeGreaterThan(0);
  });

  it('is validated: a negative count is refused with its path', () => {
    const r = loadScenarioText(
      'name: x\ndriver: { restart_budget: { restarts: -1 } }\nclients: [{ name: a, kind: native }]\n',
      'bad.yaml',
    );
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.map((p) => p.path)).toContain('driver.restart_budget.restarts');
  });
});
