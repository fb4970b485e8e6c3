import { describe, expect, it } from 'vitest';
import { buildSimulation } from '../../src/scenario/build.js';
import { driverVmSim, scenario } from './driver_vm_rig.js';

describe('a compromised driver VM', () => {
  it('cannot make the NIC write or read outside its windows: the IOMMU blocks and records it, client memory stays as it was', () => {
    const sim = driverVmSim('5Mbps', 'faults:\n  - { at: 40ms, kind: dma-escape, target: driver }\n');
    const clientRegions = sim.board.memory.regions.filter((r) =>
      /^net\/(rx|tx)\/data\/client\/|^guest\/|^net\/rx\/virt_metadata/.test(r.name),
    );
    expect(clientRegions.length).toBeGreaterThanOrEqual(5);
    sim.board.run(39e6);
    expect(sim.board.nicIommu.blockedCount).toBe(0);
    // Let the attack happen and the frames already past the NIC drain through the clients.
    sim.board.run(45e6);
    const victims = sim.driverVm!.victims;
    for (const r of clientRegions) expect(victims).toContain(r.paddr);
    const snapshot = clientRegions.map((r) => r.bytes.slice());
    const blocked = sim.board.nicIommu.blockedCount;
    const nic = { ...sim.board.nic.counters };
    sim.board.run(90e6);
    // Frames kept arriving and every DMA into a victim was refused.
    expect(sim.board.nic.counters.rxDropDmaBlocked).toBeGreaterThan(nic.rxDropDmaBlocked + 10);
    expect(sim.board.nicIommu.blockedCount).toBeGreaterThan(blocked);
    expect(sim.board.nic.counters.rxFrames).toBe(nic.rxFrames);
    for (const b of sim.board.nicIommu.blocked) {
      expect(victims.some((v) => b.ioaddr >= v && b.ioaddr < v + 2048)).toBe(true);
    }
    clientRegions.forEach((r, i) => {
      expect(Buffer.from(r.bytes).equals(Buffer.from(snapshot[i]!)), r.name).toBe(true);
    });
  });

  it('is refused as a fault against anything but a driver VM', () => {
    expect(() =>
      scenario(`name: x
clients: [{ name: n0, kind: native }]
faults: [{ at: 10ms, kind: dma-escape, target: driver }]
`),
    ).toThrow(/needs target 'driver' and driver.kind vm/);
    const crashNative = scenario(`name: x
clients: [{ name: n0, kind: native }]
faults: [{ at: 10ms, kind: driver-crash, target: driver }]
`);
    // A crash, unlike dma-escape, applies to the native driver too: its monitor restarts it.
    expect(buildSimulation(crashNative).driverMonitor).toBeDefined();
  });
});
