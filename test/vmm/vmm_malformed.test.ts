import { describe, expect, it } from 'vitest';
import { T_STOPPED } from '../../src/board/thread.js';
import { GUEST_KERNEL_RESERVED } from '../../src/guest/guest_kernel.js';
import {
  VIRTIO_MMIO_QUEUE_DESC_LOW,
  VIRTIO_MMIO_QUEUE_NOTIFY,
  VIRTIO_MMIO_QUEUE_READY,
  VIRTIO_MMIO_QUEUE_SEL,
  VIRTIO_STATUS_DEVICE_NEEDS_RESET,
  VIRTQ_DESC_F_INDIRECT,
  VIRTQ_DESC_F_NEXT,
  VIRTQ_DESC_F_WRITE,
} from '../../src/virtio/constants.js';
import { usedElemLen, usedIdx, writeDesc } from '../../src/virtio/split_ring.js';
import {
  VQ_BAD_ADDR,
  VQ_BAD_ADDR_OVERFLOW,
  VQ_BAD_AVAIL_IDX,
  VQ_BAD_CHAIN_TOO_LONG,
  VQ_BAD_DIRECTION,
  VQ_BAD_HEAD,
  VQ_BAD_INDIRECT,
  VQ_BAD_LOOP,
  VQ_BAD_NEXT,
  VQ_BAD_ORDER,
  VQ_BAD_RING_ADDR,
  VQ_BAD_RING_ALIGN,
  VQ_RESULT_NAMES,
} from '../../src/virtio/virtqueue_violation.js';
import { MAX_CHAIN_SEGMENTS } from '../../src/vmm/virtio_net_backend.js';
import { type RawDesc, ScriptGuest } from './script_guest.js';
import { buildRig, type Rig, sddfBuffersHome, udpToGuest } from './vmm_rig.js';

const N = VIRTQ_DESC_F_NEXT;
const W = VIRTQ_DESC_F_WRITE;
const RAM_BASE = 0x4000_0000;
/** A buffer address well inside guest RAM, past the driver's rings and buffers. */
const DATA = RAM_BASE + 0x80_0000;

type Step = (g: ScriptGuest) => void;

function rigWith(steps: Step[], threshold: number, rxBuffers = 256): { rig: Rig; guest: () => ScriptGuest } {
  let g: ScriptGuest | null = null;
  const rig = buildRig([
    {
      violationThreshold: threshold,
      software: (vcpu, vm) => {
        g = new ScriptGuest(vcpu, vm, steps, { driver: { rxBuffers } });
        return g;
      },
    },
  ]);
  return { rig, guest: () => g! };
}

function chainOf(n: number): RawDesc[] {
  const out: RawDesc[] = [];
  for (let i = 0; i < n; i++)
    out.push({ index: i, addr: DATA + 64 * i, len: 64, flags: i < n - 1 ? N : 0, next: i + 1 });
  return out;
}

interface TxCase {
  code: number;
  step: Step;
  /** The head was usable, so the chain comes back used with len 0. */
  completed: boolean;
}

const TX_CASES: TxCase[] = [
  { code: VQ_BAD_HEAD, completed: false, step: (g) => g.postRaw(1, [], 256) },
  {
    code: VQ_BAD_NEXT,
    completed: true,
    step: (g) => g.postRaw(1, [{ index: 0, addr: DATA, len: 100, flags: N, next: 300 }], 0),
  },
  {
    code: VQ_BAD_LOOP,
    completed: true,
    step: (g) =>
      g.postRaw(
        1,
        [
          { index: 0, addr: DATA, len: 100, flags: N, next: 1 },
          { index: 1, addr: DATA, len: 100, flags: N, next: 0 },
        ],
        0,
      ),
  },
  {
    code: VQ_BAD_CHAIN_TOO_LONG,
    completed: true,
    step: (g) => g.postRaw(1, chainOf(MAX_CHAIN_SEGMENTS + 1), 0),
  },
  {
    code: VQ_BAD_ADDR,
    completed: true,
    step: (g) => g.postRaw(1, [{ index: 0, addr: 0x1000, len: 100, flags: 0, next: 0 }], 0),
  },
  {
    code: VQ_BAD_ADDR_OVERFLOW,
    completed: true,
    step: (g) => g.postRaw(1, [{ index: 0, addr: 2 ** 64 - 4096, len: 8192, flags: 0, next: 0 }], 0),
  },
  {
    code: VQ_BAD_DIRECTION,
    completed: true,
    step: (g) => g.postRaw(1, [{ index: 0, addr: DATA, len: 100, flags: W, next: 0 }], 0),
  },
  {
    code: VQ_BAD_INDIRECT,
    completed: true,
    step: (g) => g.postRaw(1, [{ index: 0, addr: DATA, len: 64, flags: VIRTQ_DESC_F_INDIRECT, next: 0 }], 0),
  },
  {
    code: VQ_BAD_AVAIL_IDX,
    completed: false,
    step: (g) => {
      g.jumpAvail(1, 300);
      g.write(VIRTIO_MMIO_QUEUE_NOTIFY, 1);
    },
  },
];

describe('VMM facing malformed virtqueues', () => {
  for (const c of TX_CASES) {
    it(`counts a transmit chain with ${VQ_RESULT_NAMES[c.code]} by its reason and forwards nothing`, () => {
      const { rig, guest } = rigWith([c.step], 1000);
      rig.run(1e6);
      const rv = rig.vms[0]!;
      const txq = rv.vmm.net.txq;
      expect(guest().stepsRun).toBe(1);
      expect(txq.counters.byReason[c.code]).toBe(1);
      expect(txq.counters.violations).toBe(1);
      expect(txq.snapshot()['counters']).toMatchObject({ [VQ_RESULT_NAMES[c.code]!]: 1 });
      expect(rv.vmm.net.counters.violations).toBe(1);
      expect(rv.vmm.net.counters.txFrames).toBe(0);
      expect(rv.peer.sent.length).toBe(0);
      const l = guest().layout(1);
      if (c.completed) {
        expect(usedIdx(guest().mem, l.usedGpa)).toBe(1);
        expect(usedElemLen(guest().mem, l.usedGpa, 0)).toBe(0);
      } else {
        expect(usedIdx(guest().mem, l.usedGpa)).toBe(0);
      }
      // Below the threshold the device stays live.
      expect(rv.vmm.mmio.status & VIRTIO_STATUS_DEVICE_NEEDS_RESET).toBe(0);
      expect(rv.vmm.state).not.toBe(T_STOPPED);
      expect(rv.vmm.counters.unhandledFaults).toBe(0);
    });
  }

  it('counts a receive chain with a readable segment after a writable one, drops the frame and returns its sDDF buffer', () => {
    const { rig, guest } = rigWith(
      [
        (g) =>
          g.postRaw(
            0,
            [
              { index: 0, addr: DATA, len: 2048, flags: W | N, next: 1 },
              { index: 1, addr: DATA + 4096, len: 64, flags: 0, next: 0 },
            ],
            0,
            false,
          ),
      ],
      1000,
      0,
    );
    const rv = rig.vms[0]!;
    rig.run(1e6);
    rig.sendAt(0, 1.1e6, [udpToGuest(rv, 1)]);
    rig.run(2e6);
    expect(rv.vmm.net.rxq.counters.byReason[VQ_BAD_ORDER]).toBe(1);
    expect(rv.vmm.net.counters.rxMalformedChain).toBe(1);
    expect(rv.vmm.drops()).toEqual({ rx_malformed_chain: 1 });
    expect(usedIdx(guest().mem, guest().layout(0).usedGpa)).toBe(1);
    const home = sddfBuffersHome(rv);
    expect(home.rx).toBe(home.rxCap);
  });

  for (const [code, desc] of [
    [VQ_BAD_RING_ADDR, 0x1000],
    [VQ_BAD_RING_ALIGN, RAM_BASE + GUEST_KERNEL_RESERVED + 0x20_0008],
  ] as const) {
    it(`counts a queue programmed with ${VQ_RESULT_NAMES[code]} and leaves it unused`, () => {
      const { rig } = rigWith(
        [
          (g) => {
            g.write(VIRTIO_MMIO_QUEUE_SEL, 1);
            g.write(VIRTIO_MMIO_QUEUE_READY, 0);
            g.write(VIRTIO_MMIO_QUEUE_DESC_LOW, desc);
            g.write(VIRTIO_MMIO_QUEUE_READY, 1);
          },
        ],
        1000,
      );
      rig.run(1e6);
      const rv = rig.vms[0]!;
      expect(rv.vmm.net.txq.counters.byReason[code]).toBe(1);
      expect(rv.vmm.net.txq.ready).toBe(false);
      expect(rv.vmm.net.counters.violations).toBe(1);
    });
  }

  it('sets DEVICE_NEEDS_RESET and raises the config interrupt at the eighth violation, then ignores kicks', () => {
    const bad: Step = (g) => g.postRaw(1, [{ index: 0, addr: 0x1000, len: 100, flags: 0, next: 0 }], 0);
    const steps: Step[] = [];
    for (let i = 0; i < 7; i++) steps.push(bad);
    steps.push((g) => {
      expect(g.vm.vmm!.mmio.status & VIRTIO_STATUS_DEVICE_NEEDS_RESET).toBe(0);
      bad(g);
    });
    steps.push(bad);
    const { rig, guest } = rigWith(steps, 8);
    rig.run(2e6);
    const rv = rig.vms[0]!;
    expect(guest().stepsRun).toBe(9);
    expect(rv.vmm.mmio.status & VIRTIO_STATUS_DEVICE_NEEDS_RESET).toBe(VIRTIO_STATUS_DEVICE_NEEDS_RESET);
    expect(rv.vmm.net.counters.needsReset).toBe(1);
    expect(rv.vmm.mmio.counters.configInterrupts).toBe(1);
    expect(guest().isrSeen & 2).toBe(2);
    // The ninth kick reached a device that needs a reset: dropped by the register file.
    expect(rv.vmm.net.txq.counters.byReason[VQ_BAD_ADDR]).toBe(8);
    expect(rv.vmm.mmio.counters.notifyDropped).toBeGreaterThanOrEqual(1);
  });

  it('stops using a queue after an avail index jump until the driver resets the device', () => {
    let frame: Uint8Array = new Uint8Array(0);
    const { rig, guest } = rigWith(
      [
        (g) => {
          g.jumpAvail(1, 300);
          g.write(VIRTIO_MMIO_QUEUE_NOTIFY, 1);
        },
        // The driver's next add puts idx back in range; the device must not trust the ring any more.
        (g) => {
          g.jumpAvail(1, -300);
          g.driver.transmit(frame, 0, frame.length, false);
        },
        (g) => {
          g.driver.probe();
          g.driver.transmit(frame, 0, frame.length, false);
        },
      ],
      1000,
    );
    const rv = rig.vms[0]!;
    frame = udpToGuest(rv, 1, 100);
    rig.run(2e6);
    expect(guest().stepsRun).toBe(3);
    expect(rv.vmm.net.txq.counters.byReason[VQ_BAD_AVAIL_IDX]).toBe(1);
    expect(rv.vmm.net.counters.queuesBroken).toBe(1);
    expect(rv.peer.sent.length).toBe(1);
    expect(Array.from(rv.peer.sent[0]!)).toEqual(Array.from(frame));
  });

  it('lets an honest guest recover from DEVICE_NEEDS_RESET by resetting and probing again', () => {
    const rig = buildRig([{}]);
    const rv = rig.vms[0]!;
    rig.run(1e6);
    const linux = rv.vm.linux!;
    const drv = linux.driver!;
    // Corrupt every posted RX descriptor (as a guest memory bug would): each frame now hits a bad chain.
    const l = drv.rxLayout!;
    const mem = rv.vmm.net.rxq.mem;
    for (let i = 0; i < l.num; i++) writeDesc(mem, l.descGpa, i, 0x1000, 2048, W, 0);
    const bad: Uint8Array[] = [];
    for (let i = 0; i < 8; i++) bad.push(udpToGuest(rv, i));
    rig.sendAt(0, 1.1e6, bad);
    rig.run(3e6);
    expect(rv.vmm.net.counters.needsReset).toBe(1);
    expect(linux.driver!.counters.needsResetSeen).toBe(1);
    expect(linux.driver!.counters.probes).toBe(2);
    expect(rv.vmm.mmio.status).toBe(0x0f);
    const good: Uint8Array[] = [];
    for (let i = 0; i < 5; i++) good.push(udpToGuest(rv, 100 + i));
    rig.sendAt(0, 3.1e6, good);
    rig.run(6e6);
    expect(rv.peer.sent.length).toBe(5);
    const home = sddfBuffersHome(rv);
    expect(home.rx).toBe(home.rxCap);
  });
});
