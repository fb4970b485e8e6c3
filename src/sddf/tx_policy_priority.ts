import { drainClient, type TxPolicy, type TxPort } from './tx_policy.js';

/**
 * Strict priority: the client with the highest priority is drained first (seL4's order: a larger
 * number is more important), ties by index; a client is looked at only when every client above it
 * is asleep or throttled. With a driver bound, a busy high-priority client can starve the rest:
 * that is what strict priority means.
 */
export class PriorityPolicy implements TxPolicy {
  readonly name = 'priority';
  /** Client indices, most important first. */
  readonly order: Int32Array;

  constructor(priorities: readonly number[]) {
    const idx = priorities.map((_, i) => i);
    idx.sort((a, b) => priorities[b]! - priorities[a]! || a - b);
    this.order = Int32Array.from(idx);
  }

  provide(port: TxPort): void {
    const order = this.order;
    for (let k = 0; k < order.length; k++) drainClient(port, order[k]!);
  }
}
