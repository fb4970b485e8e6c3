import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AssertionError } from '../../src/board/assert.js';
import { ReadyQueue } from '../../src/board/ready_queue.js';

describe('ReadyQueue', () => {
  it('pops the highest priority first and keeps FIFO order within a priority', () => {
    const q = new ReadyQueue();
    q.push(1, 10);
    q.push(2, 200);
    q.push(3, 10);
    q.push(4, 200);
    q.push(5, 0);
    q.push(6, 255);
    expect(q.size).toBe(6);
    expect(q.highest()).toBe(255);
    const out: number[] = [];
    for (let t = q.pop(); t >= 0; t = q.pop()) out.push(t);
    expect(out).toEqual([6, 2, 4, 1, 3, 5]);
    expect(q.size).toBe(0);
    expect(q.highest()).toBe(-1);
    expect(q.pop()).toBe(-1);
  });

  it('finds the highest level across every bitmap word', () => {
    const q = new ReadyQueue();
    for (const p of [0, 31, 32, 63, 64, 127, 128, 224, 254]) {
      q.push(p, p);
      expect(q.highest()).toBe(p);
    }
  });

  it('grows a level past its initial ring size without losing order, also after wrapping', () => {
    const q = new ReadyQueue();
    q.push(100, 7);
    q.push(101, 7);
    q.push(102, 7);
    expect(q.pop()).toBe(100);
    expect(q.pop()).toBe(101);
    for (let i = 0; i < 20; i++) q.push(i, 7);
    const out: number[] = [];
    for (let t = q.pop(); t >= 0; t = q.pop()) out.push(t);
    expect(out).toEqual([102, ...Array.from({ length: 20 }, (_, i) => i)]);
  });

  it('removes a thread from the middle of its level and clears the level when it empties', () => {
    const q = new ReadyQueue();
    q.push(1, 50);
    q.push(2, 50);
    q.push(3, 50);
    q.push(4, 20);
    expect(q.remove(2, 50)).toBe(true);
    expect(q.remove(2, 50)).toBe(false);
    expect(q.remove(4, 50)).toBe(false);
    expect(q.size).toBe(3);
    expect(q.pop()).toBe(1);
    expect(q.remove(3, 50)).toBe(true);
    expect(q.highest()).toBe(20);
    expect(q.pop()).toBe(4);
  });

  it('rejects priorities outside 0..255', () => {
    const q = new ReadyQueue();
    expect(() => q.push(1, 256)).toThrow(AssertionError);
    expect(() => q.push(1, -1)).toThrow(AssertionError);
  });

  it('behaves like a list per priority under random pushes, pops and removals', () => {
    const op = fc.oneof(
      fc.record({
        k: fc.constant('push' as const),
        t: fc.nat(30),
        p: fc.constantFrom(0, 1, 31, 32, 100, 255),
      }),
      fc.record({ k: fc.constant('pop' as const) }),
      fc.record({
        k: fc.constant('remove' as const),
        t: fc.nat(30),
        p: fc.constantFrom(0, 1, 31, 32, 100, 255),
      }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const q = new ReadyQueue();
        const ref = new Map<number, number[]>();
        for (const o of ops) {
          if (o.k === 'push') {
            q.push(o.t, o.p);
            ref.set(o.p, [...(ref.get(o.p) ?? []), o.t]);
          } else if (o.k === 'pop') {
            const levels = [...ref.entries()].filter(([, l]) => l.length > 0).sort((a, b) => b[0] - a[0]);
            const top = levels[0];
            expect(q.pop()).toBe(top === undefined ? -1 : top[1].shift());
          } else {
            const l = ref.get(o.p) ?? [];
            const i = l.indexOf(o.t);
            expect(q.remove(o.t, o.p)).toBe(i >= 0);
            if (i >= 0) l.splice(i, 1);
          }
          const total = [...ref.values()].reduce((n, l) => n + l.length, 0);
          expect(q.size).toBe(total);
          const nonEmpty = [...ref.entries()].filter(([, l]) => l.length > 0).map(([p]) => p);
          expect(q.highest()).toBe(nonEmpty.length === 0 ? -1 : Math.max(...nonEmpty));
        }
      }),
    );
  });
});
