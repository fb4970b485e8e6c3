import { Probe, readProbe } from '../../src/net/payload.js';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { Engine, type EventSink } from '../../src/board/engine.js';
import type { NicEndpoint, NicLink } from '../../src/board/host.js';
import { type LoadStreamSpec, LoadGenerator } from '../../src/board/load_generator.js';
import { Prng } from '../../src/board/prng.js';
import { RttStats } from '../../src/board/rtt_stats.js';
import { Wire } from '../../src/board/wire.js';
import { ARP_OP_REPLY } from '../../src/net/arp.js';
import { makeUdpEchoReply } from '../../src/net/echo_reply.js';
import {
  buildArpRequest,
  buildUdpFrame,
  ParsedFrame,
  parseFrame,
  UdpFrameSpec,
} from '../../src/net/frame.js';

const GEN_MAC = 0x02_00_00_00_0a_01;
const GEN_IP = 0x0a_00_00_01;
const ECHO_MAC = 0x02_00_00_00_00_01;
const ECHO_IP = 0x0a_00_00_02;
const FT_1514 = 12304;
const SLOT = 2048;

/**
 * Stands at the NIC end of the wire and sends every UDP frame back as its echo `delayNs` after it
 * arrived (src/net's echo helper rewrites it in place). Drops every `dropEvery`-th frame if set.
 */
class EchoEndpoint implements NicEndpoint, EventSink {
  link: NicLink | null = null;
  received = 0;
  readonly frames: Uint8Array[] = [];
  private readonly slab = new Uint8Array(256 * SLOT);
  private readonly lens = new Uint16Array(256);
  private head = 0;
  private count = 0;
  private readonly sinkId: number;

  constructor(
    private readonly engine: Engine,
    private readonly delayNs: number,
    private readonly dropEvery = 0,
    private readonly keep = false,
  ) {
    this.sinkId = engine.addSink(this);
  }

  attachLink(link: NicLink): void {
    this.link = link;
  }

  receiveFrame(buf: Uint8Array, off: number, len: number, timeNs: number): void {
    this.received++;
    if (this.keep) this.frames.push(buf.slice(off, off + len));
    if (this.dropEvery > 0 && this.received % this.dropEvery === 0) return;
    const slot = (this.head + this.count) % 256;
    this.slab.set(buf.subarray(off, off + len), slot * SLOT);
    this.lens[slot] = len;
    this.count++;
    this.engine.at(timeNs + this.delayNs, this.sinkId, 0);
  }

  onEvent(): void {
    const base = this.head * SLOT;
    const len = makeUdpEchoReply(this.slab, base, this.lens[this.head]!);
    if (len > 0) this.link!.transmitFromNic(this.slab, base, len, this.engine.now);
    this.head = (this.head + 1) % 256;
    this.count--;
  }
}

function stream(rateBps: number, extra: Partial<LoadStreamSpec> = {}): LoadStreamSpec {
  return { targetMac: ECHO_MAC, targetIp: ECHO_IP, rateBps, ...extra };
}

function setup(
  streams: LoadStreamSpec[],
  opts: { delayNs?: number; dropEvery?: number; keep?: boolean; verifyPayload?: boolean } = {},
) {
  const engine = new Engine();
  const wire = new Wire({ engine, rateBps: 1e9 });
  const echo = new EchoEndpoint(engine, opts.delayNs ?? 5000, opts.dropEvery ?? 0, opts.keep ?? false);
  wire.attachNic(echo);
  const gen = new LoadGenerator({
    engine,
    link: wire,
    prng: new Prng(42),
    mac: GEN_MAC,
    ip: GEN_IP,
    streams,
    verifyPayload: opts.verifyPayload ?? true,
  });
  wire.attachHost(gen);
  return { engine, wire, echo, gen };
}

describe('LoadGenerator', () => {
  it('achieves 100 Mb/s within 1% and measures the minimum RTT as two frame times plus the echo delay', () => {
    const { engine, gen } = setup([stream(100e6, { stopNs: 100e6 })], { delayNs: 5000 });
    gen.setWindow(0, 100e6);
    engine.runUntil(101e6);
    const r = gen.results();
    expect(Math.abs(r.total.receivedBps - 100e6) / 100e6).toBeLessThan(0.01);
    expect(Math.abs(r.total.sentBps - 100e6) / 100e6).toBeLessThan(0.01);
    expect(r.total.lost).toBe(0);
    expect(r.total.rtt.min).toBe(2 * FT_1514 + 5000);
    expect(r.total.rtt.max).toBe(2 * FT_1514 + 5000);
    expect(r.total.rtt.count).toBe(r.total.receivedFrames);
    expect(r.malformed + r.foreign + r.total.corrupt + r.total.duplicates).toBe(0);
  });

  it('sends real UDP frames with correct checksums, the probe and the configured ports', () => {
    const { engine, echo } = setup([stream(10e6, { stopNs: 3e6, payload: 100, targetPort: 7 })], {
      keep: true,
    });
    engine.runUntil(4e6);
    expect(echo.frames.length).toBeGreaterThan(30);
    const p = new ParsedFrame();
    for (const f of echo.frames) {
      expect(parseFrame(f, 0, f.length, p)).toBe(true);
      expect(p.udpDstPort).toBe(7);
      expect(p.udpSrcPort).toBe(40000);
      expect(p.ipSrc).toBe(GEN_IP);
      expect(p.dstMac).toBe(ECHO_MAC);
      expect(p.payloadLen).toBe(100);
    }
  });

  it('sends frames with correct checksums and probes from its per-stream template when payloads are not verified', () => {
    const { engine, echo, gen } = setup(
      [stream(10e6, { stopNs: 3e6, payload: 1472 }), stream(10e6, { stopNs: 3e6, payload: 100 })],
      {
        keep: true,
        verifyPayload: false,
      },
    );
    gen.setWindow(0, 4e6);
    engine.runUntil(4e6);
    expect(echo.frames.length).toBeGreaterThan(30);
    const p = new ParsedFrame();
    const seqs = new Set<number>();
    for (const f of echo.frames) {
      expect(parseFrame(f, 0, f.length, p)).toBe(true);
      expect(p.ipChecksumOk && p.udpChecksumOk).toBe(true);
      const probe = new Probe();
      expect(readProbe(f, p.payloadOffset, p.payloadLen, probe)).toBe(true);
      seqs.add(probe.seq);
    }
    expect(seqs.size).toBe(echo.frames.length);
    expect(gen.results().total.receivedFrames).toBeGreaterThan(30);
    expect(gen.malformed).toBe(0);
  });

  it('checks echoes against its templates with exactly the verdict of a full UDP checksum, whatever the bytes', () => {
    const { engine, echo, gen } = setup(
      [stream(10e6, { stopNs: 2e6, payload: 1472 }), stream(10e6, { stopNs: 2e6, payload: 100 })],
      { keep: true, verifyPayload: false },
    );
    engine.runUntil(3e6);
    // The frames the generator sent, turned into the echoes it expects back.
    const echoes = echo.frames.map((f) => {
      const e = f.slice();
      expect(makeUdpEchoReply(e, 0, e.length)).toBe(e.length);
      return e;
    });
    expect(echoes.length).toBeGreaterThan(20);
    const full = new ParsedFrame();
    const fast = new ParsedFrame();
    // A genuine echo takes the template path (one memcmp) and passes.
    const compare = vi.spyOn(Buffer.prototype, 'compare');
    const e0 = echoes[0]!;
    expect(parseFrame(e0, 0, e0.length, fast, gen)).toBe(true);
    expect(compare).toHaveBeenCalledTimes(1);
    expect(compare.mock.results[0]!.value).toBe(0);
    compare.mockRestore();
    const mutation = fc.record({ at: fc.nat(), value: fc.nat(255), swap: fc.boolean() });
    fc.assert(
      fc.property(
        fc.nat(echoes.length - 1),
        fc.nat(3),
        fc.array(mutation, { maxLength: 4 }),
        (which, lead, mutations) => {
          const e = echoes[which]!;
          // At an odd or even offset in a larger buffer, as a wire slot or a region would hold it.
          const buf = new Uint8Array(lead + e.length + 8);
          buf.set(e, lead);
          for (const m of mutations) {
            // Mostly in the UDP datagram; a swap of two aligned words keeps the sum but not the bytes.
            const at = lead + 34 + (m.at % (e.length - 34));
            if (m.swap && at + 3 < lead + e.length) {
              const a = buf[at]!;
              const b = buf[at + 1]!;
              buf[at] = buf[at + 2]!;
              buf[at + 1] = buf[at + 3]!;
              buf[at + 2] = a;
              buf[at + 3] = b;
            } else buf[at] = m.value;
          }
          const okFull = parseFrame(buf, lead, e.length, full);
          const okFast = parseFrame(buf, lead, e.length, fast, gen);
          expect(okFast).toBe(okFull);
          expect(fast.error).toBe(full.error);
          expect(fast.udpChecksumOk).toBe(full.udpChecksumOk);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('saturates 1 GbE at 957 Mb/s of 1472-byte payloads: about 81.27k frames per second', () => {
    const { engine, wire, gen } = setup([stream(957e6, { stopNs: 110e6 })], { delayNs: 2000 });
    gen.setWindow(10e6, 110e6);
    engine.runUntil(112e6);
    const r = gen.results();
    const fps = r.total.receivedFrames / 0.1;
    expect(Math.abs(fps - 81_266) / 81_266).toBeLessThan(0.005);
    expect(Math.abs(r.total.receivedBps - 957e6) / 957e6).toBeLessThan(0.005);
    // The wire towards the echo end was busy nearly all the time.
    expect(wire.counters.toNicBusyNs / 110e6).toBeGreaterThan(0.99);
    expect(r.total.rtt.min).toBeGreaterThanOrEqual(2 * FT_1514 + 2000);
    expect(r.total.lost).toBe(0);
  });

  it('gives the same mean rate for Poisson and CBR streams', () => {
    const { engine, gen } = setup([
      stream(200e6, { stopNs: 200e6, pattern: 'cbr' }),
      stream(200e6, { stopNs: 200e6, pattern: 'poisson' }),
    ]);
    gen.setWindow(0, 200e6);
    engine.runUntil(201e6);
    const [cbr, poisson] = gen.results().streams;
    const expected = (200e6 * 0.2) / (1472 * 8);
    expect(Math.abs(cbr!.sentFrames - expected) / expected).toBeLessThan(0.005);
    expect(Math.abs(poisson!.sentFrames - cbr!.sentFrames) / cbr!.sentFrames).toBeLessThan(0.05);
    expect(Math.abs(poisson!.receivedBps - cbr!.receivedBps) / cbr!.receivedBps).toBeLessThan(0.05);
    expect(poisson!.lost + cbr!.lost).toBe(0);
    // Poisson arrivals queue behind each other now and then; CBR at 40% load barely does.
    expect(poisson!.rtt.max).toBeGreaterThan(poisson!.rtt.min);
  });

  it('interleaves several CBR streams at random phases, each at its own rate', () => {
    const { engine, gen } = setup([
      stream(100e6, { stopNs: 50e6 }),
      stream(200e6, { stopNs: 50e6 }),
      stream(300e6, { stopNs: 50e6 }),
    ]);
    gen.setWindow(0, 50e6);
    engine.runUntil(51e6);
    const r = gen.results();
    [100e6, 200e6, 300e6].forEach((rate, i) => {
      expect(Math.abs(r.streams[i]!.receivedBps - rate) / rate).toBeLessThan(0.01);
    });
    expect(r.total.receivedFrames).toBe(
      r.streams[0]!.receivedFrames + r.streams[1]!.receivedFrames + r.streams[2]!.receivedFrames,
    );
  });

  it('counts the frames whose echo never came as lost', () => {
    const { engine, gen } = setup([stream(50e6, { stopNs: 20e6 })], { dropEvery: 10 });
    gen.setWindow(0, 20e6);
    engine.runUntil(21e6);
    const r = gen.results().total;
    expect(r.lost).toBe(Math.floor(r.sentFrames / 10));
    expect(r.receivedFrames).toBe(r.sentFrames - r.lost);
  });

  it('counts malformed and foreign frames and ignores them', () => {
    const { engine, wire, echo, gen } = setup([stream(1e6, { startNs: 1e9 })]);
    const buf = new Uint8Array(200);
    const spec = new UdpFrameSpec();
    spec.srcMac = ECHO_MAC;
    spec.dstMac = GEN_MAC;
    spec.srcIp = ECHO_IP;
    spec.dstIp = GEN_IP;
    spec.srcPort = 1235;
    spec.dstPort = 40000;
    const len = buildUdpFrame(buf, 0, spec, null, 0, 100);
    // Right stream, but a sequence number that was never sent.
    echo.link!.transmitFromNic(buf, 0, len, 0);
    // A port no stream uses.
    spec.dstPort = 5555;
    const len2 = buildUdpFrame(buf, 0, spec, null, 0, 100);
    echo.link!.transmitFromNic(buf, 0, len2, 0);
    // A corrupted checksum.
    buf[60] = buf[60]! ^ 0xff;
    echo.link!.transmitFromNic(buf, 0, len2, 0);
    engine.runUntil(1e6);
    const r = gen.results();
    expect(r.malformed).toBe(1);
    expect(r.foreign).toBe(2);
    expect(r.total.receivedFrames).toBe(0);
    expect(wire.counters.fromNicFrames).toBe(3);
  });

  it('answers ARP requests for its own IP', () => {
    const { engine, echo, gen } = setup([stream(1e6, { startNs: 1e9 })], { keep: true });
    const buf = new Uint8Array(64);
    const len = buildArpRequest(buf, 0, ECHO_MAC, ECHO_IP, GEN_IP);
    echo.link!.transmitFromNic(buf, 0, len, 0);
    engine.runUntil(1e6);
    expect(gen.arpRepliesSent).toBe(1);
    const p = new ParsedFrame();
    expect(parseFrame(echo.frames[0]!, 0, echo.frames[0]!.length, p)).toBe(true);
    expect(p.arpOp).toBe(ARP_OP_REPLY);
    expect(p.arpSenderMac).toBe(GEN_MAC);
    expect(p.arpSenderIp).toBe(GEN_IP);
    expect(p.dstMac).toBe(ECHO_MAC);
  });

  it('is reproducible: the same seed gives the same results', () => {
    const run = () => {
      const { engine, gen } = setup([stream(300e6, { stopNs: 10e6, pattern: 'poisson' })]);
      engine.runUntil(11e6);
      return gen.results();
    };
    expect(run()).toEqual(run());
  });
});

describe('RttStats', () => {
  it('computes exact min, mean, median, p99, max and population stdev below the cap', () => {
    const s = new RttStats(new Prng(1));
    for (const x of [5, 1, 4, 2, 3, 6]) s.add(x);
    expect(s.summary()).toEqual({
      count: 6,
      min: 1,
      mean: 3.5,
      median: 3.5,
      p99: 6,
      max: 6,
      stdev: Math.sqrt(17.5 / 6),
    });
    for (let i = 7; i <= 200; i++) s.add(i);
    expect(s.p99).toBe(198);
    expect(s.median).toBe(100.5);
  });

  it('keeps a uniform reservoir beyond the cap while min, max and mean stay exact', () => {
    const s = new RttStats(new Prng(7), 1000);
    for (let i = 0; i < 100_000; i++) s.add(i);
    expect(s.count).toBe(100_000);
    expect(s.keptCount).toBe(1000);
    expect(s.min).toBe(0);
    expect(s.max).toBe(99_999);
    expect(s.mean).toBeCloseTo(49_999.5, 6);
    // The reservoir's median estimates the true one within a few percent of the range.
    expect(Math.abs(s.median - 50_000)).toBeLessThan(5000);
  });

  it('bins the kept samples into a histogram starting at the minimum bin', () => {
    const s = new RttStats(new Prng(1));
    for (const x of [1000, 1100, 1999, 2000, 3500]) s.add(x);
    expect(s.histogram(1000)).toEqual({ binNs: 1000, startNs: 1000, counts: [3, 1, 1] });
  });

  it('reserves room ahead without changing anything it reports, and grows past the reservation as before', () => {
    const values = Array.from({ length: 5000 }, (_, i) => ((i * 7919) % 4001) + 0.5);
    const plain = new RttStats(new Prng(3), 4096);
    const reserved = new RttStats(new Prng(3), 4096);
    reserved.reserve(1000);
    for (const v of values) {
      plain.add(v);
      reserved.add(v);
    }
    // 5000 samples past a cap of 4096: the reservoir draws the same numbers either way.
    expect(reserved.summary()).toEqual(plain.summary());
    expect(Array.from(reserved.keptSamples())).toEqual(Array.from(plain.keptSamples()));
    // Once samples are kept, reserve is a no-op.
    reserved.reserve(1e6);
    expect(reserved.keptCount).toBe(4096);
    expect(reserved.summary()).toEqual(plain.summary());
  });

  it('reports zeros when it has no samples', () => {
    const s = new RttStats(new Prng(1));
    expect(s.summary()).toEqual({ count: 0, min: 0, mean: 0, median: 0, p99: 0, max: 0, stdev: 0 });
  });

  it('summarises by selection exactly as the sorted samples give median and p99, and leaves their order alone', () => {
    const sample = fc.oneof(
      fc.integer({ min: 0, max: 5 }), // runs of equal values
      fc.integer({ min: 0, max: 2_000_000 }),
      fc.double({ min: 0, max: 1e9, noNaN: true, noDefaultInfinity: true }),
    );
    fc.assert(
      fc.property(fc.array(sample, { minLength: 1, maxLength: 3000 }), (xs) => {
        const a = new RttStats(new Prng(1));
        const b = new RttStats(new Prng(1));
        for (const x of xs) {
          a.add(x);
          b.add(x);
        }
        const before = Array.from(a.keptSamples());
        const viaSelect = a.summary();
        expect(Array.from(a.keptSamples())).toEqual(before);
        b.histogram(1e12); // sorts b, so its summary reads the sorted array
        const viaSort = b.summary();
        expect(viaSelect).toEqual(viaSort);
        const sorted = [...xs].sort((x, y) => x - y);
        const h = sorted.length >>> 1;
        const median = sorted.length % 2 === 1 ? sorted[h]! : (sorted[h - 1]! + sorted[h]!) / 2;
        expect(viaSelect.median).toBe(median);
        expect(viaSelect.p99).toBe(sorted[Math.max(Math.ceil(0.99 * sorted.length), 1) - 1]);
      }),
      { numRuns: 300 },
    );
  });

  it('sorts many samples into exactly the order Float64Array.sort gives (radix path and fallback)', () => {
    const p = new Prng(11);
    const shapes: ((i: number) => number)[] = [
      () => 20_000 + p.nextInt(1_000_000) / 7, // fractional RTTs
      () => p.nextInt(50), // many duplicates
      (i) => (i % 3 === 0 ? 0 : p.nextInt(1 << 30) * 1e290), // zeros and huge values
      () => p.nextInt(1000) * 5e-324, // subnormals
      (i) => (i % 5 === 0 ? -p.nextInt(100) : p.nextInt(100)), // negatives: built-in sort
    ];
    // 5,000 samples take the built-in sort, 20,000 the radix sort (its threshold is 16,384).
    const cases = shapes.flatMap((f) => [5000, 20000].map((n) => ({ f, n })));
    for (const { f: shape, n } of cases) {
      const s = new RttStats(new Prng(1));
      const ref = new Float64Array(n);
      for (let i = 0; i < ref.length; i++) {
        ref[i] = shape(i);
        s.add(ref[i]!);
      }
      void s.median;
      expect(Array.from(s.keptSamples())).toEqual(Array.from(ref.sort()));
    }
  });
});
