// The model offers one hook per capture point (wire.onFrame, NetClient.onFrame, kernel.onEntry).
// Several observers may want the same point, so each adds itself after whatever is there.

import type { Kernel } from '../../board/kernel.js';
import type { Thread } from '../../board/thread.js';
import type { Wire } from '../../board/wire.js';
import type { ClientView } from '../../scenario/build.js';
import { NetClient } from '../../sddf/client.js';

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

/** The client's interface as a capture point, or null when its kind offers none (VM clients). */
export function capturableClient(view: ClientView): NetClient | null {
  return view.pd instanceof NetClient ? view.pd : null;
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
