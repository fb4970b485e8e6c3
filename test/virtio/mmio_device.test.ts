import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  VIRTIO_F_EVENT_IDX,
  VIRTIO_F_VERSION_1,
  VIRTIO_MMIO_CONFIG,
  VIRTIO_MMIO_CONFIG_GENERATION,
  VIRTIO_MMIO_DEVICE_FEATURES,
  VIRTIO_MMIO_DEVICE_FEATURES_SEL,
  VIRTIO_MMIO_DEVICE_ID,
  VIRTIO_MMIO_DRIVER_FEATURES,
  VIRTIO_MMIO_DRIVER_FEATURES_SEL,
  VIRTIO_MMIO_INTERRUPT_ACK,
  VIRTIO_MMIO_INTERRUPT_STATUS,
  VIRTIO_MMIO_MAGIC_VALUE,
  VIRTIO_MMIO_QUEUE_DESC_HIGH,
  VIRTIO_MMIO_QUEUE_DESC_LOW,
  VIRTIO_MMIO_QUEUE_DEVICE_HIGH,
  VIRTIO_MMIO_QUEUE_DEVICE_LOW,
  VIRTIO_MMIO_QUEUE_DRIVER_HIGH,
  VIRTIO_MMIO_QUEUE_DRIVER_LOW,
  VIRTIO_MMIO_QUEUE_NOTIFY,
  VIRTIO_MMIO_QUEUE_NUM,
  VIRTIO_MMIO_QUEUE_NUM_MAX,
  VIRTIO_MMIO_QUEUE_READY,
  VIRTIO_MMIO_QUEUE_RESET,
  VIRTIO_MMIO_QUEUE_SEL,
  VIRTIO_MMIO_SHM_LEN_LOW,
  VIRTIO_MMIO_SHM_SEL,
  VIRTIO_MMIO_STATUS,
  VIRTIO_MMIO_VENDOR_ID,
  VIRTIO_MMIO_VERSION,
  VIRTIO_NET_F_CSUM,
  VIRTIO_NET_F_MAC,
  VIRTIO_NET_F_MRG_RXBUF,
  VIRTIO_NET_F_STATUS,
} from '../../src/virtio/constants.js';
import { type VirtioDeviceBackend, VirtioMmioDevice } from '../../src/virtio/mmio_device.js';
import { NetConfig } from '../../src/virtio/net_config.js';
import { netDeviceFeatures } from '../../src/virtio/net_features.js';

const ACK = 1;
const DRIVER = 2;
const DRIVER_OK = 4;
const FEATURES_OK = 8;
const NEEDS_RESET = 64;
const FAILED = 128;

class FakeNetBackend implements VirtioDeviceBackend {
  readonly deviceId = 1;
  readonly numQueues = 2;
  readonly queueNumMax = 128;
  features = netDeviceFeatures({ status: true, eventIdx: true, csum: false });
  accept = true;
  readonly config = new NetConfig([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
  readonly calls: string[] = [];
  /** Set by the harness: notifications must only arrive while the device is live. */
  device: VirtioMmioDevice | null = null;
  notifiedWhileNotLive = 0;

  deviceFeatures(): bigint {
    return this.features;
  }
  acceptFeatures(lo: number, hi: number): boolean {
    this.calls.push(`accept ${lo.toString(16)} ${hi.toString(16)}`);
    return this.accept;
  }
  readConfig(offset: number, width: number): number {
    return this.config.read(offset, width);
  }
  writeConfig(offset: number, width: number, value: number): void {
    this.calls.push(`config ${offset} ${width} ${value}`);
  }
  queueNotify(queueIndex: number): void {
    if (this.device !== null && !this.device.isLive()) this.notifiedWhileNotLive++;
    this.calls.push(`notify ${queueIndex}`);
  }
  queueReadyChanged(queueIndex: number, ready: boolean): void {
    this.calls.push(`ready ${queueIndex} ${ready}`);
  }
  reset(): void {
    this.calls.push('reset');
  }
}

function make(): { dev: VirtioMmioDevice; be: FakeNetBackend } {
  const be = new FakeNetBackend();
  const dev = new VirtioMmioDevice(be);
  be.device = dev;
  return { dev, be };
}

const LO_OFFERED = (1 << VIRTIO_NET_F_MAC) | (1 << VIRTIO_NET_F_STATUS) | (1 << VIRTIO_F_EVENT_IDX);

/** The spec's init sequence up to FEATURES_OK, as Linux's virtio_mmio does it. */
function negotiate(dev: VirtioMmioDevice, lo: number, hi: number): number {
  dev.write(VIRTIO_MMIO_STATUS, 4, 0);
  dev.write(VIRTIO_MMIO_STATUS, 4, ACK);
  dev.write(VIRTIO_MMIO_STATUS, 4, ACK | DRIVER);
  dev.write(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 4, 1);
  dev.write(VIRTIO_MMIO_DRIVER_FEATURES, 4, hi);
  dev.write(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 4, 0);
  dev.write(VIRTIO_MMIO_DRIVER_FEATURES, 4, lo);
  dev.write(VIRTIO_MMIO_STATUS, 4, dev.read(VIRTIO_MMIO_STATUS, 4) | FEATURES_OK);
  return dev.read(VIRTIO_MMIO_STATUS, 4);
}

function setupQueue(dev: VirtioMmioDevice, i: number, num: number, base: number): void {
  dev.write(VIRTIO_MMIO_QUEUE_SEL, 4, i);
  dev.write(VIRTIO_MMIO_QUEUE_NUM, 4, num);
  dev.write(VIRTIO_MMIO_QUEUE_DESC_LOW, 4, base);
  dev.write(VIRTIO_MMIO_QUEUE_DESC_HIGH, 4, 0);
  dev.write(VIRTIO_MMIO_QUEUE_DRIVER_LOW, 4, base + 16 * num);
  dev.write(VIRTIO_MMIO_QUEUE_DRIVER_HIGH, 4, 0);
  dev.write(VIRTIO_MMIO_QUEUE_DEVICE_LOW, 4, base + 0x1000);
  dev.write(VIRTIO_MMIO_QUEUE_DEVICE_HIGH, 4, 0);
  dev.write(VIRTIO_MMIO_QUEUE_READY, 4, 1);
}

function fullInit(): { dev: VirtioMmioDevice; be: FakeNetBackend } {
  const r = make();
  negotiate(r.dev, LO_OFFERED, 1);
  setupQueue(r.dev, 0, 128, 0x4010_0000);
  setupQueue(r.dev, 1, 128, 0x4020_0000);
  r.dev.write(VIRTIO_MMIO_STATUS, 4, ACK | DRIVER | FEATURES_OK | DRIVER_OK);
  return r;
}

describe('virtio-mmio register file', () => {
  it('follows the spec driver init sequence and shows the right value in every register', () => {
    const { dev, be } = make();
    expect(dev.read(VIRTIO_MMIO_MAGIC_VALUE, 4)).toBe(0x74726976);
    expect(dev.read(VIRTIO_MMIO_VERSION, 4)).toBe(2);
    expect(dev.read(VIRTIO_MMIO_DEVICE_ID, 4)).toBe(1);
    expect(dev.read(VIRTIO_MMIO_VENDOR_ID, 4)).toBe(0x344c6573);

    dev.write(VIRTIO_MMIO_STATUS, 4, 0);
    expect(dev.read(VIRTIO_MMIO_STATUS, 4)).toBe(0);
    dev.write(VIRTIO_MMIO_STATUS, 4, ACK);
    expect(dev.read(VIRTIO_MMIO_STATUS, 4)).toBe(ACK);
    dev.write(VIRTIO_MMIO_STATUS, 4, ACK | DRIVER);
    expect(dev.read(VIRTIO_MMIO_STATUS, 4)).toBe(ACK | DRIVER);

    dev.write(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 4, 1);
    expect(dev.read(VIRTIO_MMIO_DEVICE_FEATURES, 4)).toBe(1); // VERSION_1 = bit 32
    dev.write(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 4, 0);
    expect(dev.read(VIRTIO_MMIO_DEVICE_FEATURES, 4)).toBe(LO_OFFERED);
    dev.write(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 4, 2);
    expect(dev.read(VIRTIO_MMIO_DEVICE_FEATURES, 4)).toBe(0);

    dev.write(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 4, 1);
    dev.write(VIRTIO_MMIO_DRIVER_FEATURES, 4, 1);
    dev.write(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 4, 0);
    dev.write(VIRTIO_MMIO_DRIVER_FEATURES, 4, LO_OFFERED);
    dev.write(VIRTIO_MMIO_STATUS, 4, ACK | DRIVER | FEATURES_OK);
    expect(dev.read(VIRTIO_MMIO_STATUS, 4)).toBe(ACK | DRIVER | FEATURES_OK);
    expect(be.calls).toContain(`accept ${LO_OFFERED.toString(16)} 1`);
    expect(dev.negotiated(VIRTIO_F_EVENT_IDX)).toBe(true);
    expect(dev.negotiated(VIRTIO_F_VERSION_1)).toBe(true);
    expect(dev.negotiated(VIRTIO_NET_F_CSUM)).toBe(false);

    for (const i of [0, 1]) {
      dev.write(VIRTIO_MMIO_QUEUE_SEL, 4, i);
      expect(dev.read(VIRTIO_MMIO_QUEUE_READY, 4)).toBe(0);
      expect(dev.read(VIRTIO_MMIO_QUEUE_NUM_MAX, 4)).toBe(128);
      setupQueue(dev, i, 64, 0x4010_0000 + i * 0x1_0000);
      expect(dev.read(VIRTIO_MMIO_QUEUE_READY, 4)).toBe(1);
      const q = dev.queue(i);
      expect(q.num).toBe(64);
      expect(q.descGpa).toBe(0x4010_0000 + i * 0x1_0000);
      expect(q.driverGpa).toBe(0x4010_0000 + i * 0x1_0000 + 1024);
      expect(q.deviceGpa).toBe(0x4010_1000 + i * 0x1_0000);
      expect(be.calls).toContain(`ready ${i} true`);
    }
    dev.write(VIRTIO_MMIO_QUEUE_SEL, 4, 2);
    expect(dev.read(VIRTIO_MMIO_QUEUE_NUM_MAX, 4)).toBe(0); // no such queue

    const mac = [0, 1, 2, 3, 4, 5].map((i) => dev.read(VIRTIO_MMIO_CONFIG + i, 1));
    expect(mac).toEqual([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
    expect(dev.read(VIRTIO_MMIO_CONFIG, 4)).toBe(0x12005452);
    expect(dev.read(VIRTIO_MMIO_CONFIG + 6, 2)).toBe(1); // LINK_UP
    expect(dev.read(VIRTIO_MMIO_CONFIG + 8, 2)).toBe(1); // max_virtqueue_pairs
    expect(dev.read(VIRTIO_MMIO_CONFIG_GENERATION, 4)).toBe(0);

    dev.write(VIRTIO_MMIO_STATUS, 4, ACK | DRIVER | FEATURES_OK | DRIVER_OK);
    expect(dev.read(VIRTIO_MMIO_STATUS, 4)).toBe(ACK | DRIVER | FEATURES_OK | DRIVER_OK);
    expect(dev.isLive()).toBe(true);

    // QueueSel is 2 now; the written index, not QueueSel, picks the queue.
    dev.write(VIRTIO_MMIO_QUEUE_NOTIFY, 4, 0);
    dev.write(VIRTIO_MMIO_QUEUE_NOTIFY, 4, 1);
    expect(be.calls.filter((c) => c.startsWith('notify'))).toEqual(['notify 0', 'notify 1']);

    expect(dev.read(VIRTIO_MMIO_INTERRUPT_STATUS, 4)).toBe(0);
    expect(dev.interruptLine()).toBe(false);
    expect(dev.raiseUsedInterrupt()).toBe(true);
    expect(dev.read(VIRTIO_MMIO_INTERRUPT_STATUS, 4)).toBe(1);
    expect(dev.interruptLine()).toBe(true);
    dev.write(VIRTIO_MMIO_INTERRUPT_ACK, 4, 1);
    expect(dev.read(VIRTIO_MMIO_INTERRUPT_STATUS, 4)).toBe(0);
    expect(dev.interruptLine()).toBe(false);

    expect(dev.read(VIRTIO_MMIO_SHM_LEN_LOW, 4)).toBe(0xffff_ffff);
    const c = dev.counters;
    expect([
      c.unknownOffset,
      c.statusViolation,
      c.featureViolation,
      c.queueViolation,
      c.notifyDropped,
    ]).toEqual([0, 0, 0, 0, 0]);
  });

  it('leaves FEATURES_OK unset when the back-end refuses the features', () => {
    const { dev, be } = make();
    be.accept = false;
    expect(negotiate(dev, LO_OFFERED, 1)).toBe(ACK | DRIVER);
    expect(dev.counters.featuresRefused).toBe(1);
    dev.write(VIRTIO_MMIO_STATUS, 4, ACK | DRIVER | DRIVER_OK);
    expect(dev.read(VIRTIO_MMIO_STATUS, 4)).toBe(ACK | DRIVER);
    expect(dev.counters.statusViolation).toBe(1);
    dev.write(VIRTIO_MMIO_STATUS, 4, ACK | DRIVER | FAILED);
    expect(dev.read(VIRTIO_MMIO_STATUS, 4)).toBe(ACK | DRIVER | FAILED);
  });

  it('refuses FEATURES_OK without VERSION_1, with unoffered bits, or with bits above 63', () => {
    const a = make();
    expect(negotiate(a.dev, 1 << VIRTIO_NET_F_MAC, 0)).toBe(ACK | DRIVER);
    expect(a.be.calls.some((c) => c.startsWith('accept'))).toBe(false);

    const b = make();
    expect(negotiate(b.dev, (1 << VIRTIO_NET_F_MAC) | (1 << VIRTIO_NET_F_MRG_RXBUF), 1)).toBe(ACK | DRIVER);

    const c = make();
    c.dev.write(VIRTIO_MMIO_STATUS, 4, ACK);
    c.dev.write(VIRTIO_MMIO_STATUS, 4, ACK | DRIVER);
    c.dev.write(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 4, 2);
    c.dev.write(VIRTIO_MMIO_DRIVER_FEATURES, 4, 1);
    c.dev.write(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 4, 1);
    c.dev.write(VIRTIO_MMIO_DRIVER_FEATURES, 4, 1);
    c.dev.write(VIRTIO_MMIO_STATUS, 4, ACK | DRIVER | FEATURES_OK);
    expect(c.dev.read(VIRTIO_MMIO_STATUS, 4)).toBe(ACK | DRIVER);

    // A minimal set (VERSION_1 only) is fine.
    const d = make();
    expect(negotiate(d.dev, 0, 1)).toBe(ACK | DRIVER | FEATURES_OK);
  });

  it('ignores and counts driver feature writes outside the DRIVER..FEATURES_OK window', () => {
    const { dev } = make();
    dev.write(VIRTIO_MMIO_DRIVER_FEATURES, 4, LO_OFFERED); // before DRIVER
    expect(negotiate(dev, LO_OFFERED, 1)).toBe(ACK | DRIVER | FEATURES_OK);
    dev.write(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 4, 0);
    dev.write(VIRTIO_MMIO_DRIVER_FEATURES, 4, 0); // after FEATURES_OK
    expect(dev.counters.featureViolation).toBe(2);
    expect(dev.featuresLo).toBe(LO_OFFERED);
  });

  it('clears status, interrupts, queues and features when the driver writes 0 to Status', () => {
    const { dev, be } = fullInit();
    dev.raiseUsedInterrupt();
    dev.setDeviceNeedsReset();
    expect(dev.read(VIRTIO_MMIO_INTERRUPT_STATUS, 4)).toBe(3);
    be.calls.length = 0;
    dev.write(VIRTIO_MMIO_STATUS, 4, 0);
    expect(be.calls).toEqual(['reset']);
    expect(dev.read(VIRTIO_MMIO_STATUS, 4)).toBe(0);
    expect(dev.read(VIRTIO_MMIO_INTERRUPT_STATUS, 4)).toBe(0);
    expect(dev.interruptLine()).toBe(false);
    expect(dev.featuresLo).toBe(0);
    expect(dev.featuresHi).toBe(0);
    for (const i of [0, 1]) {
      dev.write(VIRTIO_MMIO_QUEUE_SEL, 4, i);
      expect(dev.read(VIRTIO_MMIO_QUEUE_READY, 4)).toBe(0);
      const q = dev.queue(i);
      expect([q.num, q.descGpa, q.driverGpa, q.deviceGpa, q.ready]).toEqual([0, 0, 0, 0, false]);
    }
    expect(dev.isLive()).toBe(false);
    dev.write(VIRTIO_MMIO_QUEUE_NOTIFY, 4, 0);
    expect(be.calls).toEqual(['reset']);
    // And the device can be brought up again.
    expect(negotiate(dev, LO_OFFERED, 1)).toBe(ACK | DRIVER | FEATURES_OK);
  });

  it('counts and ignores a status write that clears bits, skips a step or sets an unknown bit', () => {
    const { dev } = make();
    dev.write(VIRTIO_MMIO_STATUS, 4, DRIVER); // DRIVER before ACK
    expect(dev.read(VIRTIO_MMIO_STATUS, 4)).toBe(0);
    dev.write(VIRTIO_MMIO_STATUS, 4, ACK | DRIVER);
    expect(dev.read(VIRTIO_MMIO_STATUS, 4)).toBe(ACK | DRIVER);
    dev.write(VIRTIO_MMIO_STATUS, 4, ACK); // clears DRIVER
    expect(dev.read(VIRTIO_MMIO_STATUS, 4)).toBe(ACK | DRIVER);
    dev.write(VIRTIO_MMIO_STATUS, 4, ACK | DRIVER | DRIVER_OK); // DRIVER_OK before FEATURES_OK
    expect(dev.read(VIRTIO_MMIO_STATUS, 4)).toBe(ACK | DRIVER);
    dev.write(VIRTIO_MMIO_STATUS, 4, ACK | DRIVER | 16 | 32); // SUSPEND (not offered), reserved bit
    expect(dev.read(VIRTIO_MMIO_STATUS, 4)).toBe(ACK | DRIVER);
    expect(dev.counters.statusViolation).toBe(4);
  });

  it('treats DEVICE_NEEDS_RESET as the device’s bit: written back or left out, it stays', () => {
    const { dev, be } = fullInit();
    expect(dev.setDeviceNeedsReset()).toBe(true);
    expect(dev.read(VIRTIO_MMIO_INTERRUPT_STATUS, 4)).toBe(2); // configuration change
    const s = dev.read(VIRTIO_MMIO_STATUS, 4);
    expect(s).toBe(ACK | DRIVER | FEATURES_OK | DRIVER_OK | NEEDS_RESET);
    dev.write(VIRTIO_MMIO_STATUS, 4, s | FAILED); // Linux's virtio_add_status writes back what it read
    expect(dev.read(VIRTIO_MMIO_STATUS, 4)).toBe(s | FAILED);
    dev.write(VIRTIO_MMIO_STATUS, 4, (s | FAILED) & ~NEEDS_RESET);
    expect(dev.read(VIRTIO_MMIO_STATUS, 4)).toBe(s | FAILED);
    expect(dev.counters.statusViolation).toBe(0);
    expect(dev.isLive()).toBe(false);
    dev.write(VIRTIO_MMIO_QUEUE_NOTIFY, 4, 1);
    expect(be.calls.filter((c) => c.startsWith('notify'))).toEqual([]);
    expect(dev.counters.notifyDropped).toBe(1);
    expect(dev.setDeviceNeedsReset()).toBe(false); // already set
  });

  it('raises no interrupt before DRIVER_OK, but records DEVICE_NEEDS_RESET', () => {
    const { dev } = make();
    negotiate(dev, LO_OFFERED, 1);
    expect(dev.raiseUsedInterrupt()).toBe(false);
    expect(dev.configChanged()).toBe(false);
    expect(dev.read(VIRTIO_MMIO_CONFIG_GENERATION, 4)).toBe(1);
    expect(dev.setDeviceNeedsReset()).toBe(false);
    expect(dev.read(VIRTIO_MMIO_STATUS, 4)).toBe(ACK | DRIVER | FEATURES_OK | NEEDS_RESET);
    expect(dev.interruptLine()).toBe(false);
  });

  it('bumps ConfigGeneration and raises the config-change bit when the configuration changes', () => {
    const { dev } = fullInit();
    const g = dev.read(VIRTIO_MMIO_CONFIG_GENERATION, 4);
    expect(dev.configChanged()).toBe(true);
    expect(dev.read(VIRTIO_MMIO_CONFIG_GENERATION, 4)).toBe(g + 1);
    expect(dev.read(VIRTIO_MMIO_INTERRUPT_STATUS, 4)).toBe(2);
    dev.write(VIRTIO_MMIO_INTERRUPT_ACK, 4, 1); // acking the other bit leaves this one
    expect(dev.interruptLine()).toBe(true);
    dev.write(VIRTIO_MMIO_INTERRUPT_ACK, 4, 2);
    expect(dev.interruptLine()).toBe(false);
  });

  it('counts misaligned, narrow and unknown register accesses, reading them as 0', () => {
    const { dev } = fullInit();
    const before = dev.read(VIRTIO_MMIO_STATUS, 4);
    expect(dev.read(VIRTIO_MMIO_STATUS + 2, 4)).toBe(0);
    expect(dev.read(VIRTIO_MMIO_MAGIC_VALUE, 1)).toBe(0);
    expect(dev.read(VIRTIO_MMIO_MAGIC_VALUE, 2)).toBe(0);
    expect(dev.read(VIRTIO_MMIO_MAGIC_VALUE, 8)).toBe(0);
    dev.write(VIRTIO_MMIO_STATUS, 2, 0); // a 16-bit write of 0 must not reset
    dev.write(VIRTIO_MMIO_STATUS + 1, 4, 0);
    for (const off of [
      0x028,
      0x03c,
      0x040,
      VIRTIO_MMIO_QUEUE_RESET,
      0x0f8,
      0x200,
      0x1000,
      -4,
      1.5,
      Number.NaN,
    ]) {
      expect(dev.read(off, 4)).toBe(0);
      dev.write(off, 4, 0);
    }
    expect(dev.read(VIRTIO_MMIO_STATUS, 4)).toBe(before);
    expect(dev.counters.unknownOffset).toBe(4 + 2 + 20);
    expect(dev.read(VIRTIO_MMIO_QUEUE_SEL, 4)).toBe(0);
    expect(dev.counters.writeOnlyRead).toBe(1);
    dev.write(VIRTIO_MMIO_MAGIC_VALUE, 4, 0);
    expect(dev.read(VIRTIO_MMIO_MAGIC_VALUE, 4)).toBe(0x74726976);
    expect(dev.counters.readOnlyWrite).toBe(1);
    dev.write(VIRTIO_MMIO_SHM_SEL, 4, 3);
    expect(dev.counters.unknownOffset).toBe(26);
  });

  it('passes config-space accesses of 1, 2 and 4 bytes at any offset to the back-end', () => {
    const { dev, be } = fullInit();
    expect(dev.read(VIRTIO_MMIO_CONFIG + 1, 2)).toBe(0x0054);
    expect(dev.read(VIRTIO_MMIO_CONFIG + 0xfc, 4)).toBe(0);
    dev.write(VIRTIO_MMIO_CONFIG + 3, 1, 0x1ff);
    expect(be.calls).toContain('config 3 1 255');
    expect(dev.read(VIRTIO_MMIO_CONFIG + 0xfe, 4)).toBe(0); // runs past the window
    expect(dev.counters.unknownOffset).toBe(1);
  });

  it('guards the queue registers: no changes while ready, a valid size, and FEATURES_OK first', () => {
    const { dev, be } = make();
    dev.write(VIRTIO_MMIO_STATUS, 4, ACK);
    dev.write(VIRTIO_MMIO_STATUS, 4, ACK | DRIVER);
    setupQueue(dev, 0, 64, 0x4010_0000); // before FEATURES_OK
    expect(dev.read(VIRTIO_MMIO_QUEUE_READY, 4)).toBe(0);
    expect(negotiate(dev, LO_OFFERED, 1)).toBe(ACK | DRIVER | FEATURES_OK);
    for (const bad of [0, 100, 256]) {
      setupQueue(dev, 0, bad, 0x4010_0000);
      expect(dev.read(VIRTIO_MMIO_QUEUE_READY, 4)).toBe(0);
    }
    expect(dev.counters.queueViolation).toBe(4);
    setupQueue(dev, 0, 128, 0x4010_0000);
    expect(dev.read(VIRTIO_MMIO_QUEUE_READY, 4)).toBe(1);
    dev.write(VIRTIO_MMIO_QUEUE_NUM, 4, 64);
    dev.write(VIRTIO_MMIO_QUEUE_DESC_LOW, 4, 0);
    expect(dev.counters.queueViolation).toBe(6);
    expect(dev.queue(0).num).toBe(128);
    expect(dev.queue(0).descGpa).toBe(0x4010_0000);
    // Writing 0 stops the queue (Linux vm_del_vq writes it and reads it back).
    dev.write(VIRTIO_MMIO_QUEUE_READY, 4, 0);
    expect(dev.read(VIRTIO_MMIO_QUEUE_READY, 4)).toBe(0);
    expect(be.calls.filter((c) => c.startsWith('ready'))).toEqual(['ready 0 true', 'ready 0 false']);
    dev.write(VIRTIO_MMIO_QUEUE_SEL, 4, 7);
    dev.write(VIRTIO_MMIO_QUEUE_NUM, 4, 64);
    dev.write(VIRTIO_MMIO_QUEUE_READY, 4, 1);
    expect(dev.read(VIRTIO_MMIO_QUEUE_READY, 4)).toBe(0);
    expect(dev.counters.queueViolation).toBe(8);
  });

  it('drops notifications before DRIVER_OK and for queues that are missing or not ready', () => {
    const { dev, be } = make();
    negotiate(dev, LO_OFFERED, 1);
    setupQueue(dev, 1, 64, 0x4010_0000);
    dev.write(VIRTIO_MMIO_QUEUE_NOTIFY, 4, 1); // before DRIVER_OK
    dev.write(VIRTIO_MMIO_STATUS, 4, ACK | DRIVER | FEATURES_OK | DRIVER_OK);
    dev.write(VIRTIO_MMIO_QUEUE_NOTIFY, 4, 0); // not ready
    dev.write(VIRTIO_MMIO_QUEUE_NOTIFY, 4, 2); // no such queue
    dev.write(VIRTIO_MMIO_QUEUE_NOTIFY, 4, 0x1_0001); // not a queue index without NOTIFICATION_DATA
    dev.write(VIRTIO_MMIO_QUEUE_NOTIFY, 4, 1);
    expect(be.calls.filter((c) => c.startsWith('notify'))).toEqual(['notify 1']);
    expect(dev.counters.notifyDropped).toBe(4);
    expect(dev.counters.notifies).toBe(1);
  });

  it('never throws and keeps the status invariants under random register traffic', () => {
    const offsets = [
      0x000, 0x004, 0x008, 0x00c, 0x010, 0x014, 0x020, 0x024, 0x030, 0x034, 0x038, 0x044, 0x050, 0x060, 0x064,
      0x070, 0x080, 0x084, 0x090, 0x094, 0x0a0, 0x0a4, 0x0ac, 0x0b0, 0x0c0, 0x0fc, 0x100, 0x104, 0x106,
    ];
    const access = fc.record({
      write: fc.boolean(),
      offset: fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom(...offsets) },
        { weight: 1, arbitrary: fc.integer({ min: -8, max: 0x210 }) },
      ),
      width: fc.oneof(
        { weight: 6, arbitrary: fc.constant(4) },
        { weight: 1, arbitrary: fc.constantFrom(1, 2, 3, 8) },
      ),
      value: fc.oneof(
        fc.integer({ min: 0, max: 16 }),
        fc.constantFrom(ACK, ACK | DRIVER, ACK | DRIVER | FEATURES_OK, 0xf, 0x4f, 0x8f, 128, LO_OFFERED),
        fc.integer({ min: 0, max: 0xffff_ffff }),
      ),
      event: fc.constantFrom('none', 'none', 'none', 'used', 'config', 'needsReset'),
    });
    fc.assert(
      fc.property(fc.array(access, { maxLength: 120 }), (seq) => {
        const { dev, be } = make();
        for (const a of seq) {
          if (a.write) dev.write(a.offset, a.width, a.value);
          else dev.read(a.offset, a.width);
          if (a.event === 'used') dev.raiseUsedInterrupt();
          else if (a.event === 'config') dev.configChanged();
          else if (a.event === 'needsReset') dev.setDeviceNeedsReset();
          const s = dev.status;
          expect(s & ~(ACK | DRIVER | FEATURES_OK | DRIVER_OK | NEEDS_RESET | FAILED)).toBe(0);
          if (s & DRIVER) expect(s & ACK).toBe(ACK);
          if (s & FEATURES_OK) expect(s & DRIVER).toBe(DRIVER);
          if (s & DRIVER_OK) expect(s & FEATURES_OK).toBe(FEATURES_OK);
          if ((s & DRIVER_OK) === 0) expect(dev.interruptStatus).toBe(0);
          expect(dev.interruptLine()).toBe(dev.interruptStatus !== 0);
          for (const q of dev.queues) {
            if (q.ready) expect([1, 2, 4, 8, 16, 32, 64, 128]).toContain(q.num);
          }
        }
        expect(dev.read(VIRTIO_MMIO_MAGIC_VALUE, 4)).toBe(0x74726976);
        expect(be.notifiedWhileNotLive).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});
