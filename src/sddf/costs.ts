import { type CostEntry, registerCostEntries } from '../board/cost_model.js';

/**
 * Per-operation costs of the sDDF network components on the imx8mm preset. "entry" is
 * the fixed work of one handler invocation (checking queues and rings, with the cache
 * and TLB misses of a component that was not running a moment ago); "pkt" is the work
 * per buffer moved. Fitted values name the table they were fitted to
 * (../shared/calibration/imx8mm-single-core.md; method in docs/calibration.md).
 */
const sddfTable = {
  mmio_access: {
    value: 40,
    source:
      'fitted jointly to the sddf-2pd, -4pd, -d5pd and -5pd tables (an uncached device-register access; bound 40..200)',
  },
  cache_line_op: {
    value: 6.89,
    source:
      'fitted jointly to the sddf-2pd, -4pd, -d5pd and -5pd tables (dc cvac / dc civac per 64-byte line)',
  },
  queue_barrier: {
    value: 0,
    source: 'set from smp_barrier when board.kernel.smp_barriers is on; 0 on the single-core kernel',
  },

  drv_entry: {
    value: 5000,
    source:
      "fitted jointly to the sddf-2pd, -4pd, -d5pd and -5pd tables (IRQ/notification handler entry: EIR reads, ring checks, cold caches). With the driver's 100 us / 400 us budget this is what throttles the driver at high load and batches the pipeline",
  },
  drv_rx_pkt: {
    value: 50,
    source:
      'fitted jointly to the sddf-2pd, -4pd, -d5pd and -5pd tables (rx_return + rx_provide per buffer; at its lower bound 50)',
  },
  drv_tx_pkt: {
    value: 265,
    source: 'fitted jointly to the sddf-2pd, -4pd, -d5pd and -5pd tables (tx_provide + tx_return per buffer)',
  },

  vrx_entry: {
    value: 100,
    source: 'fitted jointly to the sddf-2pd, -4pd, -d5pd and -5pd tables (at its lower bound 100)',
  },
  vrx_pkt: {
    value: 135,
    source: 'fitted jointly to the sddf-2pd, -4pd, -d5pd and -5pd tables (MAC match, translation, enqueue)',
  },
  vrx_free_pkt: {
    value: 216,
    source: 'fitted jointly to the sddf-2pd, -4pd, -d5pd and -5pd tables (refcount, return to the driver)',
  },

  vtx_entry: {
    value: 100,
    source: 'fitted jointly to the sddf-2pd, -4pd, -d5pd and -5pd tables (at its lower bound 100)',
  },
  vtx_pkt: {
    value: 375,
    source: 'fitted jointly to the sddf-2pd, -4pd, -d5pd and -5pd tables (validation, translation, enqueue)',
  },
  vtx_return_pkt: {
    value: 182,
    source: 'fitted jointly to the sddf-2pd, -4pd, -d5pd and -5pd tables (owner search, enqueue)',
  },
  vtx_return_region: { value: 8, source: 'fitted: per region compared in the linear owner search' },

  copy_entry: {
    value: 100,
    source: 'fitted jointly to the sddf-2pd, -4pd, -d5pd and -5pd tables (at its lower bound 100)',
  },
  copy_pkt: {
    value: 266,
    source: 'fitted jointly to the sddf-2pd, -4pd, -d5pd and -5pd tables (descriptor moves, length checks)',
  },
  copy_byte: {
    value: 1.36,
    source:
      'fitted jointly to the sddf-2pd, -4pd, -d5pd and -5pd tables; calib: the copy costs about 700 (low load) to 1,000 (high load) cycles per 1514-byte frame, this gives 2,059 per 1514-byte frame plus copy_pkt',
  },

  client_entry: {
    value: 100,
    source:
      'fitted jointly to the sddf-2pd, -4pd, -d5pd and -5pd tables (lwIP handler entry; at its lower bound 100)',
  },
  client_rx_pkt: {
    value: 2700,
    source:
      'fitted jointly to the sddf-2pd, -4pd, -d5pd and -5pd tables (lwIP input, UDP demux, echo callback)',
  },
  client_tx_pkt: {
    value: 1852,
    source: 'fitted jointly to the sddf-2pd, -4pd, -d5pd and -5pd tables (udp_sendto, ethernet output)',
  },
  client_byte: { value: 0.5, source: 'fitted: one copy of the frame into the TX buffer (as copy_byte)' },
  client_tick: { value: 2000, source: 'fitted: lwIP timer tick (sys_check_timeouts), 100 ms period' },
} as const satisfies Record<string, CostEntry>;

export type SddfCostName = keyof typeof sddfTable;
export type SddfCosts = Record<SddfCostName, number>;

registerCostEntries(sddfTable);

/** Reads the sDDF entries off a resolved cost table. */
export function sddfCosts(costs: object): SddfCosts {
  return costs as SddfCosts;
}
