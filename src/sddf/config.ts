/**
 * Configuration handed to each component at init, as sdfgen serialises the C config
 * structs (include/sddf/network/config.h) into each PD. Addresses are the component's
 * own virtual addresses; nothing here is read from memory a peer can write.
 */

/** One queue pair shared with a neighbour (net_connection_resource_t). */
export interface QueueConn {
  freeVaddr: number;
  activeVaddr: number;
  capacity: number;
  /** This PD's end of the channel to the neighbour. */
  ch: number;
}

/** A data region as a component sees it (device_region_resource_t). */
export interface DataRegionRes {
  vaddr: number;
  size: number;
  /** IO (DMA) address of the region's start; 0 for regions no device reaches. */
  ioAddr: number;
}

export interface DriverConfig {
  virtRx: QueueConn;
  virtTx: QueueConn;
  irqCh: number;
  regsVaddr: number;
  rxRingVaddr: number;
  rxRingIo: number;
  txRingVaddr: number;
  txRingIo: number;
  rxCount: number;
  txCount: number;
  mac: number;
  txCoalesceFrames: number;
  txCoalesceTimer: number;
  /**
   * Buffers a peer puts on the TX free queue itself at its init, which the driver never produced:
   * the direct (sddf-2pd) client offers its own TX buffers there. A restarted driver subtracts them
   * when it works out which TX buffers it held (eth_driver_restart.ts). 0 when absent.
   */
  txFreePrefilled?: number;
}

export interface VirtRxClient {
  conn: QueueConn;
  macs: number[];
}

export interface VirtRxConfig {
  driver: QueueConn;
  data: DataRegionRes;
  /** One refcount byte per DMA buffer. */
  metadataVaddr: number;
  clients: VirtRxClient[];
}

export interface VirtTxClient {
  conn: QueueConn;
  data: DataRegionRes;
  numBuffers: number;
}

export interface VirtTxConfig {
  driver: QueueConn;
  clients: VirtTxClient[];
}

export interface CopyConfig {
  /** Queues shared with virt_rx (the copier is virt_rx's client). */
  virt: QueueConn;
  /** Queues shared with the client. */
  client: QueueConn;
  /** The shared RX DMA region (mapped read-only... as sdfgen maps it: rw for the copier). */
  deviceData: DataRegionRes;
  clientData: DataRegionRes;
  /** False for the sddf-d5pd measurement system: descriptors move, bytes do not. */
  copyBytes: boolean;
}

export interface ClientConfig {
  rx: QueueConn;
  tx: QueueConn;
  rxData: DataRegionRes;
  txData: DataRegionRes;
  /**
   * Base subtracted from an RX descriptor's io_or_offset to get the offset in rxData
   * (0 for offsets; the DMA region's IO address when talking to the driver directly).
   */
  rxIoBase: number;
  txIoBase: number;
  /** The client itself must clean/invalidate (only when no virtualiser does it). */
  cacheOps: boolean;
  mac: number;
  ip: number;
  timerCh: number;
  /**
   * The shared RX DMA pool as a client's program sees it, for the snoop-rx-pool misbehaviour (a
   * client reading buffers it was not handed, by address). Where the system maps the pool into the
   * client (no copier, zero-copy copier, direct), its RX data mapping; with copying copiers the
   * client has no mapping of the pool, and this is the first address past its last map: wherever
   * it looks, nothing of the pool is there. Absent in hand-built configs (nothing to walk).
   */
  rxPool?: { vaddr: number; size: number };
}
