/** One measured figure. `value` is in `unit`; `detail` says how it was measured. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  detail?: string;
}

/** A group of benchmarks run by bench/run.ts; `quick` asks for a shorter, noisier run. */
export interface BenchModule {
  name: string;
  run(opts: { quick: boolean }): Promise<BenchResult[]> | BenchResult[];
}
