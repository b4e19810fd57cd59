/**
 * Opens the analytics engine. DuckDB is a native module and an optional dependency: it is imported
 * only here, only when the local API starts, and a failure (not installed, no binary for this
 * platform) leaves a stand-in that drops events and answers Unkey's 412 analytics_not_configured
 * with the reason, so installing or running unkey-mcp never breaks because of it.
 */
import { ApiError } from "../errors.js";
import { DEFAULT_LIMITS, type Analytics, type AnalyticsLimits } from "./types.js";

export type { Analytics, AnalyticsKind, AnalyticsLimits, AnalyticsScope, AnalyticsRow, RatelimitEvent, VerificationEvent } from "./types.js";
export { DEFAULT_LIMITS } from "./types.js";

export interface OpenAnalyticsOptions {
  /** DuckDB file path; undefined keeps everything in memory. */
  file?: string;
  limits?: Partial<AnalyticsLimits>;
  onError?: (message: string, err: unknown) => void;
}

export const ANALYTICS_FILE_NAME = "unkey-analytics.duckdb";

class UnavailableAnalytics implements Analytics {
  readonly available = false;
  constructor(readonly unavailableReason: string) {}
  recordVerification(): void {}
  recordRatelimit(): void {}
  query(): Promise<never> {
    return Promise.reject(
      new ApiError(
        412,
        "unkey/data/analytics_not_configured",
        `Analytics are not available on this local API: ${this.unavailableReason} Install the optional dependency @duckdb/node-api and restart.`,
      ),
    );
  }
  flush(): Promise<void> {
    return Promise.resolve();
  }
  insertVerifications(): Promise<void> {
    return this.query();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** No engine at all (the benchmark's "recording off" side): events are dropped, queries answer 412. */
export function disabledAnalytics(reason = "analytics are turned off for this server."): Analytics {
  return new UnavailableAnalytics(reason);
}

export async function openAnalytics(opts: OpenAnalyticsOptions = {}): Promise<Analytics> {
  let engine: typeof import("./engine.js");
  try {
    engine = await import("./engine.js");
  } catch (err) {
    return new UnavailableAnalytics(`the DuckDB engine could not be loaded (${(err as Error).message.split("\n")[0]}).`);
  }
  try {
    return await engine.openDuckDbAnalytics(opts.file, { ...DEFAULT_LIMITS, ...opts.limits }, opts.onError);
  } catch (err) {
    return new UnavailableAnalytics(`the DuckDB engine failed to start (${(err as Error).message.split("\n")[0]}).`);
  }
}
