import { describe, expect, it } from 'vitest';
import {
  VIRTIO_F_EVENT_IDX,
  VIRTIO_F_VERSION_1,
  VIRTIO_NET_F_MAC,
  VIRTIO_STATUS_ACKNOWLEDGE,
  VIRTIO_STATUS_DEVICE_NEEDS_RESET,
  VIRTIO_STATUS_DRIVER,
} from '../../src/virtio/constants.js';
import { netFeatureNames, statusNames } from '../../src/virtio/names.js';

describe('virtio names', () => {
  it('names status bits in the order a driver sets them, and unknown ones by number', () => {
    expect(statusNames(0)).toEqual([]);
    expect(statusNames(0x0f)).toEqual(['acknowledge', 'driver', 'features_ok', 'driver_ok']);
    expect(
      statusNames(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DEVICE_NEEDS_RESET),
    ).toEqual(['acknowledge', 'driver', 'device_needs_reset']);
    expect(statusNames(0x20 | 0x80)).toEqual(['failed', 'bit5']);
  });

  it('names feature bits from both words, lowest first', () => {
    const lo = (1 << VIRTIO_NET_F_MAC) | (1 << VIRTIO_F_EVENT_IDX) | (1 << 31);
    const hi = 1 << (VIRTIO_F_VERSION_1 - 32);
    expect(netFeatureNames(lo, hi)).toEqual(['mac', 'event_idx', 'bit31', 'version_1']);
    expect(netFeatureNames(0, 0)).toEqual([]);
    expect(netFeatureNames(0, 1 << 31)).toEqual(['bit63']);
  });
});
