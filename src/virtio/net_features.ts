import {
  VIRTIO_F_EVENT_IDX,
  VIRTIO_F_VERSION_1,
  VIRTIO_NET_F_CSUM,
  VIRTIO_NET_F_MAC,
  VIRTIO_NET_F_STATUS,
} from './constants.js';
import { featureBit } from './features.js';

export interface NetFeatureOptions {
  /** Offer VIRTIO_NET_F_STATUS (link status in config space); libvmm does not. */
  readonly status: boolean;
  /** Offer VIRTIO_F_EVENT_IDX; libvmm does not. */
  readonly eventIdx: boolean;
  /** Offer VIRTIO_NET_F_CSUM; libvmm only when the NIC offloads checksums. */
  readonly csum: boolean;
}

/** What libvmm's virtio-net device offers: MAC and VERSION_1 (CSUM only with NIC offload). */
export const LIBVMM_NET_FEATURES: NetFeatureOptions = { status: false, eventIdx: false, csum: false };

/**
 * The feature set a virtio-net device here offers: always VERSION_1 and MAC, plus the optional
 * ones. MRG_RXBUF, INDIRECT_DESC, CTRL_VQ, MQ and the GSO family are never offered.
 */
export function netDeviceFeatures(opts: NetFeatureOptions): bigint {
  let f = featureBit(VIRTIO_F_VERSION_1) | featureBit(VIRTIO_NET_F_MAC);
  if (opts.status) f |= featureBit(VIRTIO_NET_F_STATUS);
  if (opts.eventIdx) f |= featureBit(VIRTIO_F_EVENT_IDX);
  if (opts.csum) f |= featureBit(VIRTIO_NET_F_CSUM);
  return f;
}
