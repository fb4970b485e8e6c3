import { PAGE_SIZE, roundUp } from '../board/memory.js';
import { NET_BUFFER_SIZE, netQueueBytes } from './net_queue.js';

/**
 * Sizes and counts as sdfgen (microkit_sdf_gen src/sddf/net.zig) computes them for the
 * echo-server system: every buffer count is rounded up to a power of two, a queue
 * region is roundUpToPage(8 + 16 * N), data regions are N * 2048 bytes.
 */
export const DEFAULT_RX_BUFFERS = 512;
export const DEFAULT_CLIENT_RX_BUFFERS = 512;
export const DEFAULT_CLIENT_TX_BUFFERS = 512;
export const HW_RING_COUNT = 256;

export function ceilPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

export function queueRegionBytes(capacity: number): number {
  return roundUp(netQueueBytes(capacity), PAGE_SIZE);
}

export function dataRegionBytes(buffers: number): number {
  return roundUp(buffers * NET_BUFFER_SIZE, PAGE_SIZE);
}

/** Microkit scheduling of the echo-server example (examples/echo_server/meta.py). */
export const ECHO_SERVER_SCHED = {
  driver: { priority: 101, budgetUs: 100, periodUs: 400 },
  virtTx: { priority: 100, budgetUs: 20000 },
  virtRx: { priority: 99 },
  copier: { priority: 98, budgetUs: 20000 },
  client: { priority: 97, budgetUs: 20000 },
} as const;
