/**
 * The analytics helper tools' logic, free of MCP and HTTP: parse the window a model asks for,
 * pick the aggregate table that fits it, build the ClickHouse SQL (only from validated
 * parameters: ids are checked against a strict pattern, numbers are integers), and turn the rows
 * into figures and a one-paragraph summary. The SQL is the documented dialect, so the same tools
 * work against Unkey and the local API.
 */

export const GRANULARITIES = ["minute", "hour", "day", "month"] as const;
export type Granularity = (typeof GRANULARITIES)[number];

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Unkey keeps 90 days of analytics; a longer window is clamped and the summary says so. */
export const RETENTION_MS = 90 * DAY;
/** The most points a time series returns (and charts). */
export const MAX_BUCKETS = 1_000;

/** Ids, outcomes and identifiers go into SQL literals: only characters that cannot end one. */
const SAFE_VALUE = /^[\w.:@/=+-]{1,256}$/;

export class HelperArgumentError extends Error {}

export function sqlString(field: string, value: string): string {
  if (!SAFE_VALUE.test(value)) {
    throw new HelperArgumentError(
      `${field} ${JSON.stringify(value.slice(0, 60))} has characters an id never has; expected letters, digits and _.:@/=+- (1-256).`,
    );
  }
  return `'${value}'`;
}

export interface Window {
  from: number;
  to: number;
  /** Set when the request reached past retention and was cut to 90 days. */
  clamped: boolean;
}

/** The last `spanMs` up to `now` (the executor already turned "P7D" into ms), cut to retention. */
export function makeWindow(spanMs: number, now: number): Window {
  if (!Number.isFinite(spanMs) || spanMs <= 0) throw new HelperArgumentError(`window must be a positive duration; got ${spanMs} ms.`);
  const clamped = spanMs > RETENTION_MS;
  return { from: now - Math.min(spanMs, RETENTION_MS), to: now, clamped };
}

const STEP: Record<Granularity, number> = { minute: MINUTE, hour: HOUR, day: DAY, month: 31 * DAY };

/** The finest granularity whose bucket count for the window stays small (a chart's worth). */
export function autoGranularity(w: Window): Granularity {
  const span = w.to - w.from;
  if (span <= 2 * HOUR) return "minute";
  if (span <= 3 * DAY) return "hour";
  return "day";
}

/** Totals need no fine buckets: the coarsest table whose bucket edge costs at most ~1% of the window. */
export function totalsGranularity(w: Window): Granularity {
  const span = w.to - w.from;
  if (span <= 6 * HOUR) return "minute";
  if (span <= 30 * DAY) return "hour";
  return "day";
}

export function bucketStart(t: number, g: Granularity): number {
  if (g === "month") {
    const d = new Date(t);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  }
  return Math.floor(t / STEP[g]) * STEP[g];
}

function nextBucket(t: number, g: Granularity): number {
  if (g === "month") {
    const d = new Date(t);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  }
  return t + STEP[g];
}

/** WHERE on an aggregated table's bucket `time`, from the window's start rounded down to the bucket. */
function since(w: Window, g: Granularity): string {
  return `time >= fromUnixTimestamp64Milli(toInt64(${bucketStart(w.from, g)}))`;
}

export interface VerificationFilter {
  keyId?: string;
  externalId?: string;
  /** An API's key space id (key_space_id). */
  keySpaceId?: string;
}

function filters(f: VerificationFilter): string {
  const parts: string[] = [];
  if (f.keyId) parts.push(`key_id = ${sqlString("keyId", f.keyId)}`);
  if (f.externalId) parts.push(`external_id = ${sqlString("externalId", f.externalId)}`);
  if (f.keySpaceId) parts.push(`key_space_id = ${sqlString("keySpaceId", f.keySpaceId)}`);
  return parts.map((p) => ` AND ${p}`).join("");
}

const table = (g: Granularity): string => `key_verifications_per_${g}_v1`;

export function usageSummarySql(w: Window, f: VerificationFilter): { sql: string; granularity: Granularity } {
  const g = totalsGranularity(w);
  return {
    granularity: g,
    sql: `SELECT outcome, SUM(count) AS verifications, SUM(spent_credits) AS spent_credits FROM ${table(g)} WHERE ${since(w, g)}${filters(f)} GROUP BY outcome ORDER BY verifications DESC`,
  };
}

export type TopBy = "key" | "external_id";

export function topSql(w: Window, by: TopBy, limit: number, f: VerificationFilter): { sql: string; granularity: Granularity } {
  const g = totalsGranularity(w);
  const col = by === "key" ? "key_id" : "external_id";
  const n = Math.max(1, Math.min(100, Math.trunc(limit)));
  const skipEmpty = by === "external_id" ? " AND external_id != ''" : "";
  return {
    granularity: g,
    sql:
      `SELECT ${col}, SUM(count) AS verifications, sumIf(count, outcome = 'VALID') AS valid, SUM(spent_credits) AS spent_credits ` +
      `FROM ${table(g)} WHERE ${since(w, g)}${skipEmpty}${filters(f)} GROUP BY ${col} ORDER BY verifications DESC, ${col} LIMIT ${n}`,
  };
}

/** The requested granularity, or the next coarser one while the window would need too many buckets. */
export function fitGranularity(w: Window, wanted: Granularity): Granularity {
  let i = GRANULARITIES.indexOf(wanted);
  while (i < GRANULARITIES.length - 1 && countBuckets(w, GRANULARITIES[i]!) > MAX_BUCKETS) i++;
  return GRANULARITIES[i]!;
}

export function timeSeriesSql(w: Window, g: Granularity, f: VerificationFilter): string {
  return (
    `SELECT time, SUM(count) AS total, sumIf(count, outcome = 'VALID') AS valid, sumIf(count, outcome = 'RATE_LIMITED') AS rate_limited ` +
    `FROM ${table(g)} WHERE ${since(w, g)}${filters(f)} GROUP BY time ORDER BY time`
  );
}

export function countBuckets(w: Window, g: Granularity): number {
  if (g === "month") {
    const a = new Date(w.from);
    const b = new Date(w.to);
    return (b.getUTCFullYear() - a.getUTCFullYear()) * 12 + b.getUTCMonth() - a.getUTCMonth() + 1;
  }
  return Math.floor(w.to / STEP[g]) - Math.floor(w.from / STEP[g]) + 1;
}

export interface RatelimitFilter {
  namespaceId?: string;
  identifier?: string;
}

export function ratelimitSql(w: Window, f: RatelimitFilter): { sql: string; granularity: Granularity } {
  const g = totalsGranularity(w);
  const where = [since(w, g)];
  if (f.namespaceId) where.push(`namespace_id = ${sqlString("namespaceId", f.namespaceId)}`);
  if (f.identifier) where.push(`identifier = ${sqlString("identifier", f.identifier)}`);
  return {
    granularity: g,
    sql:
      `SELECT namespace_id, identifier, SUM(passed) AS passed, SUM(total) - SUM(passed) AS denied, SUM(total) AS total ` +
      `FROM ratelimits_per_${g}_v1 WHERE ${where.join(" AND ")} GROUP BY namespace_id, identifier ORDER BY denied DESC, total DESC, identifier LIMIT 100`,
  };
}

// ---------------------------------------------------------------------------------------------
// Rows → figures → one paragraph

type Row = Record<string, unknown>;

function num(v: unknown): number {
  const n = typeof v === "number" ? v : Number(v);
  return Number.isFinite(n) ? n : 0;
}

const pct = (part: number, whole: number): string => (whole === 0 ? "0%" : `${Math.round((part / whole) * 1000) / 10}%`);

export function describeWindow(w: Window, g: Granularity): string {
  const from = new Date(bucketStart(w.from, g)).toISOString().replace(":00.000Z", "Z");
  return `since ${from} (${g} buckets)${w.clamped ? ", cut to the 90-day retention" : ""}`;
}

export interface UsageSummary {
  total: number;
  valid: number;
  spentCredits: number;
  byOutcome: Record<string, number>;
}

export function summariseUsage(rows: readonly Row[], w: Window, g: Granularity): { data: UsageSummary; summary: string } {
  const byOutcome: Record<string, number> = {};
  let total = 0;
  let spentCredits = 0;
  for (const r of rows) {
    const n = num(r.verifications);
    byOutcome[String(r.outcome)] = n;
    total += n;
    spentCredits += num(r.spent_credits);
  }
  const valid = byOutcome.VALID ?? 0;
  const others = Object.entries(byOutcome)
    .filter(([o]) => o !== "VALID")
    .sort((a, b) => b[1] - a[1])
    .map(([o, n]) => `${n} ${o}`);
  const summary =
    total === 0
      ? `No verifications ${describeWindow(w, g)}.`
      : `${total} verifications ${describeWindow(w, g)}: ${valid} VALID (${pct(valid, total)})` +
        `${others.length > 0 ? `, ${others.join(", ")}` : ""}; ${spentCredits} credits spent.`;
  return { data: { total, valid, spentCredits, byOutcome }, summary };
}

export function summariseTop(rows: readonly Row[], by: TopBy, w: Window, g: Granularity): { data: Row[]; summary: string } {
  const col = by === "key" ? "key_id" : "external_id";
  const data = rows.map((r) => ({ [col]: r[col], verifications: num(r.verifications), valid: num(r.valid), spentCredits: num(r.spent_credits) }));
  if (data.length === 0) return { data, summary: `No verifications ${describeWindow(w, g)}.` };
  const head = data
    .slice(0, 3)
    .map((r) => `${String(r[col])} (${r.verifications}, ${pct(r.valid, r.verifications)} valid)`)
    .join(", ");
  return {
    data,
    summary: `Top ${data.length} ${by === "key" ? "keys" : "external ids"} by verifications ${describeWindow(w, g)}: ${head}${data.length > 3 ? ", …" : ""}.`,
  };
}

export interface SeriesPoint {
  time: string;
  total: number;
  valid: number;
  rateLimited: number;
  other: number;
}

/** Bucket `time` as the API returns it ("2024-01-20" or "2024-01-20 09:00:00") → unix ms. */
function bucketMs(v: unknown): number {
  const s = String(v);
  return Date.parse(s.length === 10 ? `${s}T00:00:00Z` : `${s.replace(" ", "T")}Z`);
}

/** Every bucket of the window, empty ones as zeros (what WITH FILL would give). */
export function fillSeries(rows: readonly Row[], w: Window, g: Granularity): SeriesPoint[] {
  const byTime = new Map<number, Row>();
  for (const r of rows) byTime.set(bucketMs(r.time), r);
  const out: SeriesPoint[] = [];
  for (let t = bucketStart(w.from, g); t <= w.to; t = nextBucket(t, g)) {
    const r = byTime.get(t);
    const total = num(r?.total);
    const valid = num(r?.valid);
    const rateLimited = num(r?.rate_limited);
    out.push({ time: new Date(t).toISOString(), total, valid, rateLimited, other: total - valid - rateLimited });
  }
  return out;
}

export function summariseSeries(points: readonly SeriesPoint[], w: Window, g: Granularity): string {
  const total = points.reduce((s, p) => s + p.total, 0);
  if (total === 0) return `No verifications ${describeWindow(w, g)}; ${points.length} empty buckets.`;
  const peak = points.reduce((a, b) => (b.total > a.total ? b : a));
  const valid = points.reduce((s, p) => s + p.valid, 0);
  const limited = points.reduce((s, p) => s + p.rateLimited, 0);
  const active = points.filter((p) => p.total > 0).length;
  return (
    `${total} verifications in ${points.length} ${g} buckets ${describeWindow(w, g).replace(/ \(\w+ buckets\)/, "")}: ` +
    `${pct(valid, total)} VALID, ${limited} RATE_LIMITED; ${active} ${active === 1 ? "bucket" : "buckets"} had traffic; peak ${peak.total} at ${peak.time}.`
  );
}

export interface RatelimitRow {
  namespaceId: string;
  identifier: string;
  passed: number;
  denied: number;
  total: number;
}

export function summariseRatelimits(rows: readonly Row[], w: Window, g: Granularity, f: RatelimitFilter): { data: RatelimitRow[]; summary: string } {
  const data = rows.map((r) => ({
    namespaceId: String(r.namespace_id),
    identifier: String(r.identifier),
    passed: num(r.passed),
    denied: num(r.denied),
    total: num(r.total),
  }));
  const total = data.reduce((s, r) => s + r.total, 0);
  const denied = data.reduce((s, r) => s + r.denied, 0);
  const subject = f.identifier ? `identifier ${f.identifier}` : f.namespaceId ? `namespace ${f.namespaceId}` : "all namespaces";
  if (total === 0) return { data, summary: `No rate-limit checks for ${subject} ${describeWindow(w, g)}.` };
  const worst = data
    .filter((r) => r.denied > 0)
    .slice(0, 3)
    .map((r) => `${r.identifier} ${r.denied}/${r.total}`);
  return {
    data,
    summary:
      `${total} rate-limit checks for ${subject} ${describeWindow(w, g)}: ${total - denied} passed, ${denied} denied (${pct(denied, total)}).` +
      (worst.length > 0 ? ` Most denied: ${worst.join(", ")}.` : " Nothing was denied."),
  };
}
