import { describe, expect, it } from 'vitest';
import {
  DESC_LAST,
  DESC_WRAP,
  ECR_ETHEREN,
  ECR_RESET,
  EIR_EBERR,
  EIR_RXF,
  EIR_TXF,
  ENET_ECR,
  ENET_EIMR,
  ENET_EIR,
  ENET_EMRBR,
  ENET_ERDSR,
  ENET_ETDSR,
  ENET_MIBC,
  ENET_MMIO_SIZE,
  ENET_PALR,
  ENET_PAUR,
  ENET_RACC,
  ENET_RCR,
  ENET_RDAR,
  ENET_RMON_R_PACKETS,
  ENET_RXIC0,
  ENET_TACC,
  ENET_TDAR,
  ENET_TXIC0,
  icft,
  MIBC_IDLE,
  RACC_IPDIS,
  RACC_LINEDIS,
  RACC_PRODIS,
  RCR_PROM,
  RDAR_RDAR,
  rcrMaxFl,
  RXD_EMPTY,
  TACC_IPCHK,
  TACC_PROCHK,
  TDAR_TDAR,
  TXD_ADDCRC,
  TXD_LAST,
  TXD_READY,
  TXD_SIM_ERROR,
  TXIC_ICEN,
} from '../../src/board/enet_regs.js';
import { Engine } from '../../src/board/engine.js';
import type { Host } from '../../src/board/host.js';
import { DMA_READ, DMA_WRITE, Iommu } from '../../src/board/iommu.js';
import { PhysicalMemory, type Region } from '../../src/board/memory.js';
import { EnetNic } from '../../src/board/nic_enet.js';
import { Wire } from '../../src/board/wire.js';
import { writeEthernetHeader } from '../../src/net/ethernet.js';
import { buildUdpFrame, ParsedFrame, parseFrame, UdpFrameSpec } from '../../src/net/frame.js';
import { MAC_BROADCAST } from '../../src/net/mac.js';

const NIC_MAC = 0x02_00_00_00_00_01;
const HOST_MAC = 0x02_00_00_00_0a_01;
const OTHER_MAC = 0x02_00_00_00_0b_01;
const BUF = 2048;
const FT_1514 = 12304;

class RecordingHost implements Host {
  readonly got: Array<{ time: number; bytes: number[] }> = [];
  constructor(readonly mac: number) {}
  receive(buf: Uint8Array, off: number, len: number, timeNs: number): void {
    this.got.push({ time: timeNs, bytes: Array.from(buf.subarray(off, off + len)) });
  }
}

function frame(dst: number, src: number, len: number, fill: number): Uint8Array {
  const b = new Uint8Array(len);
  for (let i = 0; i < len; i++) b[i] = (fill + i) & 0xff;
  writeEthernetHeader(b, 0, dst, src, 0x0800);
  return b;
}

/** A valid UDP/IPv4 frame from `src` to `dst` with a 200-byte generated payload. */
function udpFrame(dst: number, src: number): Uint8Array {
  const spec = new UdpFrameSpec();
  spec.dstMac = dst;
  spec.srcMac = src;
  spec.srcIp = 0x0a000001;
  spec.dstIp = 0x0a000002;
  spec.srcPort = 1234;
  spec.dstPort = 1235;
  spec.seq = 9;
  const b = new Uint8Array(2048);
  return b.slice(0, buildUdpFrame(b, 0, spec, null, 0, 200));
}

function rig(clockAhead = 0) {
  const engine = new Engine();
  const mem = new PhysicalMemory();
  const rings = mem.allocate('rings', 4096);
  const bufs = mem.allocate('bufs', 32 * BUF);
  const iommu = new Iommu('enet0', null);
  iommu.addRegion(rings, DMA_READ | DMA_WRITE);
  iommu.addRegion(bufs, DMA_READ | DMA_WRITE);
  const irqLog: Array<[number, boolean]> = [];
  const nic = new EnetNic({
    name: 'enet0',
    engine,
    iommu,
    clock: () => engine.now + clockAhead,
    setIrq: (level) => irqLog.push([engine.now, level]),
    rateBps: 1e9,
    mac: NIC_MAC,
  });
  const regs = mem.addDevice('enet0_regs', ENET_MMIO_SIZE, nic);
  const wire = new Wire({ engine, rateBps: 1e9 });
  wire.attachNic(nic);
  const host = new RecordingHost(HOST_MAC);
  wire.attachHost(host);
  const rxRing = rings.paddr;
  const txRing = rings.paddr + 2048;
  const w = (off: number, v: number) => nic.mmioWrite(off, 4, v);
  const r = (off: number) => nic.mmioRead(off, 4);
  return { engine, mem, rings, bufs, iommu, nic, regs, wire, host, irqLog, rxRing, txRing, w, r };
}

type Rig = ReturnType<typeof rig>;

/** Writes descriptor `i` of the ring at IO address `ring` (identity-mapped in `rings`). */
function writeDesc(t: Rig, ring: number, i: number, len: number, stat: number, addr: number): void {
  const off = ring - t.rings.paddr + i * 8;
  t.rings.view.setUint16(off, len, true);
  t.rings.view.setUint32(off + 4, addr, true);
  t.rings.view.setUint16(off + 2, stat, true);
}

function readDesc(t: Rig, ring: number, i: number): { len: number; stat: number; addr: number } {
  const off = ring - t.rings.paddr + i * 8;
  return {
    len: t.rings.view.getUint16(off, true),
    stat: t.rings.view.getUint16(off + 2, true),
    addr: t.rings.view.getUint32(off + 4, true),
  };
}

function bufBytes(bufs: Region, i: number, len: number): number[] {
  return Array.from(bufs.bytes.subarray(i * BUF, i * BUF + len));
}

/** Programs the MAC the way sDDF's eth_setup does (minus PROM unless asked). */
function enable(t: Rig, opts: { prom?: boolean; eimr?: number; txic?: number } = {}): void {
  t.w(ENET_ECR, ECR_RESET);
  t.w(ENET_EIMR, 0);
  t.w(ENET_EIR, 0xffffffff);
  t.w(ENET_ERDSR, t.rxRing);
  t.w(ENET_ETDSR, t.txRing);
  t.w(ENET_EMRBR, 1536);
  t.w(ENET_RCR, rcrMaxFl(1518) | (opts.prom === true ? RCR_PROM : 0));
  t.w(ENET_TXIC0, opts.txic ?? 0);
  t.w(ENET_ECR, ECR_ETHEREN);
  t.w(ENET_EIMR, opts.eimr ?? EIR_RXF | EIR_TXF | EIR_EBERR);
}

/** Four EMPTY RX descriptors over buffers 0..3, the last with WRAP. */
function postRx(t: Rig, count = 4): void {
  for (let i = 0; i < count; i++) {
    writeDesc(t, t.rxRing, i, 0, RXD_EMPTY | (i === count - 1 ? DESC_WRAP : 0), t.bufs.paddr + i * BUF);
  }
  t.w(ENET_RDAR, RDAR_RDAR);
}

describe('EnetNic receive', () => {
  it('fills a 4-descriptor ring in order, raises RXF, and drops the 5th frame for want of a descriptor', () => {
    const t = rig();
    enable(t);
    postRx(t);
    const frames = [0, 1, 2, 3, 4].map((i) => frame(NIC_MAC, HOST_MAC, 1000 + i * 100, i * 17));
    for (const f of frames) t.wire.sendToNic(f, 0, f.length);
    t.engine.runUntil(1e6);
    for (let i = 0; i < 4; i++) {
      const d = readDesc(t, t.rxRing, i);
      expect(d.len).toBe(1000 + i * 100);
      expect(d.stat).toBe(DESC_LAST | (i === 3 ? DESC_WRAP : 0));
      expect(d.addr).toBe(t.bufs.paddr + i * BUF);
      expect(bufBytes(t.bufs, i, d.len)).toEqual(Array.from(frames[i]!));
    }
    // Nothing was written past the frames or into buffer 4.
    expect(t.bufs.bytes[3 * BUF + 1300]).toBe(0);
    expect(bufBytes(t.bufs, 4, 16)).toEqual(new Array(16).fill(0));
    const c = t.nic.counters;
    expect(c.rxFrames).toBe(4);
    expect(c.rxBytes).toBe(1000 + 1100 + 1200 + 1300);
    expect(c.rxDropNoDescriptor).toBe(1);
    expect(t.r(ENET_RDAR)).toBe(0);
    expect(t.r(ENET_EIR) & EIR_RXF).toBe(EIR_RXF);
    expect(t.irqLog).toEqual([[8192, true]]);
    expect(t.r(ENET_RMON_R_PACKETS)).toBe(4);
  });

  it('keeps the interrupt line low while RXF is masked and raises it when unmasked', () => {
    const t = rig();
    enable(t, { eimr: EIR_TXF });
    postRx(t);
    const f = frame(NIC_MAC, HOST_MAC, 200, 1);
    t.wire.sendToNic(f, 0, f.length);
    t.engine.runUntil(1e6);
    expect(t.r(ENET_EIR) & EIR_RXF).toBe(EIR_RXF);
    expect(t.nic.irq).toBe(false);
    expect(t.irqLog).toEqual([]);
    t.w(ENET_EIMR, EIR_RXF);
    expect(t.nic.irq).toBe(true);
    t.w(ENET_EIR, EIR_RXF);
    expect(t.nic.irq).toBe(false);
    expect(t.irqLog.map((e) => e[1])).toEqual([true, false]);
    expect(t.nic.counters.irqEdges).toBe(1);
  });

  it('coalesces RXF when RXIC0 asks for it: one interrupt per ICFT frames', () => {
    const t = rig();
    enable(t, { eimr: EIR_RXF });
    t.w(ENET_RXIC0, TXIC_ICEN | icft(3));
    postRx(t);
    const f = frame(NIC_MAC, HOST_MAC, 1000, 1);
    for (let i = 0; i < 4; i++) t.wire.sendToNic(f, 0, f.length);
    t.engine.runUntil(1e6);
    expect(t.nic.counters.rxFrames).toBe(4);
    expect(t.nic.counters.rxInterrupts).toBe(1);
    expect(t.irqLog).toEqual([[3 * 8192, true]]);
  });

  it('returns to the ring start after the WRAP descriptor once the driver re-arms it', () => {
    const t = rig();
    enable(t);
    postRx(t);
    // A descriptor after the WRAP one that the MAC must never use.
    writeDesc(t, t.rxRing, 4, 0, RXD_EMPTY, t.bufs.paddr + 9 * BUF);
    const send = (fill: number) => {
      const f = frame(NIC_MAC, HOST_MAC, 300, fill);
      t.wire.sendToNic(f, 0, f.length);
    };
    for (let i = 0; i < 4; i++) send(i);
    t.engine.runUntil(1e6);
    writeDesc(t, t.rxRing, 0, 0, RXD_EMPTY, t.bufs.paddr);
    t.w(ENET_RDAR, RDAR_RDAR);
    send(0x80);
    t.engine.runUntil(2e6);
    expect(readDesc(t, t.rxRing, 0).stat).toBe(DESC_LAST);
    expect(bufBytes(t.bufs, 0, 300)).toEqual(Array.from(frame(NIC_MAC, HOST_MAC, 300, 0x80)));
    expect(readDesc(t, t.rxRing, 4).stat).toBe(RXD_EMPTY);
    expect(bufBytes(t.bufs, 9, 16)).toEqual(new Array(16).fill(0));
    expect(t.nic.counters.rxFrames).toBe(5);
  });

  it('filters other unicast MACs unless promiscuous, and accepts broadcast', () => {
    const t = rig();
    enable(t);
    postRx(t);
    for (const dst of [OTHER_MAC, MAC_BROADCAST, NIC_MAC]) {
      const f = frame(dst, HOST_MAC, 100, 1);
      t.wire.sendToNic(f, 0, f.length);
    }
    t.engine.runUntil(1e6);
    expect(t.nic.counters.rxDropFiltered).toBe(1);
    expect(t.nic.counters.rxFrames).toBe(2);
    t.w(ENET_RCR, rcrMaxFl(1518) | RCR_PROM);
    const f = frame(OTHER_MAC, HOST_MAC, 100, 1);
    t.wire.sendToNic(f, 0, f.length);
    t.engine.runUntil(2e6);
    expect(t.nic.counters.rxFrames).toBe(3);
  });

  it('drops frames longer than MAX_FL (FCS included) and frames while disabled', () => {
    const t = rig();
    enable(t);
    postRx(t);
    const ok = frame(NIC_MAC, HOST_MAC, 1514, 1);
    const long = frame(NIC_MAC, HOST_MAC, 1515, 1);
    t.wire.sendToNic(long, 0, long.length);
    t.wire.sendToNic(ok, 0, ok.length);
    t.engine.runUntil(1e6);
    expect(t.nic.counters.rxDropTooLong).toBe(1);
    expect(t.nic.counters.rxFrames).toBe(1);
    t.w(ENET_ECR, 0);
    t.wire.sendToNic(ok, 0, ok.length);
    t.engine.runUntil(2e6);
    expect(t.nic.counters.rxDropDisabled).toBe(1);
  });

  it('leaves memory untouched and records the block when an RX buffer is outside the IOMMU windows', () => {
    const t = rig();
    enable(t);
    writeDesc(t, t.rxRing, 0, 0, RXD_EMPTY | DESC_WRAP, 0x1000);
    t.w(ENET_RDAR, RDAR_RDAR);
    const f = frame(NIC_MAC, HOST_MAC, 100, 1);
    t.wire.sendToNic(f, 0, f.length);
    t.engine.runUntil(1e6);
    expect(t.iommu.blockedCount).toBe(1);
    expect(t.iommu.blocked[0]).toMatchObject({ ioaddr: 0x1000, len: 100, write: true });
    expect(readDesc(t, t.rxRing, 0).stat).toBe(RXD_EMPTY | DESC_WRAP);
    expect(t.nic.counters.rxDropDmaBlocked).toBe(1);
    expect(t.r(ENET_EIR) & EIR_EBERR).toBe(EIR_EBERR);
  });
});

describe('EnetNic checksum accelerators', () => {
  it('drops received frames with a wrong UDP checksum when RACC.PRODIS is set, and only then', () => {
    const t = rig();
    enable(t);
    postRx(t);
    const good = udpFrame(NIC_MAC, HOST_MAC);
    const bad = good.slice();
    bad[100] = bad[100]! ^ 0x01;
    t.w(ENET_RACC, RACC_LINEDIS | RACC_IPDIS | RACC_PRODIS);
    t.wire.sendToNic(bad, 0, bad.length);
    t.wire.sendToNic(good, 0, good.length);
    t.engine.runUntil(1e6);
    expect(t.nic.counters.rxDropChecksum).toBe(1);
    expect(t.nic.counters.rxFrames).toBe(1);
    expect(bufBytes(t.bufs, 0, good.length)).toEqual(Array.from(good));
    t.w(ENET_RACC, 0);
    t.wire.sendToNic(bad, 0, bad.length);
    t.engine.runUntil(2e6);
    expect(t.nic.counters.rxFrames).toBe(2);
  });

  it('fills in IPv4 and UDP checksums on transmit with TACC set, leaving memory as it was', () => {
    const t = rig();
    enable(t);
    t.w(ENET_TACC, TACC_IPCHK | TACC_PROCHK);
    const f = udpFrame(HOST_MAC, NIC_MAC);
    // Zero the IPv4 header checksum (bytes 24..25) and the UDP checksum (40..41), as for offload.
    f[24] = 0;
    f[25] = 0;
    f[40] = 0;
    f[41] = 0;
    t.bufs.bytes.set(f, 16 * BUF);
    writeDesc(
      t,
      t.txRing,
      0,
      f.length,
      TXD_READY | TXD_LAST | TXD_ADDCRC | DESC_WRAP,
      t.bufs.paddr + 16 * BUF,
    );
    t.w(ENET_TDAR, TDAR_TDAR);
    t.engine.runUntil(1e6);
    const sent = Uint8Array.from(t.host.got[0]!.bytes);
    const p = new ParsedFrame();
    expect(parseFrame(sent, 0, sent.length, p)).toBe(true);
    expect(sent).toEqual(udpFrame(HOST_MAC, NIC_MAC));
    expect(bufBytes(t.bufs, 16, f.length)).toEqual(Array.from(f));
    expect(t.nic.counters.txChecksumsInserted).toBe(1);
  });
});

describe('EnetNic transmit', () => {
  /** Fills TX buffer i with a 1514-byte frame to the host and posts READY descriptors. */
  function postTx(t: Rig, count: number, len = 1514): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      const f = frame(HOST_MAC, NIC_MAC, len, i * 31);
      t.bufs.bytes.set(f, (16 + i) * BUF);
      out.push(f);
      const stat = TXD_READY | TXD_LAST | TXD_ADDCRC | (i === count - 1 ? DESC_WRAP : 0);
      writeDesc(t, t.txRing, i, len, stat, t.bufs.paddr + (16 + i) * BUF);
    }
    return out;
  }

  it('sends READY descriptors in order, back to back at line rate, and clears READY as each leaves', () => {
    const t = rig();
    enable(t);
    const frames = postTx(t, 4);
    const onWire: number[] = [];
    t.wire.onFrame = (_dir, time) => onWire.push(time);
    t.w(ENET_TDAR, TDAR_TDAR);
    expect(t.r(ENET_TDAR)).toBe(TDAR_TDAR);
    t.engine.runUntil(FT_1514 - 1);
    expect(readDesc(t, t.txRing, 0).stat & TXD_READY).toBe(TXD_READY);
    t.engine.runUntil(FT_1514);
    expect(readDesc(t, t.txRing, 0).stat).toBe(TXD_LAST | TXD_ADDCRC);
    expect(readDesc(t, t.txRing, 1).stat & TXD_READY).toBe(TXD_READY);
    t.engine.runUntil(1e6);
    expect(onWire).toEqual([1, 2, 3, 4].map((k) => k * FT_1514));
    expect(t.host.got.map((g) => g.bytes)).toEqual(frames.map((f) => Array.from(f)));
    for (let i = 0; i < 4; i++) expect(readDesc(t, t.txRing, i).stat & TXD_READY).toBe(0);
    expect(readDesc(t, t.txRing, 3).stat & DESC_WRAP).toBe(DESC_WRAP);
    expect(t.r(ENET_TDAR)).toBe(0);
    expect(t.nic.counters.txFrames).toBe(4);
    expect(t.nic.counters.txBytes).toBe(4 * 1514);
    // Without coalescing every frame raises TXF.
    expect(t.nic.counters.txInterrupts).toBe(4);
  });

  it('starts transmitting at the logical time of the TDAR write', () => {
    const t = rig(1000);
    enable(t);
    postTx(t, 1);
    t.w(ENET_TDAR, TDAR_TDAR);
    t.engine.runUntil(1e6);
    expect(t.host.got.map((g) => g.time)).toEqual([1000 + FT_1514]);
  });

  it('continues with descriptors posted while a frame is on the wire, after wrapping to the ring start', () => {
    const t = rig();
    enable(t);
    postTx(t, 2);
    t.w(ENET_TDAR, TDAR_TDAR);
    t.engine.runUntil(FT_1514 + 1);
    // Descriptor 0 is free again: the driver reuses it (after descriptor 1, which has WRAP).
    const f = frame(HOST_MAC, NIC_MAC, 600, 99);
    t.bufs.bytes.set(f, 20 * BUF);
    writeDesc(t, t.txRing, 0, 600, TXD_READY | TXD_LAST, t.bufs.paddr + 20 * BUF);
    t.w(ENET_TDAR, TDAR_TDAR);
    t.engine.runUntil(1e6);
    expect(t.host.got.map((g) => g.time)).toEqual([FT_1514, 2 * FT_1514, 2 * FT_1514 + (600 + 24) * 8]);
    expect(t.host.got[2]!.bytes).toEqual(Array.from(f));
  });

  it('coalesces TXF: one interrupt after ICFT frames', () => {
    const t = rig();
    enable(t, { txic: TXIC_ICEN | icft(2) | 0xff, eimr: EIR_TXF });
    postTx(t, 4);
    t.w(ENET_TDAR, TDAR_TDAR);
    t.engine.runUntil(2 * FT_1514 - 1);
    expect(t.nic.counters.txInterrupts).toBe(0);
    expect(t.nic.irq).toBe(false);
    t.engine.runUntil(2 * FT_1514);
    expect(t.nic.counters.txInterrupts).toBe(1);
    expect(t.irqLog).toEqual([[2 * FT_1514, true]]);
    t.engine.runUntil(1e6);
    expect(t.nic.counters.txInterrupts).toBe(2);
  });

  it('coalesces TXF: the timer fires ICTT units of 512 ns after the first uncounted completion', () => {
    const t = rig();
    // sDDF's setting: 128 frames or timer 0xFF.
    const txic = TXIC_ICEN | icft(128) | 0xff;
    enable(t, { txic, eimr: EIR_TXF });
    expect(t.nic.coalescingUnitNs(txic)).toBe(512);
    postTx(t, 2);
    t.w(ENET_TDAR, TDAR_TDAR);
    const fireAt = FT_1514 + 255 * 512; // 130.56 us after the first completion
    t.engine.runUntil(fireAt - 1);
    expect(t.nic.counters.txInterrupts).toBe(0);
    t.engine.runUntil(fireAt);
    expect(t.nic.counters.txInterrupts).toBe(1);
    expect(t.irqLog).toEqual([[fireAt, true]]);
    t.engine.runUntil(1e7);
    expect(t.nic.counters.txInterrupts).toBe(1);
  });

  it('blocks a TX buffer outside the IOMMU windows: recorded, completed with an error, nothing on the wire', () => {
    const t = rig();
    enable(t);
    writeDesc(t, t.txRing, 0, 1514, TXD_READY | TXD_LAST | TXD_ADDCRC | DESC_WRAP, 0x1000);
    t.w(ENET_TDAR, TDAR_TDAR);
    t.engine.runUntil(1e6);
    expect(t.iommu.blockedCount).toBe(1);
    expect(t.iommu.blocked[0]).toMatchObject({ device: 'enet0', ioaddr: 0x1000, len: 1514, write: false });
    expect(t.wire.counters.fromNicFrames).toBe(0);
    expect(t.host.got).toHaveLength(0);
    expect(readDesc(t, t.txRing, 0).stat).toBe(TXD_LAST | TXD_ADDCRC | DESC_WRAP | TXD_SIM_ERROR);
    expect(t.nic.counters.dmaBlocked).toBe(1);
    expect(t.nic.counters.txErrors).toBe(1);
    expect(t.nic.counters.txFrames).toBe(0);
    expect(t.r(ENET_EIR) & EIR_EBERR).toBe(EIR_EBERR);
    expect(t.r(ENET_TDAR)).toBe(0);
  });

  it('sends the good frame after a blocked one without losing line time', () => {
    const t = rig();
    enable(t);
    const f = frame(HOST_MAC, NIC_MAC, 1514, 5);
    t.bufs.bytes.set(f, 16 * BUF);
    writeDesc(t, t.txRing, 0, 1514, TXD_READY | TXD_LAST, 0x1000);
    writeDesc(t, t.txRing, 1, 1514, TXD_READY | TXD_LAST | DESC_WRAP, t.bufs.paddr + 16 * BUF);
    t.w(ENET_TDAR, TDAR_TDAR);
    t.engine.runUntil(1e6);
    expect(t.host.got.map((g) => g.time)).toEqual([FT_1514]);
    expect(t.host.got[0]!.bytes).toEqual(Array.from(f));
  });
});

describe('EnetNic registers', () => {
  it('clears EIR bits by writing ones and leaves the others', () => {
    const t = rig();
    enable(t, { eimr: EIR_TXF });
    postRx(t);
    const f = frame(NIC_MAC, HOST_MAC, 100, 1);
    t.wire.sendToNic(f, 0, f.length);
    const tx = frame(HOST_MAC, NIC_MAC, 100, 1);
    t.bufs.bytes.set(tx, 16 * BUF);
    writeDesc(t, t.txRing, 0, 100, TXD_READY | TXD_LAST | DESC_WRAP, t.bufs.paddr + 16 * BUF);
    t.w(ENET_TDAR, TDAR_TDAR);
    t.engine.runUntil(1e6);
    expect(t.r(ENET_EIR)).toBe(EIR_RXF | EIR_TXF);
    expect(t.nic.irq).toBe(true);
    t.w(ENET_EIR, EIR_RXF);
    expect(t.r(ENET_EIR)).toBe(EIR_TXF);
    expect(t.nic.irq).toBe(true);
    t.w(ENET_EIR, 0);
    expect(t.r(ENET_EIR)).toBe(EIR_TXF);
    t.w(ENET_EIR, t.r(ENET_EIR));
    expect(t.r(ENET_EIR)).toBe(0);
    expect(t.nic.irq).toBe(false);
  });

  it('reads 0 from unknown offsets, ignores writes to them and counts both', () => {
    const t = rig();
    expect(t.r(0x3000)).toBe(0);
    t.w(0x3000, 5);
    expect(t.r(0x3000)).toBe(0);
    expect(t.nic.mmioRead(ENET_EIR, 2)).toBe(0);
    expect(t.nic.counters.unknownRegisterAccesses).toBe(4);
  });

  it('completes a reset at once, reports the MIB idle and keeps the MAC address', () => {
    const t = rig();
    t.w(ENET_EIMR, EIR_RXF);
    t.w(ENET_ECR, ECR_ETHEREN);
    t.w(ENET_ECR, ECR_RESET);
    expect(t.r(ENET_ECR) & (ECR_RESET | ECR_ETHEREN)).toBe(0);
    expect(t.r(ENET_EIMR)).toBe(0);
    expect(t.r(ENET_MIBC) & MIBC_IDLE).toBe(MIBC_IDLE);
    expect(t.r(ENET_PALR)).toBe(0x0200_0000);
    expect(t.r(ENET_PAUR) >>> 16).toBe(0x0001);
    expect(t.nic.mac).toBe(NIC_MAC);
  });

  it('is reachable through its device region as a plain MMIO handler', () => {
    const t = rig();
    expect(t.regs.device).toBe(t.nic);
    expect(t.regs.size).toBe(ENET_MMIO_SIZE);
  });
});
