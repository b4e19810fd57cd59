/**
 * analytics.getVerifications / analytics.getRatelimits on the local API, over real HTTP, against
 * history recorded by real verifyKey and ratelimit.limit calls (X-Test-Time). Every query on
 * Unkey's "Query examples" page runs, and its answer is checked against figures computed here in
 * plain JS from the recorded facts, never with the same SQL. Then the restrictions: statement type,
 * tables, functions, SETTINGS, size, retention, the 422 limits, and scoping (workspace, API,
 * namespace) that no UNION, subquery or CTE gets around.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { createLocalApi } from "../../src/local/server.js";
import { ANALYTICS_FILE_NAME } from "../../src/local/analytics/index.js";
import { startHarness, type Harness, type RawResponse } from "./local-verify-support.js";
import { buildFixture, DAY, HOUR, NOW, type Fixture, type VerificationFact } from "./analytics-fixture.js";
import { QUERY_EXAMPLES as Q } from "./analytics-examples.js";

let h: Harness;
let f: Fixture;
type Row = Record<string, unknown>;

const lookup = (hh: Harness) => ({
  keySpaceOf: (id: string) => hh.api.store.get<{ key_space_id: string }>("SELECT key_space_id FROM apis WHERE id = ?", id)!.key_space_id,
  namespaceIdOf: (name: string) => hh.api.store.get<{ id: string }>("SELECT id FROM ratelimit_namespaces WHERE name = ?", name)!.id,
});

beforeAll(async () => {
  h = await startHarness({ start: NOW });
  f = await buildFixture((op, body, time) => h.post(op, body, { time }), lookup(h));
  // Another workspace's history, in the same key space id even: it must never show up.
  await h.api.analytics.insertVerifications(
    f.verifications.map((v, i) => ({
      requestId: `req_foreign_${i}`,
      time: v.time,
      workspaceId: "ws_foreign",
      keySpaceId: v.keySpaceId,
      identityId: "",
      externalId: "foreign_user",
      keyId: "key_foreign",
      region: "local",
      outcome: "VALID",
      tags: ["path=/api/v1/users"],
      spentCredits: 1000,
      latency: 0,
    })),
  );
}, 60_000);
afterAll(async () => {
  await h?.close();
});

/** The two analytics operations a query can go to. */
type AnalyticsOp = "analytics.getVerifications" | "analytics.getRatelimits";

async function query(sql: string, opts: { rootKey?: string; op?: AnalyticsOp } = {}): Promise<RawResponse<AnalyticsOp>> {
  return h.post(opts.op ?? "analytics.getVerifications", { query: sql }, { rootKey: opts.rootKey, time: NOW });
}

async function rows(sql: string, opts: { rootKey?: string; op?: AnalyticsOp } = {}): Promise<Row[]> {
  const r = await query(sql, opts);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.data as Row[];
}

async function rejected(sql: string, status: number, code: string, opts: { rootKey?: string; op?: AnalyticsOp } = {}): Promise<string> {
  const r = await query(sql, opts);
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  expect(r.body.error.type).toBe(`https://unkey.com/docs/errors/${code}`);
  expect(r.body.data).toBeUndefined();
  return r.body.error.detail as string;
}

// ---- independent expectations over the recorded facts ----
const retained = (): VerificationFact[] => f.verifications.filter((v) => v.time >= NOW - 90 * DAY);
const dayStart = (t: number): number => Math.floor(t / DAY) * DAY;
const hourStart = (t: number): number => Math.floor(t / HOUR) * HOUR;
const isoDate = (t: number): string => new Date(t).toISOString().slice(0, 10);
const isoHour = (t: number): string => new Date(t).toISOString().slice(0, 19).replace("T", " ");
/** Day buckets (`time` is the bucket's midnight) at or after `now - n days`. */
const dayBucketsSince = (n: number): VerificationFact[] => retained().filter((v) => dayStart(v.time) >= NOW - n * DAY);
const rawSince = (ms: number): VerificationFact[] => retained().filter((v) => v.time >= ms);

function tally<K extends string>(list: VerificationFact[], key: (v: VerificationFact) => K, value: (v: VerificationFact) => number = () => 1): Map<K, number> {
  const m = new Map<K, number>();
  for (const v of list) m.set(key(v), (m.get(key(v)) ?? 0) + value(v));
  return m;
}
const ok = (v: VerificationFact): number => (v.outcome === "VALID" ? 1 : 0);
const limited = (v: VerificationFact): number => (v.outcome === "RATE_LIMITED" ? 1 : 0);
const byKeyDesc = (k: string) => (a: Row, b: Row) => (b[k] as number) - (a[k] as number) || JSON.stringify(a).localeCompare(JSON.stringify(b));

describe("the fixture", () => {
  it("has the outcomes the examples need, and history on both sides of every window", () => {
    const outcomes = new Set(f.verifications.map((v) => v.outcome));
    expect(outcomes).toEqual(new Set(["VALID", "RATE_LIMITED"]));
    expect(f.verifications.some((v) => v.time < NOW - 90 * DAY)).toBe(true);
    expect(f.verifications.some((v) => v.time < NOW - 30 * DAY && v.time >= NOW - 90 * DAY)).toBe(true);
    expect(f.verifications.some((v) => v.time >= NOW - 24 * HOUR)).toBe(true);
  });
});

describe("every documented example query returns the right numbers", () => {
  it("usage: totals, outcomes, trends", async () => {
    expect(await rows(Q.total_7d_raw)).toEqual([{ total: rawSince(NOW - 7 * DAY).length }]);
    expect(await rows(Q.total_7d)).toEqual([{ total_verifications: dayBucketsSince(7).length }]);
    const byOutcome = [...tally(dayBucketsSince(30), (v) => v.outcome)].map(([outcome, count]) => ({ outcome, count })).sort(byKeyDesc("count"));
    expect(await rows(Q.by_outcome)).toEqual(byOutcome);

    const m30 = tally(dayBucketsSince(30), (v) => v.outcome);
    const pivot = (m: Map<string, number>, total: number): Row => ({
      valid: m.get("VALID") ?? 0,
      rateLimited: m.get("RATE_LIMITED") ?? 0,
      invalid: 0,
      notFound: 0,
      forbidden: 0,
      usageExceeded: 0,
      unauthorized: 0,
      disabled: 0,
      insufficientPermissions: 0,
      expired: 0,
      total,
    });
    expect(await rows(Q.outcomes_one_row)).toEqual([pivot(m30, dayBucketsSince(30).length)]);
    const perKey = [...new Set(dayBucketsSince(30).map((v) => v.keyId))].map((keyId) => {
      const mine = dayBucketsSince(30).filter((v) => v.keyId === keyId);
      return {
        key_id: keyId,
        ...pivot(
          tally(mine, (v) => v.outcome),
          mine.length,
        ),
      };
    });
    expect((await rows(Q.outcomes_per_key)).sort(byKeyDesc("total"))).toEqual(perKey.sort(byKeyDesc("total")));

    const daily = [...tally(dayBucketsSince(30), (v) => isoDate(v.time))].sort().map(([date, verifications]) => ({ date, verifications }));
    expect(await rows(Q.daily_trend)).toEqual(daily);
    const today = retained().filter((v) => hourStart(v.time) >= dayStart(NOW));
    const hourly = [...tally(today, (v) => `${isoHour(hourStart(v.time))}|${v.outcome}`)]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, verifications]) => ({ hour: k.split("|")[0], outcome: k.split("|")[1], verifications }));
    expect(hourly.length).toBeGreaterThan(1);
    expect(await rows(Q.hourly_today)).toEqual(hourly);
  });

  it("by user", async () => {
    const users = dayBucketsSince(30).filter((v) => v.externalId !== "");
    const ranked = [...new Set(users.map((v) => v.externalId))]
      .map((id) => {
        const mine = users.filter((v) => v.externalId === id);
        return { external_id: id, total_verifications: mine.length, successful: mine.filter(ok).length, rate_limited: mine.filter(limited).length };
      })
      .sort(byKeyDesc("total_verifications"));
    expect(await rows(Q.users_ranked)).toEqual(ranked);
    expect(await rows(Q.top_users)).toEqual(ranked.map(({ external_id, total_verifications }) => ({ external_id, total_verifications })));
    const u = ranked.find((r) => r.external_id === "user_123")!;
    expect(await rows(Q.user_123)).toEqual([{ total_verifications: u.total_verifications, successful: u.successful, rate_limited: u.rate_limited }]);
    const perUserDay = [...tally(dayBucketsSince(30), (v) => `${v.externalId}|${isoDate(v.time)}`)]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, verifications]) => ({ external_id: k.split("|")[0], date: k.split("|")[1], verifications }));
    expect(await rows(Q.daily_per_user)).toEqual(perUserDay);
  });

  it("by key space and by key", async () => {
    const d30 = dayBucketsSince(30);
    const perKs = [...new Set(d30.map((v) => v.keySpaceId))]
      .map((ks) => ({
        key_space_id: ks,
        total_verifications: d30.filter((v) => v.keySpaceId === ks).length,
        successful: d30.filter((v) => v.keySpaceId === ks && ok(v)).length,
      }))
      .sort(byKeyDesc("total_verifications"));
    expect(await rows(Q.per_keyspace)).toEqual(perKs);
    const a = d30.filter((v) => v.keySpaceId === f.apiA.keySpaceId);
    expect(await rows(Q.one_keyspace.replace("ks_1234", f.apiA.keySpaceId))).toEqual([
      { total_verifications: a.length, successful: a.filter(ok).length, rate_limited: a.filter(limited).length, invalid: 0 },
    ]);
    const d7 = dayBucketsSince(7);
    const compare = [f.apiA.keySpaceId, f.apiB.keySpaceId].map((ks) => {
      const mine = d7.filter((v) => v.keySpaceId === ks);
      return { key_space_id: ks, verifications: mine.length, success_rate: Math.round((mine.filter(ok).length / mine.length) * 10000) / 100 };
    });
    const sql = Q.compare_keyspaces.replace("ks_1234", f.apiA.keySpaceId).replace("ks_5678", f.apiB.keySpaceId);
    expect((await rows(sql)).sort(byKeyDesc("verifications"))).toEqual(compare.sort(byKeyDesc("verifications")));
    expect(compare.some((c) => c.success_rate < 100)).toBe(true);

    const perKey = [...new Set(d30.map((v) => v.keyId))]
      .map((k) => ({ key_id: k, total_verifications: d30.filter((v) => v.keyId === k).length, successful: d30.filter((v) => v.keyId === k && ok(v)).length }))
      .sort(byKeyDesc("total_verifications"));
    expect(await rows(Q.per_key)).toEqual(perKey);
    const k2 = d30.filter((v) => v.keyId === f.k2);
    expect(await rows(Q.one_key.replace("key_1234", f.k2))).toEqual([
      { total_verifications: k2.length, successful: k2.filter(ok).length, rate_limited: k2.filter(limited).length },
    ]);
    const errors = dayBucketsSince(7).filter((v) => v.outcome !== "VALID");
    const mostErrors = [...tally(errors, (v) => v.keyId)].map(([key_id, total_errors]) => ({
      key_id,
      total_errors,
      error_types: [...new Set(errors.filter((v) => v.keyId === key_id).map((v) => v.outcome))].sort(),
    }));
    expect(mostErrors.length).toBeGreaterThan(0);
    const got = (await rows(Q.keys_most_errors)).map((r) => ({ ...r, error_types: (r.error_types as string[]).sort() }));
    expect(got).toEqual(mostErrors.sort(byKeyDesc("total_errors")));
  });

  it("by tag, including arrayJoin over the raw and the aggregated tables", async () => {
    const d7 = dayBucketsSince(7);
    expect(await rows(Q.tag_single)).toEqual([{ total: d7.filter((v) => v.tags.includes("path=/api/v1/users")).length }]);
    expect(await rows(Q.tag_any)).toEqual([{ total: d7.filter((v) => v.tags.some((t) => t === "path=/api/v1/users" || t === "path=/api/v1/posts")).length }]);
    expect(await rows(Q.tag_all)).toEqual([{ total: d7.filter((v) => v.tags.includes("environment=production") && v.tags.includes("team=backend")).length }]);
    const perTag = new Map<string, number>();
    for (const v of d7) for (const t of v.tags) perTag.set(t, (perTag.get(t) ?? 0) + 1);
    const tags = [...perTag].map(([tag, verifications]) => ({ tag, verifications })).sort(byKeyDesc("verifications"));
    expect((await rows(Q.group_by_tag)).sort(byKeyDesc("verifications"))).toEqual(tags);
    const endpoints = new Map<string, number>();
    for (const v of rawSince(NOW - 24 * HOUR)) for (const t of v.tags) if (t.startsWith("path=")) endpoints.set(t, (endpoints.get(t) ?? 0) + 1);
    const expected = [...endpoints].map(([endpoint, requests]) => ({ endpoint, requests })).sort(byKeyDesc("requests"));
    expect(expected.length).toBeGreaterThan(0);
    expect((await rows(Q.endpoint_raw)).sort(byKeyDesc("requests"))).toEqual(expected);
  });

  it("billing: credits per user and period, tiers, daily cost", async () => {
    const month = retained().filter((v) => dayStart(v.time) >= Date.UTC(2024, 0, 1) && v.externalId !== "");
    const credits = [
      ...tally(
        month,
        (v) => v.externalId,
        (v) => v.spentCredits,
      ),
    ]
      .map(([external_id, total_credits]) => ({ external_id, month: "2024-01-01", total_credits }))
      .sort(byKeyDesc("total_credits"));
    expect(await rows(Q.monthly_credits)).toEqual(credits);
    const u123 = retained().filter((v) => v.externalId === "user_123");
    const jan = u123.filter((v) => v.time >= Date.UTC(2024, 0, 1) && v.time < Date.UTC(2024, 1, 1)).reduce((s, v) => s + v.spentCredits, 0);
    expect(jan).toBeGreaterThan(0);
    expect(await rows(Q.billing_period)).toEqual([{ external_id: "user_123", credits_this_period: jan }]);
    expect(await rows(Q.credit_tier)).toEqual([{ external_id: "user_123", total_credits: jan, tier: jan <= 1000 ? "free" : "starter" }]);
    const daily = [
      ...tally(
        u123.filter((v) => dayStart(v.time) >= NOW - 30 * DAY),
        (v) => isoDate(v.time),
        (v) => v.spentCredits,
      ),
    ].sort();
    const got = await rows(Q.daily_credits);
    expect(got.map((r) => [r.date, r.credits_used])).toEqual(daily);
    for (const r of got) expect(r.estimated_cost).toBeCloseTo((r.credits_used as number) * 0.001, 9);
  });

  it("advanced: cohort join over a CTE, and a window-function moving average", async () => {
    const withUser = retained().filter((v) => v.externalId !== "");
    const first = new Map<string, number>();
    for (const v of withUser) first.set(v.externalId, Math.min(first.get(v.externalId) ?? Infinity, dayStart(v.time)));
    const cohort = new Map<string, { new_users: number; returning_users: number }>();
    for (const v of withUser.filter((x) => dayStart(x.time) >= NOW - 30 * DAY)) {
      const c = cohort.get(isoDate(v.time)) ?? { new_users: 0, returning_users: 0 };
      if (dayStart(v.time) === first.get(v.externalId)) c.new_users++;
      else c.returning_users++;
      cohort.set(isoDate(v.time), c);
    }
    expect(await rows(Q.cohort)).toEqual([...cohort].sort().map(([date, c]) => ({ date, ...c })));

    const perDay = [...tally(dayBucketsSince(60), (v) => isoDate(v.time))].sort();
    const got = await rows(Q.moving_average);
    expect(got.map((r) => [r.date, r.verifications])).toEqual(perDay);
    perDay.forEach(([, _n], i) => {
      const window = perDay.slice(Math.max(0, i - 6), i + 1).map(([, n]) => n);
      expect(got[i]!.moving_avg_7d).toBeCloseTo(window.reduce((s, n) => s + n, 0) / window.length, 9);
    });
  });

  it("aggregated tables by hour and by day", async () => {
    const hours = retained().filter((v) => hourStart(v.time) >= hourStart(NOW - 7 * DAY));
    expect(await rows(Q.hourly_7d)).toEqual([...tally(hours, (v) => isoHour(hourStart(v.time)))].sort().map(([time, total]) => ({ time, total })));
    const days = retained().filter((v) => dayStart(v.time) >= dayStart(NOW - 30 * DAY));
    expect(await rows(Q.daily_30d)).toEqual([...tally(days, (v) => isoDate(v.time))].sort().map(([time, total]) => ({ time, total })));
  });

  it("the 12-month query reaches past the 90-day retention and says so", async () => {
    const detail = await rejected(Q.monthly_12m, 400, "user/bad_request/query_range_exceeds_retention");
    expect(detail).toContain("90-day retention");
  });

  it("WITH FILL (ClickHouse-only) fails with a clear invalid_analytics_query", async () => {
    for (const sql of [Q.fill_hourly, Q.fill_daily, Q.fill_monthly, Q.fill_pivot]) {
      expect(await rejected(sql, 400, "user/bad_request/invalid_analytics_query")).toContain("WITH FILL");
    }
  });
});

describe("aggregates agree with the raw rows, and the test clock is now()", () => {
  it("every per-* table sums to the raw count, per key", async () => {
    const raw = await rows("SELECT key_id, count(*) AS n, sum(spent_credits) AS c FROM key_verifications_v1 GROUP BY key_id ORDER BY key_id");
    for (const g of ["minute", "hour", "day"]) {
      const agg = await rows(`SELECT key_id, sum(count) AS n, sum(spent_credits) AS c FROM key_verifications_per_${g}_v1 GROUP BY key_id ORDER BY key_id`);
      expect(agg, g).toEqual(raw);
    }
    expect(raw.reduce((s, r) => s + (r.n as number), 0)).toBe(retained().length);
    // A month bucket straddles the retention cutoff, so compare whole months.
    const since = "toStartOfMonth(now() - INTERVAL 1 MONTH)";
    const rawMonths = await rows(`SELECT key_id, count(*) AS n FROM key_verifications_v1 WHERE time >= ${since} GROUP BY key_id ORDER BY key_id`);
    const months = await rows(`SELECT key_id, sum(count) AS n FROM key_verifications_per_month_v1 WHERE time >= ${since} GROUP BY key_id ORDER BY key_id`);
    expect(months).toEqual(rawMonths);
    expect(months.length).toBeGreaterThan(1);
  });

  it("now() and today() are the request's X-Test-Time", async () => {
    expect(await rows("SELECT now() AS n, today() AS d, toUnixTimestamp64Milli(now()) AS ms")).toEqual([
      { n: "2024-01-20 12:00:00", d: "2024-01-20", ms: NOW },
    ]);
  });

  it("ratelimits_v1 and its aggregates hold every check", async () => {
    const op = "analytics.getRatelimits";
    const expected = ["user_a", "user_b"].map((id) => {
      const mine = f.ratelimits.filter((r) => r.identifier === id);
      return { identifier: id, passed: mine.filter((r) => r.passed).length, total: mine.length };
    });
    expect(expected[0]!.passed).toBeLessThan(expected[0]!.total);
    expect(
      await rows("SELECT identifier, countIf(passed) AS passed, count(*) AS total FROM ratelimits_v1 GROUP BY identifier ORDER BY identifier", { op }),
    ).toEqual(expected);
    for (const g of ["minute", "hour", "day", "month"]) {
      const sql = `SELECT identifier, sum(passed) AS passed, sum(total) AS total FROM ratelimits_per_${g}_v1 GROUP BY identifier ORDER BY identifier`;
      expect(await rows(sql, { op }), g).toEqual(expected);
    }
  });
});

describe("restrictions", () => {
  it("refuses writes and other statements with invalid_analytics_query_type, and writes nothing", async () => {
    const before = await rows("SELECT count(*) AS n FROM key_verifications_v1");
    for (const sql of [
      "INSERT INTO key_verifications_v1 (request_id) VALUES ('x')",
      "UPDATE key_verifications_v1 SET outcome = 'VALID'",
      "DELETE FROM key_verifications_v1",
      "DROP TABLE key_verifications_v1",
      "CREATE TABLE t AS SELECT 1",
      "ATTACH '/tmp/x.db'",
      "PRAGMA database_list",
    ]) {
      expect(await rejected(sql, 400, "user/bad_request/invalid_analytics_query_type")).toMatch(/Only SELECT queries are allowed/);
    }
    expect(await rows("SELECT count(*) AS n FROM key_verifications_v1")).toEqual(before);
  });

  it("refuses tables that are not documented, naming them", async () => {
    expect(await rejected("SELECT * FROM system.tables", 400, "user/bad_request/invalid_analytics_table")).toContain("'system.tables'");
    expect(await rejected("SELECT * FROM information_schema.tables", 400, "user/bad_request/invalid_analytics_table")).toContain("'information_schema.tables'");
    expect(await rejected("SELECT * FROM unkey_store.kv_raw", 400, "user/bad_request/invalid_analytics_table")).toContain("'unkey_store.kv_raw'");
    expect(await rejected("SELECT * FROM duckdb_tables", 400, "user/bad_request/invalid_analytics_table")).toContain("'duckdb_tables'");
    expect(await rejected("SELECT * FROM key_verification", 400, "user/bad_request/invalid_analytics_table")).toContain("key_verifications_v1");
    // A CTE name is only a table inside its own query.
    const cteEscape = "SELECT 1 AS x FROM (WITH duckdb_tables AS (SELECT 1) SELECT 1) UNION ALL SELECT 1 FROM duckdb_tables";
    expect(await rejected(cteEscape, 400, "user/bad_request/invalid_analytics_table")).toContain("'duckdb_tables'");
    const wrongOp = await rejected("SELECT count(*) FROM ratelimits_v1", 400, "user/bad_request/invalid_analytics_table");
    expect(wrongOp).toContain("analytics.getRatelimits");
  });

  it("refuses functions off the allow-list, table functions included, naming them", async () => {
    expect(await rejected("SELECT file('/etc/passwd') FROM key_verifications_v1", 400, "user/bad_request/invalid_analytics_function")).toContain(
      "Function 'file'",
    );
    expect(await rejected("SELECT * FROM file('/etc/passwd')", 400, "user/bad_request/invalid_analytics_function")).toContain("'file'");
    expect(await rejected("SELECT * FROM read_csv('/etc/passwd')", 400, "user/bad_request/invalid_analytics_function")).toContain("'read_csv'");
    expect(await rejected("SELECT md5(key_id) FROM key_verifications_v1", 400, "user/bad_request/invalid_analytics_function")).toContain("'md5'");
    expect(await rejected("SELECT getenv('HOME')", 400, "user/bad_request/invalid_analytics_function")).toContain("'getenv'");
  });

  it("refuses a second statement, SETTINGS, parameters, oversize and overcomplex queries", async () => {
    expect(await rejected("SELECT 1; SELECT 2", 400, "user/bad_request/invalid_analytics_query")).toContain("2 statements");
    expect(await rejected("SELECT 1; DROP TABLE key_verifications_v1", 400, "user/bad_request/invalid_analytics_query")).toContain("2 statements");
    expect(await rejected("SELECT count(*) FROM key_verifications_v1 SETTINGS max_threads = 1", 400, "user/bad_request/invalid_analytics_query")).toContain(
      "SETTINGS",
    );
    expect(await rejected("SELECT $1", 400, "user/bad_request/invalid_analytics_query")).toContain("parameters");
    expect(await rejected(`SELECT '${"x".repeat(17 * 1024)}'`, 400, "user/bad_request/invalid_analytics_query")).toContain("16 KiB");
    expect(await rejected(`SELECT ${Array(2100).fill("1").join("+")}`, 400, "user/bad_request/invalid_analytics_query")).toContain("too complex");
    const longIn = `SELECT count(*) FROM key_verifications_v1 WHERE key_id IN (${Array.from({ length: 2100 }, (_, i) => `'k${i}'`).join(",")})`;
    expect(longIn.length).toBeLessThan(16 * 1024);
    expect(await rejected(longIn, 400, "user/bad_request/invalid_analytics_query")).toContain("more than 2000 syntax nodes");
    expect(await rejected("SELEC 1", 400, "user/bad_request/invalid_analytics_query")).toContain("Syntax error");
    // Deep nesting is refused before DuckDB binds it (990 levels once took 47 s of CPU, uninterruptible).
    const deep = `SELECT ${"floor(".repeat(200)}1${")".repeat(200)} AS x`;
    expect(await rejected(deep, 400, "user/bad_request/invalid_analytics_query")).toContain("nested too deeply");
    expect(await rows(`SELECT ${"floor(".repeat(50)}1${")".repeat(50)} AS x`)).toEqual([{ x: 1 }]);
  });

  it("refuses a lower time bound older than the 90-day retention, on raw and aggregated tables", async () => {
    await rejected("SELECT count(*) FROM key_verifications_v1 WHERE time >= now() - INTERVAL 120 DAY", 400, "user/bad_request/query_range_exceeds_retention");
    await rejected("SELECT count(*) FROM key_verifications_v1 WHERE time > 1600000000000", 400, "user/bad_request/query_range_exceeds_retention");
    await rejected(
      "SELECT sum(count) FROM key_verifications_per_day_v1 WHERE time BETWEEN toDate('2023-01-01') AND now()",
      400,
      "user/bad_request/query_range_exceeds_retention",
    );
    // Exactly 90 days is fine, and history older than that is simply not there.
    expect(await rows("SELECT count(*) AS n FROM key_verifications_v1 WHERE time >= now() - INTERVAL 90 DAY")).toEqual([{ n: retained().length }]);
    expect(await rows("SELECT count(*) AS n FROM key_verifications_v1")).toEqual([{ n: retained().length }]);
  });

  it("never shows another workspace's rows, whatever the query says", async () => {
    expect(await rows("SELECT count(*) AS n FROM key_verifications_v1 WHERE workspace_id = 'ws_foreign'")).toEqual([{ n: 0 }]);
    expect(await rows("SELECT DISTINCT workspace_id FROM key_verifications_per_day_v1")).toEqual([{ workspace_id: h.api.workspaceId }]);
    const sneaky = [
      "SELECT external_id FROM key_verifications_v1 WHERE external_id = 'foreign_user' UNION ALL SELECT external_id FROM key_verifications_per_minute_v1 WHERE external_id = 'foreign_user'",
      "WITH all_rows AS (SELECT * FROM key_verifications_v1) SELECT external_id FROM all_rows WHERE external_id = 'foreign_user'",
      "SELECT external_id FROM (SELECT * FROM key_verifications_per_month_v1) WHERE external_id = 'foreign_user'",
    ];
    for (const sql of sneaky) expect(await rows(sql)).toEqual([]);
  });

  it("a root key limited to one API sees only that API, through UNION, subqueries and CTEs", async () => {
    const onlyA = h.rootKeyWith(`api.${f.apiA.id}.read_analytics`);
    const b = f.apiB.keySpaceId;
    const aCount = retained().filter((v) => v.apiId === f.apiA.id).length;
    expect(await rows("SELECT DISTINCT key_space_id FROM key_verifications_v1", { rootKey: onlyA })).toEqual([{ key_space_id: f.apiA.keySpaceId }]);
    expect(await rows("SELECT count(*) AS n FROM key_verifications_v1", { rootKey: onlyA })).toEqual([{ n: aCount }]);
    for (const sql of [
      `SELECT key_id FROM key_verifications_v1 WHERE key_space_id = '${b}' UNION ALL SELECT key_id FROM key_verifications_per_day_v1 WHERE key_space_id = '${b}'`,
      `SELECT key_id FROM (SELECT * FROM key_verifications_per_hour_v1 WHERE key_space_id = '${b}')`,
      `WITH x AS (SELECT * FROM key_verifications_per_minute_v1) SELECT key_id FROM x WHERE key_space_id = '${b}'`,
      `WITH key_verifications_v1 AS (SELECT * FROM key_verifications_v1) SELECT key_id FROM key_verifications_v1 WHERE key_space_id = '${b}'`,
      `SELECT k.key_id FROM key_verifications_v1 k JOIN key_verifications_per_day_v1 d ON k.key_id = d.key_id WHERE d.key_space_id = '${b}'`,
    ]) {
      expect(await rows(sql, { rootKey: onlyA }), sql).toEqual([]);
    }
    // The whole-workspace permission sees B.
    expect((await rows(`SELECT count(*) AS n FROM key_verifications_v1 WHERE key_space_id = '${b}'`))[0]!.n).toBeGreaterThan(0);
  });

  it("a star's relation cannot carry SQL: the query is refused and nothing runs (found in review)", async () => {
    // DuckDB writes `"…".*` back unquoted: these were a second statement and a cross-scope read.
    const onlyA = h.rootKeyWith(`api.${f.apiA.id}.read_analytics`);
    const rlOnly = h.rootKeyWith(`ratelimit.${f.namespaceId}.read_analytics`);
    const attempts: Array<[string, { rootKey?: string; op?: AnalyticsOp }]> = [
      [`SELECT "workspace_id, key_space_id FROM unkey_store.kv_raw ORDER BY 1 LIMIT 3 --".* FROM key_verifications_v1`, { rootKey: onlyA }],
      [`SELECT "count(*) AS n FROM unkey_store.kv_raw --".* FROM ratelimits_v1`, { rootKey: rlOnly, op: "analytics.getRatelimits" }],
      [`SELECT "1 AS x; CREATE TABLE main.pwned AS SELECT 1 AS v; --".* FROM key_verifications_v1`, {}],
      [`SELECT COLUMNS("k; DROP TABLE x --".*) FROM key_verifications_v1 AS k`, {}],
    ];
    for (const [sql, opts] of attempts)
      expect(await rejected(sql, 400, "user/bad_request/invalid_analytics_query", opts), sql).toContain(".* is not supported");
    expect(h.api.analytics.available).toBe(true);
    // A plain alias still works, and nothing was created.
    expect(await rows("SELECT k.* FROM key_verifications_v1 AS k LIMIT 1")).toHaveLength(1);
    await rejected("SELECT * FROM pwned", 400, "user/bad_request/invalid_analytics_table");
  });

  it("a result too big to bring into JavaScript is refused with 422 before it is converted (found in review)", async () => {
    // groupArray lists over a cross join: once enough to fill the heap and crash the process.
    const n = Number((await rows("SELECT count(*) AS n FROM key_verifications_v1"))[0]!.n);
    const columns = Math.min(64, Math.ceil(1_500_000 / n ** 3));
    expect(columns * n ** 3).toBeGreaterThan(1_000_000);
    const list = Array.from({ length: columns }, (_, i) => `groupArray(true) AS c${i}`).join(", ");
    const detail = await rejected(
      `SELECT ${list} FROM key_verifications_v1 x, key_verifications_v1 y, key_verifications_v1 z`,
      422,
      "user/unprocessable_entity/query_memory_limit_exceeded",
    );
    expect(detail).toContain("more than 1000000 values");
  });

  it("a root key limited to one namespace sees only that namespace", async () => {
    const op = "analytics.getRatelimits";
    const mine = h.rootKeyWith(`ratelimit.${f.namespaceId}.read_analytics`);
    const other = h.rootKeyWith("ratelimit.rlns_other.read_analytics");
    expect(await rows("SELECT count(*) AS n FROM ratelimits_v1", { op, rootKey: mine })).toEqual([{ n: f.ratelimits.length }]);
    expect(await rows("SELECT count(*) AS n FROM ratelimits_v1 UNION ALL SELECT sum(total) FROM ratelimits_per_day_v1", { op, rootKey: other })).toEqual([
      { n: 0 },
      { n: 0 },
    ]);
    expect((await query("SELECT 1", { op, rootKey: h.rootKeyWith(`api.${f.apiA.id}.read_analytics`) })).status).toBe(403);
  });
});

describe("limits: 422s, LIMIT clamp, errors that quote no rows", () => {
  let small: Harness;
  beforeAll(async () => {
    small = await startHarness({
      start: NOW,
      analyticsLimits: { maxResultRows: 5, maxRowsRead: 1_000, timeoutMs: 50, maxResultBytes: 300 },
    });
    const events = (n: number, ws: string) =>
      Array.from({ length: n }, (_, i) => ({
        requestId: `req_${ws}_${i}`,
        time: NOW - (i % 1000) * 60_000,
        workspaceId: ws,
        keySpaceId: "ks_bulk",
        identityId: "",
        externalId: `user_${i % 7}`,
        keyId: `key_${i % 13}`,
        region: "local",
        outcome: i % 5 === 0 ? "RATE_LIMITED" : "VALID",
        tags: [],
        spentCredits: 0,
        latency: 0,
      }));
    await small.api.analytics.insertVerifications(events(600, small.api.workspaceId));
    await small.api.analytics.insertVerifications(events(5_000, "ws_other"));
  });
  afterAll(async () => {
    await small?.close();
  });
  const q = (sql: string) => small.post("analytics.getVerifications", { query: sql }, { time: NOW });

  it("clamps LIMIT to the result-row limit", async () => {
    for (const sql of ["SELECT request_id FROM key_verifications_v1", "SELECT request_id FROM key_verifications_v1 LIMIT 100"]) {
      const r = await q(sql);
      expect(r.status).toBe(200);
      expect(r.body.data).toHaveLength(5);
    }
    expect((await q("SELECT request_id FROM key_verifications_v1 LIMIT 2")).body.data).toHaveLength(2);
    // A computed LIMIT cannot be clamped, so it is refused (it let 40,000 rows through a 10,000 clamp).
    for (const sql of ["SELECT request_id FROM key_verifications_v1 LIMIT 300000+0", "SELECT request_id FROM key_verifications_v1 LIMIT (SELECT 300000)"]) {
      const r = await q(sql);
      expect(r.status, sql).toBe(400);
      expect(r.body.error.detail).toContain("LIMIT must be a number");
    }
  });

  it("counts only the caller's rows toward the scan limit, and answers 422 past it", async () => {
    expect((await q("SELECT count(*) AS n FROM key_verifications_v1")).body.data).toEqual([{ n: 600 }]);
    const r = await q("SELECT count(*) AS n FROM key_verifications_v1 a JOIN key_verifications_per_minute_v1 b ON a.key_id = b.key_id");
    expect(r.status).toBe(422);
    expect(r.body.error.type).toBe("https://unkey.com/docs/errors/user/unprocessable_entity/query_rows_limit_exceeded");
  });

  it("interrupts a query past the timeout with 422 query_execution_timeout", async () => {
    const r = await q(
      "SELECT count(DISTINCT concat(a.request_id, b.request_id, c.request_id)) AS n FROM key_verifications_v1 a, key_verifications_v1 b, key_verifications_v1 c",
    );
    expect(r.status, JSON.stringify(r.body)).toBe(422);
    expect(r.body.error.type).toBe("https://unkey.com/docs/errors/user/unprocessable_entity/query_execution_timeout");
  });

  it("answers 422 query_memory_limit_exceeded for a result over the size limit", async () => {
    const r = await q("SELECT request_id, key_id, external_id, outcome, region FROM key_verifications_v1");
    expect(r.status).toBe(422);
    expect(r.body.error.type).toBe("https://unkey.com/docs/errors/user/unprocessable_entity/query_memory_limit_exceeded");
  });

  it("a failing conversion does not quote row values", async () => {
    const r = await q("SELECT toInt64(external_id) FROM key_verifications_v1");
    expect(r.status).toBe(400);
    expect(r.body.error.detail).not.toMatch(/user_\d/);
  });
});

describe("the official SDK and persistence", () => {
  it("@unkey/api runs both operations unchanged and validates the responses", async () => {
    const v = await h.unkey.analytics.getVerifications({ query: "SELECT outcome, count(*) AS n FROM key_verifications_v1 GROUP BY outcome ORDER BY outcome" });
    expect(v.data).toEqual([...tally(retained(), (x) => x.outcome)].sort().map(([outcome, n]) => ({ outcome, n })));
    const r = await h.unkey.analytics.getRatelimits({ query: "SELECT count(*) AS n FROM ratelimits_v1" });
    expect(r.data).toEqual([{ n: f.ratelimits.length }]);
  });

  it("--data-dir keeps the history in a DuckDB file beside the SQLite database", async () => {
    const dir = mkdtempSync(join(tmpdir(), "unkey-analytics-"));
    try {
      const first = await createLocalApi({ dataDir: dir, port: 0, testClock: true });
      const headers = { "content-type": "application/json", authorization: `Bearer ${first.rootKey}`, "x-test-time": String(NOW) };
      const call = async (url: string, op: string, body: unknown) =>
        (await (await fetch(`${url}/v2/${op}`, { method: "POST", headers, body: JSON.stringify(body) })).json()) as { data: Record<string, unknown> };
      const apiId = (await call(first.url, "apis.createApi", { name: "persist" })).data.apiId;
      const { key } = (await call(first.url, "keys.createKey", { apiId })).data;
      await call(first.url, "keys.verifyKey", { key });
      await first.close();
      expect(existsSync(join(dir, ANALYTICS_FILE_NAME))).toBe(true);
      const second = await createLocalApi({ dataDir: dir, port: 0, testClock: true, rootKey: first.rootKey });
      try {
        const got = await call(second.url, "analytics.getVerifications", {
          query: "SELECT count(*) AS n, sum(count) AS s FROM (SELECT 1 AS count FROM key_verifications_v1)",
        });
        expect(got.data).toEqual([{ n: 1, s: 1 }]);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("every recorded value reads back as sent, separators and empty tag lists included", async () => {
    // Events wait for a flush as separator-joined lines; an event holding a separator character
    // goes as JSON instead (analytics-roundtrip.test.ts checks every column of both). Each query
    // flushes first, so each batch below is one flush, the second mixing both ways.
    const api = await createLocalApi({ memory: true, port: 0, testClock: true });
    try {
      const call = async (op: string, body: unknown, time = NOW) => {
        const headers = { "content-type": "application/json", authorization: `Bearer ${api.rootKey}`, "x-test-time": String(time) };
        const res = await fetch(`${api.url}/v2/${op}`, { method: "POST", headers, body: JSON.stringify(body) });
        return ((await res.json()) as { data: Record<string, unknown> }).data;
      };
      const apiId = (await call("apis.createApi", { name: "separators" })).apiId;
      const { key, keyId } = await call("keys.createKey", { apiId, externalId: "user_sep", credits: { remaining: 10 } });
      const batches = [
        [[], ["a", "b=c"], ["path=/x"]],
        [["with\u001funit"], ["with\u001eitem", "z"], ["line\nbreak"], []],
      ];
      for (const [b, batch] of batches.entries()) {
        const time = NOW + b;
        for (const [i, tags] of batch.entries()) await call("keys.verifyKey", { key, tags, credits: { cost: i } }, time);
        const rows = await call("analytics.getVerifications", {
          query: `SELECT key_id, external_id, outcome, tags, spent_credits, time FROM key_verifications_v1 WHERE time = ${time} ORDER BY spent_credits`,
        });
        expect(rows).toEqual(batch.map((tags, i) => ({ key_id: keyId, external_id: "user_sep", outcome: "VALID", tags, spent_credits: i, time })));
      }
      const ratelimit = await call("ratelimit.limit", { namespace: "sep", identifier: "id\u001fwith\u001eseparators", limit: 5, duration: 60_000 });
      expect(ratelimit.success).toBe(true);
      const limits = await call("analytics.getRatelimits", { query: "SELECT identifier, passed FROM ratelimits_v1" });
      expect(limits).toEqual([{ identifier: "id\u001fwith\u001eseparators", passed: true }]);
    } finally {
      await api.close();
    }
  });

  it("events an earlier version left in its stage tables are moved into the history at start, once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "unkey-analytics-"));
    try {
      const first = await createLocalApi({ dataDir: dir, port: 0, testClock: true });
      const { workspaceId, rootKey } = first;
      await first.close();
      // The layout before flushes went through TEMP batch tables: a process that died between
      // staging and moving left its events in unkey_store.kv_stage / rl_stage.
      const file = join(dir, ANALYTICS_FILE_NAME);
      const db = await DuckDBInstance.create(file);
      const conn = await db.connect();
      await conn.run(`CREATE TABLE unkey_store.kv_stage (request_id VARCHAR, time BIGINT, workspace_id VARCHAR, key_space_id VARCHAR, identity_id VARCHAR,
        external_id VARCHAR, key_id VARCHAR, region VARCHAR, outcome VARCHAR, tags VARCHAR[], spent_credits BIGINT, latency DOUBLE);
        CREATE TABLE unkey_store.rl_stage (request_id VARCHAR, time BIGINT, workspace_id VARCHAR, namespace_id VARCHAR, identifier VARCHAR,
        passed BOOLEAN, latency DOUBLE, override_id VARCHAR, "limit" BIGINT, remaining BIGINT, reset_at BIGINT, tokens BIGINT);
        INSERT INTO unkey_store.kv_stage VALUES ('req_1', ${NOW}, '${workspaceId}', 'ks_1', '', 'user_1', 'key_1', 'local', 'VALID', ['a=b'], 2, 1.0);
        INSERT INTO unkey_store.rl_stage VALUES ('req_2', ${NOW}, '${workspaceId}', 'ns_1', 'user_1', false, 1.0, '', 10, 0, ${NOW + 1000}, 1)`);
      conn.closeSync();
      db.closeSync();
      const headers = { "content-type": "application/json", authorization: `Bearer ${rootKey}`, "x-test-time": String(NOW) };
      for (let start = 0; start < 2; start++) {
        const api = await createLocalApi({ dataDir: dir, port: 0, testClock: true, rootKey });
        try {
          const call = async (op: string, query: string) =>
            ((await (await fetch(`${api.url}/v2/${op}`, { method: "POST", headers, body: JSON.stringify({ query }) })).json()) as { data: unknown }).data;
          expect(await call("analytics.getVerifications", "SELECT key_id, spent_credits FROM key_verifications_v1")).toEqual([
            { key_id: "key_1", spent_credits: 2 },
          ]);
          expect(await call("analytics.getVerifications", "SELECT sum(count) AS n FROM key_verifications_per_day_v1")).toEqual([{ n: 1 }]);
          expect(await call("analytics.getRatelimits", "SELECT identifier, passed FROM ratelimits_v1")).toEqual([{ identifier: "user_1", passed: false }]);
          expect(await call("analytics.getRatelimits", "SELECT sum(total) AS n, sum(passed) AS p FROM ratelimits_per_month_v1")).toEqual([{ n: 1, p: 0 }]);
        } finally {
          await api.close();
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
