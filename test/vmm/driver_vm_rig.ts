import type { GuestSoftware, VirtualCpu } from '../../src/board/vcpu.js';
import { buildSimulation, type Simulation } from '../../src/scenario/build.js';
import { loadScenarioText } from '../../src/scenario/load.js';
import type { Scenario } from '../../src/scenario/schema.js';

export function scenario(text: string): Scenario {
  const r = loadScenarioText(text, 'test.yaml');
  if (!r.ok) throw new Error(r.problems.map((p) => `${p.path}: ${p.message}`).join('; '));
  return r.scenario;
}

/** A driver-VM system with one native echo client and one guest, `rate` each, optional faults. */
export function driverVmSim(rate: string, faults = '', extra = ''): Simulation {
  return buildSimulation(
    scenario(`name: driver-vm
duration: 100ms
warmup: 20ms
driver: { kind: vm }
clients:
  - { name: n0, kind: native, app: echo }
  - { name: g0, kind: vm, app: echo }
load:
  - { to: n0, rate: ${rate} }
  - { to: g0, rate: ${rate} }
${faults}${extra}`),
  );
}

/** Guest software that runs its current `step` in each timer batch (it takes over a booted vCPU). */
export class ScriptGuest implements GuestSoftware {
  readonly cpu: VirtualCpu;
  step: (cpu: VirtualCpu) => void = () => {};
  readonly irqs: number[] = [];
  constructor(cpu: VirtualCpu) {
    this.cpu = cpu;
  }
  boot(): void {}
  irq(n: number): void {
    this.irqs.push(n);
  }
  timer(): void {
    this.step(this.cpu);
  }
}
