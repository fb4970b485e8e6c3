import type { TxPolicy, TxPort } from './tx_policy.js';

/**
 * Round robin: one buffer per backlogged client per turn, in index order. The turn pointer
 * survives between calls, so when the driver bound ends a call the next one resumes with the
 * client after the last one served, not with client 0.
 */
export class RoundRobinPolicy implements TxPolicy {
  readonly name = 'round-robin';
  private next = 0;

  provide(port: TxPort): void {
    const n = port.numClients;
    if (this.next >= n) this.next = 0;
    // Clients visited in a row that had nothing to give (asleep or throttled): a whole circle of
    // them means every client is asleep or waiting for its timer.
    let idle = 0;
    while (idle < n && port.driverRoom() > 0) {
      const i = this.next;
      this.next = i + 1 === n ? 0 : i + 1;
      if (port.forwardOne(i)) idle = 0;
      else if (port.clientThrottled(i) || !port.sleepOrRecheck(i)) idle++;
      // Filled again between the look and the request: it is served on its next turn.
      else idle = 0;
    }
  }
}
