import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ParsedFrame, parseFrame } from '../../src/net/frame_parser.js';
import { PCAP_LINKTYPE_ETHERNET, parsePcap } from '../../src/net/pcap_writer.js';
import type { ResultDocument } from '../../src/report/result.js';
import { cleanup, cli, ECHO2, scratchDir } from './cli_harness.js';

interface TraceEvent {
  name: string;
  ph: string;
  cat?: string;
  pid: number;
  tid: number;
  ts?: number;
  dur?: number;
  id?: number;
  args?: Record<string, unknown>;
}

const dir = scratchDir();
const out = join(dir, 'out');
let plain: ResultDocument;
let captured: ResultDocument;

beforeAll(async () => {
  const a = await cli(['run', ECHO2, '--json']);
  expect(a.code).toBe(0);
  plain = JSON.parse(a.stdout) as ResultDocument;
  const b = await cli([
    'run',
    ECHO2,
    '--json',
    '--out',
    out,
    '--pcap',
    'wire,client0',
    '--trace',
    '--record',
    join(dir, 'run.rec'),
  ]);
  expect(b.code, b.stderr).toBe(0);
  captured = JSON.parse(b.stdout) as ResultDocument;
});
afterAll(() => cleanup(dir));

function checkPcap(file: string): number {
  const pcap = parsePcap(readFileSync(file));
  expect(pcap.error).toBe('');
  expect(pcap.nanosecond).toBe(true);
  expect(pcap.linkType).toBe(PCAP_LINKTYPE_ETHERNET);
  const f = new ParsedFrame();
  let last = 0;
  for (const [i, r] of pcap.records.entries()) {
    const ok = parseFrame(r.data, 0, r.data.length, f);
    expect(ok, `${file} record ${i}: error ${f.error}`).toBe(true);
    if (f.ipTotalLen > 0) expect(f.ipChecksumOk, `${file} record ${i}`).toBe(true);
    if (f.udpLength > 0) expect(f.udpChecksumOk, `${file} record ${i}`).toBe(true);
    expect(r.timeNs).toBeGreaterThanOrEqual(last);
    last = r.timeNs;
  }
  return pcap.records.length;
}

describe('run captures', () => {
  it('leaves the result document, trace hash included, exactly as a run without captures', () => {
    expect(captured.trace_hash).toBe(plain.trace_hash);
    expect(captured).toEqual(plain);
  });

  it('writes a wire capture of well-formed frames with correct IPv4 and UDP checksums', () => {
    const n = checkPcap(join(out, 'wire.pcap'));
    // Both directions of the whole run: at least what the clients got and sent in the window.
    const window = plain.clients.reduce((k, c) => k + c.rx_frames + c.tx_frames, 0);
    expect(n).toBeGreaterThanOrEqual(window);
  });

  it("writes a client's interface capture with what it received and sent", () => {
    const n = checkPcap(join(out, 'client0.pcap'));
    const c = plain.clients[0]!;
    expect(n).toBeGreaterThanOrEqual(c.rx_frames + c.tx_frames);
  });

  it('writes a Chrome trace with named tracks, complete events sorted per track, counters and flows', () => {
    const trace = JSON.parse(readFileSync(join(out, 'trace.json'), 'utf8')) as {
      traceEvents: TraceEvent[];
      otherData: Record<string, unknown>;
    };
    expect(trace.otherData['trace_hash']).toBe(plain.trace_hash);
    const events = trace.traceEvents;
    const named = new Set(
      events.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => `${e.pid}/${e.tid}`),
    );
    const lastTs = new Map<string, number>();
    const counts: Record<string, number> = {};
    for (const e of events) {
      counts[e.ph] = (counts[e.ph] ?? 0) + 1;
      expect(typeof e.name).toBe('string');
      expect(Number.isInteger(e.pid)).toBe(true);
      if (e.ph === 'M') continue;
      expect(typeof e.ts).toBe('number');
      if (e.ph === 'X') {
        expect(e.dur).toBeGreaterThanOrEqual(0);
        expect(named.has(`${e.pid}/${e.tid}`), `track ${e.pid}/${e.tid} has a name`).toBe(true);
        const key = `${e.pid}/${e.tid}`;
        expect(e.ts!).toBeGreaterThanOrEqual(lastTs.get(key) ?? 0);
        lastTs.set(key, e.ts!);
      }
      if (e.ph === 'C') {
        if (e.cat === 'queue') expect(typeof e.args?.['buffers']).toBe('number');
        else expect(typeof e.args?.['busy']).toBe('number');
      }
    }
    const pdTracks = new Set(
      events.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => e.args?.['name']),
    );
    for (const pd of plain.pds) expect(pdTracks.has(pd.name), pd.name).toBe(true);
    const dispatches = plain.pds.reduce((n, p) => n + p.dispatches, 0);
    expect(counts['X']!).toBeGreaterThan(dispatches);
    expect(counts['C']!).toBeGreaterThan(0);
    // Queue occupancy counters: one track per sDDF queue, the client RX active queues among them.
    const queueNames = new Set(events.filter((e) => e.ph === 'C' && e.cat === 'queue').map((e) => e.name));
    expect([...queueNames].some((n) => n.endsWith('/active'))).toBe(true);
    expect(queueNames.size).toBeGreaterThan(4);
    // Every flow that starts ends, at a later time.
    const starts = new Map(events.filter((e) => e.ph === 's').map((e) => [e.id, e.ts!]));
    const ends = events.filter((e) => e.ph === 'f');
    expect(ends.length).toBeGreaterThan(0);
    expect(ends.length).toBe(starts.size);
    for (const f of ends) expect(f.ts!).toBeGreaterThan(starts.get(f.id)!);
  });
});
