import { DRV_FAILED, DRV_UP } from '../guest/virtio_net_driver.js';
import { netFeatureNames, statusNames } from '../virtio/names.js';
import type { GuestVm } from '../compose/guest_vm.js';
import type { VirtioResult } from '../report/result.js';

/** The `virtio` entry of a vm client; null before the VMM exists (never, after a build). */
export function virtioResult(vm: GuestVm): VirtioResult | null {
  const vmm = vm.vmm;
  if (vmm === null) return null;
  const dev = vmm.mmio;
  const net = vmm.net;
  const f = dev.negotiatedFeatures;
  const m = dev.counters;
  const reg: Record<string, number> = {};
  const put = (k: string, v: number): void => {
    if (v !== 0) reg[k] = v;
  };
  put('status_sequence', m.statusViolation);
  put('feature_window', m.featureViolation);
  put('features_refused', m.featuresRefused);
  put('queue_register', m.queueViolation);
  put('notify_not_live', m.notifyDropped);
  put('read_only_write', m.readOnlyWrite);
  put('write_only_read', m.writeOnlyRead);
  put('unknown_offset', m.unknownOffset);
  put('config_write', net.counters.configWrites);
  const out: VirtioResult = {
    status: statusNames(dev.status),
    features: netFeatureNames(f.lo, f.hi),
    queue_sizes: dev.queues.map((q) => q.num),
    violations: { rx: net.rxq.counters.violationsByReason(), tx: net.txq.counters.violationsByReason() },
    register_violations: reg,
    needs_reset: net.counters.needsReset,
    resets: net.counters.resets,
  };
  const linux = vm.linux;
  if (linux !== null) {
    const drv = linux.driver;
    out.guest_driver = {
      state:
        drv === null ? 'down' : drv.state === DRV_UP ? 'up' : drv.state === DRV_FAILED ? 'failed' : 'down',
      probes: linux.probes,
      probe_failures: linux.probeFailures,
      last_failure: drv?.lastFailure ?? null,
    };
  }
  return out;
}
