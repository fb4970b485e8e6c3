import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  NET_BUFF_DESC_BYTES,
  NET_BUFFER_SIZE,
  NET_QUEUE_HEADER_BYTES,
  NetBuffDesc,
  NetQueueHandle,
  netQueueBytes,
} from '../../src/sddf/net_queue.js';
import { Arena, type QueueId } from './net_queue_harness.js';
import { type ConsumerVariant, SignalSim } from './net_queue_signal_sim.js';

const TWO_POW_32 = 2 ** 32;
const CAPACITIES = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

interface ModelDesc {
  io: number;
  len: number;
  oid: number;
}

// The reference model of one queue: a plain array plus the free-running indices it implies.
class ModelQueue {
  items: ModelDesc[] = [];
  head: number;
  tail: number;
  constructor(start: number) {
    this.head = start;
    this.tail = start;
  }
  push(d: ModelDesc): void {
    this.items.push(d);
    this.tail = (this.tail + 1) & 0xffff;
  }
  shift(): ModelDesc | undefined {
    const d = this.items.shift();
    if (d !== undefined) this.head = (this.head + 1) & 0xffff;
    return d;
  }
}

type Op =
  | { kind: 'enqueue'; q: QueueId; io: number; len: number; oid: number }
  | { kind: 'dequeue'; q: QueueId }
  | { kind: 'fill'; q: QueueId; base: number }
  | { kind: 'drain'; q: QueueId };

const queueArb = fc.constantFrom<QueueId>('free', 'active');
const u32Arb = fc.integer({ min: -0x80000000, max: 0x7fffffff }).map((v) => v >>> 0);
// Offsets, IO addresses and the extremes of what fits below 2^53.
const ioArb = fc.oneof(
  u32Arb,
  fc.maxSafeNat(),
  fc.constantFrom(0, 0xffffffff, TWO_POW_32, TWO_POW_32 + 1, Number.MAX_SAFE_INTEGER),
);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('enqueue' as const),
      q: queueArb,
      io: ioArb,
      len: fc.nat(0xffff),
      oid: fc.nat(0xff),
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('dequeue' as const), q: queueArb }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('fill' as const),
      q: queueArb,
      base: fc.maxSafeNat().map((v) => v % 2 ** 40),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('drain' as const), q: queueArb }) },
);
// Start indices anywhere, and often just below the wrap so it is crossed.
const startArb = fc.oneof(fc.nat(0xffff), fc.integer({ min: 0xffff - 2100, max: 0xffff }));

// The difference between the raw bytes at queue q's index `index` and d, or null. Plain code
// rather than expect(): it runs for every descriptor of queues up to 1024 long.
function slotMismatch(a: Arena, q: QueueId, index: number, d: ModelDesc): string | null {
  const at = a.descAt(q, index & (a.capacity - 1));
  const io = a.u32(at) + a.u32(at + 4) * TWO_POW_32;
  const len = a.u16(at + 8);
  const oid = a.u8(at + 10);
  const pad = a.u8(at + 11) | a.u32(at + 12);
  if (io === d.io && len === d.len && oid === (d.oid & 0x3f) && pad === 0) return null;
  return `${q}[${index}]: io ${io} len ${len} oid ${oid} pad ${pad}, model ${JSON.stringify(d)}`;
}

function descriptorsMismatch(a: Arena, q: QueueId, m: ModelQueue): string | null {
  for (let k = 0; k < m.items.length; k++) {
    const bad = slotMismatch(a, q, m.head + k, m.items[k]!);
    if (bad !== null) return bad;
  }
  return null;
}

function outMismatch(out: NetBuffDesc, want: ModelDesc): string | null {
  if (out.ioOrOffset === want.io && out.len === want.len && out.oid === (want.oid & 0x3f)) return null;
  return `dequeued ${JSON.stringify(out)}, model ${JSON.stringify(want)}`;
}

// Checks the handle's predicates and the raw header against the model; with `all`, also every
// live descriptor's bytes and the guard bytes.
function checkAgainstModel(
  a: Arena,
  h: NetQueueHandle,
  models: Record<QueueId, ModelQueue>,
  all: boolean,
): void {
  const cap = a.capacity;
  for (const q of ['free', 'active'] as const) {
    const m = models[q];
    const n = m.items.length;
    expect(a.rawTail(q)).toBe(m.tail);
    expect(a.rawHead(q)).toBe(m.head);
    expect(q === 'free' ? h.lengthFree() : h.lengthActive()).toBe(n);
    expect(q === 'free' ? h.emptyFree() : h.emptyActive()).toBe(n === 0);
    expect(q === 'free' ? h.fullFree() : h.fullActive()).toBe(n === cap);
    if (all) expect(descriptorsMismatch(a, q, m)).toBeNull();
  }
  expect(h.violations).toBe(0);
  expect(a.freeLog.outOfRange + a.activeLog.outOfRange).toBe(0);
  if (all) expect(a.firstDamagedGuard()).toBe(-1);
}

function enqueue(h: NetQueueHandle, q: QueueId, io: number, len: number, oid: number): boolean {
  return q === 'free' ? h.enqueueFree(io, len, oid) : h.enqueueActive(io, len, oid);
}

function dequeue(h: NetQueueHandle, q: QueueId, out: NetBuffDesc): boolean {
  return q === 'free' ? h.dequeueFree(out) : h.dequeueActive(out);
}

// Applies op to the handle and the model; returns the first disagreement, or null.
function applyOp(a: Arena, h: NetQueueHandle, models: Record<QueueId, ModelQueue>, op: Op): string | null {
  const cap = a.capacity;
  const m = models[op.q];
  const out = new NetBuffDesc();
  switch (op.kind) {
    case 'enqueue': {
      const fits = m.items.length < cap;
      if (enqueue(h, op.q, op.io, op.len, op.oid) !== fits) return `enqueue returned ${!fits}`;
      if (!fits) return null;
      const d = { io: op.io, len: op.len, oid: op.oid };
      m.push(d);
      return slotMismatch(a, op.q, m.tail - 1, d);
    }
    case 'dequeue': {
      const want = m.shift();
      if (dequeue(h, op.q, out) !== (want !== undefined)) return `dequeue returned ${want === undefined}`;
      return want === undefined ? null : outMismatch(out, want);
    }
    case 'fill':
      for (let i = 0; i <= cap; i++) {
        const d = { io: op.base + i * NET_BUFFER_SIZE, len: i & 0xffff, oid: i };
        const fits = m.items.length < cap;
        if (enqueue(h, op.q, d.io, d.len, d.oid) !== fits) return `fill: enqueue ${i} returned ${!fits}`;
        if (!fits) return null;
        m.push(d);
      }
      return 'fill: queue never became full';
    case 'drain':
      for (let i = 0; i <= cap; i++) {
        const want = m.shift();
        if (dequeue(h, op.q, out) !== (want !== undefined)) return `drain: dequeue ${i} returned ${!want}`;
        if (want === undefined) return null;
        const bad = outMismatch(out, want);
        if (bad !== null) return bad;
      }
      return 'drain: queue never became empty';
  }
}

describe('net queue layout', () => {
  it('sizes queues as an 8-byte header plus 16-byte descriptors, as sdfgen does', () => {
    expect(NET_QUEUE_HEADER_BYTES).toBe(8);
    expect(NET_BUFF_DESC_BYTES).toBe(16);
    expect(NET_BUFFER_SIZE).toBe(2048);
    expect(netQueueBytes(512)).toBe(8200);
    expect(netQueueBytes(1)).toBe(24);
  });

  it('places tail at 0, head at 2, the flag at 4 and descriptor fields at 8+16*slot, little-endian', () => {
    const a = new Arena(4);
    const h = a.handle();
    a.setIndices('active', 0x1233, 0x1233); // slot 3
    expect(h.enqueueActive(0x1f_0605_0403_0201, 0xbbaa, 0x2c)).toBe(true);
    const base = a.activeOff;
    expect([...a.bytes.subarray(base, base + 8)]).toEqual([0x34, 0x12, 0x33, 0x12, 0, 0, 0, 0]);
    const d = base + 8 + 16 * 3;
    expect([...a.bytes.subarray(d, d + 16)]).toEqual([
      0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x1f, 0x00, 0xaa, 0xbb, 0x2c, 0, 0, 0, 0, 0,
    ]);
    h.cancelSignalActive();
    expect([...a.bytes.subarray(base + 4, base + 8)]).toEqual([1, 0, 0, 0]);
    expect(a.firstDamagedGuard()).toBe(-1);
  });

  it('keeps the top two bits of the oid byte clear and reads only its low six bits', () => {
    const a = new Arena(2);
    const h = a.handle();
    expect(h.enqueueFree(0, 0, 0xff)).toBe(true);
    expect(a.u8(a.descAt('free', 0) + 10)).toBe(0x3f);
    a.bytes[a.descAt('free', 0) + 10] = 0xc5;
    const out = new NetBuffDesc();
    expect(h.dequeueFree(out)).toBe(true);
    expect(out.oid).toBe(0x05);
  });

  it('reads a garbage high word of io_or_offset as a huge number rather than failing', () => {
    const a = new Arena(1);
    const h = a.handle();
    a.setIndices('free', 7, 8);
    a.writeU32(a.descAt('free', 0), 0xffffffff);
    a.writeU32(a.descAt('free', 0) + 4, 0xffffffff);
    const out = new NetBuffDesc();
    expect(h.dequeueFree(out)).toBe(true);
    expect(out.ioOrOffset).toBe(2 ** 64); // rounded: far above any region size or IO range
    expect(Number.isFinite(out.ioOrOffset)).toBe(true);
  });

  it('rejects a capacity that is not a power of two, or a queue that does not fit its view', () => {
    const a = new Arena(4);
    expect(() => new NetQueueHandle(a.view, a.freeOff, a.view, a.activeOff, 3)).toThrow(/power of two/);
    expect(() => new NetQueueHandle(a.view, a.freeOff, a.view, a.activeOff, 0)).toThrow(/power of two/);
    expect(() => new NetQueueHandle(a.view, a.freeOff, a.view, a.activeOff, 65536)).toThrow(/power of two/);
    expect(() => new NetQueueHandle(a.view, a.freeOff, a.view, a.view.byteLength, 4)).toThrow(
      /needs 72 bytes/,
    );
    expect(() => new NetQueueHandle(a.view, a.freeOff, a.view, a.freeOff + 8, 4)).toThrow(/overlap/);
    expect(() => new NetQueueHandle(a.view, a.freeOff + 4, a.view, a.activeOff, 4)).toThrow(/aligned/);
  });
});

describe('net queue against a reference model', () => {
  it('agrees with plain arrays on every result, index and descriptor byte, across the u16 wrap', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10 }),
        startArb,
        startArb,
        fc.array(opArb, { maxLength: 60, size: 'max' }),
        fc.nat(),
        (log2, freeStart, activeStart, ops, junkSeed) => {
          const cap = 2 ** log2;
          const a = new Arena(cap);
          // Slots start with stale bytes, as after indices that started anywhere.
          a.scribbleDescriptors(junkSeed);
          a.setIndices('free', freeStart, freeStart);
          a.setIndices('active', activeStart, activeStart);
          const h = a.handle();
          expect(h.capacity).toBe(cap);
          const models = { free: new ModelQueue(freeStart), active: new ModelQueue(activeStart) };
          checkAgainstModel(a, h, models, true);
          for (const op of ops) {
            expect(applyOp(a, h, models, op)).toBeNull();
            checkAgainstModel(a, h, models, op.kind === 'fill' || op.kind === 'drain');
          }
          checkAgainstModel(a, h, models, true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it.each(CAPACITIES)('fills and drains a capacity-%i queue whose indices wrap past 65535', (cap) => {
    const a = new Arena(cap);
    const start = 0xffff - (cap >> 1);
    a.setIndices('active', start, start);
    const h = a.handle();
    const out = new NetBuffDesc();
    for (let i = 0; i < cap; i++) expect(h.enqueueActive(i * 3, i & 0xffff)).toBe(true);
    expect(h.fullActive()).toBe(true);
    expect(h.lengthActive()).toBe(cap);
    expect(h.enqueueActive(1, 1)).toBe(false);
    expect(a.rawTail('active')).toBe((start + cap) & 0xffff);
    expect(h.emptyFree()).toBe(true);
    for (let i = 0; i < cap; i++) {
      expect(h.dequeueActive(out)).toBe(true);
      expect(out.ioOrOffset).toBe(i * 3);
    }
    expect(h.dequeueActive(out)).toBe(false);
    expect(h.emptyActive()).toBe(true);
    expect(a.rawHead('active')).toBe((start + cap) & 0xffff);
    expect(h.violations).toBe(0);
  });
});

describe('net_buffers_init', () => {
  it.each([
    [1, 0],
    [8, 0x4000_0000],
    [512, 2 ** 40],
  ])('offers every buffer of a capacity-%i region at base %i on the free queue', (cap, base) => {
    const a = new Arena(cap);
    const h = a.handle();
    expect(h.buffersInit(base)).toBe(cap);
    expect(h.fullFree()).toBe(true);
    expect(h.emptyActive()).toBe(true);
    for (let i = 0; i < cap; i++) {
      const at = a.descAt('free', i);
      expect(a.u32(at) + a.u32(at + 4) * TWO_POW_32).toBe(i * 2048 + base);
      expect(a.u16(at + 8)).toBe(0);
      expect(a.u8(at + 10)).toBe(0);
    }
    expect(a.firstDamagedGuard()).toBe(-1);
  });

  it('stops without throwing when a peer already filled part of the free queue', () => {
    const a = new Arena(8);
    a.setIndices('free', 100, 103);
    const h = a.handle();
    expect(h.buffersInit(0)).toBe(5);
    expect(h.violations).toBe(0);
  });
});

describe('consumer_signalled', () => {
  it.each(['free', 'active'] as const)('on a zeroed %s queue requires a signal', (q) => {
    const h = new Arena(4).handle();
    expect(q === 'free' ? h.requireSignalFree() : h.requireSignalActive()).toBe(true);
  });

  it('is 0 after request and 1 after cancel, and require reads it as !flag, per queue', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            q: queueArb,
            act: fc.constantFrom('request', 'cancel', 'peer'),
            value: fc.oneof(fc.constantFrom(0, 1), u32Arb),
          }),
          { maxLength: 30 },
        ),
        (steps) => {
          const a = new Arena(2);
          const h = a.handle();
          const flags = { free: 0, active: 0 };
          for (const s of steps) {
            if (s.act === 'request') {
              if (s.q === 'free') h.requestSignalFree();
              else h.requestSignalActive();
              flags[s.q] = 0;
            } else if (s.act === 'cancel') {
              if (s.q === 'free') h.cancelSignalFree();
              else h.cancelSignalActive();
              flags[s.q] = 1;
            } else {
              a.writeU32(a.offsetOf(s.q) + 4, s.value);
              flags[s.q] = s.value;
            }
            expect(a.rawFlag('free')).toBe(flags.free);
            expect(a.rawFlag('active')).toBe(flags.active);
            expect(h.requireSignalFree()).toBe(flags.free === 0);
            expect(h.requireSignalActive()).toBe(flags.active === 0);
          }
          expect(a.firstDamagedGuard()).toBe(-1);
        },
      ),
    );
  });
});

describe('signalling protocol between a producer and a consumer', () => {
  function simulate(cap: number, batches: number[], schedule: boolean[], variant: ConsumerVariant) {
    const a = new Arena(cap);
    return new SignalSim(a.handle(), a.handle(), batches, variant).run(schedule);
  }

  const simArb = fc.record({
    log2: fc.integer({ min: 0, max: 4 }),
    batches: fc.array(fc.integer({ min: 0, max: 12 }), { maxLength: 12, size: 'max' }),
    schedule: fc.array(fc.boolean(), { maxLength: 300, size: 'max' }),
  });

  it('never leaves the consumer asleep with queued buffers and no notification pending', () => {
    fc.assert(
      fc.property(simArb, ({ log2, batches, schedule }) => {
        const r = simulate(2 ** log2, batches, schedule, 'sddf');
        expect(r.stuck).toBe(false);
        expect(r.lostWakeups).toBe(0);
        expect(r.leftInQueue).toBe(0);
        expect(r.consumed).toEqual(Array.from({ length: r.produced }, (_, i) => i));
        expect(r.notificationsSent + r.notificationsSuppressed).toBe(r.batchesWithWork);
        expect(r.notificationsSent > 0).toBe(r.produced > 0);
        expect(r.consumerWakeups).toBeLessThanOrEqual(r.notificationsSent);
      }),
      { numRuns: 500 },
    );
  });

  it('suppresses the notification for a batch enqueued while the consumer is still processing', () => {
    // P: batch 0 (start, enqueue, end, notify). C: wake, dequeue. P: batch 1 (all four steps).
    const P = true;
    const C = false;
    const r = simulate(8, [1, 1], [P, P, P, P, C, C, P, P, P, P], 'sddf');
    expect(r.notificationsSent).toBe(1);
    expect(r.notificationsSuppressed).toBe(1);
    expect(r.consumerWakeups).toBe(1);
    expect(r.consumed).toEqual([0, 1]);
    expect(r.lostWakeups).toBe(0);
  });

  it('catches a consumer that skips the re-check after requesting a signal', () => {
    const P = true;
    const C = false;
    // The consumer sees the queue empty, the producer enqueues and finds the flag still cancelled,
    // then the consumer requests and sleeps on a non-empty queue.
    const schedule = [P, P, P, P, C, C, C, P, P, P, P, C];
    expect(simulate(8, [1, 1], schedule, 'no-recheck').lostWakeups).toBeGreaterThan(0);
    expect(simulate(8, [1, 1], schedule, 'sddf').lostWakeups).toBe(0);
    const found = fc.check(
      fc.property(simArb, ({ log2, batches, schedule }) => {
        const r = simulate(2 ** log2, batches, schedule, 'no-recheck');
        return r.lostWakeups === 0 && r.leftInQueue === 0;
      }),
      { seed: 1, numRuns: 2000 },
    );
    expect(found.failed).toBe(true);
  });
});

// A peer that writes anything: header fields (sometimes near-valid values, to hit the boundary),
// and descriptor bytes.
type PeerWrite = { q: QueueId; at: number; width: 1 | 2 | 4; value: number };
type TrustedCall =
  | 'empty'
  | 'full'
  | 'length'
  | 'enqueue'
  | 'dequeue'
  | 'request'
  | 'cancel'
  | 'require'
  | 'buffersInit';
type GarbageStep = { peer: PeerWrite[]; call: TrustedCall; q: QueueId; io: number; len: number; oid: number };

function peerWriteArb(cap: number): fc.Arbitrary<PeerWrite> {
  const bytes = netQueueBytes(cap);
  return fc.oneof(
    fc.record({
      q: queueArb,
      at: fc.constantFrom(0, 2),
      width: fc.constant(2 as const),
      value: fc.nat(0xffff),
    }),
    // Moves head relative to a typical tail so lengths land on capacity, capacity+1 and around.
    fc.record({
      q: queueArb,
      at: fc.constant(-1),
      width: fc.constant(2 as const),
      value: fc.integer({ min: 0, max: cap + 3 }),
    }),
    fc.record({ q: queueArb, at: fc.constant(4), width: fc.constant(4 as const), value: u32Arb }),
    fc.record({
      q: queueArb,
      at: fc.integer({ min: 8, max: bytes - 4 }),
      width: fc.constantFrom(1 as const, 2 as const, 4 as const),
      value: u32Arb,
    }),
  );
}

function applyPeerWrite(a: Arena, w: PeerWrite): void {
  const off = a.offsetOf(w.q);
  if (w.at === -1) {
    a.writeU16(off + 2, (a.rawTail(w.q) - w.value) & 0xffff);
  } else if (w.width === 1) {
    a.bytes[off + w.at] = w.value & 0xff;
  } else if (w.width === 2) {
    a.writeU16(off + w.at, w.value & 0xffff);
  } else {
    a.writeU32(off + w.at, w.value);
  }
}

describe('net queue facing a peer that writes garbage', () => {
  const callArb = fc.constantFrom<TrustedCall>(
    'empty',
    'full',
    'length',
    'enqueue',
    'dequeue',
    'request',
    'cancel',
    'require',
    'buffersInit',
  );

  it('never throws, stays inside its queue, runs in bounded steps and counts every corrupt length', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 6 }).chain((log2) =>
          fc.record({
            log2: fc.constant(log2),
            steps: fc.array(
              fc.record({
                peer: fc.array(peerWriteArb(2 ** log2), { maxLength: 3 }),
                call: callArb,
                q: queueArb,
                io: ioArb,
                len: fc.nat(0xffff),
                oid: fc.nat(0x3f),
              }),
              { maxLength: 40, size: 'max' },
            ),
          }),
        ),
        ({ log2, steps }) => {
          const cap = 2 ** log2;
          const a = new Arena(cap);
          const h = a.handle();
          const out = new NetBuffDesc();
          for (const s of steps as GarbageStep[]) {
            for (const w of s.peer) applyPeerWrite(a, w);
            const length = a.rawLength(s.q);
            const corrupt = length > cap;
            const head = a.rawHead(s.q);
            const tail = a.rawTail(s.q);
            const slotAt = a.descAt(s.q, head & (cap - 1));
            const expectIo = a.u32(slotAt) + a.u32(slotAt + 4) * TWO_POW_32;
            const expectLen = a.u16(slotAt + 8);
            const expectOid = a.u8(slotAt + 10) & 0x3f;
            const before = h.violations;
            a.freeLog.calls = 0;
            a.activeLog.calls = 0;
            let observes = true;
            switch (s.call) {
              case 'empty':
                expect(s.q === 'free' ? h.emptyFree() : h.emptyActive()).toBe(corrupt || length === 0);
                break;
              case 'full':
                expect(s.q === 'free' ? h.fullFree() : h.fullActive()).toBe(corrupt || length === cap);
                break;
              case 'length':
                expect(s.q === 'free' ? h.lengthFree() : h.lengthActive()).toBe(corrupt ? 0 : length);
                break;
              case 'enqueue': {
                const ok = length < cap;
                expect(enqueue(h, s.q, s.io, s.len, s.oid)).toBe(ok);
                expect(a.rawTail(s.q)).toBe(ok ? (tail + 1) & 0xffff : tail);
                break;
              }
              case 'dequeue': {
                const ok = length > 0 && !corrupt;
                expect(dequeue(h, s.q, out)).toBe(ok);
                expect(a.rawHead(s.q)).toBe(ok ? (head + 1) & 0xffff : head);
                if (ok) expect(out).toEqual({ ioOrOffset: expectIo, len: expectLen, oid: expectOid });
                break;
              }
              case 'request':
              case 'cancel':
              case 'require':
                observes = false;
                if (s.call === 'request') {
                  if (s.q === 'free') h.requestSignalFree();
                  else h.requestSignalActive();
                  expect(a.rawFlag(s.q)).toBe(0);
                } else if (s.call === 'cancel') {
                  if (s.q === 'free') h.cancelSignalFree();
                  else h.cancelSignalActive();
                  expect(a.rawFlag(s.q)).toBe(1);
                } else {
                  const flag = a.rawFlag(s.q);
                  expect(s.q === 'free' ? h.requireSignalFree() : h.requireSignalActive()).toBe(flag === 0);
                }
                break;
              case 'buffersInit': {
                const lengthFree = a.rawLength('free');
                observes = lengthFree > cap;
                expect(h.buffersInit(0)).toBe(observes ? 0 : cap - lengthFree);
                break;
              }
            }
            if (s.call !== 'buffersInit') observes = observes && corrupt;
            expect(h.violations).toBe(before + (observes ? 1 : 0));
            const bound = s.call === 'buffersInit' ? 8 * cap + 8 : 8;
            expect(a.freeLog.calls + a.activeLog.calls).toBeLessThanOrEqual(bound);
            expect(a.freeLog.outOfRange + a.activeLog.outOfRange).toBe(0);
            expect(Number.isFinite(out.ioOrOffset) && out.ioOrOffset >= 0).toBe(true);
            expect(out.len >= 0 && out.len <= 0xffff && out.oid >= 0 && out.oid <= 0x3f).toBe(true);
          }
          expect(a.firstDamagedGuard()).toBe(-1);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('treats a queue longer than its capacity as empty to its consumer and full to its producer', () => {
    const a = new Arena(4);
    const h = a.handle();
    a.setIndices('active', 10, 15); // length 5 > 4
    const out = new NetBuffDesc();
    expect(h.dequeueActive(out)).toBe(false);
    expect(h.enqueueActive(0, 0)).toBe(false);
    expect(h.emptyActive()).toBe(true);
    expect(h.fullActive()).toBe(true);
    expect(h.lengthActive()).toBe(0);
    expect(h.violations).toBe(5);
    expect(a.rawHead('active')).toBe(10);
    expect(a.rawTail('active')).toBe(15);
    a.setIndices('active', 11, 15); // repaired: length 4, full
    expect(h.dequeueActive(out)).toBe(true);
    expect(h.violations).toBe(5);
  });

  it('calls a queue quiet only when empty with its signal requested, and counts nothing for asking', () => {
    const a = new Arena(4);
    const h = a.handle();
    a.setIndices('active', 0xfffe, 0xfffe);
    expect(h.quietActive()).toBe(true); // a zeroed flag reads as requested
    h.cancelSignalActive();
    expect(h.quietActive()).toBe(false);
    h.requestSignalActive();
    expect(h.quietActive()).toBe(true);
    a.setIndices('active', 0xffff, 0); // length 1 across the wrap
    expect(h.quietActive()).toBe(false);
    expect(h.saneActive()).toBe(true);
    a.setIndices('active', 0xfffe, 3); // length 5 > 4: corrupt
    expect(h.quietActive()).toBe(false);
    expect(h.saneActive()).toBe(false);
    a.setIndices('free', 7, 7);
    expect(h.quietFree()).toBe(true);
    a.setIndices('free', 7, 8);
    expect(h.quietFree()).toBe(false);
    expect(h.violations).toBe(0);
  });
});
