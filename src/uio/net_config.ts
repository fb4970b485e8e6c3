import { PAGE_SIZE, roundUp } from '../board/memory.js';

/**
 * The driver VM's configuration map (UIO device "sddf-net-config", map 0), written by the VMM and
 * only read by the guest. It carries what the VMM hands over at run time: the page pool of the
 * guest's ENET driver, a set of buffers of the RX DMA region (the only memory the IOMMU lets the
 * NIC write) the VMM lends the guest kernel and takes back when the guest dies.
 *
 * Layout (little-endian):
 * | off        | size        | field                                                     |
 * |------------|-------------|-----------------------------------------------------------|
 * | 0          | 4           | magic NET_CONFIG_MAGIC                                    |
 * | 4          | 4           | ready: 1 once the pool below is complete, else 0          |
 * | 8          | 4           | generation: bumped at every grant                         |
 * | 12         | 4           | pool_count                                                |
 * | 16 + 4*i   | 4           | pool[i]: IO (= guest-physical) address of a 2048-byte buffer |
 */
export const NET_CONFIG_MAGIC = 0x4e44_4453; // "SDDN"
export const NET_CONFIG_OFF_MAGIC = 0;
export const NET_CONFIG_OFF_READY = 4;
export const NET_CONFIG_OFF_GENERATION = 8;
export const NET_CONFIG_OFF_POOL_COUNT = 12;
export const NET_CONFIG_OFF_POOL = 16;

/** Bytes of a configuration map holding up to `poolBuffers` pool entries. */
export function netConfigBytes(poolBuffers: number): number {
  return roundUp(NET_CONFIG_OFF_POOL + 4 * poolBuffers, PAGE_SIZE);
}
