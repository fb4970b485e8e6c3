// Drops by reason across a result document: client drops summed over clients, and the NIC's
// drop counters, so one bar chart and one summary line can show where packets were lost.

import type { ResultDocument } from './result.js';

/** Reason -> count; clients' reasons keep their names, NIC counters are prefixed 'nic.'. */
export function dropsByReason(doc: ResultDocument): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of doc.clients) {
    for (const [k, v] of Object.entries(c.drops)) out.set(k, (out.get(k) ?? 0) + v);
  }
  for (const [k, v] of Object.entries(nicDrops(doc))) out.set(`nic.${k}`, v);
  return out;
}

/** The NIC counters that count frames lost (names with 'Drop', 'Error' or 'Blocked'). */
export function nicDrops(doc: ResultDocument): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(doc.nic)) {
    if (/drop|error|blocked/i.test(k)) out[k] = v;
  }
  return out;
}

export function totalDrops(drops: Record<string, number>): number {
  let n = 0;
  for (const v of Object.values(drops)) n += v;
  return n;
}
