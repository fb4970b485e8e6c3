import { describe, expect, it } from 'vitest';
import type { ResultDocument } from '../../src/report/result.js';
import { loadScenarioText } from '../../src/scenario/load.js';
import { runScenario } from '../../src/scenario/run.js';

function run(text: string): ResultDocument {
  const r = loadScenarioText(text, 'ping.yaml');
  if (!r.ok) throw new Error(r.problems.map((p) => `${p.path}: ${p.message}`).join('; '));
  return runScenario(r.scenario);
}

describe("a guest's ping of the host on the wire", () => {
  it('sends a request per interval in the window, each answered, with round trips below the interval', () => {
    const doc = run(`name: ping
duration: 50ms
warmup: 10ms
board: { cores: 2 }
clients:
  - { name: p0, kind: vm, app: ping, core: 1, ping: { interval: 500us, payload: 1000 } }
  - { name: g0, kind: vm, app: echo }
load:
  - { to: g0, rate: 300Mbps }
`);
    const p = doc.clients[0]!;
    expect(p.app).toBe('ping');
    // 50 ms of 500 us intervals: 100 requests sent in the window.
    expect(p.ping).toEqual({ sent: 100, replies: 100 });
    expect(p.drops['ping_lost']).toBe(0);
    expect(p.tx_frames).toBe(100);
    expect(p.rx_frames).toBe(100);
    // Two crossings of the wire with 1042-byte frames (8.6 us each at 1 Gb/s) at the least.
    expect(p.rtt_us.min).toBeGreaterThan(2 * 8.6);
    expect(p.rtt_us.max).toBeLessThan(500);
    expect(p.rtt_us.min).toBeLessThanOrEqual(p.rtt_us.median);
    // The echo guest next to it is unaffected by the pings.
    expect(doc.load[0]!.achieved_mbps).toBeGreaterThan(299);
  });

  it('stops after count requests, and counts unanswered requests as lost', () => {
    const limited = run(`name: ping
duration: 20ms
warmup: 0ms
clients:
  - { name: p0, kind: vm, app: ping, ping: { interval: 1ms, count: 5 } }
`);
    expect(limited.clients[0]!.ping).toEqual({ sent: 5, replies: 5 });
    // A guest that scribbles over its own virtqueues from 10 ms loses some of the replies.
    const broken = run(`name: ping
duration: 20ms
warmup: 0ms
clients:
  - { name: p0, kind: vm, app: ping, ping: { interval: 100us } }
faults:
  - { at: 10ms, kind: malformed-chain, target: p0 }
`);
    const b = broken.clients[0]!;
    // The first request goes out one interval after the guest's boot at 0.
    expect(b.ping!.sent).toBe(199);
    expect(b.ping!.replies).toBeLessThan(b.ping!.sent);
    expect(b.ping!.replies).toBeGreaterThan(100);
    expect(b.drops['ping_lost']).toBe(b.ping!.sent - b.ping!.replies);
    expect(b.drops['rx_malformed_chain']).toBeGreaterThan(0);
  });

  it('is refused for a native client, a ping block without app ping, and a zero interval', () => {
    const native = loadScenarioText(
      'name: x\nclients:\n  - { name: n0, kind: native, app: ping }\n',
      'x.yaml',
    );
    expect(native.ok).toBe(false);
    if (!native.ok) expect(native.problems.map((p) => p.path)).toEqual(['clients[0].app']);
    const stray = loadScenarioText(
      'name: x\nclients:\n  - { name: g0, kind: vm, app: echo, ping: { interval: 1ms } }\n',
      'x.yaml',
    );
    expect(stray.ok).toBe(false);
    if (!stray.ok) expect(stray.problems.map((p) => p.path)).toEqual(['clients[0].ping']);
    const zero = loadScenarioText(
      'name: x\nclients:\n  - { name: g0, kind: vm, app: ping, ping: { interval: 0ms } }\n',
      'x.yaml',
    );
    expect(zero.ok).toBe(false);
    if (!zero.ok)
      expect(zero.problems.map((p) => [p.path, p.message])).toEqual([
        ['clients[0].ping.interval', 'must be greater than zero'],
      ]);
  });
});
