import { FixedOrderPolicy, type TxPolicy } from './tx_policy.js';
import { DRR_BASE_QUANTUM, DrrPolicy } from './tx_policy_drr.js';
import { PriorityPolicy } from './tx_policy_priority.js';
import { RoundRobinPolicy } from './tx_policy_round_robin.js';

export const TX_POLICY_NAMES = ['fixed-order', 'round-robin', 'drr', 'priority'] as const;
export type TxPolicyName = (typeof TX_POLICY_NAMES)[number];

/** What a policy may know about a client. */
export interface TxPolicyClient {
  /** DRR share (relative). */
  weight: number;
  /** Strict-priority rank: larger goes first. */
  priority: number;
}

/**
 * Default bound on buffers outstanding at the driver under a fairness policy. A policy can only
 * choose among buffers virt_tx still holds: with no bound (sDDF mainline) every buffer moves into
 * the driver's FIFO at once and the order is whatever the clients' arrival was. The bound must
 * still keep the line busy between virt_tx's refills. Those come with TX completions, which the
 * driver handles at most once per budget period (100 us of every 400 us) after the NIC's coalesced
 * interrupt (128 frames or ~130 us at 1 Gb/s): a gap of about 530 us, 43 full-size frames at
 * 81 kframes/s. 64 covers it with margin and adds at most 64 x 12.3 us = 0.8 ms of queueing ahead of
 * a newly arriving client's first frame. docs/fairness.md has the trade-off.
 */
export const FAIR_TX_OUTSTANDING = 64;

/** Builds a policy by its scenario name (`virt.tx_policy`). */
export function makeTxPolicy(
  name: TxPolicyName,
  clients: readonly TxPolicyClient[],
  quantum: number = DRR_BASE_QUANTUM,
): TxPolicy {
  switch (name) {
    case 'fixed-order':
      return new FixedOrderPolicy();
    case 'round-robin':
      return new RoundRobinPolicy();
    case 'drr':
      return new DrrPolicy(
        clients.map((c) => c.weight),
        quantum,
      );
    case 'priority':
      return new PriorityPolicy(clients.map((c) => c.priority));
  }
}

/** The bound a policy runs with unless the scenario sets `virt.tx_outstanding`. */
export function defaultTxOutstanding(name: TxPolicyName): number {
  return name === 'fixed-order' ? Number.POSITIVE_INFINITY : FAIR_TX_OUTSTANDING;
}
