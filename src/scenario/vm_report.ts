import { T_STOPPED } from '../board/thread.js';
import type { VmResult } from '../report/result.js';
import type { ClientView } from './build.js';

/** A guest's VMM counters that the window's `vm` entry is the difference of. */
export type VmExitCounts = {
  mmioReads: number;
  mmioWrites: number;
  virqInjected: number;
  virqCoalesced: number;
};

export function vmExits(c: ClientView): VmExitCounts | null {
  const k = c.vm?.vmm?.counters;
  return k === undefined
    ? null
    : {
        mmioReads: k.mmioReads,
        mmioWrites: k.mmioWrites,
        virqInjected: k.virqInjected,
        virqCoalesced: k.virqCoalesced,
      };
}

/** A guest's VM exits and virtual interrupts over the window, and MMIO exits per frame through it. */
export function vmWindow(
  c: ClientView,
  b: VmExitCounts | null,
  a: VmExitCounts | null,
  frames: number,
): { vm?: VmResult } {
  const vcpu = c.vm?.vcpu ?? null;
  if (b === null || a === null || vcpu === null) return {};
  const reads = a.mmioReads - b.mmioReads;
  const writes = a.mmioWrites - b.mmioWrites;
  return {
    vm: {
      mmio_reads: reads,
      mmio_writes: writes,
      virq_injected: a.virqInjected - b.virqInjected,
      virq_coalesced: a.virqCoalesced - b.virqCoalesced,
      mmio_exits_per_frame: frames > 0 ? Math.round(((reads + writes) / frames) * 1000) / 1000 : 0,
      vcpu: vcpu.state === T_STOPPED ? 'stopped' : c.vm?.linux?.hung === true ? 'hung' : 'running',
    },
  };
}
