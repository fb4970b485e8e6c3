// The crash-test campaign against the driver (native or a driver VM): it draws driver-crash and
// driver-restart, and a run in which only the faulted driver stopped survives.
import { describe, expect, it } from 'vitest';
import { drawFaults, verdict } from '../../src/cli/crash_test_command.js';
import type { ResultDocument } from '../../src/report/result.js';
import { defaultScenario } from '../../src/scenario/default_scenario.js';

function doc(faults: ResultDocument['faults']): ResultDocument {
  return { invariants: { violations: [], violation_count: 0 }, faults } as unknown as ResultDocument;
}

describe('crash-test and the driver', () => {
  it('draws driver faults on the default scenario (native driver), with an outage of at most 10 ms', () => {
    const s = defaultScenario();
    const drawn = Array.from({ length: 60 }, (_, k) => drawFaults(s, 1, k)).flat();
    const driver = drawn.filter((f) => f.target === 'driver');
    expect(driver.length).toBeGreaterThan(5);
    expect(new Set(driver.map((f) => f.kind))).toEqual(new Set(['driver-crash', 'driver-restart']));
    for (const f of driver) {
      expect(f.duration).toBeGreaterThanOrEqual(0);
      expect(f.duration).toBeLessThanOrEqual(10e6);
    }
    for (const f of drawn) if (f.target !== 'driver') expect(f.kind).not.toMatch(/^driver-/);
  });

  it('draws driver faults for a driver VM too', () => {
    const s = defaultScenario();
    s.driver.kind = 'vm';
    const drawn = Array.from({ length: 60 }, (_, k) => drawFaults(s, 1, k)).flat();
    const driver = drawn.filter((f) => f.target === 'driver');
    expect(driver.length).toBeGreaterThan(5);
    expect(new Set(driver.map((f) => f.kind))).toEqual(new Set(['driver-crash', 'driver-restart']));
  });

  it("draws none for the Linux baseline, whose driver is not sDDF's", () => {
    const s = defaultScenario();
    s.system = 'linux';
    for (let k = 0; k < 40; k++) for (const f of drawFaults(s, 1, k)) expect(f.target).not.toBe('driver');
  });

  it('counts the faulted driver stopping as expected, and only then', () => {
    const stop = [{ time_ns: 1, thread: 'ethernet_driver', kind: 'vm-fault', detail: 'load from 0x0' }];
    expect(verdict(doc(stop), new Set(['driver']))).toBeNull();
    expect(verdict(doc(stop), new Set(['guest0']))).toMatch(/ethernet_driver stopped/);
    const vmStop = [{ time_ns: 1, thread: 'ethernet_driver_vmm_vcpu', kind: 'guest-panic', detail: 'panic' }];
    expect(verdict(doc(vmStop), new Set(['driver']))).toBeNull();
    expect(verdict(doc(vmStop), new Set(['guest0']))).toMatch(/ethernet_driver_vmm_vcpu stopped/);
  });
});
