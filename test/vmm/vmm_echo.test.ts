import { describe, expect, it } from 'vitest';
import { T_STOPPED } from '../../src/board/thread.js';
import { makeUdpEchoReply } from '../../src/net/echo_reply.js';
import { buildArpRequest } from '../../src/net/frame_builder.js';
import { ParsedFrame, parseFrame } from '../../src/net/frame_parser.js';
import { UDP_ECHO_PORT } from '../../src/net/stack.js';
import { VIRTIO_F_EVENT_IDX, VIRTIO_NET_F_MAC, VIRTIO_NET_F_STATUS } from '../../src/virtio/constants.js';
import { DRV_UP } from '../../src/guest/virtio_net_driver.js';
import { HOST_IP, HOST_MAC, buildRig, sddfBuffersHome, udpToGuest } from './vmm_rig.js';

/** The VMM's log as readable entries: "R 070", "W 070=3", "R1 100" (width shown when not 4). */
function accesses(log: number[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < log.length; i += 4) {
    const off = log[i]!.toString(16).padStart(3, '0');
    const width = log[i + 1]!;
    const w = log[i + 2] === 1;
    out.push(`${w ? 'W' : 'R'}${width === 4 ? '' : width} ${off}${w ? `=${log[i + 3]!.toString(16)}` : ''}`);
  }
  return out;
}

function queueSetup(index: number, num: number, desc: number, avail: number, used: number): string[] {
  return [
    `W 030=${index}`,
    'R 044',
    'R 034',
    `W 038=${num.toString(16)}`,
    `W 080=${desc.toString(16)}`,
    'W 084=0',
    `W 090=${avail.toString(16)}`,
    'W 094=0',
    `W 0a0=${used.toString(16)}`,
    'W 0a4=0',
    'W 044=1',
  ];
}

describe('VMM and Linux-like guest over virtio-mmio', () => {
  it('probes the device with the spec sequence and reaches DRIVER_OK', () => {
    const rig = buildRig([{}]);
    const rv = rig.vms[0]!;
    rv.vmm.mmioLog = [];
    rig.run(1e6);
    const drv = rv.vm.linux!.driver!;
    expect(drv.state).toBe(DRV_UP);
    expect(rv.vmm.mmio.status).toBe(0x0f);
    const lo = (1 << VIRTIO_NET_F_MAC) | (1 << VIRTIO_NET_F_STATUS) | (1 << VIRTIO_F_EVENT_IDX);
    expect(rv.vmm.mmio.featuresLo).toBe(lo);
    expect(rv.vmm.mmio.featuresHi).toBe(1);
    const rl = drv.rxLayout!;
    const tl = drv.txLayout!;
    const expected = [
      'R 000',
      'R 004',
      'R 008',
      'R 00c',
      'W 070=0',
      'R 070',
      'R 070',
      'W 070=1',
      'R 070',
      'W 070=3',
      'W 014=1',
      'R 010',
      'W 014=0',
      'R 010',
      'W 024=1',
      'W 020=1',
      'W 024=0',
      `W 020=${lo.toString(16)}`,
      'R 070',
      'W 070=b',
      'R 070',
      'R 0fc',
      'R1 100',
      'R1 101',
      'R1 102',
      'R1 103',
      'R1 104',
      'R1 105',
      'R2 106',
      'R 0fc',
      ...queueSetup(0, 256, rl.descGpa, rl.availGpa, rl.usedGpa),
      ...queueSetup(1, 256, tl.descGpa, tl.availGpa, tl.usedGpa),
      'R 070',
      'W 070=f',
    ];
    expect(accesses(rv.vmm.mmioLog)).toEqual(expected);
    // Every access was a VM exit handled by the VMM, none refused.
    expect(rv.vmm.counters.mmioReads + rv.vmm.counters.mmioWrites).toBe(expected.length);
    expect(rv.vmm.counters.unhandledFaults).toBe(0);
    expect(drv.mac).toBe(rv.cfg.mac);
    expect(drv.linkUp).toBe(true);
    expect(rv.vmm.net.rxq.ready && rv.vmm.net.txq.ready).toBe(true);
    // The whole RX ring is posted (and, with EVENT_IDX, the device asked for no refill kick).
    expect(rv.vmm.net.rxq.availPending()).toBe(256);
    expect(drv.counters.kicksRx).toBe(0);
  });

  it('echoes a UDP datagram from the sDDF RX queue back onto the sDDF TX queue byte for byte', () => {
    const rig = buildRig([{}]);
    const rv = rig.vms[0]!;
    rig.run(1e6);
    const req = udpToGuest(rv, 7);
    rig.sendAt(0, 1.5e6, [req]);
    rig.run(3e6);
    expect(rv.peer.sent.length).toBe(1);
    const reply = rv.peer.sent[0]!;
    const expected = req.slice();
    expect(makeUdpEchoReply(expected, 0, expected.length)).toBe(expected.length);
    expect(Array.from(reply)).toEqual(Array.from(expected));
    const p = new ParsedFrame();
    expect(parseFrame(reply, 0, reply.length, p)).toBe(true);
    expect(p.ipChecksumOk && p.udpChecksumOk).toBe(true);
    expect(p.dstMac).toBe(HOST_MAC);
    expect(p.srcMac).toBe(rv.cfg.mac);
    expect(p.ipDst).toBe(HOST_IP);
    expect(p.udpSrcPort).toBe(UDP_ECHO_PORT);
    expect(p.payloadLen).toBe(1472);
    expect(rv.vm.linux!.stack.counters.udpEchoed).toBe(1);
    expect(rv.vmm.net.counters.rxFrames).toBe(1);
    expect(rv.vmm.net.counters.txFrames).toBe(1);
    const home = sddfBuffersHome(rv);
    expect(home.rx).toBe(home.rxCap);
    expect(home.tx).toBe(home.txCap);
  });

  it('answers ARP for the guest address with its virtio MAC', () => {
    const rig = buildRig([{}]);
    const rv = rig.vms[0]!;
    rig.run(1e6);
    const arp = new Uint8Array(64);
    const n = buildArpRequest(arp, 0, HOST_MAC, HOST_IP, rv.cfg.ip);
    rig.sendAt(0, 1.2e6, [arp.slice(0, n)]);
    rig.run(2e6);
    expect(rv.peer.sent.length).toBe(1);
    const p = new ParsedFrame();
    expect(parseFrame(rv.peer.sent[0]!, 0, rv.peer.sent[0]!.length, p)).toBe(true);
    expect(p.arpOp).toBe(2);
    expect(p.arpSenderMac).toBe(rv.cfg.mac);
    expect(p.arpSenderIp).toBe(rv.cfg.ip);
  });

  it('echoes a burst of 200 datagrams in order, every sDDF buffer coming home', () => {
    const rig = buildRig([{ rxCapacity: 256, txCapacity: 256 }]);
    const rv = rig.vms[0]!;
    rig.run(1e6);
    const reqs: Uint8Array[] = [];
    for (let i = 0; i < 200; i++) reqs.push(udpToGuest(rv, i));
    for (let b = 0; b < 20; b++) rig.sendAt(0, 1.1e6 + b * 3000, reqs.slice(b * 10, b * 10 + 10));
    rig.run(20e6);
    expect(rv.peer.sent.length).toBe(200);
    const p = new ParsedFrame();
    rv.peer.sent.forEach((f, i) => {
      expect(parseFrame(f, 0, f.length, p)).toBe(true);
      expect(p.ipId).toBe(i);
    });
    expect(rv.vmm.state).not.toBe(T_STOPPED);
    const home = sddfBuffersHome(rv);
    expect(home.rx).toBe(home.rxCap);
    expect(home.tx).toBe(home.txCap);
    // Work is charged per operation: each frame costs the VMM two packet operations and two
    // copies, the guest a receive and a transmit, and every trapped access a VM exit.
    const acct = rig.kernel.accounting(0);
    const costs = rig.kernel.costs as unknown as Record<string, number>;
    expect(acct.user[rv.vmm.id]!).toBeGreaterThanOrEqual(
      200 * (2 * costs['vmm_pkt']! + 2 * 1514 * costs['vmm_byte']!),
    );
    expect(acct.user[rv.vmm.vcpu.id]!).toBeGreaterThanOrEqual(
      200 * (costs['guest_rx_pkt']! + costs['guest_tx_pkt']!),
    );
    const exits = rv.vmm.counters.mmioReads + rv.vmm.counters.mmioWrites;
    expect(acct.kernelFor[rv.vmm.vcpu.id]!).toBeGreaterThanOrEqual(exits * costs['vm_exit']!);
  });
});
