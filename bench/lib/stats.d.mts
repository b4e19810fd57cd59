// Types for stats.mjs (the benchmark code is plain JavaScript so it runs without a build).
export declare function percentile(values: readonly number[], p: number): number;
export declare function median(values: readonly number[]): number;
export declare function mean(values: readonly number[]): number;
export declare function round(value: number, digits?: number): number;
export interface Summary {
  n: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}
export declare function summarize(values: readonly number[]): Summary;
export declare function ratio(a: number | undefined, b: number | undefined, digits?: number): number | null;
export declare function parseVmHwmKb(statusText: string): number | undefined;
export declare function readPeakRssKb(pid: number): number | undefined;
export declare function msSince(start: bigint): number;
