// What a restarted native driver takes back, worked out from the queue bytes alone
// (src/sddf/eth_driver_restart.ts): buffers in its rings and in its hands, oldest first.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type DriverQueues, driverCustody } from '../../src/sddf/eth_driver_restart.js';
import { NetBuffDesc, NetQueueHandle, netQueueBytes } from '../../src/sddf/net_queue.js';

const CAP = 16;

/** The driver's two queue pairs in fresh memory, with the handles each side uses. */
function queues() {
  const mk = () => new DataView(new ArrayBuffer(netQueueBytes(CAP)));
  const rxFree = mk();
  const rxActive = mk();
  const txFree = mk();
  const txActive = mk();
  const rx = new NetQueueHandle(rxFree, 0, rxActive, 0, CAP);
  const tx = new NetQueueHandle(txFree, 0, txActive, 0, CAP);
  const bytes: DriverQueues = {
    rxFree: { view: rxFree, off: 0, capacity: CAP },
    rxActive: { view: rxActive, off: 0, capacity: CAP },
    txActive: { view: txActive, off: 0, capacity: CAP },
    txFree: { view: txFree, off: 0, capacity: CAP },
  };
  return { rx, tx, bytes };
}

describe('driverCustody', () => {
  it('finds the RX and TX buffers the driver took and did not hand on, oldest first', () => {
    const { rx, tx, bytes } = queues();
    const d = new NetBuffDesc();
    for (let i = 0; i < CAP; i++) rx.enqueueFree(0x1000 + i * 2048, 0); // virt_rx offers the pool
    for (let i = 0; i < 10; i++) rx.dequeueFree(d); // the driver posts 10
    for (let i = 0; i < 4; i++) rx.enqueueActive(0x1000 + i * 2048, 60); // 4 frames handed on
    for (let i = 0; i < 5; i++) tx.enqueueActive(0x9000 + i * 2048, 60); // virt_tx sends 5
    for (let i = 0; i < 5; i++) tx.dequeueActive(d);
    tx.enqueueFree(0x9000, 0); // one completed
    const c = driverCustody(bytes, 256);
    expect(c.violations).toBe(0);
    expect(c.rx).toEqual([4, 5, 6, 7, 8, 9].map((i) => 0x1000 + i * 2048));
    expect(c.tx).toEqual([1, 2, 3, 4].map((i) => 0x9000 + i * 2048));
  });

  it('subtracts what a peer put on the TX free queue itself, and counts impossible counts', () => {
    const { tx, bytes } = queues();
    for (let i = 0; i < 4; i++) tx.enqueueFree(0x9000 + i * 2048, 0); // a direct client's own buffers
    expect(driverCustody(bytes, 256, 4)).toEqual({ rx: [], tx: [], violations: 0 });
    // Without the correction the driver would seem to have produced more than it consumed.
    expect(driverCustody(bytes, 256).violations).toBe(1);
  });

  it('never holds more RX buffers than the ring, and never the same buffer twice', () => {
    const { rx, bytes } = queues();
    const d = new NetBuffDesc();
    for (let i = 0; i < 8; i++) rx.enqueueFree(0x1000, 0); // a corrupt queue: one buffer 8 times
    for (let i = 0; i < 8; i++) rx.dequeueFree(d);
    const c = driverCustody(bytes, 4);
    expect(c.rx).toEqual([0x1000]);
    expect(c.violations).toBe(7);
  });

  it('property: after any interleaving of FIFO driver work, custody is exactly what the driver holds', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 300 }), (ops) => {
        const { rx, tx, bytes } = queues();
        const d = new NetBuffDesc();
        const heldRx: number[] = [];
        const heldTx: number[] = [];
        const txOwned: number[] = [];
        for (let i = 0; i < CAP; i++) rx.enqueueFree(0x1000 + i * 2048, 0);
        for (let i = 0; i < CAP; i++) txOwned.push(0x9000 + i * 2048);
        for (const op of ops) {
          if (op === 0 && rx.dequeueFree(d)) heldRx.push(d.ioOrOffset);
          else if (op === 1 && heldRx.length > 0) {
            // the driver hands the oldest on; virt_rx gives it back at once
            const io = heldRx.shift()!;
            rx.enqueueActive(io, 60);
            rx.dequeueActive(d);
            rx.enqueueFree(d.ioOrOffset, 0);
          } else if (op === 2 && txOwned.length > 0) {
            tx.enqueueActive(txOwned.shift()!, 60);
            tx.dequeueActive(d);
            heldTx.push(d.ioOrOffset);
          } else if (op === 3 && heldTx.length > 0) {
            tx.enqueueFree(heldTx.shift()!, 0);
            tx.dequeueFree(d);
            txOwned.push(d.ioOrOffset);
          }
        }
        const c = driverCustody(bytes, CAP);
        expect(c).toEqual({ rx: heldRx, tx: heldTx, violations: 0 });
      }),
      { numRuns: 200, seed: 5 },
    );
  });
});
