/**
 * The analytics seam of the local API: handlers record events and run queries through this
 * interface only, so the engine (DuckDB, loaded lazily) stays replaceable and optional.
 */

/** One keys.verifyKey outcome, as Unkey writes it to key_verifications_raw_v2. */
export interface VerificationEvent {
  requestId: string;
  /** Unix ms (the request's X-Test-Time under --test-clock). */
  time: number;
  workspaceId: string;
  keySpaceId: string;
  identityId: string;
  externalId: string;
  keyId: string;
  region: string;
  outcome: string;
  tags: readonly string[];
  spentCredits: number;
  latency: number;
}

/** One ratelimit check (ratelimit.limit / multiLimit entry), as Unkey writes it to ratelimits_raw_v2. */
export interface RatelimitEvent {
  requestId: string;
  time: number;
  workspaceId: string;
  namespaceId: string;
  identifier: string;
  passed: boolean;
  latency: number;
  overrideId: string;
  limit: number;
  remaining: number;
  resetAt: number;
  tokens: number;
}

export type AnalyticsKind = "verifications" | "ratelimits";

/** Which rows a caller may see; every documented table is filtered to this before the query runs. */
export interface AnalyticsScope {
  workspaceId: string;
  /** Set for `api.<id>.read_analytics` keys: only these key spaces. */
  keySpaceIds?: readonly string[];
  /** Set for `ratelimit.<id>.read_analytics` keys: only these namespaces. */
  namespaceIds?: readonly string[];
}

export interface AnalyticsLimits {
  /** Queries longer than this fail with 422 query_execution_timeout (Unkey: 10 s). */
  timeoutMs: number;
  /** Rows a query may scan in the tables it names (422 query_rows_limit_exceeded). */
  maxRowsRead: number;
  /** The LIMIT every query is clamped to. */
  maxResultRows: number;
  /** Serialized result size (422 query_memory_limit_exceeded; Unkey: 4 MiB). */
  maxResultBytes: number;
  /** Days of history kept visible; an older lower bound is query_range_exceeds_retention. */
  retentionDays: number;
  /** Events buffered before a flush, and the longest an event waits. */
  flushSize: number;
  flushIntervalMs: number;
}

export const DEFAULT_LIMITS: AnalyticsLimits = {
  timeoutMs: 10_000,
  maxRowsRead: 10_000_000,
  maxResultRows: 10_000,
  maxResultBytes: 4 * 1024 * 1024,
  retentionDays: 90,
  flushSize: 20_000,
  flushIntervalMs: 2_000,
};

export type AnalyticsRow = Record<string, unknown>;

export interface Analytics {
  /** False when the engine could not load; queries then answer 412 with `unavailableReason`. */
  readonly available: boolean;
  readonly unavailableReason?: string;
  recordVerification(e: VerificationEvent): void;
  recordRatelimit(e: RatelimitEvent): void;
  /** Validates, scopes and runs one query; throws ApiError with Unkey's analytics codes. */
  query(kind: AnalyticsKind, sql: string, scope: AnalyticsScope, now: number): Promise<AnalyticsRow[]>;
  /** Writes buffered events now (queries call it first, so a caller sees its own events). */
  flush(): Promise<void>;
  /** Bulk path for large fixtures and the benchmark: straight into the tables, no buffering. */
  insertVerifications(events: readonly VerificationEvent[]): Promise<void>;
  close(): Promise<void>;
}
