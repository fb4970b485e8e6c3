import { describe, expect, it } from 'vitest';
import { ENET_IRQ } from '../../src/board/board.js';
import { T_STOPPED } from '../../src/board/thread.js';
import type { VirtualCpu } from '../../src/board/vcpu.js';
import { GuestGic } from '../../src/guest/gic.js';
import { buildSimulation, type Simulation } from '../../src/scenario/build.js';
import { runSimulation } from '../../src/scenario/run.js';
import { RX_DOORBELL_GPA, TX_DOORBELL_GPA, UIO_TX_VIRQ } from '../../src/vmm/driver_vm_vmm.js';
import { driverVmSim, ScriptGuest, scenario } from './driver_vm_rig.js';

function oneClient(
  kind: 'native' | 'vm',
  client = '{ name: n0, kind: native, app: echo }',
  load = '',
): Simulation {
  return buildSimulation(
    scenario(`name: one
duration: 60ms
warmup: 20ms
driver: { kind: ${kind} }
clients:
  - ${client}
${load}`),
  );
}

/** Runs `step` in the driver VM's vCPU now, as a script guest (installed on first use). */
function script(sim: Simulation, step: (cpu: VirtualCpu) => void): ScriptGuest {
  const vcpu = sim.driverVm!.vcpu!;
  let g = vcpu.guest;
  if (!(g instanceof ScriptGuest)) {
    g = new ScriptGuest(vcpu);
    vcpu.guest = g;
  }
  (g as ScriptGuest).step = step;
  sim.board.kernel.vcpuSetTimer(vcpu, sim.board.engine.now);
  return g as ScriptGuest;
}

function windows(sim: Simulation): string[] {
  return sim.board.nicIommu.windows.map((w) => `${w.region.name}:${w.perms}`).sort();
}

describe('the driver VM in the driver slot', () => {
  it('leaves the IOMMU windows as the native system has them: rings, RX DMA region, client TX regions', () => {
    const native = oneClient('native');
    const vm = oneClient('vm');
    expect(windows(vm)).toEqual(windows(native));
    for (const w of vm.board.nicIommu.windows) expect(w.region.name).not.toMatch(/^driver_vm|^guest/);
    expect(vm.pds.map((p) => p.name)).toContain('ethernet_driver_vmm_vcpu');
    expect(vm.net!.driver.name).toBe('ethernet_driver_vmm');
  });

  it('lends the guest kernel a page pool from the RX DMA region, and its probe waits for it', () => {
    const sim = oneClient('vm');
    sim.board.run(5e6);
    const dvm = sim.driverVm!;
    const pool = dvm.vmm!.poolLedger();
    expect(pool).toHaveLength(dvm.poolBuffers);
    const rx = sim.net!.rxDma;
    for (const io of pool) {
      expect(io).toBeGreaterThanOrEqual(rx.paddr);
      expect(io).toBeLessThan(rx.paddr + rx.size);
    }
    expect(new Set(pool).size).toBe(pool.length);
    expect(dvm.guest!.enet?.up).toBe(true);
    expect(dvm.guest!.enet!.poolIo).toHaveLength(pool.length);
    // sDDF keeps its own 512 buffers: the composition doubled the region for the pool.
    expect(rx.size / 2048).toBe(1024);
  });

  it('turns a store to the RX doorbell page into a notification of virt_rx, and the TX page into one of virt_tx', () => {
    const sim = oneClient('vm');
    sim.board.run(5e6);
    const log: string[] = [];
    const vrx = sim.net!.virtRx!;
    const vtx = sim.net!.virtTx!;
    const rxNotified = vrx.notified.bind(vrx);
    const txNotified = vtx.notified.bind(vtx);
    vrx.notified = (ch) => {
      log.push('virt_rx');
      rxNotified(ch);
    };
    vtx.notified = (ch) => {
      log.push('virt_tx');
      txNotified(ch);
    };
    script(sim, (cpu) => cpu.as.write(RX_DOORBELL_GPA, 4, 0));
    sim.board.run(6e6);
    expect(log).toEqual(['virt_rx']);
    script(sim, (cpu) => cpu.as.write(TX_DOORBELL_GPA + 8, 4, 0));
    sim.board.run(7e6);
    expect(log).toEqual(['virt_rx', 'virt_tx']);
    const k = sim.driverVm!.vmm!.counters;
    expect(k.exitsRxDoorbell).toBeGreaterThanOrEqual(1);
    expect(k.exitsTxDoorbell).toBeGreaterThanOrEqual(1);
    expect(sim.driverVm!.vcpu!.state).not.toBe(T_STOPPED);
  });

  it('forwards each ENET interrupt once and acks the real one only when the guest deactivates the vIRQ', () => {
    const sim = oneClient('vm', undefined, 'load:\n  - { to: n0, rate: 5Mbps }\n');
    sim.board.run(30e6);
    const vmm = sim.driverVm!.vmm!;
    const kernel = sim.board.kernel;
    // With the real guest: every real IRQ was injected, and every injection deactivated.
    expect(kernel.irqRaisedCount(ENET_IRQ)).toBe(vmm.counters.virqNic);
    expect(vmm.counters.exitsMaintenance).toBe(vmm.counters.virqNic);
    // A guest that takes the interrupt but never deactivates it: the real IRQ stays masked.
    const g = script(sim, () => {});
    sim.board.run(40e6);
    const raised = kernel.irqRaisedCount(ENET_IRQ);
    expect(g.irqs.filter((n) => n === ENET_IRQ)).toHaveLength(1);
    sim.board.run(50e6);
    expect(kernel.irqRaisedCount(ENET_IRQ)).toBe(raised);
    // Its deactivation acks the IRQ; the ENET's events are still pending, so it comes again.
    script(sim, (cpu) => new GuestGic(cpu).deactivate(ENET_IRQ));
    sim.board.run(51e6);
    expect(kernel.irqRaisedCount(ENET_IRQ)).toBe(raised + 1);
    expect(g.irqs.filter((n) => n === ENET_IRQ)).toHaveLength(2);
  });

  it('holds a UIO interrupt the guest has disabled and delivers it once when the guest enables it', () => {
    const sim = oneClient(
      'vm',
      '{ name: s0, kind: native, app: source, source: { rate: 10Mbps, payload: 1000 } }',
    );
    sim.board.run(20e6);
    const vmm = sim.driverVm!.vmm!;
    const g = script(sim, (cpu) => new GuestGic(cpu).disable(UIO_TX_VIRQ));
    const latched = vmm.counters.virqLatched;
    sim.board.run(25e6);
    expect(vmm.counters.virqLatched).toBeGreaterThan(latched);
    expect(g.irqs).not.toContain(UIO_TX_VIRQ);
    script(sim, (cpu) => new GuestGic(cpu).enable(UIO_TX_VIRQ));
    sim.board.run(25.01e6);
    expect(g.irqs.filter((n) => n === UIO_TX_VIRQ)).toHaveLength(1);
  });

  it('counts each UIO interrupt once at the bridge, which reads and re-arms it', () => {
    const sim = driverVmSim('5Mbps');
    runSimulation(sim);
    const uio = sim.driverVm!.guest!.uio;
    const tx = uio.devices[uio.open('sddf-net-tx')]!;
    const vmm = sim.driverVm!.vmm!;
    expect(tx.event).toBeGreaterThan(0);
    expect(tx.event).toBe(vmm.counters.virqTx);
    expect(tx.seen).toBe(tx.event);
    expect(tx.rearms).toBe(tx.reads + 1);
  });
});
