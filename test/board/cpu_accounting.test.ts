import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ACCT_IDLE, ACCT_KERNEL, CoreAccounting } from '../../src/board/cpu_accounting.js';
import type { Kernel } from '../../src/board/kernel.js';
import { makeBoard, ScriptPd, type TraceEntry } from './kernel_fixture.js';

describe('CoreAccounting', () => {
  it('clips segments to the window and sorts them into idle, kernel and per-thread user cycles', () => {
    const a = new CoreAccounting(0, 0);
    a.setWindow(100, 1000);
    a.add(ACCT_IDLE, 0, 150); // 50 inside
    a.add(ACCT_KERNEL, 150, 50, 3);
    a.add(3, 200, 300);
    a.add(1, 500, 200);
    a.add(ACCT_KERNEL, 700, 100);
    a.add(3, 800, 500); // 200 inside
    a.add(ACCT_IDLE, 1300, 10); // after the window
    a.add(1, 400, 0);
    a.add(1, 400, -5);
    expect(a.idle).toBe(50);
    expect(a.kernel).toBe(150);
    expect(a.kernelFor[3]).toBe(50);
    expect(a.user[3]).toBe(500);
    expect(a.user[1]).toBe(200);
    expect(a.accounted).toBe(900);
  });

  it('splits segments into fixed-size time buckets regardless of the window', () => {
    const a = new CoreAccounting(0, 100);
    a.setWindow(1000, 2000);
    a.add(ACCT_IDLE, 0, 250);
    a.add(2, 250, 120);
    a.add(ACCT_KERNEL, 370, 30);
    expect(a.idleBuckets).toEqual([100, 100, 50]);
    expect(a.userBuckets[2]).toEqual([0, 0, 50, 70]);
    expect(a.kernelBuckets).toEqual([0, 0, 0, 30]);
    expect(a.accounted).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------

/** Sum of every cycle category of a core inside its window. */
function parts(kernel: Kernel, core: number): { idle: number; kernel: number; user: number; total: number } {
  const a = kernel.accounting(core);
  const user = a.user.reduce((n, u) => n + (u ?? 0), 0);
  return { idle: a.idle, kernel: a.kernel, user, total: a.windowEnd - a.windowStart };
}

describe('Kernel CPU accounting', () => {
  it('accounts an IRQ-driven PD exactly, with the window starting and ending inside entry points', () => {
    // Window [55us, 555us): the entries at 50us and 550us straddle its ends.
    // Kernel costs pinned here so the hand-computed figures do not move when the preset is refitted.
    const b = makeBoard({
      windowStartNs: 55_000,
      windowEndNs: 555_000,
      overrides: { irq_entry: 600, ctx_switch: 450, irq_ack: 250, syscall_recv: 300, syscall_signal: 300 },
    });
    const trace: TraceEntry[] = [];
    const w = new ScriptPd('W', trace);
    b.kernel.addThread(w, { core: 0, priority: 10 });
    b.kernel.irq(w, 0, 1);
    w.onNotified = (p) => {
      b.kernel.setIrqLine(1, false);
      p.irqAck(0);
      p.charge(18_000);
    };
    b.kernel.boot();
    for (let k = 0; k < 6; k++) {
      b.engine.runUntil(50_000 + k * 100_000);
      b.kernel.setIrqLine(1, true);
    }
    b.engine.runUntil(555_000);
    b.kernel.finish(555_000);
    const a = b.kernel.accounting(0);
    const c = b.costs;
    expect(c.irq_entry + c.ctx_switch + c.irq_ack).toBe(1300);
    // Entry k starts at cycle 90000 + 180000k: kernel 1300, user 18000, Recv 300.
    expect(a.user[w.id]).toBe(10_300 + 4 * 18_000 + 7_700);
    expect(a.kernel).toBe(300 + 4 * 1_600 + 1_300);
    expect(a.idle).toBe(900_000 - 90_000 - 8_000);
    const p = parts(b.kernel, 0);
    expect(p.idle + p.kernel + p.user).toBe(p.total);
    expect(1 - p.idle / p.total).toBeCloseTo(98_000 / 900_000, 12);
  });

  it('makes idle + kernel + user equal the window exactly on every core, for random multi-PD runs', () => {
    const fire = fc.record({ at: fc.integer({ min: 0, max: 2_000_000 }), pd: fc.nat(3) });
    const scenario = fc.record({
      fires: fc.array(fire, { maxLength: 60 }),
      work: fc.array(fc.integer({ min: 1, max: 200_000 }), { minLength: 4, maxLength: 4 }),
      peerWork: fc.array(fc.integer({ min: 0, max: 50_000 }), { minLength: 4, maxLength: 4 }),
      notifies: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
      smp: fc.boolean(),
      window: fc
        .tuple(
          fc.double({ min: 0, max: 2_400_000, noNaN: true }),
          fc.double({ min: 1, max: 2_400_000, noNaN: true }),
        )
        .map(([a, len]) => [a, Math.min(a + len, 2_500_000)] as const),
    });
    fc.assert(
      fc.property(scenario, (s) => {
        const [ws, we] = s.window;
        const b = makeBoard({ cores: 2, smp: s.smp, windowStartNs: ws, windowEndNs: we, bucketNs: 10_000 });
        const trace: TraceEntry[] = [];
        const spec = [
          { core: 0, prio: 10 },
          { core: 0, prio: 20 },
          { core: 1, prio: 10 },
          { core: 1, prio: 5 },
        ];
        const pds = spec.map((x, i) => {
          const p = new ScriptPd(`pd${i}`, trace);
          b.kernel.addThread(p, { core: x.core, priority: x.prio });
          b.kernel.irq(p, 0, i + 1);
          return p;
        });
        // pd0<->pd2 and pd1<->pd3 cross cores; pd0<->pd1 and pd2<->pd3 share one.
        const links: [number, number][] = [
          [0, 2],
          [1, 3],
          [0, 1],
          [2, 3],
        ];
        const crossChannel = [1, 2, 1, 2]; // each PD's channel to its peer on the other core
        links.forEach(([x, y], l) => {
          b.kernel.channel(pds[x]!, l + 1, pds[y]!, l + 1);
        });
        pds.forEach((p, i) => {
          p.onNotified = (pd, ch) => {
            if (ch !== 0) {
              pd.charge(s.peerWork[i]!);
              return;
            }
            b.kernel.setIrqLine(i + 1, false);
            pd.irqAck(0);
            pd.charge(s.work[i]!);
            if (s.notifies[i]) pd.notify(crossChannel[i]!);
          };
        });
        b.kernel.boot();
        for (const f of [...s.fires].sort((x, y) => x.at - y.at)) {
          if (f.at > we) break;
          b.engine.runUntil(f.at);
          b.kernel.setIrqLine(f.pd + 1, true);
        }
        b.engine.runUntil(we);
        b.kernel.finish(we);
        for (const core of [0, 1]) {
          const p = parts(b.kernel, core);
          expect(p.idle + p.kernel + p.user).toBe(p.total);
          expect(Number.isInteger(p.idle) && Number.isInteger(p.kernel) && Number.isInteger(p.user)).toBe(
            true,
          );
          const a = b.kernel.accounting(core);
          expect(a.kernelFor.reduce((n, k) => n + (k ?? 0), 0)).toBeLessThanOrEqual(a.kernel);
          // Every bucket that ended before the run did is fully accounted too.
          const end = Math.round(we * b.ghz);
          for (let k = 0; (k + 1) * a.bucketCycles <= end; k++) {
            let sum = (a.idleBuckets[k] ?? 0) + (a.kernelBuckets[k] ?? 0);
            for (const u of a.userBuckets) sum += u?.[k] ?? 0;
            expect(sum).toBe(a.bucketCycles);
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});
