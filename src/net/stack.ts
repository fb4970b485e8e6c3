/**
 * A small host network stack shared by native clients, guests and test hosts: answers
 * ARP for its address, ICMP echo, UDP echo on one port, and counts what a UDP sink
 * receives. It works in place on a frame the caller owns and says what to send back,
 * so the caller decides where the reply's bytes go (an sDDF TX buffer, a virtqueue).
 *
 * Checksums are not verified on receive: the i.MX ENET checks them in hardware and
 * sDDF builds lwIP with NETWORK_HW_HAS_CHECKSUM, so the stack's cost model matches.
 */
import { ARP_OFF_OP, ARP_OFF_SHA, ARP_OFF_SPA, ARP_OFF_TPA, ARP_OP_REQUEST } from './arp.js';
import { rd16 } from './bytes.js';
import { makeIcmpEchoReply, makeUdpEchoReply } from './echo_reply.js';
import { ETH_HEADER_LEN, ETH_OFF_TYPE, ETHERTYPE_ARP, ETHERTYPE_IPV4 } from './ethernet.js';
import { buildArpReply } from './frame_builder.js';
import { ICMP_HEADER_LEN } from './icmp.js';
import { readIpv4 } from './ipv4_addr.js';
import { IPPROTO_ICMP, IPPROTO_UDP, IPV4_OFF_DST } from './ipv4.js';
import { ipv4HeaderLenIfValid } from './ipv4_locate.js';
import { readMac } from './mac.js';
import { UDP_HEADER_LEN, UDP_OFF_DST_PORT } from './udp.js';

export const UDP_ECHO_PORT = 1235;

/** What input() found; the caller reads these after each call. */
export const IN_DROPPED = 0;
export const IN_REPLY = 1;
export const IN_CONSUMED = 2;

export class StackCounters {
  rxFrames = 0;
  rxDropped = 0;
  arpReplies = 0;
  icmpReplies = 0;
  udpEchoed = 0;
  udpSunk = 0;
  udpSunkBytes = 0;
  notForUs = 0;
}

export class NetStack {
  mac: number;
  ip: number;
  /** Echo UDP datagrams to UDP_ECHO_PORT (the echo app); otherwise UDP is sunk. */
  echo: boolean;
  readonly counters = new StackCounters();
  /** Length of the reply written in place by the last input() returning IN_REPLY. */
  replyLen = 0;

  constructor(mac: number, ip: number, echo: boolean) {
    this.mac = mac;
    this.ip = ip;
    this.echo = echo;
  }

  /** Handles the frame buf[off, off+len). Never throws, whatever the bytes are. */
  input(buf: Uint8Array, off: number, len: number): number {
    const c = this.counters;
    c.rxFrames++;
    this.replyLen = 0;
    if (!(len >= ETH_HEADER_LEN) || off < 0 || off + len > buf.length) {
      c.rxDropped++;
      return IN_DROPPED;
    }
    const type = rd16(buf, off + ETH_OFF_TYPE);
    if (type === ETHERTYPE_ARP) return this.arp(buf, off, len);
    if (type !== ETHERTYPE_IPV4) {
      c.rxDropped++;
      return IN_DROPPED;
    }
    const hl = ipv4HeaderLenIfValid(buf, off, len, IPPROTO_UDP, UDP_HEADER_LEN);
    if (hl > 0) {
      if (readIpv4(buf, off + ETH_HEADER_LEN + IPV4_OFF_DST) !== this.ip) {
        c.notForUs++;
        return IN_DROPPED;
      }
      const udp = off + ETH_HEADER_LEN + hl;
      if (this.echo && rd16(buf, udp + UDP_OFF_DST_PORT) === UDP_ECHO_PORT) {
        const n = makeUdpEchoReply(buf, off, len);
        if (n > 0) {
          c.udpEchoed++;
          this.replyLen = n;
          return IN_REPLY;
        }
        c.rxDropped++;
        return IN_DROPPED;
      }
      c.udpSunk++;
      c.udpSunkBytes += len - (udp - off) - UDP_HEADER_LEN;
      return IN_CONSUMED;
    }
    if (ipv4HeaderLenIfValid(buf, off, len, IPPROTO_ICMP, ICMP_HEADER_LEN) > 0) {
      if (readIpv4(buf, off + ETH_HEADER_LEN + IPV4_OFF_DST) !== this.ip) {
        c.notForUs++;
        return IN_DROPPED;
      }
      const n = makeIcmpEchoReply(buf, off, len);
      if (n > 0) {
        c.icmpReplies++;
        this.replyLen = n;
        return IN_REPLY;
      }
    }
    c.rxDropped++;
    return IN_DROPPED;
  }

  private arp(buf: Uint8Array, off: number, len: number): number {
    const c = this.counters;
    const a = off + ETH_HEADER_LEN;
    if (len < ETH_HEADER_LEN + 28 || rd16(buf, a + ARP_OFF_OP) !== ARP_OP_REQUEST) {
      c.rxDropped++;
      return IN_DROPPED;
    }
    if (readIpv4(buf, a + ARP_OFF_TPA) !== this.ip) {
      c.notForUs++;
      return IN_DROPPED;
    }
    const senderMac = readMac(buf, a + ARP_OFF_SHA);
    const senderIp = readIpv4(buf, a + ARP_OFF_SPA);
    this.replyLen = buildArpReply(buf, off, this.mac, this.ip, senderMac, senderIp);
    c.arpReplies++;
    return IN_REPLY;
  }
}
