import { PERM_R, PERM_W } from '../board/address_space.js';
import type { ProtectionDomain } from '../board/pd.js';
import type { QueueConn } from './config.js';
import { NetQueueHandle, netQueueBytes } from './net_queue.js';

/**
 * Opens a queue pair the way C code holds pointers into its mapped queue regions:
 * both queues must lie inside read-write mappings of this PD, checked once here
 * (a bad configuration faults the PD at init, like a bad pointer would).
 */
export function openQueue(pd: ProtectionDomain, conn: QueueConn): NetQueueHandle {
  const bytes = netQueueBytes(conn.capacity);
  const f = pd.as.resolve(conn.freeVaddr, bytes, PERM_R | PERM_W);
  const a = pd.as.resolve(conn.activeVaddr, bytes, PERM_R | PERM_W);
  return new NetQueueHandle(
    f.region.view,
    conn.freeVaddr - f.vaddr + f.regionOffset,
    a.region.view,
    conn.activeVaddr - a.vaddr + a.regionOffset,
    conn.capacity,
  );
}
