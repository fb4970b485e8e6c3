import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  VIRTIO_F_EVENT_IDX,
  VIRTIO_F_VERSION_1,
  VIRTIO_NET_F_CSUM,
  VIRTIO_NET_F_MAC,
  VIRTIO_NET_F_STATUS,
} from '../../src/virtio/constants.js';
import {
  featureMask,
  featureWord,
  featuresFromWords,
  hasFeature,
  hasFeatureWords,
} from '../../src/virtio/features.js';
import { NetConfig, readConfigBytes, VIRTIO_NET_S_LINK_UP } from '../../src/virtio/net_config.js';
import { LIBVMM_NET_FEATURES, netDeviceFeatures } from '../../src/virtio/net_features.js';
import {
  NetHdr,
  readNetHdr,
  VIRTIO_NET_HDR_F_NEEDS_CSUM,
  VIRTIO_NET_HDR_SIZE,
  writeNetHdr,
  writePlainNetHdr,
} from '../../src/virtio/net_hdr.js';

describe('virtio_net_hdr', () => {
  it('is 12 bytes with every field little-endian at its offset', () => {
    expect(VIRTIO_NET_HDR_SIZE).toBe(12);
    const h = new NetHdr();
    h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    h.gsoType = 0x80;
    h.hdrLen = 0x0102;
    h.gsoSize = 0x0304;
    h.csumStart = 34;
    h.csumOffset = 16;
    h.numBuffers = 0x0506;
    const b = new Uint8Array(14).fill(0xff);
    expect(writeNetHdr(b, 1, h)).toBe(true);
    expect([...b]).toEqual([0xff, 1, 0x80, 2, 1, 4, 3, 34, 0, 16, 0, 6, 5, 0xff]);
  });

  it('reads back what it writes, for any field values', () => {
    fc.assert(
      fc.property(
        fc.tuple(
          fc.nat(255),
          fc.nat(255),
          fc.nat(0xffff),
          fc.nat(0xffff),
          fc.nat(0xffff),
          fc.nat(0xffff),
          fc.nat(0xffff),
        ),
        fc.nat(20),
        (v, off) => {
          const h = new NetHdr();
          [h.flags, h.gsoType, h.hdrLen, h.gsoSize, h.csumStart, h.csumOffset, h.numBuffers] = v;
          const b = new Uint8Array(32);
          expect(writeNetHdr(b, off, h)).toBe(true);
          const r = new NetHdr();
          expect(readNetHdr(b, off, r)).toBe(true);
          expect(r).toEqual(h);
        },
      ),
    );
  });

  it('refuses to read or write past the end of the buffer', () => {
    const b = new Uint8Array(11);
    const h = new NetHdr();
    expect(readNetHdr(b, 0, h)).toBe(false);
    expect(writeNetHdr(b, 0, h)).toBe(false);
    expect(writePlainNetHdr(new Uint8Array(12), 1, 1)).toBe(false);
    expect(readNetHdr(new Uint8Array(12), -1, h)).toBe(false);
  });

  it('writes a plain RX header with num_buffers = 1 and nothing else', () => {
    const b = new Uint8Array(12).fill(0xaa);
    expect(writePlainNetHdr(b, 0, 1)).toBe(true);
    expect([...b]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
  });
});

describe('virtio-net config space', () => {
  it('lays out mac, status and max_virtqueue_pairs as the spec does', () => {
    const c = new NetConfig([0x02, 0x00, 0x00, 0xaa, 0xbb, 0xcc]);
    expect(c.read(0, 1)).toBe(0x02);
    expect(c.read(5, 1)).toBe(0xcc);
    expect(c.read(0, 4)).toBe(0xaa000002);
    expect(c.read(4, 4)).toBe(0x0001ccbb); // mac[4], mac[5], status lo/hi
    expect(c.read(6, 2)).toBe(VIRTIO_NET_S_LINK_UP);
    expect(c.read(8, 2)).toBe(1);
    c.setStatus(0);
    expect(c.read(6, 2)).toBe(0);
  });

  it('reads bytes past the fields, odd widths and bad offsets as 0', () => {
    const c = new NetConfig([1, 2, 3, 4, 5, 6]);
    expect(c.read(10, 4)).toBe(0);
    expect(c.read(9, 2)).toBe(0);
    expect(c.read(0, 3)).toBe(0);
    expect(c.read(-1, 1)).toBe(0);
    expect(readConfigBytes(new Uint8Array([0xff, 0xff, 0xff, 0xff]), 0, 4)).toBe(0xffff_ffff);
  });
});

describe('feature sets', () => {
  it('offers VERSION_1 and MAC always, the rest on request, like libvmm by default', () => {
    const base = netDeviceFeatures(LIBVMM_NET_FEATURES);
    expect(base).toBe(featureMask(VIRTIO_F_VERSION_1, VIRTIO_NET_F_MAC));
    const all = netDeviceFeatures({ status: true, eventIdx: true, csum: true });
    for (const b of [VIRTIO_NET_F_STATUS, VIRTIO_F_EVENT_IDX, VIRTIO_NET_F_CSUM])
      expect(hasFeature(all, b)).toBe(true);
    expect(featureWord(all, 0)).toBe((1 << 0) | (1 << 5) | (1 << 16) | (1 << 29));
    expect(featureWord(all, 1)).toBe(1);
    expect(featureWord(all, 2)).toBe(0);
  });

  it('agrees between the bigint and the two-word forms for every bit', () => {
    fc.assert(
      fc.property(fc.nat(0xffff_ffff), fc.nat(0xffff_ffff), fc.nat(70), (lo, hi, bit) => {
        const f = featuresFromWords(lo, hi);
        expect(featureWord(f, 0)).toBe(lo);
        expect(featureWord(f, 1)).toBe(hi);
        expect(hasFeatureWords(lo, hi, bit)).toBe(hasFeature(f, bit));
      }),
    );
  });
});
