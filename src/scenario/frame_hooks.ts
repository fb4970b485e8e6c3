// The model offers one hook per capture point (wire.onFrame, NetClient.onFrame, kernel.onEntry).
// Several observers may want the same point, so each adds itself after whatever is there.

import type { Kernel } from '../board/kernel.js';
import type { Thread } from '../board/thread.js';
import type { Wire } from '../board/wire.js';
import type { ClientView } from './build.js';
import { NetClient } from '../sddf/client.js';

export type FrameHook = (dir: number, timeNs: number, buf: Uint8Array, off: number, len: number) => void;
export type EntryHook = (t: Thread, core: number, startCycle: number, endCycle: number) => void;

export function tapWire(wire: Wire, hook: FrameHook): void {
  const prev = wire.onFrame;
  wire.onFrame =
    prev === null
      ? hook
      : (d, t, b, o, l) => {
          prev(d, t, b, o, l);
          hook(d, t, b, o, l);
        };
}

/** Something with a frame hook at a client's interface. */
interface FrameTap {
  onFrame: ((dir: 0 | 1, timeNs: number, buf: Uint8Array, off: number, len: number) => void) | null;
}

/**
 * The client's interface as a capture point: a native client's own, or for a guest the VMM's
 * virtio-net device (what it delivers into and takes out of guest memory); null when there is
 * none (the Linux baseline's echo program).
 */
export function capturableClient(view: ClientView): FrameTap | null {
  if (view.pd instanceof NetClient) return view.pd;
  return view.vm?.vmm?.net ?? null;
}

/** Taps a client's interface (0 = received, 1 = sent); false when it has no capture point. */
export function tapClient(view: ClientView, hook: FrameHook): boolean {
  const c = capturableClient(view);
  if (c === null) return false;
  const prev = c.onFrame;
  c.onFrame =
    prev === null
      ? hook
      : (d, t, b, o, l) => {
          prev(d, t, b, o, l);
          hook(d, t, b, o, l);
        };
  return true;
}

export function tapKernel(kernel: Kernel, hook: EntryHook): void {
  const prev = kernel.onEntry;
  kernel.onEntry =
    prev === null
      ? hook
      : (t, c, s, e) => {
          prev(t, c, s, e);
          hook(t, c, s, e);
        };
}
