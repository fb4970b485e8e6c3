// What a run looked like over time, for the report's plots. Filled by an observer while the run
// goes (the model is not changed); every series has one value per bucket of `bucketNs`.

export interface RttHistogramSeries {
  client: string;
  binNs: number;
  startNs: number;
  counts: number[];
}

export interface RunSeries {
  bucketNs: number;
  /** Start of each bucket, ns from the start of the run (warm-up included). */
  startsNs: number[];
  windowStartNs: number;
  windowEndNs: number;
  clients: { name: string; rxMbps: number[]; txMbps: number[] }[];
  /** User-level share of its core per bucket, for every thread (PDs and vCPUs) that ran. */
  threads: { name: string; core: number; util: number[] }[];
  cores: { id: number; util: number[] }[];
  /** Jain's index over the clients' received throughput per bucket (NaN when nobody received). */
  jain: number[];
  rtt: RttHistogramSeries[];
}
