import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventQueue } from '../../src/board/event_queue.js';

interface ModelEvent {
  time: number;
  seq: number;
  target: number;
  arg: number;
}

/** The obviously-correct model: a list kept sorted by (time, push order). */
class SortedModel {
  private readonly events: ModelEvent[] = [];
  private seq = 0;

  push(time: number, target: number, arg: number): void {
    const e = { time, seq: this.seq++, target, arg };
    let i = this.events.length;
    while (i > 0 && this.events[i - 1]!.time > time) i--;
    this.events.splice(i, 0, e);
  }

  pop(): ModelEvent | undefined {
    return this.events.shift();
  }

  get size(): number {
    return this.events.length;
  }

  peekTime(): number {
    return this.events[0]?.time ?? Number.POSITIVE_INFINITY;
  }
}

type Command =
  | { kind: 'push'; time: number; target: number; arg: number }
  | { kind: 'pop' }
  | { kind: 'clear' };

// Few distinct times, so equal-time ties are the common case.
const pushCommand = fc.record({
  kind: fc.constant('push' as const),
  time: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.double({ min: 0, max: 1e12, noNaN: true })),
  target: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  arg: fc.double({ noNaN: true }),
});
const popCommand = fc.constant({ kind: 'pop' as const });
const clearCommand = fc.constant({ kind: 'clear' as const });

function drainAndCompare(queue: EventQueue, model: SortedModel): void {
  while (model.size > 0) {
    const expected = model.pop()!;
    expect(queue.pop()).toBe(true);
    expect([queue.time, queue.target, queue.arg]).toEqual([expected.time, expected.target, expected.arg]);
  }
  expect(queue.pop()).toBe(false);
}

describe('EventQueue', () => {
  it('behaves like a stable sorted list under random pushes and pops', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.oneof({ arbitrary: pushCommand, weight: 3 }, { arbitrary: popCommand, weight: 2 }), {
          maxLength: 400,
        }),
        (capacity, commands: Command[]) => {
          const queue = new EventQueue(capacity);
          const model = new SortedModel();
          for (const c of commands) {
            if (c.kind === 'push') {
              queue.push(c.time, c.target, c.arg);
              model.push(c.time, c.target, c.arg);
            } else if (c.kind === 'pop') {
              const expected = model.pop();
              expect(queue.pop()).toBe(expected !== undefined);
              if (expected !== undefined) {
                expect([queue.time, queue.target, queue.arg]).toEqual([
                  expected.time,
                  expected.target,
                  expected.arg,
                ]);
              }
            }
            expect(queue.size).toBe(model.size);
            expect(queue.peekTime()).toBe(model.peekTime());
          }
          drainAndCompare(queue, model);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps insertion order among many events at one time', () => {
    const queue = new EventQueue(4);
    for (let i = 0; i < 1000; i++) queue.push(i % 3 === 0 ? 7 : 5, 0, i);
    const order: number[] = [];
    while (queue.pop()) order.push(queue.arg);
    const fives = Array.from({ length: 1000 }, (_, i) => i).filter((i) => i % 3 !== 0);
    const sevens = Array.from({ length: 1000 }, (_, i) => i).filter((i) => i % 3 === 0);
    expect(order).toEqual([...fives, ...sevens]);
  });

  it('grows past its initial capacity without losing or reordering events', () => {
    const queue = new EventQueue(2);
    const times: number[] = [];
    for (let i = 0; i < 5000; i++) {
      const t = (i * 7919) % 1013;
      times.push(t);
      queue.push(t, i, -i);
    }
    expect(queue.size).toBe(5000);
    const popped: number[] = [];
    let prevTime = Number.NEGATIVE_INFINITY;
    let prevTarget = -1;
    while (queue.pop()) {
      // Equal times must come out in push order, and push order here is the target.
      if (queue.time === prevTime) expect(queue.target).toBeGreaterThan(prevTarget);
      expect(queue.time).toBeGreaterThanOrEqual(prevTime);
      expect(queue.arg).toBe(-queue.target);
      prevTime = queue.time;
      prevTarget = queue.target;
      popped.push(queue.time);
    }
    expect(popped).toEqual(times.sort((a, b) => a - b));
  });

  it('clear empties the queue, and it is usable again afterwards', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(pushCommand, popCommand, clearCommand), { maxLength: 200 }),
        (commands: Command[]) => {
          const queue = new EventQueue(1);
          let model = new SortedModel();
          for (const c of commands) {
            if (c.kind === 'push') {
              queue.push(c.time, c.target, c.arg);
              model.push(c.time, c.target, c.arg);
            } else if (c.kind === 'pop') {
              const expected = model.pop();
              expect(queue.pop()).toBe(expected !== undefined);
              if (expected !== undefined) {
                expect([queue.time, queue.target, queue.arg]).toEqual([
                  expected.time,
                  expected.target,
                  expected.arg,
                ]);
              }
            } else {
              queue.clear();
              model = new SortedModel();
              expect(queue.size).toBe(0);
              expect(queue.peekTime()).toBe(Number.POSITIVE_INFINITY);
            }
          }
          drainAndCompare(queue, model);
        },
      ),
    );
  });

  it('pop on an empty queue returns false and peekTime is Infinity', () => {
    const queue = new EventQueue();
    expect(queue.size).toBe(0);
    expect(queue.peekTime()).toBe(Number.POSITIVE_INFINITY);
    expect(queue.pop()).toBe(false);
    queue.push(3, 1, 2);
    expect(queue.peekTime()).toBe(3);
    expect(queue.pop()).toBe(true);
    expect(queue.pop()).toBe(false);
  });

  it('refuses a capacity below one', () => {
    expect(() => new EventQueue(0)).toThrow(/capacity/);
  });
});
