/**
 * How virt_tx chooses which client's buffers go to the driver next. A policy only
 * decides order and amounts; validation, cache cleaning, translation and rate limits stay
 * in virt_tx, so every policy forwards exactly the same bytes.
 *
 * The contract every policy keeps, so that no client is left without a wake-up (the sDDF
 * signalling protocol, reference/sddf-net.md §1.4): when provide() returns, each client is
 * - asleep: its queue was found empty by sleepOrRecheck (which requested its signal), or
 * - throttled: its rate limit holds its head buffer and virt_tx has armed a timer for it, or
 * - waiting for room: provide() stopped because driverRoom() reached 0, so buffers are
 *   outstanding at the driver and their completions will notify virt_tx, which calls provide()
 *   again.
 * A policy therefore never stops while room is left and some client has an unthrottled buffer.
 */
export interface TxPort {
  readonly numClients: number;
  /**
   * Takes client i's head buffer if its rate limit allows: forwarded to the driver, or handed back
   * to the client when invalid. True if a buffer was taken off the queue.
   */
  forwardOne(client: number): boolean;
  clientEmpty(client: number): boolean;
  /**
   * Bytes client i's head buffer costs on the wire: -1 when its queue is empty, 0 when virt_tx will
   * hand it back as invalid (it never reaches the driver).
   */
  peekLen(client: number): number;
  /** True when client i has a buffer its rate limit holds back now (virt_tx arms a timer for it). */
  clientThrottled(client: number): boolean;
  /** The sDDF event-registering step for client i's active queue: request, re-check, cancel. */
  sleepOrRecheck(client: number): boolean;
  /** Room left under virt_tx's bound on buffers outstanding at the driver. */
  driverRoom(): number;
  /**
   * True when drainClient(i) would change nothing: client i's queue is empty with its signal
   * requested, and looking at the driver's room records nothing either.
   */
  clientQuiet(client: number): boolean;
}

export interface TxPolicy {
  readonly name: string;
  provide(port: TxPort): void;
}

/**
 * sDDF mainline (virt_tx.c tx_provide): clients in index order, each drained completely
 * (with the request / re-check loop) before the next is looked at.
 */
export class FixedOrderPolicy implements TxPolicy {
  readonly name = 'fixed-order';
  provide(port: TxPort): void {
    for (let i = 0; i < port.numClients; i++) drainClient(port, i);
  }
}

/**
 * Forwards client i's buffers until its queue is empty (then it sleeps), its rate limit holds
 * it, or the driver bound is reached: virt_tx.c's per-client loop with its double-check.
 */
export function drainClient(port: TxPort, i: number): void {
  // Passing over a quiet client only saves the simulator's time: with many clients most are quiet.
  if (port.clientQuiet(i)) return;
  let reprocess = true;
  while (reprocess) {
    while (port.driverRoom() > 0 && port.forwardOne(i)) {}
    reprocess = port.driverRoom() > 0 && !port.clientThrottled(i) && port.sleepOrRecheck(i);
  }
}
