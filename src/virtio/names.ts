/**
 * Readable names for the device status byte and for virtio-net feature bits, as the result
 * document and the run summary print them. Lower-case forms of the specification's names.
 */
import {
  VIRTIO_F_ACCESS_PLATFORM,
  VIRTIO_F_EVENT_IDX,
  VIRTIO_F_INDIRECT_DESC,
  VIRTIO_F_IN_ORDER,
  VIRTIO_F_NOTIFICATION_DATA,
  VIRTIO_F_ORDER_PLATFORM,
  VIRTIO_F_RING_PACKED,
  VIRTIO_F_RING_RESET,
  VIRTIO_F_SR_IOV,
  VIRTIO_F_VERSION_1,
  VIRTIO_NET_F_CSUM,
  VIRTIO_NET_F_CTRL_MAC_ADDR,
  VIRTIO_NET_F_CTRL_RX,
  VIRTIO_NET_F_CTRL_VLAN,
  VIRTIO_NET_F_CTRL_VQ,
  VIRTIO_NET_F_GUEST_ANNOUNCE,
  VIRTIO_NET_F_GUEST_CSUM,
  VIRTIO_NET_F_GUEST_ECN,
  VIRTIO_NET_F_GUEST_TSO4,
  VIRTIO_NET_F_GUEST_TSO6,
  VIRTIO_NET_F_GUEST_UFO,
  VIRTIO_NET_F_HOST_ECN,
  VIRTIO_NET_F_HOST_TSO4,
  VIRTIO_NET_F_HOST_TSO6,
  VIRTIO_NET_F_HOST_UFO,
  VIRTIO_NET_F_MAC,
  VIRTIO_NET_F_MQ,
  VIRTIO_NET_F_MRG_RXBUF,
  VIRTIO_NET_F_MTU,
  VIRTIO_NET_F_STATUS,
  VIRTIO_STATUS_ACKNOWLEDGE,
  VIRTIO_STATUS_DEVICE_NEEDS_RESET,
  VIRTIO_STATUS_DRIVER,
  VIRTIO_STATUS_DRIVER_OK,
  VIRTIO_STATUS_FAILED,
  VIRTIO_STATUS_FEATURES_OK,
  VIRTIO_STATUS_SUSPEND,
} from './constants.js';

/** Status bits in the order a driver sets them, then the two that end a device's life. */
const STATUS_BITS: readonly [number, string][] = [
  [VIRTIO_STATUS_ACKNOWLEDGE, 'acknowledge'],
  [VIRTIO_STATUS_DRIVER, 'driver'],
  [VIRTIO_STATUS_FEATURES_OK, 'features_ok'],
  [VIRTIO_STATUS_DRIVER_OK, 'driver_ok'],
  [VIRTIO_STATUS_SUSPEND, 'suspend'],
  [VIRTIO_STATUS_DEVICE_NEEDS_RESET, 'device_needs_reset'],
  [VIRTIO_STATUS_FAILED, 'failed'],
];

const NET_FEATURE_BITS: readonly [number, string][] = [
  [VIRTIO_NET_F_CSUM, 'csum'],
  [VIRTIO_NET_F_GUEST_CSUM, 'guest_csum'],
  [VIRTIO_NET_F_MTU, 'mtu'],
  [VIRTIO_NET_F_MAC, 'mac'],
  [VIRTIO_NET_F_GUEST_TSO4, 'guest_tso4'],
  [VIRTIO_NET_F_GUEST_TSO6, 'guest_tso6'],
  [VIRTIO_NET_F_GUEST_ECN, 'guest_ecn'],
  [VIRTIO_NET_F_GUEST_UFO, 'guest_ufo'],
  [VIRTIO_NET_F_HOST_TSO4, 'host_tso4'],
  [VIRTIO_NET_F_HOST_TSO6, 'host_tso6'],
  [VIRTIO_NET_F_HOST_ECN, 'host_ecn'],
  [VIRTIO_NET_F_HOST_UFO, 'host_ufo'],
  [VIRTIO_NET_F_MRG_RXBUF, 'mrg_rxbuf'],
  [VIRTIO_NET_F_STATUS, 'status'],
  [VIRTIO_NET_F_CTRL_VQ, 'ctrl_vq'],
  [VIRTIO_NET_F_CTRL_RX, 'ctrl_rx'],
  [VIRTIO_NET_F_CTRL_VLAN, 'ctrl_vlan'],
  [VIRTIO_NET_F_GUEST_ANNOUNCE, 'guest_announce'],
  [VIRTIO_NET_F_MQ, 'mq'],
  [VIRTIO_NET_F_CTRL_MAC_ADDR, 'ctrl_mac_addr'],
  [VIRTIO_F_INDIRECT_DESC, 'indirect_desc'],
  [VIRTIO_F_EVENT_IDX, 'event_idx'],
  [VIRTIO_F_VERSION_1, 'version_1'],
  [VIRTIO_F_ACCESS_PLATFORM, 'access_platform'],
  [VIRTIO_F_RING_PACKED, 'ring_packed'],
  [VIRTIO_F_IN_ORDER, 'in_order'],
  [VIRTIO_F_ORDER_PLATFORM, 'order_platform'],
  [VIRTIO_F_SR_IOV, 'sr_iov'],
  [VIRTIO_F_NOTIFICATION_DATA, 'notification_data'],
  [VIRTIO_F_RING_RESET, 'ring_reset'],
];

/** The names of the bits set in a device status byte; an unknown bit is named `bit<n>`. */
export function statusNames(status: number): string[] {
  const out: string[] = [];
  let known = 0;
  for (const [bit, name] of STATUS_BITS) {
    known |= bit;
    if ((status & bit) !== 0) out.push(name);
  }
  for (let b = 0; b < 8; b++) if ((status & ~known & (1 << b)) !== 0) out.push(`bit${b}`);
  return out;
}

/**
 * The names of the virtio-net feature bits set in the two 32-bit feature words (`lo`: bits 0-31,
 * `hi`: bits 32-63), lowest bit first; a bit without a name is `bit<n>`.
 */
export function netFeatureNames(lo: number, hi: number): string[] {
  const out: string[] = [];
  for (let b = 0; b < 64; b++) {
    const set = b < 32 ? (lo >>> b) & 1 : (hi >>> (b - 32)) & 1;
    if (set === 0) continue;
    const named = NET_FEATURE_BITS.find(([bit]) => bit === b);
    out.push(named !== undefined ? named[1] : `bit${b}`);
  }
  return out;
}
