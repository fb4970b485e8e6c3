import { describe, expect, it } from 'vitest';
import { NetBuffDesc, NetQueueHandle, netQueueBytes } from '../../src/sddf/net_queue.js';
import { buildSimulation } from '../../src/scenario/build.js';
import { loadScenarioText } from '../../src/scenario/load.js';
import { runSimulation } from '../../src/scenario/run.js';

function queuePair(capacity: number): { h: NetQueueHandle; view: DataView } {
  const bytes = netQueueBytes(capacity);
  const view = new DataView(new ArrayBuffer(2 * bytes));
  return { h: new NetQueueHandle(view, 0, view, bytes, capacity), view };
}

describe('NetQueueHandle.peekActive', () => {
  it('reads the head descriptor without consuming it: the dequeue that follows gets the same one', () => {
    const { h } = queuePair(4);
    h.enqueueActive(2048, 1514, 0);
    h.enqueueActive(4096, 60, 0);
    const p = new NetBuffDesc();
    const d = new NetBuffDesc();
    expect(h.peekActive(p)).toBe(true);
    expect(h.peekActive(p)).toBe(true);
    expect(h.lengthActive()).toBe(2);
    expect(h.dequeueActive(d)).toBe(true);
    expect(d).toEqual(p);
    expect(h.peekActive(p)).toBe(true);
    expect(p.ioOrOffset).toBe(4096);
    expect(p.len).toBe(60);
  });

  it('is false on an empty queue and on a corrupt one (counted), like dequeue', () => {
    const { h, view } = queuePair(4);
    const p = new NetBuffDesc();
    expect(h.peekActive(p)).toBe(false);
    // The peer writes a tail 100 ahead of head into the active queue: length > capacity.
    view.setUint16(netQueueBytes(4), 100, true);
    expect(h.peekActive(p)).toBe(false);
    expect(h.violations).toBe(1);
  });
});

function scenario(text: string) {
  const r = loadScenarioText(text, 'virt_tx_policy.yaml');
  if (!r.ok) throw new Error(`bad scenario: ${JSON.stringify(r.problems)}`);
  return buildSimulation(r.scenario);
}

describe('virt_tx with policies and rate limits', () => {
  it('paces a rate-limited client on its own timer when nothing else wakes virt_tx', () => {
    // 10 Mb/s is one frame per 1.2 ms: the driver has long finished each frame when the next is
    // due, so only virt_tx's timer can bring it back.
    const sim = scenario(`name: paced
duration: 100ms
warmup: 20ms
virt: { tx_policy: round-robin }
clients:
  - name: slow
    kind: native
    app: source
    source: { rate: 100Mbps }
    rate_limit: { rate: 10Mbps, burst: 3028 }
`);
    const doc = runSimulation(sim);
    const got = doc.fairness.per_client![0]!.throughput_mbps;
    expect(got).toBeGreaterThan(9.8);
    expect(got).toBeLessThan(10.2);
    const limit = doc.clients[0]!.rate_limit!;
    // About 83 frames in the 100 ms window, every one of them held back for its tokens once.
    expect(limit.tx_throttled_frames).toBeGreaterThanOrEqual(80);
    expect(limit.tx_throttled_frames).toBeLessThanOrEqual(86);
    // virt_tx buffers nothing: the backlog stays in the client's own queue.
    const vtx = sim.net!.virtTx!;
    expect(vtx.clientBacklog(0)).toBeGreaterThan(400);
    expect(vtx.outstanding).toBeLessThanOrEqual(2);
  });

  it('refuses to start a rate limit without a timer channel to wait on', () => {
    const sim = scenario(`name: no-timer
duration: 5ms
warmup: 1ms
clients:
  - { name: c, kind: native, app: source, source: { rate: 10Mbps }, rate_limit: { rate: 1Mbps, burst: 2000 } }
`);
    sim.net!.virtTx!.timerCh = -1;
    expect(() => runSimulation(sim)).toThrow(/timer channel/);
  });

  it('keeps at most tx_outstanding buffers at the driver, and the rest in the clients queues', () => {
    const sim = scenario(`name: bounded
duration: 20ms
warmup: 10ms
virt: { tx_policy: drr, tx_outstanding: 16 }
clients:
  - { name: a, kind: native, app: source, source: { rate: 1Gbps } }
  - { name: b, kind: native, app: source, source: { rate: 1Gbps } }
`);
    const vtx = sim.net!.virtTx!;
    let most = 0;
    sim.board.kernel.onEntry = () => {
      most = Math.max(most, vtx.outstanding);
    };
    const doc = runSimulation(sim);
    expect(most).toBe(16);
    expect(vtx.clientBacklog(0) + vtx.clientBacklog(1)).toBeGreaterThan(500);
    expect(doc.fairness.jain).toBeGreaterThan(0.99);
  });
});
