/**
 * Coherence report: every time the non-coherent DMA / write-back cache interplay
 * made someone see the wrong bytes. Counted per (kind, component, region), with
 * the first few line numbers kept so a report can point at them.
 */
export const COHERENCE_DMA_READ_DIRTY = 'dma-read-dirty-line' as const;
export const COHERENCE_CPU_READ_STALE = 'cpu-read-stale-line' as const;
export const COHERENCE_DIRTY_OVER_DMA = 'dirty-line-over-dma-write' as const;
export type CoherenceKind =
  | typeof COHERENCE_DMA_READ_DIRTY
  | typeof COHERENCE_CPU_READ_STALE
  | typeof COHERENCE_DIRTY_OVER_DMA;

export interface CoherenceEntry {
  kind: CoherenceKind;
  component: string;
  region: string;
  count: number;
  /** Line indexes within the region (64-byte lines), at most MAX_LINES kept. */
  lines: number[];
  firstTimeNs: number;
}

const MAX_LINES = 16;

export class CoherenceLog {
  private readonly entries = new Map<string, CoherenceEntry>();
  /** Current simulated time, kept up to date by the board so entries carry a time. */
  nowNs = 0;

  record(kind: CoherenceKind, component: string, region: string, line: number): void {
    const key = `${kind}\u0000${component}\u0000${region}`;
    let e = this.entries.get(key);
    if (e === undefined) {
      e = { kind, component, region, count: 0, lines: [], firstTimeNs: this.nowNs };
      this.entries.set(key, e);
    }
    e.count++;
    if (e.lines.length < MAX_LINES && !e.lines.includes(line)) e.lines.push(line);
  }

  get total(): number {
    let n = 0;
    for (const e of this.entries.values()) n += e.count;
    return n;
  }

  report(): CoherenceEntry[] {
    return [...this.entries.values()].map((e) => ({ ...e, lines: [...e.lines] }));
  }
}
