import { Prng } from '../board/prng.js';
import { type RttSummary, RttStats } from '../board/rtt_stats.js';
import type { GuestVm } from '../compose/guest_vm.js';

/** A guest's ping over the measurement window: requests sent in it, and what became of them. */
export interface PingWindow {
  sent: number;
  /** Requests sent in the window that were answered before the run ended (the drain included). */
  replies: number;
  rtt: RttSummary;
}

/**
 * What the guest's ping counted by send time, as ping itself does: a request sent in the window
 * is answered or lost, whenever its reply comes (the window is set at build, PingApp.windowStartNs).
 * Null for a guest that runs no ping.
 */
export function pingWindow(vm: GuestVm): PingWindow | null {
  const ping = vm.linux?.ping ?? null;
  if (ping === null) return null;
  // Reservoir sampling starts past RttStats' cap (millions of replies); a longer ping keeps a sample.
  const stats = new RttStats(new Prng(1));
  for (const rtt of ping.windowRtts()) stats.add(rtt);
  return { sent: ping.sentInWindow, replies: ping.repliesInWindow, rtt: stats.summary() };
}
