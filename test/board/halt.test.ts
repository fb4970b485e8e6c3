// A ComponentHalt (a C component's failed assert or endless loop) stops the thread like a memory
// fault: recorded under its own kind, the parent told, the simulation carries on.
import { describe, expect, it } from 'vitest';
import { ComponentHalt } from '../../src/board/halt.js';
import { T_BLOCKED, T_STOPPED } from '../../src/board/thread.js';
import { makeBoard, ScriptPd, type TraceEntry } from './kernel_fixture.js';

describe('ComponentHalt', () => {
  it('stops the thread, records the stall, tells the parent, and the others keep running', () => {
    const b = makeBoard();
    const trace: TraceEntry[] = [];
    const parent = new ScriptPd('parent', trace);
    const child = new ScriptPd('child', trace);
    const other = new ScriptPd('other', trace);
    b.kernel.addThread(parent, { core: 0, priority: 50 });
    b.kernel.addThread(child, { core: 0, priority: 10 });
    child.parent = parent;
    child.childId = 1;
    b.kernel.addThread(other, { core: 0, priority: 5 });
    let told = 0;
    parent.onFault = () => {
      told++;
      return false;
    };
    child.onInit = () => {
      throw new ComponentHalt('stall', 'child: endless loop');
    };
    b.kernel.boot();
    b.engine.runUntil(1e6);
    expect(child.state).toBe(T_STOPPED);
    expect(other.state).toBe(T_BLOCKED);
    expect(b.kernel.faultLog.map((f) => [f.thread, f.kind, f.detail])).toEqual([
      ['child', 'stall', 'child: endless loop'],
    ]);
    expect(told).toBe(1);
  });
});
