import { describe, expect, it } from 'vitest';
import { Engine, type EventSink } from '../../src/board/engine.js';

type Log = Array<[sink: string, arg: number, time: number, now: number]>;

class Recorder implements EventSink {
  constructor(
    private readonly name: string,
    private readonly log: Log,
    private readonly engine: Engine,
  ) {}

  onEvent(arg: number, time: number): void {
    this.log.push([this.name, arg, time, this.engine.now]);
  }
}

function setup(): { engine: Engine; log: Log; a: number; b: number } {
  const engine = new Engine(2);
  const log: Log = [];
  const a = engine.addSink(new Recorder('a', log, engine));
  const b = engine.addSink(new Recorder('b', log, engine));
  return { engine, log, a, b };
}

describe('Engine', () => {
  it('dispatches events in (time, sequence) order to the right sink with the right arg', () => {
    const { engine, log, a, b } = setup();
    engine.at(30, a, 1);
    engine.at(10, b, 2);
    engine.at(20, a, 3);
    engine.at(10, a, 4);
    engine.at(20, b, 5);
    engine.runUntil(100);
    expect(log).toEqual([
      ['b', 2, 10, 10],
      ['a', 4, 10, 10],
      ['a', 3, 20, 20],
      ['b', 5, 20, 20],
      ['a', 1, 30, 30],
    ]);
    expect(engine.eventsProcessed).toBe(5);
    expect(engine.now).toBe(100);
  });

  it('runs an event scheduled during dispatch at the same time after the already-queued ones', () => {
    const engine = new Engine();
    const order: string[] = [];
    let self = -1;
    const spawner: EventSink = {
      onEvent(arg) {
        order.push(`spawner:${arg}`);
        if (arg === 0) engine.after(0, self, 99);
      },
    };
    self = engine.addSink(spawner);
    const other = engine.addSink({ onEvent: (arg) => order.push(`other:${arg}`) });
    engine.at(5, self, 0);
    engine.at(5, other, 1);
    engine.at(5, other, 2);
    engine.runUntil(5);
    expect(order).toEqual(['spawner:0', 'other:1', 'other:2', 'spawner:99']);
  });

  it('stops at endTime, processing events at endTime and leaving later ones pending', () => {
    const { engine, log, a } = setup();
    engine.at(10, a, 1);
    engine.at(20, a, 2);
    engine.at(21, a, 3);
    engine.runUntil(20);
    expect(log.map((e) => e[1])).toEqual([1, 2]);
    expect(engine.now).toBe(20);
    expect(engine.pending).toBe(1);
    expect(engine.peekTime()).toBe(21);
    engine.runUntil(25);
    expect(log.map((e) => e[1])).toEqual([1, 2, 3]);
    expect(engine.pending).toBe(0);
    expect(engine.peekTime()).toBe(Number.POSITIVE_INFINITY);
    expect(engine.now).toBe(25);
  });

  it('after() schedules relative to now', () => {
    const { engine, log, a } = setup();
    engine.runUntil(1000);
    engine.after(50, a, 7);
    engine.runUntil(2000);
    expect(log).toEqual([['a', 7, 1050, 1050]]);
  });

  it('stop() makes runUntil return after the current event, leaving now at its time', () => {
    const engine = new Engine();
    const seen: number[] = [];
    const target = engine.addSink({
      onEvent(arg) {
        seen.push(arg);
        if (arg === 2) engine.stop();
      },
    });
    for (let i = 1; i <= 4; i++) engine.at(i * 10, target, i);
    engine.runUntil(100);
    expect(seen).toEqual([1, 2]);
    expect(engine.now).toBe(20);
    expect(engine.pending).toBe(2);
    engine.runUntil(100);
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(engine.now).toBe(100);
  });

  it('runUntil(Infinity) drains the queue and leaves now at the last event time', () => {
    const { engine, log, a } = setup();
    engine.at(7, a, 1);
    engine.at(9, a, 2);
    engine.runUntil(Number.POSITIVE_INFINITY);
    expect(log.length).toBe(2);
    expect(engine.now).toBe(9);
    engine.after(1, a, 3);
    engine.runUntil(Number.POSITIVE_INFINITY);
    expect(engine.now).toBe(10);
  });

  it('throws when an event is scheduled in the past', () => {
    const { engine, a } = setup();
    engine.runUntil(100);
    expect(() => engine.at(99, a, 0)).toThrow(/before now/);
    expect(() => engine.after(-1, a, 0)).toThrow(/before now/);
    expect(() => engine.at(Number.NaN, a, 0)).toThrow(/before now/);
    expect(() => engine.at(Number.POSITIVE_INFINITY, a, 0)).toThrow(/finite/);
    expect(engine.pending).toBe(0);
  });

  it('throws when scheduling during dispatch before the current event time', () => {
    const engine = new Engine();
    let self = -1;
    self = engine.addSink({ onEvent: (_arg, time) => engine.at(time - 1, self, 0) });
    engine.at(10, self, 0);
    expect(() => engine.runUntil(20)).toThrow(/before now/);
  });

  it('throws when an event targets a sink that does not exist', () => {
    const { engine } = setup();
    expect(() => engine.at(1, 2, 0)).toThrow(/no sink/);
    expect(() => engine.at(1, -1, 0)).toThrow(/no sink/);
  });

  it('throws when asked to run until a time before now', () => {
    const { engine } = setup();
    engine.runUntil(50);
    expect(() => engine.runUntil(49)).toThrow(/before now/);
  });
});
