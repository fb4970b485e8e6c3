import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/board/engine.js';
import type { Host, NicEndpoint, NicLink } from '../../src/board/host.js';
import { WIRE_FROM_NIC, WIRE_TO_NIC, Wire } from '../../src/board/wire.js';
import { writeEthernetHeader } from '../../src/net/ethernet.js';
import { MAC_BROADCAST } from '../../src/net/mac.js';

const NIC_MAC = 0x02_00_00_00_00_01;
const HOST_A = 0x02_00_00_00_0a_01;
const HOST_B = 0x02_00_00_00_0b_01;

interface Arrival {
  time: number;
  bytes: number[];
}

class RecordingHost implements Host {
  readonly got: Arrival[] = [];
  constructor(readonly mac: number) {}
  receive(buf: Uint8Array, off: number, len: number, timeNs: number): void {
    this.got.push({ time: timeNs, bytes: Array.from(buf.subarray(off, off + len)) });
  }
}

class RecordingNic implements NicEndpoint {
  readonly got: Arrival[] = [];
  link: NicLink | null = null;
  receiveFrame(buf: Uint8Array, off: number, len: number, timeNs: number): void {
    this.got.push({ time: timeNs, bytes: Array.from(buf.subarray(off, off + len)) });
  }
  attachLink(link: NicLink): void {
    this.link = link;
  }
}

/** A frame of `len` bytes to `dst` from `src` whose payload bytes are all `fill`. */
function frame(dst: number, src: number, len: number, fill: number): Uint8Array {
  const b = new Uint8Array(len).fill(fill);
  writeEthernetHeader(b, 0, dst, src, 0x0800);
  return b;
}

function setup(opts: { switchBufferBytes?: number; propagationNs?: number; initialSlots?: number } = {}) {
  const engine = new Engine();
  const wire = new Wire({ engine, rateBps: 1e9, ...opts });
  const nic = new RecordingNic();
  wire.attachNic(nic);
  const a = new RecordingHost(HOST_A);
  const b = new RecordingHost(HOST_B);
  wire.attachHost(a);
  wire.attachHost(b);
  return { engine, wire, nic, a, b };
}

describe('Wire', () => {
  it('charges padding, FCS, preamble/SFD and inter-frame gap: 1514 bytes take 12.304 us at 1 Gb/s', () => {
    const { wire } = setup();
    expect(wire.frameTimeNs(1514)).toBe(12304);
    expect(wire.frameTimeNs(60)).toBe(672);
    expect(wire.frameTimeNs(42)).toBe(672);
    const slow = new Wire({ engine: new Engine(), rateBps: 100e6 });
    expect(slow.frameTimeNs(1514)).toBe(123040);
  });

  it('delivers a host frame to the NIC when its last bit arrives, with the same bytes', () => {
    const { engine, wire, nic, a } = setup();
    const captured: Array<[number, number, number]> = [];
    wire.onFrame = (dir, t, _buf, _off, len) => captured.push([dir, t, len]);
    const f = frame(NIC_MAC, HOST_A, 1514, 7);
    expect(wire.sendToNic(f, 0, f.length)).toBe(true);
    f.fill(0); // the sender reuses its buffer at once
    engine.runUntil(12303);
    expect(nic.got).toHaveLength(0);
    engine.runUntil(20000);
    expect(nic.got).toHaveLength(1);
    expect(nic.got[0]!.time).toBe(12304);
    expect(nic.got[0]!.bytes).toEqual(Array.from(frame(NIC_MAC, HOST_A, 1514, 7)));
    expect(captured).toEqual([[WIRE_TO_NIC, 12304, 1514]]);
    expect(a.got).toHaveLength(0);
    expect(wire.counters.toNicFrames).toBe(1);
    expect(wire.counters.toNicBytes).toBe(1514);
  });

  it('serialises simultaneous frames of two hosts one after the other, in FIFO order', () => {
    const { engine, wire, nic } = setup();
    const fa = frame(NIC_MAC, HOST_A, 1514, 0xaa);
    const fb = frame(NIC_MAC, HOST_B, 1000, 0xbb);
    wire.sendToNic(fa, 0, fa.length);
    wire.sendToNic(fb, 0, fb.length);
    wire.sendToNic(fa, 0, fa.length);
    engine.runUntil(1e6);
    expect(nic.got.map((g) => g.time)).toEqual([12304, 12304 + 8192, 12304 + 8192 + 12304]);
    expect(nic.got.map((g) => g.bytes[100])).toEqual([0xaa, 0xbb, 0xaa]);
  });

  it('pads short frames with zeros to the 60-byte Ethernet minimum', () => {
    const { engine, wire, nic } = setup();
    const f = frame(NIC_MAC, HOST_A, 42, 0x55);
    wire.sendToNic(f, 0, f.length);
    engine.runUntil(1e6);
    expect(nic.got[0]!.bytes).toHaveLength(60);
    expect(nic.got[0]!.bytes.slice(0, 42)).toEqual(Array.from(f));
    expect(nic.got[0]!.bytes.slice(42)).toEqual(new Array(18).fill(0));
    expect(nic.got[0]!.time).toBe(672);
  });

  it('drops at the tail when the switch-port buffer is full and accepts again once it drains', () => {
    const { engine, wire, nic } = setup({ switchBufferBytes: 4096 });
    const f = frame(NIC_MAC, HOST_A, 1514, 1);
    expect(wire.sendToNic(f, 0, f.length)).toBe(true);
    expect(wire.sendToNic(f, 0, f.length)).toBe(true);
    expect(wire.sendToNic(f, 0, f.length)).toBe(false);
    expect(wire.counters.toNicDropped).toBe(1);
    expect(wire.counters.toNicDroppedBytes).toBe(1514);
    expect(wire.counters.toNicQueuedBytesMax).toBe(3028);
    engine.runUntil(12304);
    expect(wire.sendToNic(f, 0, f.length)).toBe(true);
    engine.runUntil(1e6);
    expect(nic.got.map((g) => g.time)).toEqual([12304, 24608, 36912]);
  });

  it('refuses frames longer than a slot', () => {
    const { wire } = setup();
    const f = frame(NIC_MAC, HOST_A, 3000, 1);
    expect(wire.sendToNic(f, 0, f.length)).toBe(false);
    expect(wire.counters.toNicOversize).toBe(1);
  });

  it('keeps FIFO order when a deep backlog grows its slot ring', () => {
    const { engine, wire, nic } = setup({ initialSlots: 2 });
    for (let i = 0; i < 40; i++) {
      const f = frame(NIC_MAC, HOST_A, 100 + i, i);
      expect(wire.sendToNic(f, 0, f.length)).toBe(true);
    }
    engine.runUntil(1e7);
    expect(nic.got).toHaveLength(40);
    nic.got.forEach((g, i) => {
      expect(g.bytes).toHaveLength(100 + i);
      expect(g.bytes[50]).toBe(i);
    });
  });

  it('serialises NIC frames back to back and delivers each only to the host with its MAC', () => {
    const { engine, wire, nic, a, b } = setup();
    const link = nic.link!;
    const f = frame(HOST_B, NIC_MAC, 1514, 3);
    expect(link.transmitFromNic(f, 0, f.length, 0)).toBe(12304);
    // Asked to start at 0 again: the wire is busy until 12304.
    expect(link.transmitFromNic(f, 0, f.length, 0)).toBe(24608);
    f.fill(0);
    engine.runUntil(1e6);
    expect(a.got).toHaveLength(0);
    expect(b.got.map((g) => g.time)).toEqual([12304, 24608]);
    expect(b.got[1]!.bytes).toEqual(Array.from(frame(HOST_B, NIC_MAC, 1514, 3)));
    expect(wire.counters.fromNicFrames).toBe(2);
  });

  it('floods broadcast to every host and counts unicast to an unknown MAC', () => {
    const { engine, wire, nic, a, b } = setup();
    const captured: number[] = [];
    wire.onFrame = (dir) => captured.push(dir);
    const bc = frame(MAC_BROADCAST, NIC_MAC, 60, 1);
    const unknown = frame(0x02_00_00_00_ff_ff, NIC_MAC, 60, 1);
    nic.link!.transmitFromNic(bc, 0, bc.length, 0);
    nic.link!.transmitFromNic(unknown, 0, unknown.length, 0);
    engine.runUntil(1e6);
    expect(a.got).toHaveLength(1);
    expect(b.got).toHaveLength(1);
    expect(wire.counters.fromNicNoHost).toBe(1);
    expect(captured).toEqual([WIRE_FROM_NIC, WIRE_FROM_NIC]);
  });

  it('adds the propagation delay to deliveries in both directions without slowing the line', () => {
    const { engine, wire, nic, b } = setup({ propagationNs: 500 });
    const toNic = frame(NIC_MAC, HOST_A, 1514, 1);
    wire.sendToNic(toNic, 0, toNic.length);
    wire.sendToNic(toNic, 0, toNic.length);
    const toB = frame(HOST_B, NIC_MAC, 1514, 1);
    expect(nic.link!.transmitFromNic(toB, 0, toB.length, 100)).toBe(12404);
    engine.runUntil(1e6);
    expect(nic.got.map((g) => g.time)).toEqual([12804, 25108]);
    expect(b.got.map((g) => g.time)).toEqual([12904]);
  });
});
