import { describe, expect, it } from 'vitest';
import { PERM_R, PERM_W } from '../../src/board/address_space.js';
import { AssertionError } from '../../src/board/assert.js';
import type { Kernel } from '../../src/board/kernel.js';
import { type MmioHandler, PAGE_SIZE, PhysicalMemory } from '../../src/board/memory.js';
import { type FaultInfo, PpcMessage } from '../../src/board/pd.js';
import { T_BLOCKED, T_STOPPED } from '../../src/board/thread.js';
import { type GuestSoftware, VirtualCpu } from '../../src/board/vcpu.js';
import { type Board, calls, makeBoard, ScriptPd, type TraceEntry } from './kernel_fixture.js';

/** Quiet time after boot: every init has long finished. */
const T = 100_000;

interface Rig extends Board {
  trace: TraceEntry[];
  pd(
    name: string,
    core: number,
    priority: number,
    extra?: { budgetUs?: number; periodUs?: number },
  ): ScriptPd;
  /** Raises an IRQ line from outside (a device), at the engine's current time. */
  fire(irq: number): void;
  /** Boots, runs until T and forgets the inits. */
  start(): void;
}

function rig(opts: Parameters<typeof makeBoard>[0] = {}): Rig {
  const b = makeBoard(opts);
  const trace: TraceEntry[] = [];
  return {
    ...b,
    trace,
    pd(name, core, priority, extra = {}) {
      const p = new ScriptPd(name, trace);
      b.kernel.addThread(p, { core, priority, ...extra });
      return p;
    },
    fire(irq) {
      b.kernel.setIrqLine(irq, true);
    },
    start() {
      b.kernel.boot();
      b.engine.runUntil(T);
      trace.length = 0;
    },
  };
}

/** Handles IRQ `irq` on channel `ch` of `pd`: lower the line, ack, then run `body`. */
function onIrq(kernel: Kernel, pd: ScriptPd, ch: number, irq: number, body: (pd: ScriptPd) => void): void {
  kernel.irq(pd, ch, irq);
  const prev = pd.onNotified;
  pd.onNotified = (p, c) => {
    if (c === ch) {
      kernel.setIrqLine(irq, false);
      p.irqAck(ch);
      body(p);
    } else prev?.(p, c);
  };
}

describe('Kernel boot', () => {
  it("runs every PD's init once and then leaves them blocked", () => {
    const r = rig({ cores: 2 });
    const a = r.pd('a', 0, 10);
    const b = r.pd('b', 0, 20);
    const c = r.pd('c', 1, 10);
    r.kernel.boot();
    r.engine.runUntil(T);
    expect(r.trace.map((t) => `${t.pd}:${t.entry}`).sort()).toEqual(['a:init', 'b:init', 'c:init']);
    for (const p of [a, b, c]) {
      expect(p.dispatches).toBe(1);
      expect(p.state).toBe(T_BLOCKED);
      expect(p.initDone).toBe(true);
    }
  });

  // BUG: boot() calls makeReady() thread by thread, and the first makeReady on an idle core
  // dispatches at once, so the first PD added to a core runs its init before any
  // higher-priority PD of that core has even been queued.
  it('runs inits in priority order on a core, whatever order the PDs were added in', () => {
    const r = rig();
    r.pd('low', 0, 10);
    r.pd('high', 0, 200);
    r.pd('mid', 0, 100);
    r.kernel.boot();
    r.engine.runUntil(T);
    expect(r.trace.map((t) => t.pd)).toEqual(['high', 'mid', 'low']);
  });
});

describe('Kernel scheduling', () => {
  it('runs higher priorities first and keeps FIFO order within a priority', () => {
    const r = rig();
    const s = r.pd('S', 0, 1);
    const a = r.pd('A', 0, 10);
    const b = r.pd('B', 0, 30);
    const c = r.pd('C', 0, 30);
    const d = r.pd('D', 0, 20);
    r.kernel.channel(s, 1, a, 1);
    r.kernel.channel(s, 2, b, 1);
    r.kernel.channel(s, 3, c, 1);
    r.kernel.channel(s, 4, d, 1);
    onIrq(r.kernel, s, 0, 9, (p) => {
      for (const ch of [1, 3, 4, 2]) p.notify(ch);
    });
    r.start();
    r.fire(9);
    r.engine.runUntil(2 * T);
    expect(calls(r.trace)).toEqual([
      'S:notified:0',
      'C:notified:1',
      'B:notified:1',
      'D:notified:1',
      'A:notified:1',
    ]);
  });

  it('collapses repeated notifications into one notified call per channel, ascending, in one batch', () => {
    const r = rig();
    const s = r.pd('S', 0, 50);
    const rcv = r.pd('R', 0, 10);
    const map: [number, number][] = [
      [1, 40],
      [2, 5],
      [3, 2],
      [4, 33],
      [5, 0],
      [6, 62],
    ];
    for (const [sc, rc] of map) r.kernel.channel(s, sc, rcv, rc);
    onIrq(r.kernel, s, 0, 9, (p) => {
      for (const ch of [1, 2, 1, 3, 2, 6, 4, 3, 5, 1]) p.notify(ch);
    });
    r.start();
    const before = rcv.dispatches;
    r.fire(9);
    r.engine.runUntil(2 * T);
    const got = r.trace.filter((t) => t.pd === 'R');
    expect(got.map((t) => t.arg)).toEqual([0, 2, 5, 33, 40, 62]);
    expect(new Set(got.map((t) => t.dispatch)).size).toBe(1);
    expect(rcv.dispatches - before).toBe(1);
    expect(s.notificationsSent).toBe(10);
  });

  it('counts a notification on a channel that does not exist as lost, not sent', () => {
    const r = rig();
    const s = r.pd('S', 0, 50);
    onIrq(r.kernel, s, 0, 9, (p) => p.notify(17));
    r.start();
    r.fire(9);
    r.engine.runUntil(2 * T);
    expect(s.signalsLost).toBe(1);
    expect(s.notificationsSent).toBe(0);
  });

  it('keeps one deferred slot per entry: the second deferredNotify replaces the first and goes out when the entry returns', () => {
    const r = rig({ cores: 2 });
    const s = r.pd('S', 0, 50);
    const rcv = r.pd('R', 1, 10);
    r.kernel.channel(s, 1, rcv, 7);
    r.kernel.channel(s, 2, rcv, 8);
    const c = r.costs;
    let curr = -2;
    onIrq(r.kernel, s, 0, 9, (p) => {
      p.deferredNotify(1);
      p.charge(1800);
      p.deferredNotify(2);
      curr = p.deferredNotifyCurr();
      p.charge(900);
    });
    r.start();
    r.fire(9);
    r.engine.runUntil(2 * T);
    expect(curr).toBe(2);
    expect(calls(r.trace)).toEqual(['S:notified:0', 'R:notified:8']);
    // Sent after everything the entry charged: IRQ entry, switch, ack, 2700 cycles of work, IPI.
    const charged = c.irq_entry + c.ctx_switch + c.irq_ack + 1800 + 900 + c.ipi;
    expect(r.trace[1]?.engineNs).toBeCloseTo(T + charged / r.ghz + c.ipi_latency_ns, 6);
    expect(s.deferredNotifyCurr()).toBe(-1);
    expect(s.notificationsSent).toBe(1);
  });

  it('sends a deferred notification to a PD on the same core after the entry, in its own batch', () => {
    const r = rig();
    const s = r.pd('S', 0, 50);
    const rcv = r.pd('R', 0, 100);
    r.kernel.channel(s, 1, rcv, 3);
    onIrq(r.kernel, s, 0, 9, (p) => {
      p.deferredNotify(1);
      expect(rcv.pendingBits[0]).toBe(0);
    });
    r.start();
    r.fire(9);
    r.engine.runUntil(2 * T);
    expect(calls(r.trace)).toEqual(['S:notified:0', 'R:notified:3']);
  });
});

describe('Kernel interrupts', () => {
  it('keeps an IRQ masked until it is acked, and redelivers on ack while the line is still high', () => {
    const r = rig();
    const d = r.pd('D', 0, 50);
    r.kernel.irq(d, 3, 5);
    r.kernel.irq(d, 4, 6);
    let n3 = 0;
    d.onNotified = (p, ch) => {
      if (ch === 4) {
        r.kernel.setIrqLine(6, false);
        p.irqAck(4);
        p.irqAck(3); // line 5 is still high: it comes straight back
        return;
      }
      n3++;
      if (n3 === 2) {
        r.kernel.setIrqLine(5, false);
        p.irqAck(3);
      } else if (n3 === 3) {
        p.deferredIrqAck(3); // line still high: redelivered after this entry
      } else if (n3 === 4) {
        r.kernel.setIrqLine(5, false);
        p.irqAck(3);
      }
    };
    r.start();

    r.fire(5);
    r.engine.runUntil(2 * T);
    expect(n3).toBe(1);
    r.fire(5);
    r.kernel.setIrqLine(5, false);
    r.fire(5);
    r.engine.runUntil(3 * T);
    expect(n3).toBe(1);
    expect(r.kernel.irqRaisedCount(5)).toBe(1);

    r.fire(6);
    r.engine.runUntil(4 * T);
    expect(calls(r.trace)).toEqual(['D:notified:3', 'D:notified:4', 'D:notified:3']);
    expect(r.trace[1]?.dispatch).not.toBe(r.trace[2]?.dispatch);
    expect(r.kernel.irqRaisedCount(5)).toBe(2);

    // Acked with the line low: the next edge is delivered at once.
    r.fire(5);
    r.engine.runUntil(5 * T);
    expect(n3).toBe(4);
    expect(r.kernel.irqRaisedCount(5)).toBe(4);
    expect(r.trace.at(-1)?.engineNs).toBeGreaterThan(4 * T);
  });

  it('charges the IRQ entry to the kernel even when the PD is already runnable', () => {
    const r = rig();
    const d = r.pd('D', 0, 50);
    onIrq(r.kernel, d, 0, 1, () => {});
    r.start();
    const k0 = r.kernel.accounting(0).kernel;
    r.fire(1);
    r.engine.runUntil(2 * T);
    const c = r.costs;
    expect(r.kernel.accounting(0).kernel - k0).toBe(c.irq_entry + c.ctx_switch + c.irq_ack + c.syscall_recv);
  });
});

describe('Kernel timing of side effects', () => {
  it('delivers a cross-core notification at entry start + cycles charged so far + the IPI latency', () => {
    const r = rig({
      cores: 2,
      overrides: { irq_entry: 0, ctx_switch: 0, syscall_signal: 0, ipi: 0, irq_ack: 0 },
    });
    const s = r.pd('S', 0, 50);
    const r1 = r.pd('R1', 1, 10);
    const r2 = r.pd('R2', 1, 10);
    r.kernel.channel(s, 1, r1, 1);
    r.kernel.channel(s, 2, r2, 1);
    onIrq(r.kernel, s, 0, 9, (p) => {
      p.charge(1800); // 1000 ns at 1.8 GHz
      p.notify(1);
      p.charge(3600);
      p.notify(2);
    });
    r.start();
    r.fire(9);
    r.engine.runUntil(2 * T);
    expect(calls(r.trace)).toEqual(['S:notified:0', 'R1:notified:1', 'R2:notified:1']);
    expect(r.trace[1]?.engineNs).toBeCloseTo(T + 1000 + 1000, 6);
    expect(r.trace[2]?.engineNs).toBeCloseTo(T + 3000 + 1000, 6);
  });

  it('charges an IPI to the sender for a cross-core notification and not for a same-core one', () => {
    const kernelForSender = (cores: number) => {
      const r = rig({ cores: 2 });
      const s = r.pd('S', 0, 50);
      const rcv = r.pd('R', cores - 1, 10);
      r.kernel.channel(s, 1, rcv, 1);
      onIrq(r.kernel, s, 0, 9, (p) => {
        p.charge(1800);
        p.notify(1);
      });
      r.start();
      const before = r.kernel.accounting(0).kernelFor[s.id] ?? 0;
      r.fire(9);
      r.engine.runUntil(2 * T);
      expect(calls(r.trace)).toEqual(['S:notified:0', 'R:notified:1']);
      const c = r.costs;
      const sameCoreArrival =
        T + (c.irq_entry + c.ctx_switch + c.irq_ack + 1800 + c.syscall_signal + c.syscall_recv) / r.ghz;
      return {
        charged: (r.kernel.accounting(0).kernelFor[s.id] ?? 0) - before,
        arrival: r.trace[1]!.engineNs,
        sameCoreArrival,
        c,
        ghz: r.ghz,
      };
    };
    const same = kernelForSender(1);
    const cross = kernelForSender(2);
    const c = same.c;
    expect(same.charged).toBe(c.ctx_switch + c.irq_ack + c.syscall_signal + c.syscall_recv);
    expect(cross.charged).toBe(same.charged + c.ipi);
    // Same core: the receiver runs once the sender's entry is over.
    expect(same.arrival).toBeCloseTo(same.sameCoreArrival, 6);
    const sent = T + (c.irq_entry + c.ctx_switch + c.irq_ack + 1800 + c.syscall_signal + c.ipi) / cross.ghz;
    expect(cross.arrival).toBeCloseTo(sent + c.ipi_latency_ns, 6);
  });

  it('fires a timeout on the PD own channel after the delay, counted from the logical time of the call', () => {
    const r = rig();
    const x = r.pd('X', 0, 10);
    x.onInit = (p) => p.setTimeout(2, 50_000);
    r.kernel.boot();
    r.engine.runUntil(2 * T);
    const c = r.costs;
    expect(calls(r.trace)).toEqual(['X:notified:2']);
    expect(r.trace[1]?.engineNs).toBeCloseTo((c.ctx_switch + c.timer_set) / r.ghz + 50_000, 6);
  });

  // BUG: dispatch() starts the cycle cursor at Math.round(now * ghz). For an event that
  // lands within half a cycle after the core went idle (any event time off the cycle grid:
  // IPIs, timeouts) and with no context switch to charge (same thread as last time), the
  // entry's logical time is earlier than engine.now, and any event it schedules at its
  // logical time (a kick of another core, a vCPU timer) throws "before now".
  it('never lets an entry point run at a logical time before the engine time', () => {
    const r = rig({ cores: 2 });
    const x = r.pd('X', 0, 10);
    const y = r.pd('Y', 1, 10);
    onIrq(r.kernel, y, 0, 9, () => {});
    const dev: MmioHandler = {
      mmioRead: () => 0,
      mmioWrite: () => r.kernel.setIrqLine(9, true),
    };
    const regs = new PhysicalMemory().addDevice('dev', PAGE_SIZE, dev);
    x.as.map(regs, 0x1000, PERM_R | PERM_W, false);
    const c = r.costs;
    // The timeout lands 0.1 ns after X's init entry ends (after its Recv).
    x.onInit = (p) => p.setTimeout(1, c.syscall_recv / r.ghz + 0.1);
    let logical = Number.NaN;
    let engineNow = Number.NaN;
    x.onNotified = (p) => {
      logical = p.now();
      engineNow = r.engine.now;
      p.as.write(0x1000, 4, 1);
    };
    r.kernel.boot();
    expect(() => r.engine.runUntil(T)).not.toThrow();
    expect(logical).toBeGreaterThanOrEqual(engineNow);
    expect(calls(r.trace)).toEqual(['X:notified:1', 'Y:notified:0']);
    expect(y.state).toBe(T_BLOCKED);
  });
});

describe('Kernel protected procedure calls', () => {
  it('runs a PPC to a higher-priority PD synchronously and charges its cycles to the callee', () => {
    const r = rig();
    const caller = r.pd('C', 0, 10);
    const callee = r.pd('P', 0, 20);
    r.kernel.channel(caller, 2, callee, 6);
    callee.onProtected = (p, _ch, msg) => {
      p.charge(9000);
      msg.mr[0] = msg.mr[0]! * 2;
      msg.label = 7;
    };
    const acct = r.kernel.accounting(0);
    let t0 = 0;
    let t1 = 0;
    const msg = new PpcMessage();
    onIrq(r.kernel, caller, 0, 9, (p) => {
      p.charge(100);
      msg.mr[0] = 21;
      t0 = p.now();
      p.ppcall(2, msg);
      t1 = p.now();
    });
    r.start();
    const userC = acct.user[caller.id] ?? 0;
    const userP = acct.user[callee.id] ?? 0;
    const kForC = acct.kernelFor[caller.id] ?? 0;
    const dispatchesP = callee.dispatches;
    r.fire(9);
    r.engine.runUntil(2 * T);
    const c = r.costs;
    expect(calls(r.trace)).toEqual(['C:notified:0', 'P:protected:6']);
    expect(msg.mr[0]).toBe(42);
    expect(msg.label).toBe(7);
    expect(r.trace[1]?.logicalNs).toBeCloseTo(t0 + c.ppc_call / r.ghz, 6);
    expect(t1 - t0).toBeCloseTo((c.ppc_call + 9000) / r.ghz, 6);
    expect((acct.user[callee.id] ?? 0) - userP).toBe(9000);
    expect((acct.user[caller.id] ?? 0) - userC).toBe(100);
    expect((acct.kernelFor[caller.id] ?? 0) - kForC).toBe(
      c.ctx_switch + c.irq_ack + c.ppc_call + c.syscall_recv,
    );
    expect(callee.dispatches).toBe(dispatchesP);
    expect(callee.state).toBe(T_BLOCKED);
  });

  it('refuses a PPC to a PD of equal or lower priority', () => {
    const r = rig();
    const caller = r.pd('C', 0, 10);
    const callee = r.pd('P', 0, 10);
    r.kernel.channel(caller, 2, callee, 6);
    onIrq(r.kernel, caller, 0, 9, (p) => p.ppcall(2, new PpcMessage()));
    r.start();
    expect(() => r.fire(9)).toThrow(AssertionError);
  });

  // BUG: Kernel.nested() sets the callee RUNNING and afterwards restores its old state. A
  // notification delivered to the callee during its `protected` (here: it acks its own IRQ
  // whose line is still high) only sets the pending bit, and the restored BLOCKED callee is
  // never queued: the IRQ stays undelivered until some unrelated signal wakes the PD.
  it('does not lose a notification the callee receives while it serves the PPC', () => {
    const r = rig();
    const caller = r.pd('C', 0, 10);
    const callee = r.pd('P', 0, 20);
    r.kernel.channel(caller, 1, callee, 1);
    r.kernel.irq(callee, 5, 4);
    let irqs = 0;
    callee.onNotified = (p, ch) => {
      if (ch !== 5) return;
      irqs++;
      if (irqs === 2) {
        r.kernel.setIrqLine(4, false);
        p.irqAck(5);
      }
    };
    callee.onProtected = (p) => p.irqAck(5);
    onIrq(r.kernel, caller, 0, 9, (p) => p.ppcall(1, new PpcMessage()));
    r.start();
    r.fire(4); // delivered, not acked: masked, line high
    r.engine.runUntil(2 * T);
    r.fire(9);
    r.engine.runUntil(3 * T);
    expect(irqs).toBe(2);
  });

  // BUG: a callee that faults inside `protected` while it is already on a ready queue is
  // marked STOPPED but not removed from the queue (stopThread sees RUNNING, not READY). The
  // core later dispatches it anyway, which turns it back into BLOCKED: the stopped PD is
  // alive again and runs on the next notification.
  it('never runs a PD again after it faulted inside a PPC', () => {
    const r = rig();
    const caller = r.pd('C', 0, 10);
    const callee = r.pd('P', 0, 20);
    r.kernel.channel(caller, 1, callee, 1);
    callee.onProtected = (p) => p.as.read(0xdead_0000, 4);
    let called = false;
    onIrq(r.kernel, caller, 0, 9, (p) => {
      p.notify(1);
      if (!called) p.ppcall(1, new PpcMessage());
      called = true;
    });
    r.start();
    r.fire(9);
    r.engine.runUntil(2 * T);
    r.fire(9);
    r.engine.runUntil(3 * T);
    expect(r.kernel.faultLog.map((f) => f.thread)).toEqual(['P']);
    expect(calls(r.trace)).toEqual(['C:notified:0', 'P:protected:1', 'C:notified:0']);
    expect(callee.state).toBe(T_STOPPED);
  });
});

describe('Kernel budgets (MCS)', () => {
  it('holds a PD with budget 100us / period 400us to about a quarter of the core under overload', () => {
    const r = rig({ windowStartNs: 1e6, windowEndNs: 41e6 });
    const w = r.pd('W', 0, 100, { budgetUs: 100, periodUs: 400 });
    const bg = r.pd('B', 0, 1);
    // Both IRQ lines stay high: each ack redelivers at once, so both always have work.
    r.kernel.irq(w, 0, 3);
    r.kernel.irq(bg, 0, 4);
    w.onNotified = (p) => {
      p.charge(18_000);
      p.irqAck(0);
    };
    bg.onNotified = (p) => {
      p.charge(18_000);
      p.irqAck(0);
    };
    r.kernel.boot();
    r.fire(3);
    r.fire(4);
    r.engine.runUntil(41e6);
    r.kernel.finish(41e6);
    const acct = r.kernel.accounting(0);
    const total = 40e6 * r.ghz;
    const share = ((acct.user[w.id] ?? 0) + (acct.kernelFor[w.id] ?? 0)) / total;
    const entry = (18_000 + 1_000) / (400 * 1000 * r.ghz);
    expect(share).toBeLessThanOrEqual(0.25 + entry);
    expect(share).toBeGreaterThan(0.22);
    expect(w.throttles).toBeGreaterThanOrEqual(95);
    expect(w.throttles).toBeLessThanOrEqual(105);
    expect(1 - acct.idle / total).toBeGreaterThan(0.99); // the rest went to B
    expect((acct.user[bg.id] ?? 0) / total).toBeGreaterThan(0.6);
  });

  it('gives a PD with an unlimited budget the whole core', () => {
    const r = rig({ windowStartNs: 1e6, windowEndNs: 11e6 });
    const w = r.pd('W', 0, 100, { budgetUs: 400, periodUs: 400 });
    r.kernel.irq(w, 0, 3);
    w.onNotified = (p) => {
      p.charge(18_000);
      p.irqAck(0);
    };
    r.kernel.boot();
    r.fire(3);
    r.engine.runUntil(11e6);
    expect(w.throttles).toBe(0);
    expect((r.kernel.accounting(0).user[w.id] ?? 0) / (10e6 * r.ghz)).toBeGreaterThan(0.9);
  });

  // BUG: the overrun of an entry longer than the budget is forgiven: the PD is throttled
  // only until the end of the current period and then gets a fresh budget, so a PD whose
  // entries take 1 ms runs ~100% of the core despite budget 100us / period 400us.
  it('still holds a PD to its budget share when one entry runs longer than the budget', () => {
    const r = rig({ windowStartNs: 1e6, windowEndNs: 41e6 });
    const w = r.pd('W', 0, 100, { budgetUs: 100, periodUs: 400 });
    r.kernel.irq(w, 0, 3);
    w.onNotified = (p) => {
      p.charge(1_800_000); // 1 ms of work in one entry
      p.irqAck(0);
    };
    r.kernel.boot();
    r.fire(3);
    r.engine.runUntil(41e6);
    const acct = r.kernel.accounting(0);
    const share = ((acct.user[w.id] ?? 0) + (acct.kernelFor[w.id] ?? 0)) / (40e6 * r.ghz);
    expect(share).toBeLessThan(0.3);
  });
});

describe('Kernel faults', () => {
  function faultRig() {
    const r = rig();
    const parent = r.pd('parent', 0, 50);
    const child = r.pd('child', 0, 40);
    const other = r.pd('other', 0, 30);
    child.parent = parent;
    child.childId = 3;
    const ro = new PhysicalMemory().allocate('shared_ro', PAGE_SIZE);
    ro.bytes.fill(0x11);
    child.as.map(ro, 0x1000, PERM_R, true);
    r.kernel.channel(other, 1, child, 1);
    const faults: { child: number; info: FaultInfo }[] = [];
    parent.onFault = (_p, c, info) => {
      faults.push({ child: c, info: { ...info } });
      return false;
    };
    let otherRuns = 0;
    onIrq(r.kernel, other, 0, 8, (p) => {
      otherRuns++;
      p.notify(1);
    });
    onIrq(r.kernel, child, 0, 7, (p) => p.as.write(0x1000, 4, 0xdead));
    return { r, parent, child, other, ro, faults, otherRuns: () => otherRuns };
  }

  it('stops a PD whose entry point faults, logs it, tells its parent, and keeps the others running', () => {
    const { r, child, other, ro, faults, otherRuns } = faultRig();
    r.start();
    r.fire(7);
    r.engine.runUntil(2 * T);
    expect(child.state).toBe(T_STOPPED);
    expect(child.faults).toBe(1);
    expect(ro.bytes.every((b) => b === 0x11)).toBe(true);
    expect(r.kernel.faultCount).toBe(1);
    expect(r.kernel.faultLog).toHaveLength(1);
    expect(r.kernel.faultLog[0]).toMatchObject({ thread: 'child', kind: 'vm-fault' });
    expect(r.kernel.faultLog[0]?.detail).toContain('permission write');
    expect(faults).toHaveLength(1);
    expect(faults[0]?.child).toBe(3);
    expect(faults[0]?.info).toMatchObject({ kind: 'vm-fault', addr: 0x1000 });
    expect(calls(r.trace)).toEqual(['child:notified:0', 'parent:fault:3']);

    r.fire(8);
    r.engine.runUntil(3 * T);
    expect(otherRuns()).toBe(1);
    expect(child.signalsLost).toBe(1); // the stopped child lost other's notification
    expect(other.notificationsSent).toBe(1);
    expect(calls(r.trace).slice(2)).toEqual(['other:notified:0']);
  });

  // BUG: stopThread() builds the parent's FaultInfo from the address alone (width 0,
  // write false, reason 'unmapped'), discarding the decoded MemoryFault info.
  it("passes the decoded access to the parent's fault entry point", () => {
    const { r, faults } = faultRig();
    r.start();
    r.fire(7);
    r.engine.runUntil(2 * T);
    expect(faults[0]?.info).toMatchObject({
      addr: 0x1000,
      width: 4,
      write: true,
      reason: 'permission',
      value: 0xdead,
    });
  });

  it('stops a PD that faults in init, and a root PD fault is only recorded', () => {
    const r = rig();
    const root = r.pd('root', 0, 10);
    const fine = r.pd('fine', 0, 5);
    root.onInit = (p) => p.as.read(0x4000, 4);
    r.kernel.boot();
    r.engine.runUntil(T);
    expect(root.state).toBe(T_STOPPED);
    expect(fine.state).toBe(T_BLOCKED);
    expect(r.kernel.faultLog.map((f) => `${f.thread}:${f.kind}`)).toEqual(['root:vm-fault']);
    expect(r.kernel.faultLog[0]?.detail).toContain('unmapped read of 4 bytes at 0x4000');
  });

  it('resumes the child when the parent fault handler returns true', () => {
    const { r, parent, child } = faultRig();
    parent.onFault = () => true;
    r.start();
    r.fire(7);
    r.engine.runUntil(2 * T);
    expect(child.state).toBe(T_BLOCKED);
    r.fire(8); // other notifies the child, which now runs again
    r.engine.runUntil(3 * T);
    expect(calls(r.trace)).toEqual([
      'child:notified:0',
      'parent:fault:3',
      'other:notified:0',
      'child:notified:1',
    ]);
  });

  it('restarts a stopped PD from init, dropping what was pending', () => {
    const { r, child } = faultRig();
    r.start();
    r.fire(7);
    r.engine.runUntil(2 * T);
    r.kernel.restartThread(child);
    r.engine.runUntil(3 * T);
    expect(child.state).toBe(T_BLOCKED);
    expect(r.trace.filter((t) => t.pd === 'child').map((t) => t.entry)).toEqual(['notified', 'init']);
  });

  it('lets a genuine exception (not a MemoryFault) escape as a simulator bug', () => {
    const r = rig();
    const p = r.pd('buggy', 0, 10);
    p.onInit = () => {
      throw new TypeError('oops');
    };
    expect(() => r.kernel.boot()).toThrow(TypeError);
  });
});

// ---------------------------------------------------------------------------------------

class TestGuest implements GuestSoftware {
  readonly log: string[] = [];
  onBoot: (() => void) | null = null;
  boot(): void {
    this.log.push('boot');
    this.onBoot?.();
  }
  irq(n: number): void {
    this.log.push(`irq${n}`);
  }
  timer(): void {
    this.log.push('timer');
  }
}

function vmRig() {
  const r = rig();
  const vmm = r.pd('vmm', 0, 100);
  // addVcpu wires the stage-2 fault path: an unmapped guest access becomes a VM exit.
  const vcpu = r.kernel.addVcpu(new VirtualCpu('guest0', vmm, 0), { core: 0, priority: 50 });
  const guest = new TestGuest();
  vcpu.guest = guest;
  const ram = new PhysicalMemory().allocate('guest0_ram', 4 * PAGE_SIZE);
  vcpu.as.map(ram, 0x4000_0000, PERM_R | PERM_W, true);
  return { r, vmm, vcpu, guest, ram };
}

describe('vCPUs', () => {
  it('boots the guest, runs guest.irq(n) on an injected IRQ and coalesces a second inject while pending', () => {
    const { r, vmm, vcpu, guest } = vmRig();
    const results: boolean[] = [];
    onIrq(r.kernel, vmm, 0, 1, () => {
      results.push(r.kernel.vcpuInjectIrq(vcpu, 33));
      results.push(r.kernel.vcpuInjectIrq(vcpu, 33));
      results.push(r.kernel.vcpuInjectIrq(vcpu, 34));
    });
    r.start();
    expect(guest.log).toEqual(['boot']);
    const kForVmm = r.kernel.accounting(0).kernelFor[vmm.id] ?? 0;
    r.fire(1);
    r.engine.runUntil(2 * T);
    expect(results).toEqual([true, true, true]);
    expect(guest.log).toEqual(['boot', 'irq33', 'irq34']);
    expect(vcpu.virqCoalesced).toBe(1);
    expect(vcpu.virqCount).toBe(0);
    const c = r.costs;
    expect((r.kernel.accounting(0).kernelFor[vmm.id] ?? 0) - kForVmm).toBe(
      c.ctx_switch + c.irq_ack + 3 * c.virq_inject + c.syscall_recv,
    );
    // Once delivered, the same IRQ can be injected again.
    r.fire(1);
    r.engine.runUntil(3 * T);
    expect(guest.log.slice(3)).toEqual(['irq33', 'irq34']);
  });

  it('traps a guest access to unmapped guest-physical memory to the VMM fault() with the access decoded', () => {
    const { r, vmm, vcpu, guest } = vmRig();
    const seen: FaultInfo[] = [];
    vmm.onFault = (p, child, info) => {
      expect(child).toBe(vcpu.vcpuId);
      p.charge(r.costs.mmio_emulate);
      if (!info.write) info.readValue = 0x7472_6976;
      seen.push({ ...info });
      return true;
    };
    let loaded = 0;
    guest.onBoot = () => {
      loaded = vcpu.as.read(0x0a00_3000, 4);
      vcpu.as.write(0x0a00_3050, 2, 0x1f);
      vcpu.as.write(0x4000_0010, 4, 5); // plain RAM: no exit
    };
    r.kernel.boot();
    r.engine.runUntil(T);
    expect(loaded).toBe(0x7472_6976);
    expect(seen).toEqual([
      {
        addr: 0x0a00_3000,
        width: 4,
        write: false,
        reason: 'unmapped',
        value: 0,
        kind: 'vm-fault',
        readValue: 0x7472_6976,
      },
      {
        addr: 0x0a00_3050,
        width: 2,
        write: true,
        reason: 'unmapped',
        value: 0x1f,
        kind: 'vm-fault',
        readValue: 0,
      },
    ]);
    expect(calls(r.trace)).toEqual(['vmm:fault:0', 'vmm:fault:0']);
    const acct = r.kernel.accounting(0);
    expect(acct.kernelFor[vcpu.id]).toBe(r.costs.ctx_switch + 2 * r.costs.vm_exit + r.costs.syscall_recv);
    expect(acct.user[vmm.id]).toBe(2 * r.costs.mmio_emulate);
    expect(vcpu.state).toBe(T_BLOCKED);
  });

  it('also traps a guest store to read-only guest memory, as a permission fault', () => {
    const { r, vmm, vcpu, guest } = vmRig();
    const rom = new PhysicalMemory(null, 0x8000_0000).allocate('guest0_rom', PAGE_SIZE);
    vcpu.as.map(rom, 0x1000_0000, PERM_R, true);
    const seen: FaultInfo[] = [];
    vmm.onFault = (_p, _c, info) => {
      seen.push({ ...info });
      return true; // the VMM skips the store
    };
    guest.onBoot = () => vcpu.as.write(0x1000_0008, 4, 0xabcd);
    r.kernel.boot();
    r.engine.runUntil(T);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      addr: 0x1000_0008,
      width: 4,
      write: true,
      reason: 'permission',
      value: 0xabcd,
    });
    expect(rom.bytes.every((b) => b === 0)).toBe(true);
    expect(vcpu.state).toBe(T_BLOCKED);
  });

  it('stops the vCPU on a trap the VMM does not handle, and the VMM keeps running', () => {
    const { r, vmm, vcpu, guest } = vmRig();
    vmm.onFault = () => false;
    let after = false;
    guest.onBoot = () => {
      vcpu.as.read(0x0b00_0000, 4);
      after = true;
    };
    let vmmRuns = 0;
    onIrq(r.kernel, vmm, 0, 1, () => {
      vmmRuns++;
      expect(r.kernel.vcpuInjectIrq(vcpu, 5)).toBe(false);
    });
    r.kernel.boot();
    r.engine.runUntil(T);
    expect(after).toBe(false);
    expect(vcpu.state).toBe(T_STOPPED);
    expect(r.kernel.faultLog.map((f) => `${f.thread}:${f.kind}`)).toEqual(['guest0:vm-fault']);
    r.fire(1);
    r.engine.runUntil(2 * T);
    expect(vmmRuns).toBe(1);
    expect(guest.log).toEqual(['boot']);
  });

  it('fires the virtual timer once at the last time it was set to', () => {
    const { r, vcpu, guest } = vmRig();
    guest.onBoot = () => {
      vcpu.setTimer(vcpu.now() + 10_000);
      vcpu.setTimer(vcpu.now() + 30_000);
    };
    r.kernel.boot();
    r.engine.runUntil(T);
    expect(guest.log).toEqual(['boot', 'timer']);
    const { r: r2, vcpu: v2, guest: g2 } = vmRig();
    g2.onBoot = () => {
      v2.setTimer(v2.now() + 30_000);
      v2.setTimer(v2.now() + 10_000);
    };
    r2.kernel.boot();
    r2.engine.runUntil(T);
    expect(g2.log).toEqual(['boot', 'timer']);
  });
});
