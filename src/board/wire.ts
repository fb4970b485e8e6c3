import { ETH_MIN_FRAME_LEN, ethernetWireBytes } from '../net/ethernet.js';
import { isMulticastMac, readMac } from '../net/mac.js';
import { assert } from './assert.js';
import type { Engine, EventSink } from './engine.js';
import type { Host, HostLink, NicEndpoint, NicLink } from './host.js';

/** Capture direction: from the hosts to the NIC. */
export const WIRE_TO_NIC = 0;
/** Capture direction: from the NIC to the hosts. */
export const WIRE_FROM_NIC = 1;
export type WireDirection = typeof WIRE_TO_NIC | typeof WIRE_FROM_NIC;

/** Largest frame (without FCS) a slot holds; jumbo frames are not modelled. */
export const WIRE_SLOT_SIZE = 2048;
/** Default switch-port buffer towards the NIC. */
export const DEFAULT_SWITCH_BUFFER_BYTES = 1024 * 1024;

export type FrameCapture = (
  dir: WireDirection,
  timeNs: number,
  buf: Uint8Array,
  off: number,
  len: number,
) => void;

export interface WireOptions {
  engine: Engine;
  /** Line rate in bit/s (both directions: the link is full duplex). */
  rateBps: number;
  /** Switch-port buffer for frames waiting to go to the NIC, in frame bytes; drop-tail beyond. */
  switchBufferBytes?: number;
  /** Added to every frame's delivery time, both directions. */
  propagationNs?: number;
  /** Initial slots per direction; rings double when a deeper backlog first appears. */
  initialSlots?: number;
}

export class WireCounters {
  toNicFrames = 0;
  toNicBytes = 0;
  /** Dropped at the switch port because its buffer was full (drop-tail). */
  toNicDropped = 0;
  toNicDroppedBytes = 0;
  /** Refused because longer than a slot. */
  toNicOversize = 0;
  /** High-water mark of the switch-port buffer, in frame bytes. */
  toNicQueuedBytesMax = 0;
  /** Line time the hosts-to-NIC direction was busy (preamble, FCS and gap included). */
  toNicBusyNs = 0;
  fromNicFrames = 0;
  fromNicBytes = 0;
  /** Unicast frames from the NIC for which no host has the destination MAC. */
  fromNicNoHost = 0;
  fromNicBusyNs = 0;
}

/**
 * Frames in flight in one direction: a FIFO over a slab of 2048-byte slots with per-slot length,
 * end-of-serialisation and delivery times in typed arrays. Doubles when full (rare: only when a
 * deeper backlog than ever before appears), so steady state allocates nothing.
 */
class _FrameRing {
  slab: Uint8Array;
  lens: Uint16Array;
  ends: Float64Array;
  capacity: number;
  head = 0;
  count = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.slab = new Uint8Array(capacity * WIRE_SLOT_SIZE);
    this.lens = new Uint16Array(capacity);
    this.ends = new Float64Array(capacity);
  }

  /** Copies the frame into the tail slot, zero-padding it to the Ethernet minimum. */
  push(buf: Uint8Array, off: number, len: number, end: number): number {
    if (this.count === this.capacity) this._grow();
    const slot = (this.head + this.count) % this.capacity;
    const base = slot * WIRE_SLOT_SIZE;
    this.slab.set(buf.subarray(off, off + len), base);
    let stored = len;
    if (len < ETH_MIN_FRAME_LEN) {
      this.slab.fill(0, base + len, base + ETH_MIN_FRAME_LEN);
      stored = ETH_MIN_FRAME_LEN;
    }
    this.lens[slot] = stored;
    this.ends[slot] = end;
    this.count++;
    return stored;
  }

  pop(): void {
    this.head = (this.head + 1) % this.capacity;
    this.count--;
  }

  private _grow(): void {
    const cap = this.capacity * 2;
    const slab = new Uint8Array(cap * WIRE_SLOT_SIZE);
    const lens = new Uint16Array(cap);
    const ends = new Float64Array(cap);
    for (let i = 0; i < this.count; i++) {
      const s = (this.head + i) % this.capacity;
      slab.set(this.slab.subarray(s * WIRE_SLOT_SIZE, (s + 1) * WIRE_SLOT_SIZE), i * WIRE_SLOT_SIZE);
      lens[i] = this.lens[s]!;
      ends[i] = this.ends[s]!;
    }
    this.slab = slab;
    this.lens = lens;
    this.ends = ends;
    this.capacity = cap;
    this.head = 0;
  }
}

const EV_DELIVER_TO_NIC = 0;
const EV_DELIVER_FROM_NIC = 1;

/**
 * A full-duplex point-to-point Ethernet link between the NIC and one port of a switch, behind
 * which sit the hosts. Each frame occupies its direction for ethernetWireBytes(len) * 8 / rate:
 * the frame padded to 60 bytes, plus FCS (4), preamble and SFD (8) and the inter-frame gap (12);
 * 12.304 us for a 1514-byte frame at 1 Gb/s. A frame is delivered at the end of that time plus
 * the propagation delay (the gap is counted before delivery, which keeps back-to-back frames
 * exactly one frame time apart at the receiver).
 *
 * Hosts to NIC: frames queue FIFO in the switch port's byte-bounded buffer (drop-tail) and are
 * serialised one after another. NIC to hosts: the NIC serialises; the switch forwards to the host
 * with the destination MAC, or to every host for broadcast and multicast. Frames are copied into
 * the wire's own slots (the sender's buffer is reused at once) and padded to the Ethernet minimum
 * as a MAC does; they carry no FCS bytes, which exist only as line time.
 *
 * Start times are computed arithmetically (each direction remembers when it becomes free), so the
 * only events are deliveries, one per frame.
 */
export class Wire implements EventSink, NicLink, HostLink {
  readonly rateBps: number;
  readonly propagationNs: number;
  readonly switchBufferBytes: number;
  readonly counters = new WireCounters();
  /** Called once per frame as it is delivered (timeNs = delivery time); for pcap and traces. */
  onFrame: FrameCapture | null = null;

  private readonly engine: Engine;
  private readonly sinkId: number;
  private readonly nsPerByte: number;
  private readonly hosts: Host[] = [];
  private nic: NicEndpoint | null = null;
  private readonly toNic: _FrameRing;
  private readonly fromNic: _FrameRing;
  private toNicFreeAt = 0;
  private fromNicFreeAt = 0;
  /** Frame bytes in the switch-port buffer: queued or being serialised, not yet sent. */
  private queuedBytes = 0;
  /** Frames at the head of toNic already fully sent (in propagation), no longer buffered. */
  private toNicSent = 0;

  constructor(opts: WireOptions) {
    assert(
      opts.rateBps > 0 && Number.isFinite(opts.rateBps),
      `wire rate ${opts.rateBps} bit/s is not positive`,
    );
    this.engine = opts.engine;
    this.rateBps = opts.rateBps;
    this.propagationNs = opts.propagationNs ?? 0;
    this.switchBufferBytes = opts.switchBufferBytes ?? DEFAULT_SWITCH_BUFFER_BYTES;
    assert(this.propagationNs >= 0, 'wire propagation delay is negative');
    assert(this.switchBufferBytes >= WIRE_SLOT_SIZE, 'switch buffer smaller than one frame');
    this.nsPerByte = 8e9 / opts.rateBps;
    const slots = opts.initialSlots ?? 64;
    this.toNic = new _FrameRing(slots);
    this.fromNic = new _FrameRing(slots);
    this.sinkId = opts.engine.addSink(this);
  }

  /** Line time of a frame of `len` bytes (no FCS), with padding, FCS, preamble/SFD and gap. */
  frameTimeNs(len: number): number {
    return ethernetWireBytes(len) * this.nsPerByte;
  }

  attachHost(host: Host): void {
    assert(!this.hosts.includes(host), 'host attached twice');
    this.hosts.push(host);
  }

  attachNic(nic: NicEndpoint): void {
    assert(this.nic === null, 'a wire has one NIC end');
    this.nic = nic;
    nic.attachLink(this);
  }

  /** HostLink: a host hands a frame to the switch at the current engine time. */
  sendToNic(buf: Uint8Array, off: number, len: number): boolean {
    assert(off >= 0 && len >= 0 && off + len <= buf.length, 'frame range outside the sender buffer');
    const c = this.counters;
    if (len > WIRE_SLOT_SIZE) {
      c.toNicOversize++;
      return false;
    }
    const now = this.engine.now;
    this._retireSent(now);
    const stored = Math.max(len, ETH_MIN_FRAME_LEN);
    if (this.queuedBytes + stored > this.switchBufferBytes) {
      c.toNicDropped++;
      c.toNicDroppedBytes += stored;
      return false;
    }
    const ft = this.frameTimeNs(stored);
    const start = Math.max(now, this.toNicFreeAt);
    const end = start + ft;
    this.toNicFreeAt = end;
    this.toNic.push(buf, off, len, end);
    this.queuedBytes += stored;
    if (this.queuedBytes > c.toNicQueuedBytesMax) c.toNicQueuedBytesMax = this.queuedBytes;
    c.toNicBusyNs += ft;
    this.engine.at(end + this.propagationNs, this.sinkId, EV_DELIVER_TO_NIC);
    return true;
  }

  /** NicLink: the NIC serialises a frame; returns when it (and its gap) has left. */
  transmitFromNic(buf: Uint8Array, off: number, len: number, startNs: number): number {
    assert(off >= 0 && len >= 0 && off + len <= buf.length, 'frame range outside the NIC buffer');
    // The message is built only on failure: a template literal here cost a string per frame.
    if (len > WIRE_SLOT_SIZE) assert(false, `NIC frame of ${len} bytes exceeds a wire slot`);
    const now = this.engine.now;
    let start = Math.max(startNs, this.fromNicFreeAt);
    if (start < now) start = now;
    const stored = Math.max(len, ETH_MIN_FRAME_LEN);
    const ft = this.frameTimeNs(stored);
    const end = start + ft;
    this.fromNicFreeAt = end;
    this.fromNic.push(buf, off, len, end);
    this.counters.fromNicBusyNs += ft;
    this.engine.at(end + this.propagationNs, this.sinkId, EV_DELIVER_FROM_NIC);
    return end;
  }

  onEvent(arg: number, time: number): void {
    if (arg === EV_DELIVER_TO_NIC) this._deliverToNic(time);
    else this._deliverFromNic(time);
  }

  /** Frames (queued or in flight) per direction and buffer occupancy, for inspection. */
  snapshot(): object {
    return {
      rateBps: this.rateBps,
      propagationNs: this.propagationNs,
      switchBufferBytes: this.switchBufferBytes,
      hosts: this.hosts.length,
      toNicInFlight: this.toNic.count,
      fromNicInFlight: this.fromNic.count,
      queuedBytes: this.queuedBytes,
      toNicFreeAt: this.toNicFreeAt,
      fromNicFreeAt: this.fromNicFreeAt,
      counters: { ...this.counters },
    };
  }

  /** Stops counting frames whose last bit has left the switch port by `now`. */
  private _retireSent(now: number): void {
    const r = this.toNic;
    while (this.toNicSent < r.count) {
      const slot = (r.head + this.toNicSent) % r.capacity;
      if (r.ends[slot]! > now) break;
      this.queuedBytes -= r.lens[slot]!;
      this.toNicSent++;
    }
  }

  private _deliverToNic(time: number): void {
    const r = this.toNic;
    assert(r.count > 0, 'wire delivery with no frame in flight');
    const slot = r.head;
    const len = r.lens[slot]!;
    const slab = r.slab;
    const base = slot * WIRE_SLOT_SIZE;
    const c = this.counters;
    c.toNicFrames++;
    c.toNicBytes += len;
    if (this.onFrame !== null) this.onFrame(WIRE_TO_NIC, time, slab, base, len);
    if (this.nic !== null) this.nic.receiveFrame(slab, base, len, time);
    // Popped after delivery so a send made during the callback cannot reuse this slot.
    if (this.toNicSent > 0) this.toNicSent--;
    else this.queuedBytes -= r.lens[r.head]!;
    r.pop();
  }

  private _deliverFromNic(time: number): void {
    const r = this.fromNic;
    assert(r.count > 0, 'wire delivery with no frame in flight');
    const slot = r.head;
    const len = r.lens[slot]!;
    const slab = r.slab;
    const base = slot * WIRE_SLOT_SIZE;
    const c = this.counters;
    c.fromNicFrames++;
    c.fromNicBytes += len;
    if (this.onFrame !== null) this.onFrame(WIRE_FROM_NIC, time, slab, base, len);
    const dst = readMac(slab, base);
    const hosts = this.hosts;
    if (isMulticastMac(dst)) {
      for (let i = 0; i < hosts.length; i++) hosts[i]!.receive(slab, base, len, time);
    } else {
      let found = false;
      for (let i = 0; i < hosts.length; i++) {
        const h = hosts[i]!;
        if (h.mac === dst) {
          found = true;
          h.receive(slab, base, len, time);
        }
      }
      if (!found) c.fromNicNoHost++;
    }
    r.pop();
  }
}
