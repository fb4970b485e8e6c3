// results.csv: one row per client, for spreadsheets and quick plotting.

import { csvLine } from './csv.js';
import { totalDrops } from './drops.js';
import type { ResultDocument } from './result.js';

export const RESULTS_CSV_HEADER = [
  'name',
  'kind',
  'app',
  'rx_mbps',
  'tx_mbps',
  'rx_frames',
  'tx_frames',
  'rtt_mean_us',
  'rtt_p99_us',
  'drops_total',
] as const;

export function resultsCsv(doc: ResultDocument): string {
  const lines = [csvLine(RESULTS_CSV_HEADER)];
  for (const c of doc.clients) {
    lines.push(
      csvLine([
        c.name,
        c.kind,
        c.app,
        c.rx_mbps,
        c.tx_mbps,
        c.rx_frames,
        c.tx_frames,
        c.rtt_us.mean,
        c.rtt_us.p99,
        totalDrops(c.drops),
      ]),
    );
  }
  return `${lines.join('\n')}\n`;
}
