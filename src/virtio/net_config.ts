/**
 * virtio-net device configuration space (device-types/net/description.tex,
 * `struct virtio_net_config`), the first fields only, little-endian, at MMIO offset 0x100:
 *
 * | off | size | field                | notes                                        |
 * |   0 |    6 | mac                  | valid with VIRTIO_NET_F_MAC                  |
 * |   6 |    2 | status               | with VIRTIO_NET_F_STATUS: LINK_UP=1, ANNOUNCE=2 |
 * |   8 |    2 | max_virtqueue_pairs  | with VIRTIO_NET_F_MQ (1 here)                |
 *
 * Bytes past these fields read as 0. libvmm exposes only `mac`, as two 32-bit words.
 */
export const VIRTIO_NET_CONFIG_MAC = 0;
export const VIRTIO_NET_CONFIG_STATUS = 6;
export const VIRTIO_NET_CONFIG_MAX_VQ_PAIRS = 8;
export const VIRTIO_NET_CONFIG_SIZE = 10;

export const VIRTIO_NET_S_LINK_UP = 1;
export const VIRTIO_NET_S_ANNOUNCE = 2;

/** A net device's config values, kept as the bytes the driver reads. */
export class NetConfig {
  readonly bytes = new Uint8Array(VIRTIO_NET_CONFIG_SIZE);

  constructor(mac: ArrayLike<number>, status: number = VIRTIO_NET_S_LINK_UP, maxVirtqueuePairs = 1) {
    this.setMac(mac);
    this.setStatus(status);
    this.bytes[VIRTIO_NET_CONFIG_MAX_VQ_PAIRS] = maxVirtqueuePairs & 0xff;
    this.bytes[VIRTIO_NET_CONFIG_MAX_VQ_PAIRS + 1] = (maxVirtqueuePairs >>> 8) & 0xff;
  }

  setMac(mac: ArrayLike<number>): void {
    for (let i = 0; i < 6; i++) this.bytes[VIRTIO_NET_CONFIG_MAC + i] = (mac[i] ?? 0) & 0xff;
  }

  /** Changing status is a config change: the device must bump ConfigGeneration and may interrupt. */
  setStatus(status: number): void {
    this.bytes[VIRTIO_NET_CONFIG_STATUS] = status & 0xff;
    this.bytes[VIRTIO_NET_CONFIG_STATUS + 1] = (status >>> 8) & 0xff;
  }

  get status(): number {
    return this.bytes[VIRTIO_NET_CONFIG_STATUS]! | (this.bytes[VIRTIO_NET_CONFIG_STATUS + 1]! << 8);
  }

  /**
   * A little-endian read of `width` (1, 2 or 4) bytes at `offset` into the config space, as the
   * driver's access at 0x100+offset sees it. Bytes outside the fields read 0; never throws.
   */
  read(offset: number, width: number): number {
    return readConfigBytes(this.bytes, offset, width);
  }
}

/** Little-endian read of 1, 2 or 4 bytes of a config byte array; missing bytes and bad widths read 0. */
export function readConfigBytes(bytes: Uint8Array, offset: number, width: number): number {
  if (!Number.isInteger(offset) || offset < 0 || (width !== 1 && width !== 2 && width !== 4)) return 0;
  let v = 0;
  for (let k = width - 1; k >= 0; k--) v = v * 256 + (bytes[offset + k] ?? 0);
  return v;
}
