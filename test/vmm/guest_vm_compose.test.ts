import '../../src/sddf/costs.js';
import '../../src/vmm/costs.js';
import '../../src/guest/costs.js';
import { describe, expect, it } from 'vitest';
import { Board } from '../../src/board/board.js';
import { resolveCosts } from '../../src/board/cost_model.js';
import { LoadGenerator } from '../../src/board/load_generator.js';
import { T_STOPPED } from '../../src/board/thread.js';
import {
  type ClientSlot,
  composeNetSystem,
  echoServerSched,
  nativeClientFactory,
} from '../../src/sddf/system.js';
import { createGuestVm, type GuestVm } from '../../src/compose/guest_vm.js';

const NIC_MAC = 0x02_00_00_00_00_01;
const GEN_MAC = 0x02_00_00_00_00_ff;
const GEN_IP = 0x0a_00_00_ff;

function boardWithGuests(eventIdx: boolean): { board: Board; vms: GuestVm[]; gen: LoadGenerator } {
  const r = resolveCosts('imx8mm');
  if (!r.ok) throw new Error(r.problems.join('; '));
  const board = new Board({
    cores: 1,
    costs: r.costs,
    smp: false,
    seed: 1,
    windowStartNs: 0,
    windowEndNs: 1e12,
    bucketNs: 0,
    nicRateBps: 1e9,
    nicMac: NIC_MAC,
  });
  const sched = echoServerSched(0);
  const vms: GuestVm[] = [];
  const slots: ClientSlot[] = [];
  for (let i = 0; i < 2; i++) {
    const name = `guest${i}`;
    const vm = createGuestVm(board.kernel, board.memory, { name, sched: sched.client, eventIdx });
    vms.push(vm);
    slots.push({
      name,
      mac: 0x02_00_00_00_00_10 + i,
      ip: 0x0a_00_00_10 + i,
      rxBuffers: 512,
      txBuffers: 512,
      sched: sched.client,
      copierSched: sched.copier,
      make: vm.make,
    });
  }
  // Four clients: composeNetSystem sizes the driver/virt_tx queue as the plain sum of client TX
  // buffers, which must be a power of two.
  for (let i = 0; i < 2; i++) {
    slots.push({
      name: `native${i}`,
      mac: 0x02_00_00_00_00_20 + i,
      ip: 0x0a_00_00_20 + i,
      rxBuffers: 512,
      txBuffers: 512,
      sched: sched.client,
      copierSched: sched.copier,
      make: nativeClientFactory(`native${i}`, 'echo', null),
    });
  }
  composeNetSystem(
    {
      memory: board.memory,
      kernel: board.kernel,
      regs: board.nicRegs,
      irq: board.nicIrq,
      iommu: board.nicIommu,
      mac: NIC_MAC,
    },
    {
      variant: 'full',
      clients: slots,
      rxBuffers: 512,
      driverSched: sched.driver,
      virtRxSched: sched.virtRx,
      virtTxSched: sched.virtTx,
      txCoalesceFrames: 1,
      txCoalesceTimer: 0,
    },
  );
  const gen = new LoadGenerator({
    engine: board.engine,
    link: board.wire,
    prng: board.prng.fork(1),
    mac: GEN_MAC,
    ip: GEN_IP,
    streams: slots.map((s, i) => ({
      targetMac: s.mac,
      targetIp: s.ip,
      srcPort: 40000 + i,
      rateBps: 50e6,
      startNs: 1e6,
      stopNs: 21e6,
    })),
  });
  board.wire.attachHost(gen);
  gen.setWindow(0, 1e12);
  return { board, vms, gen };
}

describe('guest VMs composed into the sDDF network system', () => {
  for (const eventIdx of [true, false]) {
    it(`echo ipbench-style load through NIC, Virts, copiers, VMM and guest (EVENT_IDX ${eventIdx ? 'on' : 'off'})`, () => {
      const { board, vms, gen } = boardWithGuests(eventIdx);
      board.run(30e6);
      const res = gen.results();
      for (let i = 0; i < 4; i++) {
        const s = res.streams[i]!;
        expect(s.sentFrames).toBeGreaterThan(80);
        expect(s.receivedFrames).toBe(s.sentFrames);
        expect(s.corrupt + s.duplicates).toBe(0);
      }
      expect(res.malformed).toBe(0);
      for (const vm of vms) {
        expect(vm.vmm!.state).not.toBe(T_STOPPED);
        expect(vm.vcpu!.state).not.toBe(T_STOPPED);
        expect(vm.vmm!.mmio.status).toBe(0x0f);
        expect(vm.vmm!.drops()).toEqual({});
        expect(vm.linux!.stack.counters.udpEchoed).toBe(res.streams[vms.indexOf(vm)]!.sentFrames);
      }
      expect(board.kernel.faultLog).toEqual([]);
      // The RTT includes two VM exits' worth of guest work but stays well under a millisecond at this load.
      expect(res.streams[0]!.rtt.max).toBeLessThan(1e6);
    });
  }
});
