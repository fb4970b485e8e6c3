import type { NativeDriverResult } from '../report/result.js';
import type { DriverMonitor } from '../sddf/driver_monitor.js';

function ms(ns: number): number {
  return ns < 0 ? -1 : Math.round(ns / 1e3) / 1e3;
}

/** The result's `driver` section: what the native driver's monitor recorded of each outage. */
export function nativeDriverResult(m: DriverMonitor): NativeDriverResult {
  return {
    kind: 'native',
    recoveries: m.recoveries.map((r) => ({
      kind: r.kind,
      detail: r.detail,
      crash_ms: ms(r.crashNs),
      restart_ms: ms(r.restartNs),
      resume_ms: ms(r.firstRxNs),
      first_rx_ms: ms(r.firstRxNs),
      first_tx_ms: ms(r.firstTxNs),
      outage_ms: r.firstRxNs < 0 ? -1 : ms(r.firstRxNs - r.crashNs),
      recovery_ms: r.firstRxNs < 0 || r.restartNs < 0 ? -1 : ms(r.firstRxNs - r.restartNs),
      reclaimed_rx: r.reclaimedRx,
      reclaimed_tx: r.reclaimedTx,
      lost_in_ring: r.lostInRing,
      nic_drops: r.nicDropsAtResume < 0 ? -1 : r.nicDropsAtResume - r.nicDropsAtCrash,
      gave_up: r.gaveUp,
    })),
    reclaim_violations: m.driver.reclaimViolations,
  };
}
