/**
 * How virt_tx chooses which client's buffers go to the driver next. A policy only
 * decides order and amounts; validation, cache cleaning and translation stay in
 * virt_tx, so every policy forwards exactly the same bytes.
 */
export interface TxPort {
  readonly numClients: number;
  /** Forwards one buffer of client i if it has one; true if one was taken off its queue. */
  forwardOne(client: number): boolean;
  clientEmpty(client: number): boolean;
  /** The sDDF event-registering step for client i's active queue: request, re-check, cancel. */
  sleepOrRecheck(client: number): boolean;
  /** Room left under virt_tx's bound on buffers outstanding at the driver. */
  driverRoom(): number;
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
    for (let i = 0; i < port.numClients; i++) {
      let reprocess = true;
      while (reprocess) {
        while (port.driverRoom() > 0 && port.forwardOne(i)) {}
        reprocess = port.driverRoom() > 0 && port.sleepOrRecheck(i);
      }
    }
  }
}
