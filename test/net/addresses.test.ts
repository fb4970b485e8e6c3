import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIpv4, parseIpv4, readIpv4, writeIpv4 } from '../../src/net/ipv4_addr.js';
import {
  formatMac,
  isBroadcastMac,
  isLocallyAdministeredMac,
  isMulticastMac,
  localUnicastMac,
  MAC_BROADCAST,
  parseMac,
  readMac,
  writeMac,
} from '../../src/net/mac.js';
import { ipArb, macArb } from './arbitraries.js';

describe('MAC addresses', () => {
  it('round-trip through text and bytes', () => {
    fc.assert(
      fc.property(macArb, (mac) => {
        expect(parseMac(formatMac(mac))).toBe(mac);
        const b = new Uint8Array(8);
        writeMac(b, 1, mac);
        expect(readMac(b, 1)).toBe(mac);
      }),
    );
  });

  it('lay out octet 0 first', () => {
    const b = new Uint8Array(6);
    writeMac(b, 0, parseMac('02:00:00:00:00:01'));
    expect(Array.from(b)).toEqual([2, 0, 0, 0, 0, 1]);
    expect(formatMac(0x0a1b2c3d4e5f)).toBe('0a:1b:2c:3d:4e:5f');
    expect(parseMac('0A-1B-2C-3D-4E-5F')).toBe(0x0a1b2c3d4e5f);
  });

  it('reject malformed text with -1', () => {
    for (const t of [
      '',
      '02:00:00:00:00',
      '02:00:00:00:00:01:02',
      '02:00-00:00:00:01',
      'g2:00:00:00:00:01',
      '2:0:0:0:0:1',
    ]) {
      expect(parseMac(t)).toBe(-1);
    }
  });

  it('classify broadcast, multicast and locally administered addresses', () => {
    expect(isBroadcastMac(MAC_BROADCAST)).toBe(true);
    expect(isMulticastMac(MAC_BROADCAST)).toBe(true);
    expect(isMulticastMac(parseMac('01:00:5e:00:00:01'))).toBe(true);
    expect(isMulticastMac(parseMac('02:00:00:00:00:01'))).toBe(false);
    expect(isLocallyAdministeredMac(parseMac('02:00:00:00:00:01'))).toBe(true);
    expect(isLocallyAdministeredMac(parseMac('00:1b:2c:3d:4e:5f'))).toBe(false);
  });

  it('generate distinct locally administered unicast addresses from distinct seeds', () => {
    fc.assert(
      fc.property(fc.nat(0xffffffff), fc.nat(0xffffffff), (a, b) => {
        const ma = localUnicastMac(a);
        expect(isLocallyAdministeredMac(ma)).toBe(true);
        expect(isMulticastMac(ma)).toBe(false);
        expect(localUnicastMac(a)).toBe(ma);
        if (a !== b) expect(localUnicastMac(b)).not.toBe(ma);
      }),
    );
  });
});

describe('IPv4 addresses', () => {
  it('round-trip through text and bytes', () => {
    fc.assert(
      fc.property(ipArb, (ip) => {
        expect(parseIpv4(formatIpv4(ip))).toBe(ip);
        const b = new Uint8Array(5);
        writeIpv4(b, 1, ip);
        expect(readIpv4(b, 1)).toBe(ip);
      }),
    );
    expect(parseIpv4('192.168.0.199')).toBe(0xc0a800c7);
    expect(formatIpv4(0xffffffff)).toBe('255.255.255.255');
  });

  it('reject malformed text with -1', () => {
    for (const t of ['', '1.2.3', '1.2.3.4.5', '256.0.0.1', '01.2.3.4', '1.2.3.-4', ' 1.2.3.4', '1.2.3.4 ']) {
      expect(parseIpv4(t)).toBe(-1);
    }
  });
});
