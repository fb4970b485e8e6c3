// A two-party model of sDDF's signalling protocol on one queue (the active queue of a pair).
// Producer and consumer each own a handle over the same memory and advance one small step at a
// time, so a schedule (chosen by the test) interleaves them anywhere, as on two cores. A
// notification is Microkit's: a pending bit that wakes a sleeping consumer; several collapse into
// one.

import { NetBuffDesc, type NetQueueHandle } from '../../src/sddf/net_queue.js';

/** 'sddf' follows the protocol; 'no-recheck' is a broken consumer that sleeps right after requesting. */
export type ConsumerVariant = 'sddf' | 'no-recheck';

type ProducerState = 'idle' | 'enqueue' | 'notify';
type ConsumerState = 'sleep' | 'process' | 'request' | 'recheck';

export interface SignalSimResult {
  produced: number;
  consumed: number[];
  notificationsSent: number;
  notificationsSuppressed: number;
  /** Batches that enqueued at least one buffer (each either notifies or is suppressed). */
  batchesWithWork: number;
  consumerWakeups: number;
  /** Points where the consumer slept, the producer was between batches, items were queued and no notification was pending. */
  lostWakeups: number;
  /** True if the final run to quiescence did not settle (it always should). */
  stuck: boolean;
  /** Items still queued once both parties went quiet. */
  leftInQueue: number;
}

export class SignalSim {
  private pState: ProducerState = 'idle';
  private cState: ConsumerState = 'sleep';
  private pending = false;
  private nextItem = 0;
  private batchIdx = 0;
  private batchLeft = 0;
  private enqueuedThisBatch = 0;
  private readonly out = new NetBuffDesc();
  readonly result: SignalSimResult = {
    produced: 0,
    consumed: [],
    notificationsSent: 0,
    notificationsSuppressed: 0,
    batchesWithWork: 0,
    consumerWakeups: 0,
    lostWakeups: 0,
    stuck: false,
    leftInQueue: 0,
  };

  constructor(
    private readonly producer: NetQueueHandle,
    private readonly consumer: NetQueueHandle,
    private readonly batches: readonly number[],
    private readonly variant: ConsumerVariant,
  ) {}

  producerDone(): boolean {
    return this.pState === 'idle' && this.batchIdx >= this.batches.length;
  }

  consumerRunnable(): boolean {
    return this.cState !== 'sleep' || this.pending;
  }

  /** Runs the schedule (true = producer step, false = consumer step), then runs both to quiescence. */
  run(schedule: readonly boolean[]): SignalSimResult {
    for (const producerTurn of schedule) {
      if (producerTurn) this.stepProducer();
      else this.stepConsumer();
      this.checkWakeupInvariant();
    }
    let budget = 1_000_000;
    while (!this.producerDone() || this.consumerRunnable()) {
      if (--budget === 0) {
        this.result.stuck = true;
        break;
      }
      if (!this.producerDone()) this.stepProducer();
      this.checkWakeupInvariant();
      if (this.consumerRunnable()) this.stepConsumer();
      this.checkWakeupInvariant();
    }
    this.result.produced = this.nextItem;
    this.result.leftInQueue = this.consumer.lengthActive();
    return this.result;
  }

  // Producer: enqueue a batch one buffer per step, then notify only if it enqueued something and
  // the consumer requires a signal, cancelling first (sDDF's notification phase).
  stepProducer(): void {
    switch (this.pState) {
      case 'idle':
        if (this.batchIdx < this.batches.length) {
          this.batchLeft = this.batches[this.batchIdx++] ?? 0;
          this.enqueuedThisBatch = 0;
          this.pState = 'enqueue';
        }
        return;
      case 'enqueue':
        if (this.batchLeft > 0 && this.producer.enqueueActive(this.nextItem, 0)) {
          this.nextItem++;
          this.batchLeft--;
          this.enqueuedThisBatch++;
        } else {
          this.pState = 'notify';
        }
        return;
      case 'notify':
        if (this.enqueuedThisBatch > 0) {
          this.result.batchesWithWork++;
          if (this.producer.requireSignalActive()) {
            this.producer.cancelSignalActive();
            this.pending = true;
            this.result.notificationsSent++;
          } else {
            this.result.notificationsSuppressed++;
          }
        }
        this.pState = 'idle';
        return;
    }
  }

  // Consumer: process until empty, request a signal, re-check, and either sleep or cancel and
  // process again (sDDF's `while (reprocess)` loop).
  stepConsumer(): void {
    switch (this.cState) {
      case 'sleep':
        if (this.pending) {
          this.pending = false;
          this.result.consumerWakeups++;
          this.cState = 'process';
        }
        return;
      case 'process':
        if (this.consumer.dequeueActive(this.out)) this.result.consumed.push(this.out.ioOrOffset);
        else this.cState = 'request';
        return;
      case 'request':
        this.consumer.requestSignalActive();
        this.cState = this.variant === 'sddf' ? 'recheck' : 'sleep';
        return;
      case 'recheck':
        if (!this.consumer.emptyActive()) {
          this.consumer.cancelSignalActive();
          this.cState = 'process';
        } else {
          this.cState = 'sleep';
        }
        return;
    }
  }

  private checkWakeupInvariant(): void {
    if (this.cState === 'sleep' && !this.pending && this.pState === 'idle' && !this.consumer.emptyActive()) {
      this.result.lostWakeups++;
    }
  }
}
