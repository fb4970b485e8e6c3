import { assert } from '../board/assert.js';
import {
  VIRTIO_F_VERSION_1,
  VIRTIO_MMIO_CONFIG,
  VIRTIO_MMIO_CONFIG_GENERATION,
  VIRTIO_MMIO_DEVICE_FEATURES,
  VIRTIO_MMIO_DEVICE_FEATURES_SEL,
  VIRTIO_MMIO_DEVICE_ID,
  VIRTIO_MMIO_DRIVER_FEATURES,
  VIRTIO_MMIO_DRIVER_FEATURES_SEL,
  VIRTIO_MMIO_INT_CONFIG,
  VIRTIO_MMIO_INT_VRING,
  VIRTIO_MMIO_INTERRUPT_ACK,
  VIRTIO_MMIO_INTERRUPT_STATUS,
  VIRTIO_MMIO_MAGIC,
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
  VIRTIO_MMIO_QUEUE_SEL,
  VIRTIO_MMIO_SHM_BASE_HIGH,
  VIRTIO_MMIO_SHM_BASE_LOW,
  VIRTIO_MMIO_SHM_LEN_HIGH,
  VIRTIO_MMIO_SHM_LEN_LOW,
  VIRTIO_MMIO_SHM_SEL,
  VIRTIO_MMIO_STATUS,
  VIRTIO_MMIO_VENDOR_ID,
  VIRTIO_MMIO_VENDOR_SEL4,
  VIRTIO_MMIO_VERSION,
  VIRTIO_MMIO_VERSION_2,
  VIRTIO_MMIO_WINDOW_SIZE,
  VIRTIO_STATUS_ACKNOWLEDGE,
  VIRTIO_STATUS_DEVICE_NEEDS_RESET,
  VIRTIO_STATUS_DRIVER,
  VIRTIO_STATUS_DRIVER_OK,
  VIRTIO_STATUS_FAILED,
  VIRTIO_STATUS_FEATURES_OK,
} from './constants.js';
import { featuresFromWords, featureWord, hasFeature, hasFeatureWords } from './features.js';
import { isValidQueueSize } from './split_ring.js';

/**
 * What a concrete device (the VMM's virtio-net, say) supplies to the register file. The register
 * file owns the transport protocol; the back-end owns queues, config contents and data movement.
 */
export interface VirtioDeviceBackend {
  readonly deviceId: number;
  readonly numQueues: number;
  /** Reported as QueueNumMax for every queue; libvmm uses 128. */
  readonly queueNumMax: number;
  /** The offered feature set (VERSION_1 must be in it). */
  deviceFeatures(): bigint;
  /**
   * Device-specific acceptance of the driver's features, asked when the driver sets FEATURES_OK.
   * The register file has already checked VERSION_1 and that only offered bits are set.
   */
  acceptFeatures(lo: number, hi: number): boolean;
  /** Config read at `offset` from 0x100, width 1, 2 or 4; little-endian value. */
  readConfig(offset: number, width: number): number;
  writeConfig(offset: number, width: number, value: number): void;
  /** The driver kicked queue `queueIndex` (valid, ready, device live). */
  queueNotify(queueIndex: number): void;
  /**
   * QueueReady changed for `queueIndex`: build or refresh the VirtqueueDevice from
   * `device.queue(queueIndex)` on true, stop using it on false. Not called on a device reset.
   */
  queueReadyChanged(queueIndex: number, ready: boolean): void;
  /** The driver wrote 0 to Status: forget every queue and any in-progress work. */
  reset(): void;
}

/** The per-queue registers as the driver last wrote them. */
export class MmioQueueState {
  num = 0;
  ready = false;
  descLo = 0;
  descHi = 0;
  driverLo = 0;
  driverHi = 0;
  deviceLo = 0;
  deviceHi = 0;

  /** Descriptor area; above 2^53 the number is inexact, but such an address is outside any guest RAM. */
  get descGpa(): number {
    return this.descHi * 0x1_0000_0000 + this.descLo;
  }
  /** Driver area (the avail ring). */
  get driverGpa(): number {
    return this.driverHi * 0x1_0000_0000 + this.driverLo;
  }
  /** Device area (the used ring). */
  get deviceGpa(): number {
    return this.deviceHi * 0x1_0000_0000 + this.deviceLo;
  }

  clear(): void {
    this.num = 0;
    this.ready = false;
    this.descLo = this.descHi = 0;
    this.driverLo = this.driverHi = 0;
    this.deviceLo = this.deviceHi = 0;
  }
}

export class VirtioMmioCounters {
  reads = 0;
  writes = 0;
  /** Unknown or reserved offset, or a non-32-bit / misaligned access to a non-config register. */
  unknownOffset = 0;
  /** Write to a read-only register (ignored). */
  readOnlyWrite = 0;
  /** Read of a write-only register (returns 0). */
  writeOnlyRead = 0;
  /** Status write that clears bits, skips a step, or sets a bit that is not offered. */
  statusViolation = 0;
  /** DriverFeatures written outside the window between DRIVER and FEATURES_OK. */
  featureViolation = 0;
  /** FEATURES_OK refused: VERSION_1 missing, unoffered bits, or the back-end said no. */
  featuresRefused = 0;
  /** Queue register written while the queue is ready, a bad QueueSel, or QueueReady=1 refused. */
  queueViolation = 0;
  notifies = 0;
  /** QueueNotify before DRIVER_OK, after FAILED / DEVICE_NEEDS_RESET, or for a bad or not-ready queue. */
  notifyDropped = 0;
  resets = 0;
  usedInterrupts = 0;
  configInterrupts = 0;
}

export interface VirtioMmioOptions {
  readonly vendorId?: number;
}

const STATUS_KNOWN =
  VIRTIO_STATUS_ACKNOWLEDGE |
  VIRTIO_STATUS_DRIVER |
  VIRTIO_STATUS_DRIVER_OK |
  VIRTIO_STATUS_FEATURES_OK |
  VIRTIO_STATUS_FAILED;

/**
 * The register file of one virtio-mmio version-2 device (virtio 1.x transport-mmio.tex), the
 * part libvmm implements in src/virtio/mmio.c, fed by the VMM's fault handler with the offset,
 * width and value of each trapped guest access. It never throws on guest input: every access
 * the spec forbids is counted and has no effect (reads return 0).
 *
 * Status follows the spec's sequence: ACKNOWLEDGE, DRIVER, FEATURES_OK (sticks only if the
 * features are acceptable, as in libvmm, so the driver's re-read sees it missing), DRIVER_OK;
 * FAILED at any time; writing 0 resets. DEVICE_NEEDS_RESET belongs to the device: the driver
 * writing it back (Linux ORs new bits into what it read) neither sets nor clears it.
 */
export class VirtioMmioDevice {
  readonly backend: VirtioDeviceBackend;
  readonly vendorId: number;
  readonly counters = new VirtioMmioCounters();
  readonly queues: readonly MmioQueueState[];
  private statusReg = 0;
  private interruptStatusReg = 0;
  private configGen = 0;
  private deviceFeaturesSel = 0;
  private driverFeaturesSel = 0;
  private driverLo = 0;
  private driverHi = 0;
  /** The driver set a bit above 63, which no device here offers. */
  private driverHighWindows = false;
  private negotiatedLo = 0;
  private negotiatedHi = 0;
  private queueSel = 0;

  constructor(backend: VirtioDeviceBackend, options: VirtioMmioOptions = {}) {
    assert(backend.numQueues >= 0 && backend.numQueues <= 0xffff, 'VirtioMmioDevice: bad numQueues');
    assert(
      isValidQueueSize(backend.queueNumMax),
      'VirtioMmioDevice: queueNumMax must be a power of two <= 32768',
    );
    assert(
      hasFeature(backend.deviceFeatures(), VIRTIO_F_VERSION_1),
      'VirtioMmioDevice: a device must offer VERSION_1',
    );
    this.backend = backend;
    this.vendorId = (options.vendorId ?? VIRTIO_MMIO_VENDOR_SEL4) >>> 0;
    const qs: MmioQueueState[] = [];
    for (let i = 0; i < backend.numQueues; i++) qs.push(new MmioQueueState());
    this.queues = qs;
  }

  get status(): number {
    return this.statusReg;
  }

  get interruptStatus(): number {
    return this.interruptStatusReg;
  }

  /** The features agreed at FEATURES_OK (0 before, and after a reset): bits 0-31 and 32-63. */
  get negotiatedFeatures(): { lo: number; hi: number } {
    return { lo: this.negotiatedLo, hi: this.negotiatedHi };
  }

  get configGeneration(): number {
    return this.configGen;
  }

  /** Negotiated features (valid once FEATURES_OK is set; 0 after a reset). */
  get featuresLo(): number {
    return this.negotiatedLo;
  }

  get featuresHi(): number {
    return this.negotiatedHi;
  }

  /** Whether feature `bit` was negotiated. */
  negotiated(bit: number): boolean {
    return hasFeatureWords(this.negotiatedLo, this.negotiatedHi, bit);
  }

  /** DRIVER_OK is set and neither FAILED nor DEVICE_NEEDS_RESET: the device may process queues. */
  isLive(): boolean {
    return (
      (this.statusReg & VIRTIO_STATUS_DRIVER_OK) !== 0 &&
      (this.statusReg & (VIRTIO_STATUS_FAILED | VIRTIO_STATUS_DEVICE_NEEDS_RESET)) === 0
    );
  }

  /** The queue registers of queue i (i < numQueues, from the back-end's own loop). */
  queue(i: number): MmioQueueState {
    const q = this.queues[i];
    // The message is built only on failure (a string per call otherwise).
    if (q === undefined) assert(false, `VirtioMmioDevice.queue: no queue ${i}`);
    return q;
  }

  /** The MMIO interrupt line: asserted while any InterruptStatus bit is set. */
  interruptLine(): boolean {
    return this.interruptStatusReg !== 0;
  }

  /**
   * Used-buffer notification: set InterruptStatus bit 0. Refused (false) before DRIVER_OK, when
   * the spec forbids the device to send one; true means the VMM should inject the vIRQ.
   */
  raiseUsedInterrupt(): boolean {
    if ((this.statusReg & VIRTIO_STATUS_DRIVER_OK) === 0) return false;
    this.interruptStatusReg |= VIRTIO_MMIO_INT_VRING;
    this.counters.usedInterrupts++;
    return true;
  }

  /**
   * The device's configuration changed (link status, say): bump ConfigGeneration and, once
   * DRIVER_OK is set, raise InterruptStatus bit 1. Returns true when the vIRQ should be injected.
   */
  configChanged(): boolean {
    this.configGen = (this.configGen + 1) >>> 0;
    return this.raiseConfigInterrupt();
  }

  /**
   * Enter the error state (the spec's SHOULD on an unrecoverable error, e.g. a malformed ring):
   * set DEVICE_NEEDS_RESET and, if DRIVER_OK is set, send the configuration-change notification
   * the spec then requires. The device stops taking notifications until the driver resets it.
   * Returns true when the vIRQ should be injected.
   */
  setDeviceNeedsReset(): boolean {
    if ((this.statusReg & VIRTIO_STATUS_DEVICE_NEEDS_RESET) !== 0) return false;
    this.statusReg |= VIRTIO_STATUS_DEVICE_NEEDS_RESET;
    return this.raiseConfigInterrupt();
  }

  /** A guest load of `width` bytes at `offset` into the register window. */
  read(offset: number, width: number): number {
    this.counters.reads++;
    if (isConfigAccess(offset, width)) {
      const v = Number(this.backend.readConfig(offset - VIRTIO_MMIO_CONFIG, width)) >>> 0;
      return width === 4 ? v : v & ((1 << (8 * width)) - 1);
    }
    if (!isRegisterAccess(offset, width)) {
      this.counters.unknownOffset++;
      return 0;
    }
    switch (offset) {
      case VIRTIO_MMIO_MAGIC_VALUE:
        return VIRTIO_MMIO_MAGIC;
      case VIRTIO_MMIO_VERSION:
        return VIRTIO_MMIO_VERSION_2;
      case VIRTIO_MMIO_DEVICE_ID:
        return this.backend.deviceId >>> 0;
      case VIRTIO_MMIO_VENDOR_ID:
        return this.vendorId;
      case VIRTIO_MMIO_DEVICE_FEATURES:
        return featureWord(this.backend.deviceFeatures(), this.deviceFeaturesSel);
      case VIRTIO_MMIO_QUEUE_NUM_MAX:
        return this.queueSel < this.queues.length ? this.backend.queueNumMax : 0;
      case VIRTIO_MMIO_QUEUE_READY: {
        const q = this.queues[this.queueSel];
        return q?.ready ? 1 : 0;
      }
      case VIRTIO_MMIO_INTERRUPT_STATUS:
        return this.interruptStatusReg;
      case VIRTIO_MMIO_STATUS:
        return this.statusReg;
      case VIRTIO_MMIO_CONFIG_GENERATION:
        return this.configGen;
      // No shared-memory regions: the spec has a non-existent region read as length and base -1.
      case VIRTIO_MMIO_SHM_LEN_LOW:
      case VIRTIO_MMIO_SHM_LEN_HIGH:
      case VIRTIO_MMIO_SHM_BASE_LOW:
      case VIRTIO_MMIO_SHM_BASE_HIGH:
        return 0xffff_ffff;
      case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
      case VIRTIO_MMIO_DRIVER_FEATURES:
      case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
      case VIRTIO_MMIO_QUEUE_SEL:
      case VIRTIO_MMIO_QUEUE_NUM:
      case VIRTIO_MMIO_QUEUE_NOTIFY:
      case VIRTIO_MMIO_INTERRUPT_ACK:
      case VIRTIO_MMIO_QUEUE_DESC_LOW:
      case VIRTIO_MMIO_QUEUE_DESC_HIGH:
      case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
      case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
      case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
      case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
      case VIRTIO_MMIO_SHM_SEL:
        this.counters.writeOnlyRead++;
        return 0;
      default:
        // Includes the legacy-only registers (GuestPageSize, QueueAlign, QueuePFN) and QueueReset,
        // which exists only with VIRTIO_F_RING_RESET.
        this.counters.unknownOffset++;
        return 0;
    }
  }

  /** A guest store of `width` bytes of `value` at `offset` into the register window. */
  write(offset: number, width: number, value: number): void {
    this.counters.writes++;
    if (isConfigAccess(offset, width)) {
      const v = Number(value) >>> 0;
      this.backend.writeConfig(
        offset - VIRTIO_MMIO_CONFIG,
        width,
        width === 4 ? v : v & ((1 << (8 * width)) - 1),
      );
      return;
    }
    if (!isRegisterAccess(offset, width)) {
      this.counters.unknownOffset++;
      return;
    }
    const v = Number(value) >>> 0;
    switch (offset) {
      case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
        this.deviceFeaturesSel = v;
        return;
      case VIRTIO_MMIO_DRIVER_FEATURES:
        this.writeDriverFeatures(v);
        return;
      case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
        this.driverFeaturesSel = v;
        return;
      case VIRTIO_MMIO_QUEUE_SEL:
        // Stored unchecked, as in libvmm; the queue registers check it when used.
        this.queueSel = v;
        return;
      case VIRTIO_MMIO_QUEUE_NUM:
      case VIRTIO_MMIO_QUEUE_DESC_LOW:
      case VIRTIO_MMIO_QUEUE_DESC_HIGH:
      case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
      case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
      case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
      case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
        this.writeQueueConfig(offset, v);
        return;
      case VIRTIO_MMIO_QUEUE_READY:
        this.writeQueueReady(v);
        return;
      case VIRTIO_MMIO_QUEUE_NOTIFY:
        this.notify(v);
        return;
      case VIRTIO_MMIO_INTERRUPT_ACK:
        this.interruptStatusReg &= ~v;
        return;
      case VIRTIO_MMIO_STATUS:
        this.writeStatus(v);
        return;
      case VIRTIO_MMIO_SHM_SEL:
        return;
      case VIRTIO_MMIO_MAGIC_VALUE:
      case VIRTIO_MMIO_VERSION:
      case VIRTIO_MMIO_DEVICE_ID:
      case VIRTIO_MMIO_VENDOR_ID:
      case VIRTIO_MMIO_DEVICE_FEATURES:
      case VIRTIO_MMIO_QUEUE_NUM_MAX:
      case VIRTIO_MMIO_INTERRUPT_STATUS:
      case VIRTIO_MMIO_CONFIG_GENERATION:
      case VIRTIO_MMIO_SHM_LEN_LOW:
      case VIRTIO_MMIO_SHM_LEN_HIGH:
      case VIRTIO_MMIO_SHM_BASE_LOW:
      case VIRTIO_MMIO_SHM_BASE_HIGH:
        this.counters.readOnlyWrite++;
        return;
      default:
        this.counters.unknownOffset++;
        return;
    }
  }

  snapshot(): Record<string, unknown> {
    return {
      status: this.statusReg,
      interruptStatus: this.interruptStatusReg,
      configGeneration: this.configGen,
      features: { lo: this.negotiatedLo, hi: this.negotiatedHi },
      queueSel: this.queueSel,
      queues: this.queues.map((q) => ({
        num: q.num,
        ready: q.ready,
        desc: q.descGpa,
        driver: q.driverGpa,
        device: q.deviceGpa,
      })),
      counters: { ...this.counters },
    };
  }

  private raiseConfigInterrupt(): boolean {
    if ((this.statusReg & VIRTIO_STATUS_DRIVER_OK) === 0) return false;
    this.interruptStatusReg |= VIRTIO_MMIO_INT_CONFIG;
    this.counters.configInterrupts++;
    return true;
  }

  private writeDriverFeatures(v: number): void {
    const s = this.statusReg;
    // The spec's window: after DRIVER, before FEATURES_OK; later writes would change what was agreed.
    if ((s & VIRTIO_STATUS_DRIVER) === 0 || (s & (VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_FAILED)) !== 0) {
      this.counters.featureViolation++;
      return;
    }
    if (this.driverFeaturesSel === 0) this.driverLo = v;
    else if (this.driverFeaturesSel === 1) this.driverHi = v;
    else if (v !== 0) this.driverHighWindows = true;
  }

  private writeQueueConfig(offset: number, v: number): void {
    const q = this.queues[this.queueSel];
    // The spec forbids touching these while QueueReady is set: the device may be using the rings.
    if (q === undefined || q.ready) {
      this.counters.queueViolation++;
      return;
    }
    switch (offset) {
      case VIRTIO_MMIO_QUEUE_NUM:
        q.num = v;
        return;
      case VIRTIO_MMIO_QUEUE_DESC_LOW:
        q.descLo = v;
        return;
      case VIRTIO_MMIO_QUEUE_DESC_HIGH:
        q.descHi = v;
        return;
      case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
        q.driverLo = v;
        return;
      case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
        q.driverHi = v;
        return;
      case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
        q.deviceLo = v;
        return;
      default:
        q.deviceHi = v;
        return;
    }
  }

  /**
   * QueueReady=1 takes only with a valid QueueNum (power of two <= QueueNumMax) after FEATURES_OK
   * (the ring format depends on EVENT_IDX); the driver's read-back then shows whether it took.
   * QueueReady=0 stops the queue (Linux does this in vm_del_vq and reads it back).
   */
  private writeQueueReady(v: number): void {
    const i = this.queueSel;
    const q = this.queues[i];
    if (q === undefined || v > 1) {
      this.counters.queueViolation++;
      return;
    }
    if (v === 0) {
      if (!q.ready) return;
      q.ready = false;
      this.backend.queueReadyChanged(i, false);
      return;
    }
    if (q.ready) return;
    const s = this.statusReg;
    if (
      !isValidQueueSize(q.num) ||
      q.num > this.backend.queueNumMax ||
      (s & VIRTIO_STATUS_FEATURES_OK) === 0 ||
      (s & VIRTIO_STATUS_FAILED) !== 0
    ) {
      this.counters.queueViolation++;
      return;
    }
    q.ready = true;
    this.backend.queueReadyChanged(i, true);
  }

  /**
   * Without VIRTIO_F_NOTIFICATION_DATA (never offered) the value written is the queue index, and
   * that is what selects the queue here. libvmm's virtio-net instead looks at QueueSel, which
   * after Linux's setup is normally 1 (TX), so a guest's RX refill kick runs its TX path.
   */
  private notify(index: number): void {
    const q = this.queues[index];
    if (q === undefined || !q.ready || !this.isLive()) {
      this.counters.notifyDropped++;
      return;
    }
    this.counters.notifies++;
    this.backend.queueNotify(index);
  }

  private writeStatus(v: number): void {
    if (v === 0) {
      this.reset();
      return;
    }
    const cur = this.statusReg & ~VIRTIO_STATUS_DEVICE_NEEDS_RESET;
    const want = v & ~VIRTIO_STATUS_DEVICE_NEEDS_RESET;
    if ((cur & ~want) !== 0) {
      // "The driver MUST NOT clear a device status bit": ignore the whole write.
      this.counters.statusViolation++;
      return;
    }
    const add = want & ~cur;
    let next = this.statusReg;
    let bad = (add & ~STATUS_KNOWN) !== 0;
    if ((add & VIRTIO_STATUS_ACKNOWLEDGE) !== 0) next |= VIRTIO_STATUS_ACKNOWLEDGE;
    if ((add & VIRTIO_STATUS_DRIVER) !== 0) {
      if ((next & VIRTIO_STATUS_ACKNOWLEDGE) !== 0) next |= VIRTIO_STATUS_DRIVER;
      else bad = true;
    }
    if ((add & VIRTIO_STATUS_FEATURES_OK) !== 0) {
      if ((next & VIRTIO_STATUS_DRIVER) === 0 || (next & VIRTIO_STATUS_FAILED) !== 0) bad = true;
      else if (this.negotiate()) next |= VIRTIO_STATUS_FEATURES_OK;
      else this.counters.featuresRefused++;
    }
    if ((add & VIRTIO_STATUS_DRIVER_OK) !== 0) {
      if ((next & VIRTIO_STATUS_FEATURES_OK) !== 0 && (next & VIRTIO_STATUS_FAILED) === 0)
        next |= VIRTIO_STATUS_DRIVER_OK;
      else bad = true;
    }
    if ((add & VIRTIO_STATUS_FAILED) !== 0) next |= VIRTIO_STATUS_FAILED;
    if (bad) this.counters.statusViolation++;
    this.statusReg = next;
  }

  /** FEATURES_OK check: VERSION_1 accepted, nothing unoffered, and the back-end agrees. */
  private negotiate(): boolean {
    const lo = this.driverLo;
    const hi = this.driverHi;
    const drv = featuresFromWords(lo, hi);
    const ok =
      !this.driverHighWindows &&
      hasFeature(drv, VIRTIO_F_VERSION_1) &&
      (drv & ~this.backend.deviceFeatures()) === 0n &&
      this.backend.acceptFeatures(lo, hi);
    if (ok) {
      this.negotiatedLo = lo;
      this.negotiatedHi = hi;
    }
    return ok;
  }

  /**
   * Writing 0 to Status: clears status, InterruptStatus, every queue's registers and ready bit,
   * the feature windows and negotiated features (the spec's MUSTs for reset), then lets the
   * back-end drop its queues. ConfigGeneration keeps counting.
   */
  private reset(): void {
    this.statusReg = 0;
    this.interruptStatusReg = 0;
    this.deviceFeaturesSel = 0;
    this.driverFeaturesSel = 0;
    this.driverLo = 0;
    this.driverHi = 0;
    this.driverHighWindows = false;
    this.negotiatedLo = 0;
    this.negotiatedHi = 0;
    this.queueSel = 0;
    for (const q of this.queues) q.clear();
    this.counters.resets++;
    this.backend.reset();
  }
}

/** Control registers: 32-bit, aligned, below the config space. */
function isRegisterAccess(offset: number, width: number): boolean {
  return (
    width === 4 && Number.isInteger(offset) && offset >= 0 && offset < VIRTIO_MMIO_CONFIG && offset % 4 === 0
  );
}

/** Config space: byte, half-word or word accesses inside 0x100..0x1ff. */
function isConfigAccess(offset: number, width: number): boolean {
  return (
    (width === 1 || width === 2 || width === 4) &&
    Number.isInteger(offset) &&
    offset >= VIRTIO_MMIO_CONFIG &&
    offset + width <= VIRTIO_MMIO_WINDOW_SIZE
  );
}
