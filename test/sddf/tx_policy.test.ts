import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { drainClient, FixedOrderPolicy, type TxPolicy, type TxPort } from '../../src/sddf/tx_policy.js';
import { DrrPolicy } from '../../src/sddf/tx_policy_drr.js';
import { defaultTxOutstanding, makeTxPolicy, TX_POLICY_NAMES } from '../../src/sddf/tx_policy_factory.js';
import { PriorityPolicy } from '../../src/sddf/tx_policy_priority.js';
import { RoundRobinPolicy } from '../../src/sddf/tx_policy_round_robin.js';
import { FakePort } from './tx_policy_fake_port.js';

type Taken = { client: number; len: number };

// ---- reference models, written as sequences rather than as loops over a port ----

/** Drain order: each client's buffers in turn (fixed-order and priority); a held client gives none. */
function drainInOrder(queues: number[][], held: boolean[], order: number[], room: number): Taken[] {
  const out: Taken[] = [];
  let left = room;
  for (const i of order) {
    if (held[i]) continue;
    for (const len of queues[i]!) {
      if (left <= 0) break;
      out.push({ client: i, len });
      left--;
    }
  }
  return out;
}

/**
 * Round-robin order as rounds: round r takes the r-th buffer of every client that has one, in
 * cyclic order from `from`; clients held by their limit give nothing. `perTurn[i]` buffers per
 * turn gives weighted rounds (DRR with equal lengths and quantum = length).
 */
function rounds(queues: number[][], held: boolean[], from: number, perTurn: number[]): Taken[] {
  const n = queues.length;
  const pos = queues.map(() => 0);
  const out: Taken[] = [];
  for (let more = true; more; ) {
    more = false;
    for (let k = 0; k < n; k++) {
      const i = (from + k) % n;
      if (held[i]) continue;
      for (let t = 0; t < perTurn[i]! && pos[i]! < queues[i]!.length; t++) {
        out.push({ client: i, len: queues[i]![pos[i]!]! });
        pos[i]!++;
        more = true;
      }
    }
  }
  return out;
}

const validQueues = (n: number, maxLen = 12) =>
  fc.array(fc.array(fc.integer({ min: 60, max: 1514 }), { maxLength: maxLen }), {
    minLength: n,
    maxLength: n,
  });

function portWith(queues: number[][], room: number, held: boolean[] = []): FakePort {
  const p = new FakePort(queues, room);
  held.forEach((h, i) => {
    if (h) p.heldUntil[i] = 1;
  });
  return p;
}

describe('fixed-order (sDDF mainline)', () => {
  it('drains clients completely in index order, up to the driver bound', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 6 })
          .chain((n) =>
            fc.tuple(
              validQueues(n),
              fc.array(fc.boolean(), { minLength: n, maxLength: n }),
              fc.integer({ min: 0, max: 60 }),
            ),
          ),
        ([queues, held, room]) => {
          const port = portWith(queues, room, held);
          new FixedOrderPolicy().provide(port);
          const order = queues.map((_, i) => i);
          expect(port.forwarded).toEqual(drainInOrder(queues, held, order, room));
        },
      ),
    );
  });

  it('without a bound or limits it behaves as virt_tx.c: every queue ends empty with its signal requested', () => {
    const port = new FakePort([[100, 200], [], [300]]);
    new FixedOrderPolicy().provide(port);
    expect(port.forwarded.map((t) => t.client)).toEqual([0, 0, 2]);
    expect(port.wantsSignal).toEqual([true, true, true]);
  });
});

describe('strict priority', () => {
  it('drains clients from the highest priority down, ties by index', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 6 })
          .chain((n) =>
            fc.tuple(
              validQueues(n),
              fc.array(fc.integer({ min: 0, max: 3 }), { minLength: n, maxLength: n }),
              fc.integer({ min: 0, max: 60 }),
            ),
          ),
        ([queues, prios, room]) => {
          const port = portWith(queues, room);
          new PriorityPolicy(prios).provide(port);
          const order = queues.map((_, i) => i).sort((a, b) => prios[b]! - prios[a]! || a - b);
          expect(port.forwarded).toEqual(drainInOrder(queues, [], order, room));
        },
      ),
    );
  });

  it('gives a busy high-priority client everything under a bound: that is what strict means', () => {
    const policy = new PriorityPolicy([1, 5]);
    const port = new FakePort([[100, 100], Array(10).fill(100)], 4);
    policy.provide(port);
    expect(port.forwarded.map((t) => t.client)).toEqual([1, 1, 1, 1]);
  });
});

describe('round robin', () => {
  it('takes one buffer per backlogged client per turn, resuming where the bound stopped it', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 6 })
          .chain((n) =>
            fc.tuple(
              validQueues(n),
              fc.array(fc.integer({ min: 0, max: 10 }), { minLength: 1, maxLength: 8 }),
            ),
          ),
        ([queues, rooms]) => {
          // No arrivals between calls: the calls together take a prefix of the round sequence.
          const policy = new RoundRobinPolicy();
          const port = new FakePort(queues, 0);
          for (const r of rooms) {
            port.room = r;
            policy.provide(port);
          }
          const all = rounds(
            queues,
            [],
            0,
            queues.map(() => 1),
          );
          const total = rooms.reduce((a, b) => a + b, 0);
          expect(port.forwarded).toEqual(all.slice(0, Math.min(total, all.length)));
        },
      ),
    );
  });

  it('skips a client held by its rate limit and arms the wake-up for it', () => {
    const port = portWith([[100, 100], [200, 200], [300]], 10, [false, true, false]);
    new RoundRobinPolicy().provide(port);
    expect(port.forwarded).toEqual(
      rounds([[100, 100], [200, 200], [300]], [false, true, false], 0, [1, 1, 1]),
    );
    expect(port.timerAt).toBe(1);
    expect(port.strandedClients()).toEqual([]);
  });
});

describe('deficit round robin', () => {
  it('with equal frame lengths sends weight-many frames per turn (quantum = frame length)', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 5 })
          .chain((n) =>
            fc.tuple(
              fc.array(fc.integer({ min: 0, max: 12 }), { minLength: n, maxLength: n }),
              fc.array(fc.integer({ min: 1, max: 4 }), { minLength: n, maxLength: n }),
              fc.array(fc.integer({ min: 0, max: 12 }), { minLength: 1, maxLength: 8 }),
            ),
          ),
        ([lens, weights, rooms]) => {
          const queues = lens.map((k) => Array<number>(k).fill(1000));
          const policy = new DrrPolicy(weights, 1000);
          const port = new FakePort(queues, 0);
          for (const r of rooms) {
            port.room = r;
            policy.provide(port);
          }
          const all = rounds(queues, [], 0, weights);
          const total = rooms.reduce((a, b) => a + b, 0);
          expect(port.forwarded).toEqual(all.slice(0, Math.min(total, all.length)));
        },
      ),
    );
  });

  it('keeps backlogged clients within one quantum plus one frame of their weighted share, whatever the lengths', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 5 }).chain((n) =>
          fc.tuple(
            fc.array(fc.array(fc.integer({ min: 60, max: 1514 }), { minLength: 400, maxLength: 400 }), {
              minLength: n,
              maxLength: n,
            }),
            fc.array(fc.integer({ min: 1, max: 8 }), { minLength: n, maxLength: n }),
            fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 10 }),
          ),
        ),
        ([queues, weights, rooms]) => {
          const base = 1514;
          const policy = new DrrPolicy(weights, base);
          const port = new FakePort(queues, 0);
          const sent = queues.map(() => 0);
          let seen = 0;
          for (const r of rooms) {
            port.room = r;
            policy.provide(port);
            for (; seen < port.forwarded.length; seen++)
              sent[port.forwarded[seen]!.client]! += port.forwarded[seen]!.len;
            // At every stop, in units of each client's quantum, nobody is more than a turn and a frame ahead.
            const minQ = Math.min(...weights) * base;
            const norm = sent.map((b, i) => b / (weights[i]! * base));
            expect(Math.max(...norm) - Math.min(...norm)).toBeLessThanOrEqual(1 + 1514 / minQ + 1e-9);
          }
        },
      ),
    );
  });

  it('does not give a second quantum to a client whose turn the bound interrupted', () => {
    // Client 0 has a quantum of 3 frames; the bound lets one frame through per call.
    const policy = new DrrPolicy([3, 1], 100);
    const port = new FakePort([Array(9).fill(100), Array(9).fill(100)], 0);
    for (let k = 0; k < 8; k++) {
      port.room = 1;
      policy.provide(port);
    }
    expect(port.forwarded.map((t) => t.client)).toEqual([0, 0, 0, 1, 0, 0, 0, 1]);
  });

  it('lets a client accumulate quanta smaller than its frames over several turns', () => {
    const policy = new DrrPolicy([1, 1], 500);
    const port = new FakePort([
      [1500, 1500],
      [400, 400, 400, 400, 400, 400],
    ]);
    policy.provide(port);
    // Client 0 needs three turns of credit per frame; client 1 keeps its leftover credit, so every
    // few turns it sends two 400-byte frames in one.
    expect(port.forwarded.map((t) => t.client)).toEqual([1, 1, 0, 1, 1, 1, 1, 0]);
  });

  it('refuses a zero quantum or weight, which would never let a frame through', () => {
    expect(() => new DrrPolicy([1], 0)).toThrow(/quantum/);
    expect(() => new DrrPolicy([0], 1514)).toThrow(/weight/);
  });
});

// ---- the signalling contract, for every policy ----

function policies(n: number, seed: number): TxPolicy[] {
  const w = Array.from({ length: n }, (_, i) => 1 + ((i * 7 + seed) % 4));
  return TX_POLICY_NAMES.map((name) =>
    makeTxPolicy(
      name,
      w.map((weight, i) => ({ weight, priority: (i * 3 + seed) % 3 })),
      name === 'drr' ? 700 : undefined,
    ),
  );
}

describe('every policy keeps the sDDF wake-up contract', () => {
  it('after provide, each client is asleep with its signal requested, held with a timer armed, or the bound is reached', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }).chain((n) =>
          fc.tuple(
            // Lengths of 0 are invalid buffers that virt_tx hands back without using the bound.
            fc.array(
              fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 60, max: 1514 })), { maxLength: 10 }),
              {
                minLength: n,
                maxLength: n,
              },
            ),
            fc.array(fc.boolean(), { minLength: n, maxLength: n }),
            fc.integer({ min: 0, max: 40 }),
            fc.nat(10),
          ),
        ),
        ([queues, held, room, seed]) => {
          for (const policy of policies(queues.length, seed)) {
            const port = portWith(queues, room, held);
            policy.provide(port);
            expect(port.strandedClients(), policy.name).toEqual([]);
          }
        },
      ),
    );
  });

  /**
   * virt_tx and its world as events: clients enqueue (and notify only if virt_tx asked for a
   * signal), the driver completes buffers (and so notifies virt_tx), timers fire. virt_tx runs
   * provide() only when one of these woke it. After the arrivals stop, the system must drain:
   * a client left with buffers and no wake-up would stay stuck forever.
   */
  function drains(
    policy: TxPolicy,
    script: Step[],
    nClients: number,
    bound: number,
    gaps: number[],
  ): boolean {
    const port = new FakePort(
      Array.from({ length: nClients }, () => []),
      bound,
    );
    port.wantsSignal.fill(true); // shared memory starts zeroed: consumer_signalled = 0
    let outstanding = 0;
    const run = () => {
      const before = port.forwarded.length;
      policy.provide(port);
      // A limited client is held for its gap after each frame it sends.
      for (let k = before; k < port.forwarded.length; k++) {
        const c = port.forwarded[k]!.client;
        if (gaps[c]! > 0) port.heldUntil[c] = port.now + gaps[c]!;
      }
      outstanding = bound - port.room;
    };
    run(); // init
    for (const s of script) {
      let woken = false;
      if (s.kind === 'arrive') woken = port.enqueue(s.client % nClients, s.lens);
      else if (s.kind === 'complete') {
        const k = Math.min(s.count, outstanding);
        port.room += k;
        outstanding -= k;
        woken = k > 0;
      } else {
        port.now += s.dt;
        if (port.now >= port.timerAt) {
          port.timerAt = Number.POSITIVE_INFINITY;
          woken = true;
        }
      }
      if (woken) run();
    }
    // Quiesce: the driver completes everything it holds, timers fire; nothing else wakes virt_tx.
    for (let guard = 0; guard < 10_000; guard++) {
      if (outstanding > 0) {
        port.room += outstanding;
        outstanding = 0;
      } else if (Number.isFinite(port.timerAt)) {
        port.now = Math.max(port.now, port.timerAt);
        port.timerAt = Number.POSITIVE_INFINITY;
      } else break;
      run();
    }
    return port.queues.every((q) => q.length === 0);
  }

  type Step =
    | { kind: 'arrive'; client: number; lens: number[] }
    | { kind: 'complete'; count: number }
    | { kind: 'tick'; dt: number };

  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.record({
      kind: fc.constant('arrive' as const),
      client: fc.nat(7),
      lens: fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 60, max: 1514 })), {
        minLength: 1,
        maxLength: 6,
      }),
    }),
    fc.record({ kind: fc.constant('complete' as const), count: fc.integer({ min: 1, max: 8 }) }),
    fc.record({ kind: fc.constant('tick' as const), dt: fc.integer({ min: 1, max: 50 }) }),
  );

  it('no client is ever left with buffers and no wake-up, under bounds, rate limits and any arrival order', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.array(step, { maxLength: 60 }),
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 40 })), { minLength: 6, maxLength: 6 }),
        fc.nat(10),
        (n, script, bound, gaps, seed) => {
          for (const policy of policies(n, seed))
            expect(drains(policy, script, n, bound, gaps), policy.name).toBe(true);
        },
      ),
    );
  });

  it('the checkers catch a policy that forgets the event-registering step (so the properties can fail)', () => {
    // Forwards everything it can but never requests a signal on an empty queue.
    const forgetful: TxPolicy = {
      name: 'forgetful',
      provide(port: TxPort) {
        for (let i = 0; i < port.numClients; i++) while (port.driverRoom() > 0 && port.forwardOne(i)) {}
      },
    };
    // The first frame notifies (the flag starts at "wants a signal") and cancels the signal; the
    // second finds no one asking for it, and nothing else will wake virt_tx.
    const script: Step[] = [
      { kind: 'arrive', client: 0, lens: [100] },
      { kind: 'complete', count: 1 },
      { kind: 'arrive', client: 0, lens: [100] },
    ];
    expect(drains(forgetful, script, 1, 8, [0])).toBe(false);
    expect(drains(new RoundRobinPolicy(), script, 1, 8, [0])).toBe(true);
    const port = new FakePort([[100, 100]], 5);
    forgetful.provide(port);
    expect(port.strandedClients()).toEqual([0]);
  });

  it('drainClient stops at a held head instead of spinning on the re-check', () => {
    const port = portWith([[100, 100]], 10, [true]);
    drainClient(port, 0);
    expect(port.forwarded).toEqual([]);
    expect(port.timerAt).toBe(1);
  });
});

describe('makeTxPolicy and the default bound', () => {
  it('builds each named policy, and bounds the driver only for the fairness policies', () => {
    for (const name of TX_POLICY_NAMES)
      expect(makeTxPolicy(name, [{ weight: 1, priority: 0 }]).name).toBe(name);
    expect(defaultTxOutstanding('fixed-order')).toBe(Number.POSITIVE_INFINITY);
    expect(defaultTxOutstanding('round-robin')).toBe(64);
    expect(defaultTxOutstanding('drr')).toBe(64);
  });
});
