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
    value: 108,
    source: 'fitted: sddf-2pd table (an uncached device-register access; of the order of 100 cycles on A53)',
  },
  cache_line_op: {
    value: 12,
    source: 'fitted: sddf-4pd vs sddf-2pd difference (dc cvac / dc civac per 64-byte line)',
  },
  queue_barrier: {
    value: 0,
    source: 'set from smp_barrier when board.kernel.smp_barriers is on; 0 on the single-core kernel',
  },

  drv_entry: { value: 2362, source: 'fitted: sddf-2pd table (handler entry, ring checks)' },
  drv_rx_pkt: { value: 579, source: 'fitted: sddf-2pd table (rx_return + rx_provide per buffer)' },
  drv_tx_pkt: { value: 486, source: 'fitted: sddf-2pd table (tx_provide + tx_return per buffer)' },

  vrx_entry: { value: 700, source: 'fitted: sddf-4pd table' },
  vrx_pkt: { value: 250, source: 'fitted: sddf-4pd table (MAC match, translation, enqueue)' },
  vrx_free_pkt: { value: 120, source: 'fitted: sddf-4pd table (refcount, return to driver)' },

  vtx_entry: { value: 700, source: 'fitted: sddf-4pd table' },
  vtx_pkt: { value: 250, source: 'fitted: sddf-4pd table (validation, translation, enqueue)' },
  vtx_return_pkt: { value: 150, source: 'fitted: sddf-4pd table (owner search, enqueue)' },
  vtx_return_region: { value: 8, source: 'fitted: per region compared in the linear owner search' },

  copy_entry: { value: 700, source: 'fitted: sddf-d5pd vs sddf-4pd difference (the extra PD)' },
  copy_pkt: { value: 150, source: 'fitted: sddf-d5pd table (descriptor moves)' },
  copy_byte: {
    value: 0.5,
    source: 'calib: "the copy ... about 700 cycles/packet at low load" for 1514-byte frames',
  },

  client_entry: { value: 268, source: 'fitted: sddf-2pd table (lwIP handler entry)' },
  client_rx_pkt: { value: 2700, source: 'fitted: sddf-2pd table (lwIP input, UDP demux, echo callback)' },
  client_tx_pkt: { value: 1852, source: 'fitted: sddf-2pd table (udp_sendto, ethernet output)' },
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
