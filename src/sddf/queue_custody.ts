import { NET_BUFF_DESC_BYTES, NET_QUEUE_LAYOUT } from './net_queue.js';

/**
 * Which buffers a driver holds, from the queue bytes alone. Used when a driver died and its own
 * state cannot be trusted: by a driver VM's VMM (src/vmm/driver_vm_reclaim.ts), by a restarted
 * native driver (eth_driver_restart.ts) and by the invariant checker while the driver is down.
 *
 * Both sides of an sDDF queue are free-running u16 indices, so:
 *
 *   held = (entries the driver side consumed) - (entries it produced back)      (mod 2^16)
 *
 * and, because a driver takes and returns buffers in order (FIFO: the hardware rings are walked in
 * order), the ones it still holds are the last `held` it consumed: the descriptors in slots
 * [head - held, head) of the queue it consumes. Those slots are intact: the producer can only
 * overwrite slot `head - held` after enqueuing `capacity` entries beyond it, which needs more
 * buffers than exist while `held` of them are away (capacity >= buffers, as sdfgen sizes every
 * queue).
 *
 * Nothing read here is trusted: a count above the capacity is a violation and yields nothing, and
 * callers check each recovered address.
 */

/** A queue in shared memory: the view of its region and the byte offset of net_queue_t. */
export interface QueueBytes {
  view: DataView;
  off: number;
  capacity: number;
}

export function queueHead(q: QueueBytes): number {
  return q.view.getUint16(q.off + NET_QUEUE_LAYOUT.head, true);
}

export function queueTail(q: QueueBytes): number {
  return q.view.getUint16(q.off + NET_QUEUE_LAYOUT.tail, true);
}

/** io_or_offset of the descriptor in the slot of free-running index `index`. */
export function queueSlotIo(q: QueueBytes, index: number): number {
  const slot = index & 0xffff & (q.capacity - 1);
  const d = q.off + NET_QUEUE_LAYOUT.buffers + slot * NET_BUFF_DESC_BYTES + NET_QUEUE_LAYOUT.descIoOrOffset;
  return q.view.getUint32(d + 4, true) * 2 ** 32 + q.view.getUint32(d, true);
}

/** Whether `io` is one of the descriptors in [head, tail) of `q` (bounded by the capacity). */
export function queueHolds(q: QueueBytes, io: number): boolean {
  const head = queueHead(q);
  const len = Math.min((queueTail(q) - head) & 0xffff, q.capacity);
  for (let k = 0; k < len; k++) if (queueSlotIo(q, head + k) === io) return true;
  return false;
}

/**
 * The buffers the driver side holds from queue `consumed` (it dequeues there), given how many
 * entries it consumed and produced since the queues were empty (both mod 2^16). Returns their
 * IO addresses, newest first, or null when the count is impossible (a violation).
 */
export function heldBuffers(
  consumed: QueueBytes,
  consumedCount: number,
  producedCount: number,
): number[] | null {
  const held = (consumedCount - producedCount) & 0xffff;
  if (held > consumed.capacity) return null;
  const head = queueHead(consumed);
  const out: number[] = [];
  for (let k = 1; k <= held; k++) out.push(queueSlotIo(consumed, head - k));
  return out;
}
