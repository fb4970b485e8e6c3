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
 * Counts by send time, as ping itself does: a request sent in [start, end) is answered or lost,
 * whenever its reply comes. Null for a guest that runs no ping.
 */
export function pingWindow(vm: GuestVm, start: number, end: number): PingWindow | null {
  const ping = vm.linux?.ping ?? null;
  if (ping === null) return null;
  let sent = 0;
  for (const t of ping.requestTimes()) if (t >= start && t < end) sent++;
  // Reservoir sampling starts past RttStats' cap (millions of replies), which no ping reaches.
  const stats = new RttStats(new Prng(1));
  const r = ping.replyTimes();
  for (let k = 0; k < r.sentNs.length; k++) {
    const t = r.sentNs[k]!;
    if (t >= start && t < end) stats.add(r.rttNs[k]!);
  }
  return { sent, replies: stats.count, rtt: stats.summary() };
}
