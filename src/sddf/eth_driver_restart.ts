import { PERM_R, PERM_W } from '../board/address_space.js';
import type { ProtectionDomain } from '../board/pd.js';
import { netQueueBytes } from './net_queue.js';
import { heldBuffers, type QueueBytes, queueHead, queueTail } from './queue_custody.js';

/**
 * What a restarted native ethernet driver finds it must account for, and the record of one
 * outage. The driver's own memory (ring indices, counters) belonged to the instance that died; a
 * restart trusts only the queue bytes it shares with virt_rx and virt_tx (queue_custody.ts), so a
 * buffer the dead instance had dequeued but not yet posted (in its hands) is found as well as the
 * ones in the hardware rings.
 */

/** One stop of the native driver and its restart; times in ns, -1 until they happen. */
export interface NativeDriverRecovery {
  /** 'crash': the driver faulted; 'restart': its monitor stopped it in order (driver-restart). */
  kind: 'crash' | 'restart';
  detail: string;
  /** The fault reached the monitor, or the monitor stopped the driver. */
  crashNs: number;
  /** The monitor restarted the PD (its init re-initialises the NIC and rings). */
  restartNs: number;
  /** First frame the restarted driver handed to virt_rx. */
  firstRxNs: number;
  /** First frame the restarted driver handed to the NIC for transmission. */
  firstTxNs: number;
  /** RX DMA buffers taken back from the dead instance (posted again in the new RX ring). */
  reclaimedRx: number;
  /** TX buffers taken back (returned to virt_tx as completed, not necessarily sent). */
  reclaimedTx: number;
  /** Frames the NIC had written into the RX ring that the dead instance never handed on. */
  lostInRing: number;
  /** NIC receive drops (no descriptor, disabled) when the driver stopped and when RX resumed. */
  nicDropsAtCrash: number;
  nicDropsAtResume: number;
  /** The monitor's restart budget was spent: the driver stays down (restartNs stays -1). */
  gaveUp: boolean;
}

export function newRecovery(
  kind: NativeDriverRecovery['kind'],
  detail: string,
  nowNs: number,
  nicDrops: number,
): NativeDriverRecovery {
  return {
    kind,
    detail,
    crashNs: nowNs,
    restartNs: -1,
    firstRxNs: -1,
    firstTxNs: -1,
    reclaimedRx: 0,
    reclaimedTx: 0,
    lostInRing: 0,
    nicDropsAtCrash: nicDrops,
    nicDropsAtResume: -1,
    gaveUp: false,
  };
}

/** A queue of `pd` at `vaddr` as raw bytes (the PD's own mapping; faults if it is not mapped). */
export function queueBytesOf(pd: ProtectionDomain, vaddr: number, capacity: number): QueueBytes {
  const m = pd.as.resolve(vaddr, netQueueBytes(capacity), PERM_R | PERM_W);
  return { view: m.region.view, off: vaddr - m.vaddr + m.regionOffset, capacity };
}

/** The driver's four queue ends: it consumes rx free and tx active, produces rx active and tx free. */
export interface DriverQueues {
  rxFree: QueueBytes;
  rxActive: QueueBytes;
  txActive: QueueBytes;
  txFree: QueueBytes;
}

export interface DriverCustody {
  /** RX buffers the driver held, oldest first (the order the dead instance posted them). */
  rx: number[];
  /** TX buffers the driver held, oldest first. */
  tx: number[];
  /** Impossible counts or repeated addresses (corrupt queues): counted, never thrown. */
  violations: number;
}

/**
 * Every buffer on the driver's side of its queues: RX = taken from rx free and not yet handed to
 * rx active; TX = taken from tx active and not yet returned on tx free. Oldest first, so a
 * restarted driver posting them in this order keeps its FIFO (and a second crash finds them the
 * same way). RX is bounded by the hardware ring: a healthy driver never holds more.
 * `txFreePrefilled`: entries a peer put on the TX free queue itself (DriverConfig.txFreePrefilled).
 */
export function driverCustody(q: DriverQueues, rxRingCapacity: number, txFreePrefilled = 0): DriverCustody {
  const out: DriverCustody = { rx: [], tx: [], violations: 0 };
  const rx = heldBuffers(q.rxFree, queueHead(q.rxFree), queueTail(q.rxActive));
  const tx = heldBuffers(q.txActive, queueHead(q.txActive), (queueTail(q.txFree) - txFreePrefilled) & 0xffff);
  out.rx = distinctOldestFirst(rx, out);
  out.tx = distinctOldestFirst(tx, out);
  if (out.rx.length > rxRingCapacity) {
    out.violations++;
    out.rx.length = rxRingCapacity;
  }
  return out;
}

function distinctOldestFirst(newestFirst: number[] | null, c: DriverCustody): number[] {
  if (newestFirst === null) {
    c.violations++;
    return [];
  }
  const seen = new Set<number>();
  const out: number[] = [];
  for (let k = newestFirst.length - 1; k >= 0; k--) {
    const io = newestFirst[k]!;
    if (seen.has(io)) {
      c.violations++;
      continue;
    }
    seen.add(io);
    out.push(io);
  }
  return out;
}
