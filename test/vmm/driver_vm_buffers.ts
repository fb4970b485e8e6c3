import { NET_BUFFER_SIZE } from '../../src/sddf/net_queue.js';
import type { Simulation } from '../../src/scenario/build.js';
import type { Region } from '../../src/board/memory.js';
import { T_STOPPED } from '../../src/board/thread.js';
import { type QueueBytes, queueHead, queueSlotIo, queueTail } from '../../src/vmm/driver_vm_reclaim.js';

/** The descriptors in [head, tail) of a queue that starts its region (offsets or IO addresses). */
function entries(region: Region, capacity: number): number[] {
  const q: QueueBytes = { view: region.view, off: 0, capacity };
  const head = queueHead(q);
  const len = (queueTail(q) - head) & 0xffff;
  if (len > capacity) throw new Error(`${region.name}: corrupt (length ${len} > ${capacity})`);
  const out: number[] = [];
  for (let k = 0; k < len; k++) out.push(queueSlotIo(q, head + k));
  return out;
}

function queueRegion(sim: Simulation, label: string, which: 'free' | 'active'): Region {
  return sim.board.memory.region(`net/queue/${label}/${which}`);
}

export interface BufferAudit {
  /** Problems found: a buffer seen twice, never, or outside every region. Empty when conserved. */
  problems: string[];
  rxBuffers: number;
  txBuffers: number;
  /** Where the buffers were found, by place. */
  where: Record<string, number>;
}

/**
 * Walks every place a buffer of a driver-VM system can be between entry points and checks that
 * each RX DMA buffer and each client TX buffer is in exactly one:
 * RX: the driver's free and active queues (IO addresses), virt_rx <-> copier queues (offsets), the
 * VMM's page-pool ledger (which, while the guest is up, must equal what the guest kernel holds);
 * TX: each client's queues with virt_tx (offsets), the driver's TX queues (IO addresses), and the
 * buffer a blocked sendto holds in the bridge.
 */
export function auditBuffers(sim: Simulation): BufferAudit {
  const net = sim.net!;
  const dvm = sim.driverVm!;
  const vmm = dvm.vmm!;
  const problems: string[] = [];
  const where: Record<string, number> = {};
  const rxDma = net.rxDma;
  const rxN = rxDma.size / NET_BUFFER_SIZE;
  const rxCount = new Int32Array(rxN);
  const rxCap = vmm.cfg.virtRx.capacity;
  const addRx = (io: number, place: string): void => {
    const off = io - rxDma.paddr;
    if (off < 0 || off >= rxDma.size || off % NET_BUFFER_SIZE !== 0) {
      problems.push(`${place}: 0x${io.toString(16)} is not an RX buffer`);
      return;
    }
    rxCount[off / NET_BUFFER_SIZE]!++;
    where[place] = (where[place] ?? 0) + 1;
  };
  // composeNetSystem names the driver's queues after the native driver, whatever fills the slot.
  const drvLabel = (peer: string) => `ethernet_driver/${peer}`;
  for (const io of entries(queueRegion(sim, drvLabel('net_virt_rx'), 'free'), rxCap)) addRx(io, 'rx_free');
  for (const io of entries(queueRegion(sim, drvLabel('net_virt_rx'), 'active'), rxCap))
    addRx(io, 'rx_active');
  for (const cp of net.copiers) {
    if (cp === null) continue;
    for (const w of ['free', 'active'] as const)
      for (const off of entries(queueRegion(sim, `net_virt_rx/${cp.name}`, w), rxCap))
        addRx(off + rxDma.paddr, `copier_${w}`);
  }
  for (const io of vmm.poolLedger()) addRx(io, 'pool_ledger');
  rxCount.forEach((n, i) => {
    if (n !== 1) problems.push(`RX buffer ${i} found ${n} times`);
  });
  const guest = dvm.guest!;
  // The guest's own state counts only while it runs (a stopped or not yet rebooted one is stale).
  const live = dvm.vcpu!.state !== T_STOPPED && dvm.vcpu!.booted;
  if (live && guest.enet !== null) {
    const held = guest.holdings().pool.sort((a, b) => a - b);
    const ledger = [...vmm.poolLedger()].sort((a, b) => a - b);
    if (held.join(',') !== ledger.join(','))
      problems.push('the guest kernel holds other buffers than the pool ledger says');
  }

  const tx = net.clientTxData;
  const txCount = tx.map((r) => new Int32Array(r.size / NET_BUFFER_SIZE));
  const addTx = (io: number, place: string): void => {
    for (let i = 0; i < tx.length; i++) {
      const off = io - tx[i]!.paddr;
      if (off >= 0 && off < tx[i]!.size && off % NET_BUFFER_SIZE === 0) {
        txCount[i]![off / NET_BUFFER_SIZE]!++;
        where[place] = (where[place] ?? 0) + 1;
        return;
      }
    }
    problems.push(`${place}: 0x${io.toString(16)} is not a TX buffer`);
  };
  const txCap = vmm.cfg.virtTx.capacity;
  for (const io of entries(queueRegion(sim, drvLabel('net_virt_tx'), 'free'), txCap)) addTx(io, 'tx_free');
  for (const io of entries(queueRegion(sim, drvLabel('net_virt_tx'), 'active'), txCap))
    addTx(io, 'tx_active');
  net.clientConfigs.forEach((cfg, i) => {
    const name = sim.clients[i]!.name;
    for (const w of ['free', 'active'] as const)
      for (const off of entries(queueRegion(sim, `net_virt_tx/${name}`, w), cfg.tx.capacity))
        addTx(off + tx[i]!.paddr, `client_tx_${w}`);
  });
  const pending = guest.holdings().pendingTx;
  if (pending >= 0 && live) addTx(pending, 'bridge_pending');
  txCount.forEach((c, i) => {
    c.forEach((n, b) => {
      if (n !== 1) problems.push(`TX buffer ${b} of client ${i} found ${n} times`);
    });
  });
  return { problems, rxBuffers: rxN, txBuffers: txCount.reduce((a, c) => a + c.length, 0), where };
}
