import { describe, expect, it } from 'vitest';
import { T_STOPPED } from '../../src/board/thread.js';
import { NET_BUFF_DESC_BYTES, NET_QUEUE_LAYOUT, netQueueBytes } from '../../src/sddf/net_queue.js';
import { runSimulation } from '../../src/scenario/run.js';
import { heldBuffers, type QueueBytes } from '../../src/vmm/driver_vm_reclaim.js';
import {
  type DriverVmResult,
  DriverVmResultObserver,
  driverVmResult,
} from '../../src/compose/driver_vm_report.js';
import { auditBuffers } from './driver_vm_buffers.js';
import { driverVmSim } from './driver_vm_rig.js';

function echoed(sim: ReturnType<typeof driverVmSim>): number {
  return sim.generator!.results().streams.reduce((n, s) => n + s.receivedPayloadBytes, 0);
}

describe('a driver VM that crashes', () => {
  it('is restarted by its VMM: the outage is reported, the NIC counts what it dropped, traffic resumes', () => {
    const sim = driverVmSim('5Mbps', 'faults:\n  - { at: 60ms, kind: driver-crash, target: driver }\n');
    sim.board.run(59e6);
    const before = echoed(sim);
    expect(before).toBeGreaterThan(0);
    sim.board.run(65e6);
    const dvm = sim.driverVm!;
    expect(dvm.vcpu!.state).toBe(T_STOPPED);
    const during = echoed(sim);
    sim.board.run(110e6);
    expect(echoed(sim)).toBeGreaterThan(during);
    const r = driverVmResult(dvm, sim.board)!;
    expect(r.recoveries).toHaveLength(1);
    const rec = r.recoveries[0]!;
    expect(rec.kind).toBe('crash');
    expect(rec.crash_ms).toBeGreaterThanOrEqual(60);
    // Down for the 10 ms reboot, back once the rebooted guest re-initialised device and queues.
    expect(rec.restart_ms - rec.crash_ms).toBeGreaterThanOrEqual(10);
    expect(rec.outage_ms).toBeGreaterThan(10);
    expect(rec.outage_ms).toBeLessThan(20);
    expect(rec.recovery_ms).toBeGreaterThan(0);
    expect(rec.nic_drops).toBeGreaterThan(0);
    expect(sim.board.nic.counters.rxDropDisabled).toBe(rec.nic_drops);
    expect(rec.pool_reclaimed).toBe(dvm.poolBuffers);
    expect(dvm.guest!.boots).toBe(2);
    expect(sim.board.kernel.faultLog.map((f) => f.thread)).toEqual(['ethernet_driver_vmm_vcpu']);
    expect(auditBuffers(sim).problems).toEqual([]);
  });

  it('takes its outage from the fault duration and reports it in the run result', () => {
    const sim = driverVmSim(
      '5Mbps',
      'faults:\n  - { at: 40ms, kind: driver-crash, target: driver, duration: 25ms }\n',
    );
    const doc = runSimulation(sim, { observers: [new DriverVmResultObserver()] }) as {
      driver_vm?: DriverVmResult;
    };
    const rec = doc.driver_vm!.recoveries[0]!;
    expect(rec.restart_ms - rec.crash_ms).toBeGreaterThanOrEqual(25);
    expect(rec.outage_ms).toBeGreaterThan(25);
    expect(rec.outage_ms).toBeLessThan(35);
  });

  it('accounts for every RX and TX buffer before, during and after, a TX buffer held by a blocked sendto included', () => {
    const sim = driverVmSim('10Mbps');
    const dvm = sim.driverVm!;
    // A one-frame send buffer makes the bridge block in sendto holding an sDDF TX buffer.
    dvm.guest!.opts.socketSndFrames = 1;
    let t = 20e6;
    while (dvm.guest!.holdings().pendingTx < 0 && t < 100e6) {
      t += 0.05e6;
      sim.board.run(t);
    }
    const held = dvm.guest!.holdings().pendingTx;
    expect(held).toBeGreaterThanOrEqual(0);
    const a0 = auditBuffers(sim);
    expect(a0.problems).toEqual([]);
    expect(a0.where['bridge_pending']).toBe(1);
    expect(a0.where['pool_ledger']).toBe(dvm.poolBuffers);
    dvm.driverCrash();
    sim.board.run(t + 2e6);
    expect(dvm.vcpu!.state).toBe(T_STOPPED);
    const a1 = auditBuffers(sim);
    expect(a1.problems).toEqual([]);
    expect(a1.where['bridge_pending']).toBeUndefined();
    expect(dvm.vmm!.recoveries[0]!.reclaimedTx).toBe(1);
    sim.board.run(t + 40e6);
    expect(dvm.vcpu!.state).not.toBe(T_STOPPED);
    expect(auditBuffers(sim).problems).toEqual([]);
    expect(dvm.vmm!.recoveries[0]!.resumeNs).toBeGreaterThan(0);
    expect(dvm.vmm!.counters.reclaimViolations).toBe(0);
  });

  it('reboots through PSCI on driver-restart and comes back with every buffer', () => {
    const sim = driverVmSim('5Mbps', 'faults:\n  - { at: 50ms, kind: driver-restart, target: driver }\n');
    sim.board.run(100e6);
    const rec = sim.driverVm!.vmm!.recoveries;
    expect(rec).toHaveLength(1);
    expect(rec[0]!.kind).toBe('reboot');
    expect(rec[0]!.detail).toBe('PSCI SYSTEM_RESET');
    expect(rec[0]!.resumeNs).toBeGreaterThan(rec[0]!.restartNs);
    expect(sim.driverVm!.vmm!.counters.exitsPsci).toBe(1);
    expect(auditBuffers(sim).problems).toEqual([]);
  });
});

/** A queue of capacity `cap` whose consumer took `consumed` entries: buffer k is 0x1000 * (k + 1). */
function queue(cap: number, consumed: number): QueueBytes {
  const view = new DataView(new ArrayBuffer(netQueueBytes(cap)));
  for (let k = 0; k < consumed; k++) {
    const slot = k & (cap - 1);
    view.setUint32(NET_QUEUE_LAYOUT.buffers + slot * NET_BUFF_DESC_BYTES, 0x1000 * (k + 1), true);
  }
  view.setUint16(NET_QUEUE_LAYOUT.tail, consumed & 0xffff, true);
  view.setUint16(NET_QUEUE_LAYOUT.head, consumed & 0xffff, true);
  return { view, off: 0, capacity: cap };
}

describe('finding what a dead driver held from the queue bytes', () => {
  it('returns the last buffers it consumed and did not give back, newest first', () => {
    const q = queue(8, 13);
    expect(heldBuffers(q, 13, 10)).toEqual([0xd000, 0xc000, 0xb000]);
    expect(heldBuffers(q, 13, 13)).toEqual([]);
  });

  it('works across the wrap of the 16-bit indices', () => {
    const q = queue(8, 65538);
    expect(heldBuffers(q, 65538 & 0xffff, 65536 & 0xffff)).toEqual([0x1000 * 65538, 0x1000 * 65537]);
  });

  it('refuses a count larger than the queue could ever have handed out', () => {
    expect(heldBuffers(queue(8, 3), 20, 3)).toBeNull();
  });
});
