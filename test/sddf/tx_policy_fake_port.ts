// A TxPort over plain arrays, standing in for virt_tx in the policy tests: client queues of buffer
// lengths, the consumer_signalled flag of each client's active queue, a driver bound, and rate
// limits modelled as "held back until time T".
import type { TxPort } from '../../src/sddf/tx_policy.js';

export class FakePort implements TxPort {
  readonly queues: number[][];
  /** consumer_signalled == 0 on client i's active queue: it will notify on its next enqueue. */
  readonly wantsSignal: boolean[];
  /** Client i's rate limit holds its head buffer while now < heldUntil[i]. */
  readonly heldUntil: number[];
  now = 0;
  room: number;
  /** The earliest wake-up virt_tx's timer would deliver (Infinity: none armed). */
  timerAt = Number.POSITIVE_INFINITY;
  readonly forwarded: { client: number; len: number }[] = [];
  /** Buffers with length 0 (invalid: virt_tx hands them back), per client. */
  readonly rejected: number[];

  constructor(queues: number[][], room = Number.POSITIVE_INFINITY) {
    this.queues = queues.map((q) => [...q]);
    this.wantsSignal = queues.map(() => false);
    this.heldUntil = queues.map(() => Number.NEGATIVE_INFINITY);
    this.rejected = queues.map(() => 0);
    this.room = room;
  }

  get numClients(): number {
    return this.queues.length;
  }

  private held(i: number): boolean {
    return this.queues[i]!.length > 0 && this.queues[i]![0]! > 0 && this.now < this.heldUntil[i]!;
  }

  forwardOne(i: number): boolean {
    const q = this.queues[i]!;
    if (q.length === 0) return false;
    if (this.held(i)) {
      this.timerAt = Math.min(this.timerAt, this.heldUntil[i]!);
      return false;
    }
    const len = q.shift()!;
    if (len === 0) {
      this.rejected[i]!++;
      return true;
    }
    this.room--;
    this.forwarded.push({ client: i, len });
    return true;
  }

  clientEmpty(i: number): boolean {
    return this.queues[i]!.length === 0;
  }

  peekLen(i: number): number {
    const q = this.queues[i]!;
    return q.length === 0 ? -1 : q[0]!;
  }

  clientThrottled(i: number): boolean {
    if (!this.held(i)) return false;
    this.timerAt = Math.min(this.timerAt, this.heldUntil[i]!);
    return true;
  }

  sleepOrRecheck(i: number): boolean {
    this.wantsSignal[i] = true;
    if (this.queues[i]!.length > 0) {
      this.wantsSignal[i] = false;
      return true;
    }
    return false;
  }

  driverRoom(): number {
    return this.room;
  }

  clientQuiet(i: number): boolean {
    return this.queues[i]!.length === 0 && this.wantsSignal[i]!;
  }

  /** A client enqueues; true if it notifies virt_tx (the sDDF producer rule). */
  enqueue(i: number, lens: readonly number[]): boolean {
    this.queues[i]!.push(...lens);
    if (lens.length > 0 && this.wantsSignal[i]) {
      this.wantsSignal[i] = false;
      return true;
    }
    return false;
  }

  /**
   * What the contract of TxPolicy.provide promises (tx_policy.ts): every client is asleep with its
   * signal requested, or held by its limit with a timer armed, or the driver bound is reached.
   * Returns the clients that break it.
   */
  strandedClients(): number[] {
    if (this.room <= 0) return [];
    const out: number[] = [];
    for (let i = 0; i < this.numClients; i++) {
      const asleep = this.queues[i]!.length === 0 && this.wantsSignal[i];
      const waiting = this.held(i) && this.timerAt <= this.heldUntil[i]!;
      if (!asleep && !waiting) out.push(i);
    }
    return out;
  }
}
