import type { TxPolicy, TxPort } from './tx_policy.js';

/** Base DRR quantum: one maximum-size Ethernet frame (no FCS), so weight 1 sends a frame a turn. */
export const DRR_BASE_QUANTUM = 1514;

/**
 * Deficit round robin (Shreedhar and Varghese, 1995) over the clients' TX queues, in bytes of
 * frame. Each turn a backlogged client's deficit grows by its quantum (base quantum x weight) and
 * it sends head buffers while the head fits in its deficit. A client whose queue empties, or whose
 * rate limit holds it, leaves with no credit (classic DRR resets an idle flow's deficit; carrying
 * credit over a throttled spell would let it burst past the other clients afterwards).
 *
 * The active list is the clients in index order; empty ones are skipped. A turn may be cut short
 * by the driver bound: the next call resumes the same client without a second quantum, so the
 * shares do not depend on where the bound falls.
 */
export class DrrPolicy implements TxPolicy {
  readonly name = 'drr';
  readonly quantum: Float64Array;
  readonly deficit: Float64Array;
  private cur = 0;
  /** Whether client `cur` has had its quantum for the turn in progress. */
  private inTurn = false;

  constructor(weights: readonly number[], baseQuantum = DRR_BASE_QUANTUM) {
    if (!(baseQuantum > 0 && Number.isFinite(baseQuantum)))
      throw new Error(
        `Cannot create a DRR policy: quantum ${baseQuantum} must be a positive number of bytes`,
      );
    for (const w of weights) {
      if (!(w > 0 && Number.isFinite(w)))
        throw new Error(`Cannot create a DRR policy: weight ${w} must be positive and finite`);
    }
    this.quantum = Float64Array.from(weights, (w) => w * baseQuantum);
    this.deficit = new Float64Array(weights.length);
  }

  provide(port: TxPort): void {
    const n = port.numClients;
    if (this.cur >= n) this.cur = 0;
    // Clients visited in a row that are asleep or throttled; a whole circle of them ends the call.
    let idle = 0;
    while (idle < n && port.driverRoom() > 0) {
      const i = this.cur;
      if (!this.inTurn) {
        if (port.peekLen(i) < 0) {
          this.deficit[i] = 0;
          if (port.sleepOrRecheck(i)) idle = 0;
          else {
            idle++;
            this.advance(n);
          }
          continue;
        }
        if (port.clientThrottled(i)) {
          this.deficit[i] = 0;
          idle++;
          this.advance(n);
          continue;
        }
        this.deficit[i]! += this.quantum[i]!;
        this.inTurn = true;
      }
      // The turn: head buffers while they fit. Only a driver bound leaves it unfinished.
      let backlogged = true;
      for (;;) {
        if (port.driverRoom() <= 0) return;
        const len = port.peekLen(i);
        if (len < 0) {
          this.deficit[i] = 0;
          if (port.sleepOrRecheck(i)) continue;
          backlogged = false;
          break;
        }
        if (len > this.deficit[i]!) break;
        if (!port.forwardOne(i)) {
          // Held by its rate limit (virt_tx has armed its timer).
          this.deficit[i] = 0;
          backlogged = false;
          break;
        }
        this.deficit[i]! -= len;
      }
      this.inTurn = false;
      this.advance(n);
      idle = backlogged ? 0 : idle + 1;
    }
  }

  private advance(n: number): void {
    this.cur = this.cur + 1 === n ? 0 : this.cur + 1;
  }
}
