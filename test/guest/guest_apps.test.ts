import { describe, expect, it } from 'vitest';
import { makeIcmpEchoReply } from '../../src/net/echo_reply.js';
import { buildIcmpEcho, IcmpEchoSpec } from '../../src/net/frame_builder.js';
import { ParsedFrame, parseFrame } from '../../src/net/frame_parser.js';
import { HOST_IP, HOST_MAC, buildRig, udpToGuest } from '../vmm/vmm_rig.js';

describe('guest apps', () => {
  it('the source sends what its rate allows per timer tick, as valid UDP frames', () => {
    const rig = buildRig([
      {
        txCapacity: 256,
        guest: {
          app: 'source',
          source: {
            rateBps: 100e6,
            payload: 1000,
            dstMac: HOST_MAC,
            dstIp: HOST_IP,
            dstPort: 7777,
            tickNs: 100_000,
          },
        },
      },
    ]);
    const rv = rig.vms[0]!;
    rig.run(10e6);
    const src = rv.vm.linux!.source!;
    // 100 Mb/s of 1000-byte payloads for the ~9.9 ms after the first tick: about 124 datagrams.
    expect(src.sent).toBeGreaterThanOrEqual(120);
    expect(src.sent).toBeLessThanOrEqual(126);
    expect(rv.peer.sent.length).toBe(src.sent);
    const p = new ParsedFrame();
    rv.peer.sent.forEach((f, i) => {
      expect(parseFrame(f, 0, f.length, p)).toBe(true);
      expect(p.udpChecksumOk && p.ipChecksumOk).toBe(true);
      expect([p.srcMac, p.dstMac, p.ipSrc, p.ipDst, p.udpDstPort]).toEqual([
        rv.cfg.mac,
        HOST_MAC,
        rv.cfg.ip,
        HOST_IP,
        7777,
      ]);
      expect(p.payloadLen).toBe(1000);
      expect(p.ipId).toBe(i);
    });
    // Kicks are batched per tick, not one per frame.
    expect(rv.vm.linux!.driver!.counters.kicksTx).toBeLessThan(src.sent);
    expect(rv.vm.linux!.timerTicks).toBeGreaterThanOrEqual(99);
  });

  it('ping counts the replies to its echo requests and measures their round trip', () => {
    const rig = buildRig([
      {
        guest: {
          app: 'ping',
          ping: { dstMac: HOST_MAC, dstIp: HOST_IP, intervalNs: 200_000, payload: 56, id: 0x4242, count: 5 },
        },
      },
    ]);
    const rv = rig.vms[0]!;
    // The far end answers every echo request at once.
    rv.peer.reflect = (f) => {
      const r = f.slice();
      return makeIcmpEchoReply(r, 0, r.length) > 0 ? r : null;
    };
    rig.run(3e6);
    const ping = rv.vm.linux!.ping!;
    expect(ping.sent).toBe(5);
    expect(ping.replies).toBe(5);
    expect(ping.rttMinNs).toBeGreaterThan(0);
    expect(ping.rttMaxNs).toBeLessThan(200_000);
    const p = new ParsedFrame();
    const req = rv.peer.sent[0]!;
    expect(parseFrame(req, 0, req.length, p)).toBe(true);
    expect([p.icmpType, p.icmpId, p.icmpSeq, p.payloadLen]).toEqual([8, 0x4242, 0, 56]);
    // The replies were taken by ping, not answered again by the stack.
    expect(rv.peer.sent.length).toBe(5);
  });

  it('the sink consumes datagrams and sends nothing back', () => {
    const rig = buildRig([{ guest: { app: 'sink' } }]);
    const rv = rig.vms[0]!;
    rig.run(1e6);
    rig.sendAt(0, 1.1e6, [udpToGuest(rv, 1, 500), udpToGuest(rv, 2, 500), udpToGuest(rv, 3, 500)]);
    rig.run(3e6);
    const st = rv.vm.linux!.stack.counters;
    expect(st.udpSunk).toBe(3);
    expect(st.udpSunkBytes).toBe(1500);
    expect(rv.peer.sent.length).toBe(0);
  });

  it('any guest answers ICMP echo requests through its stack', () => {
    const rig = buildRig([{ guest: { app: 'sink' } }]);
    const rv = rig.vms[0]!;
    rig.run(1e6);
    const spec = new IcmpEchoSpec();
    spec.srcMac = HOST_MAC;
    spec.dstMac = rv.cfg.mac;
    spec.srcIp = HOST_IP;
    spec.dstIp = rv.cfg.ip;
    spec.id = 0x1234;
    spec.seq = 3;
    const buf = new Uint8Array(256);
    const req = buf.slice(0, buildIcmpEcho(buf, 0, spec, null, 0, 56));
    rig.sendAt(0, 1.1e6, [req]);
    rig.run(2e6);
    expect(rv.vm.linux!.stack.counters.icmpReplies).toBe(1);
    const reply = rv.peer.sent[0]!;
    const p = new ParsedFrame();
    expect(parseFrame(reply, 0, reply.length, p)).toBe(true);
    expect([p.icmpType, p.icmpId, p.icmpSeq, p.ipDst, p.dstMac]).toEqual([0, 0x1234, 3, HOST_IP, HOST_MAC]);
  });
});
