import { describe, expect, it } from 'vitest';
import {
  ethernetWireBytes,
  padFrame,
  readDstMac,
  readEthertype,
  readSrcMac,
  writeEthernetHeader,
} from '../../src/net/ethernet.js';

describe('Ethernet framing', () => {
  it('writes and reads the header fields', () => {
    const b = new Uint8Array(14);
    writeEthernetHeader(b, 0, 0xffffffffffff, 0x020000000001, 0x0806);
    expect(Buffer.from(b).toString('hex')).toBe('ffffffffffff0200000000010806');
    expect([readDstMac(b, 0), readSrcMac(b, 0), readEthertype(b, 0)]).toEqual([
      0xffffffffffff, 0x020000000001, 0x0806,
    ]);
  });

  it('counts padding, FCS, preamble and gap in line time', () => {
    expect(ethernetWireBytes(1514)).toBe(1538);
    expect(ethernetWireBytes(42)).toBe(84);
  });

  it('pads short frames with zeros to 60 bytes and leaves long ones alone', () => {
    const b = new Uint8Array(64).fill(7);
    expect(padFrame(b, 2, 42)).toBe(60);
    expect(b.subarray(44, 62).every((x) => x === 0)).toBe(true);
    expect([b[43], b[62]]).toEqual([7, 7]);
    expect(padFrame(b, 0, 61)).toBe(61);
  });
});
