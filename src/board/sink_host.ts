import { copyBytes, rd32 } from '../net/bytes.js';
import { makeIcmpEchoReply } from '../net/echo_reply.js';
import { ETH_HEADER_LEN } from '../net/ethernet.js';
import { IPPROTO_ICMP, IPV4_OFF_DST, IPV4_OFF_PROTOCOL } from '../net/ipv4.js';
import type { Host, HostLink } from './host.js';

/** The largest frame the sink answers (a wire slot holds no more). */
const REPLY_BUFFER = 2048;

/**
 * A host on the wire that takes whatever is sent to it and counts it, by the sender's
 * MAC, inside the measurement window: the far end of clients' UDP sources. It also answers ICMP
 * echo requests for its IP address at once, as a host's kernel would (the far end of a guest's
 * ping); with no link attached it answers nothing.
 */
export class SinkHost implements Host {
  readonly mac: number;
  readonly ip: number;
  private windowStart = 0;
  private windowEnd = Number.POSITIVE_INFINITY;
  readonly framesBySource = new Map<number, number>();
  readonly bytesBySource = new Map<number, number>();
  /** Where replies go: the switch port towards the NIC. */
  link: HostLink | null = null;
  /** Echo requests answered, and answers the switch port dropped. */
  echoReplies = 0;
  echoRepliesDropped = 0;
  /** The received frame is lent for the call; the reply is built in a buffer of our own. */
  private readonly reply = new Uint8Array(REPLY_BUFFER);

  constructor(mac: number, ip: number) {
    this.mac = mac;
    this.ip = ip;
  }

  setWindow(start: number, end: number): void {
    this.windowStart = start;
    this.windowEnd = end;
  }

  receive(buf: Uint8Array, off: number, len: number, timeNs: number): void {
    this.answerEcho(buf, off, len);
    if (timeNs < this.windowStart || timeNs >= this.windowEnd || len < 14) return;
    const src =
      buf[off + 6]! * 2 ** 40 +
      buf[off + 7]! * 2 ** 32 +
      ((buf[off + 8]! << 24) >>> 0) +
      (buf[off + 9]! << 16) +
      (buf[off + 10]! << 8) +
      buf[off + 11]!;
    this.framesBySource.set(src, (this.framesBySource.get(src) ?? 0) + 1);
    this.bytesBySource.set(src, (this.bytesBySource.get(src) ?? 0) + len);
  }

  /** An ICMP echo request to our IP goes back as a reply; anything else is left alone. */
  private answerEcho(buf: Uint8Array, off: number, len: number): void {
    if (this.link === null || len > REPLY_BUFFER || len < ETH_HEADER_LEN + 20) return;
    // Checked before the copy: the sink's usual traffic is UDP from sources, frame after frame.
    if (buf[off + ETH_HEADER_LEN + IPV4_OFF_PROTOCOL] !== IPPROTO_ICMP) return;
    if (rd32(buf, off + ETH_HEADER_LEN + IPV4_OFF_DST) !== this.ip >>> 0) return;
    const r = this.reply;
    copyBytes(buf, off, r, 0, len);
    const n = makeIcmpEchoReply(r, 0, len);
    if (n === 0) return;
    if (this.link.sendToNic(r, 0, n)) this.echoReplies++;
    else this.echoRepliesDropped++;
  }
}
