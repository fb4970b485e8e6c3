import type { Board } from '../board/board.js';
import type { DriverVm } from './driver_vm.js';
import type { DriverVmmCounters } from '../vmm/driver_vm_vmm.js';

/** One recovery, as reported (times in ms of simulated time; -1 when it did not happen in the run). */
export interface DriverVmRecoveryResult {
  kind: 'crash' | 'reboot';
  detail: string;
  crash_ms: number;
  restart_ms: number;
  resume_ms: number;
  /** Crash to the first frame handed to virt_rx again. */
  outage_ms: number;
  /** Restart (vCPU boots) to that frame: re-initialising the device and the queues. */
  recovery_ms: number;
  reclaimed_rx: number;
  reclaimed_tx: number;
  pool_reclaimed: number;
  lost_in_ring: number;
  /** Frames the NIC dropped between the crash and the resumption. */
  nic_drops: number;
  /** The restart budget was spent: the VM was left down. */
  gave_up: boolean;
}

/**
 * Where the driver VM's CPU goes over the measurement window, as fractions of its core: the VMM PD,
 * the vCPU as a whole, and the vCPU split into the guest kernel, the bridge program and the seL4
 * kernel's work on its behalf (VM exits, context switches).
 */
export interface DriverVmResult {
  vmm_cpu: number;
  vcpu_cpu: number;
  guest_kernel_cpu: number;
  guest_user_cpu: number;
  sel4_cpu: number;
  vm_exit_cpu: number;
  vm_exits: {
    rx_doorbell: number;
    tx_doorbell: number;
    gicd: number;
    maintenance: number;
    psci: number;
    unhandled: number;
    total: number;
  };
  virqs: { nic: number; rx: number; tx: number; config: number; latched: number };
  recoveries: DriverVmRecoveryResult[];
  iommu_blocked: number;
  reclaim_violations: number;
}

function round4(x: number): number {
  return Math.round(x * 10000) / 10000;
}

function ms(ns: number): number {
  return ns < 0 ? -1 : Math.round(ns / 1e3) / 1e3;
}

function exits(k: DriverVmmCounters): DriverVmResult['vm_exits'] {
  const e = {
    rx_doorbell: k.exitsRxDoorbell,
    tx_doorbell: k.exitsTxDoorbell,
    gicd: k.exitsGicd,
    maintenance: k.exitsMaintenance,
    psci: k.exitsPsci,
    unhandled: k.exitsUnhandled,
    total: 0,
  };
  e.total = e.rx_doorbell + e.tx_doorbell + e.gicd + e.maintenance + e.psci + e.unhandled;
  return e;
}

/** The driver VM's section of a result, read after the run (the counters are window-gated). */
export function driverVmResult(dvm: DriverVm, board: Board): DriverVmResult | null {
  const vmm = dvm.vmm;
  const vcpu = dvm.vcpu;
  const guest = dvm.guest;
  if (vmm === null || vcpu === null || guest === null) return null;
  const kernel = board.kernel;
  const a = kernel.accounting(vmm.core);
  const total = a.windowEnd - a.windowStart;
  const frac = (cycles: number): number => (total > 0 ? round4(cycles / total) : 0);
  const wk = vmm.windowCounters;
  const e = exits(wk);
  return {
    vmm_cpu: frac((a.user[vmm.id] ?? 0) + (a.kernelFor[vmm.id] ?? 0)),
    vcpu_cpu: frac((a.user[vcpu.id] ?? 0) + (a.kernelFor[vcpu.id] ?? 0)),
    guest_kernel_cpu: frac(guest.split.kernelCycles),
    guest_user_cpu: frac(guest.split.userCycles),
    sel4_cpu: frac(a.kernelFor[vcpu.id] ?? 0),
    vm_exit_cpu: frac(e.total * kernel.costs.vm_exit),
    vm_exits: e,
    virqs: { nic: wk.virqNic, rx: wk.virqRx, tx: wk.virqTx, config: wk.virqConfig, latched: wk.virqLatched },
    recoveries: vmm.recoveries.map((r) => ({
      kind: r.kind,
      detail: r.detail,
      crash_ms: ms(r.crashNs),
      restart_ms: ms(r.restartNs),
      resume_ms: ms(r.resumeNs),
      outage_ms: r.resumeNs < 0 ? -1 : ms(r.resumeNs - r.crashNs),
      recovery_ms: r.resumeNs < 0 || r.restartNs < 0 ? -1 : ms(r.resumeNs - r.restartNs),
      reclaimed_rx: r.reclaimedRx,
      reclaimed_tx: r.reclaimedTx,
      pool_reclaimed: r.poolReclaimed,
      lost_in_ring: r.lostInRing,
      nic_drops: r.nicDropsAtResume < 0 ? -1 : r.nicDropsAtResume - r.nicDropsAtCrash,
      gave_up: r.gaveUp,
    })),
    iommu_blocked: board.nicIommu.blockedCount,
    reclaim_violations: vmm.counters.reclaimViolations,
  };
}

/**
 * A run observer (src/scenario/run.ts RunObserver) that adds `driver_vm` to the result document
 * of a run whose driver is a VM. Pass it in RunOptions.observers.
 */
export class DriverVmResultObserver {
  attach(_sim: unknown): void {}

  finish(sim: { driverVm?: DriverVm; board: Board }, doc: object): void {
    if (sim.driverVm === undefined) return;
    const r = driverVmResult(sim.driverVm, sim.board);
    if (r !== null) (doc as { driver_vm?: DriverVmResult }).driver_vm = r;
  }
}
