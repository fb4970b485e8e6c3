/**
 * Finding the buffers a dead driver VM held, from the queue bytes alone (the guest's own state is
 * gone, and was never trusted). The arithmetic (consumed minus produced, FIFO order, intact slots)
 * is shared with the native driver's restart and lives in src/sddf/queue_custody.ts; the VMM
 * corrects the counts for the buffers it takes and returns itself (driver_vm_vmm.ts).
 */
export {
  heldBuffers,
  type QueueBytes,
  queueHead,
  queueHolds,
  queueSlotIo,
  queueTail,
} from '../sddf/queue_custody.js';
