import { describe, expect, it } from 'vitest';
import { runIpbenchPoint } from '../../src/ipbench/sweep.js';
import { buildSimulation } from '../../src/scenario/build.js';
import { loadScenarioText } from '../../src/scenario/load.js';
import { runSimulation } from '../../src/scenario/run.js';
import type { Scenario } from '../../src/scenario/schema.js';
import { type DriverVmResult, DriverVmResultObserver } from '../../src/compose/driver_vm_report.js';

function scenario(text: string): Scenario {
  const r = loadScenarioText(text, 'test.yaml');
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('; '));
  return r.scenario;
}

/** The default scenario's shape (guests on their own cores, echo) plus a native client, at low load. */
function mixed(driver: 'native' | 'vm'): Scenario {
  return scenario(`name: driver-vm-mixed
duration: 60ms
warmup: 20ms
board: { cores: 4 }
driver: { kind: ${driver} }
clients:
  - { name: guest0, kind: vm, app: echo, core: 1 }
  - { name: guest1, kind: vm, app: echo, core: 2 }
  - { name: native0, kind: native, app: echo, core: 3 }
load:
  - { to: guest0, rate: 4Mbps }
  - { to: guest1, rate: 4Mbps }
  - { to: native0, rate: 4Mbps }
`);
}

describe('a scenario with driver.kind vm', () => {
  it('echoes every client’s traffic byte for byte, as the native driver does, and reports the driver VM’s CPU', () => {
    const sim = buildSimulation(mixed('vm'));
    const doc = runSimulation(sim, { observers: [new DriverVmResultObserver()] }) as ReturnType<
      typeof runSimulation
    > & { driver_vm?: DriverVmResult };
    for (const l of doc.load) {
      expect(Math.abs(l.achieved_mbps - 4) / 4).toBeLessThan(0.05);
      expect(l.lost).toBe(0);
    }
    // Echoes come back intact: any flipped byte would fail the generator's UDP checksum.
    expect(sim.generator!.results().malformed).toBe(0);
    expect(doc.coherence).toEqual([]);
    expect(doc.faults).toEqual([]);
    const names = doc.pds.map((p) => p.name);
    expect(names).toContain('ethernet_driver_vmm');
    expect(names).toContain('ethernet_driver_vmm_vcpu');
    expect(names).not.toContain('ethernet_driver');
    const dv = doc.driver_vm!;
    expect(dv.vcpu_cpu).toBeGreaterThan(0.1);
    expect(dv.guest_user_cpu).toBeGreaterThan(dv.guest_kernel_cpu);
    // The vCPU's time is the guest kernel's, the bridge's and the seL4 kernel's on its behalf.
    expect(dv.guest_kernel_cpu + dv.guest_user_cpu + dv.sel4_cpu).toBeCloseTo(dv.vcpu_cpu, 2);
    expect(dv.vm_exits.rx_doorbell).toBeGreaterThan(0);
    expect(dv.vm_exits.tx_doorbell).toBeGreaterThan(0);
    expect(dv.vm_exits.maintenance).toBe(dv.virqs.nic);
    expect(dv.vm_exits.unhandled).toBe(0);
    expect(dv.iommu_blocked).toBe(0);

    const native = runSimulation(buildSimulation(mixed('native')));
    for (const l of native.load) expect(Math.abs(l.achieved_mbps - 4) / 4).toBeLessThan(0.05);
    const drv = native.pds.find((p) => p.name === 'ethernet_driver')!;
    // The same traffic costs the driver VM an order of magnitude more than the native driver.
    expect(dv.vcpu_cpu + dv.vmm_cpu).toBeGreaterThan(10 * drv.cpu_util);
  });

  it('gives an ipbench point with the driver VM that saturates far below the native driver', () => {
    const base = {
      system: 'sddf-5pd' as const,
      payload: 1472,
      cores: 1,
      durationNs: 60e6,
      warmupNs: 20e6,
      seed: 1,
      smp: false,
      smpBarriers: false,
      streams: 4,
    };
    const low = runIpbenchPoint({ ...base, requestedBps: 10e6, driver: 'vm' });
    const native = runIpbenchPoint({ ...base, requestedBps: 10e6 });
    expect(Math.abs(low.achieved_mbps - 10)).toBeLessThan(0.5);
    expect(Math.abs(native.achieved_mbps - 10)).toBeLessThan(0.5);
    expect(low.cpu).toBeGreaterThan(10 * native.cpu);
    const high = runIpbenchPoint({ ...base, requestedBps: 100e6, driver: 'vm' });
    expect(high.cpu).toBeGreaterThan(0.95);
    expect(high.achieved_mbps).toBeLessThan(50);
    expect(high.achieved_mbps).toBeGreaterThan(15);
  });

  it('is refused with the Linux baseline, which has its own driver', () => {
    expect(() =>
      scenario(`name: x
system: linux
driver: { kind: vm }
clients: [{ name: n0, kind: native, app: echo }]
`),
    ).toThrow(/driver.kind vm needs an sDDF system/);
  });
});
