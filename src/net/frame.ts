/**
 * The high-level frame API in one import: parse, build, echo, checksum offload, test payloads.
 * Low-level header writers and layout constants live in the per-protocol files.
 */
export { insertChecksums } from './checksum_offload.js';
export { makeIcmpEchoReply, makeUdpEchoReply } from './echo_reply.js';
export {
  ARP_FRAME_LEN,
  buildArpReply,
  buildArpRequest,
  buildIcmpEcho,
  buildUdpFrame,
  ICMP_FRAME_OVERHEAD,
  IcmpEchoSpec,
  MAX_IP_PAYLOAD,
  UDP_FRAME_OVERHEAD,
  UdpFrameSpec,
} from './frame_builder.js';
export { ParsedFrame, parseFrame } from './frame_parser.js';
export { NetError, type NetErrorCode, netErrorName } from './net_error.js';
export {
  checkPattern,
  fillPattern,
  PROBE_LEN,
  Probe,
  readProbe,
  writeGeneratedPayload,
  writeProbe,
} from './payload.js';
