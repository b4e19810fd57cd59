/**
 * The analytics helpers' pure parts: windows, table choice, SQL built only from safe values, gap
 * filling and summaries. The figures themselves are checked end to end in
 * test/e2e/analytics-tools.test.ts.
 */
import { describe, expect, it } from "vitest";
import {
  autoGranularity,
  countBuckets,
  fillSeries,
  fitGranularity,
  HelperArgumentError,
  makeWindow,
  ratelimitSql,
  sqlString,
  summariseRatelimits,
  summariseUsage,
  timeSeriesSql,
  topSql,
  totalsGranularity,
  usageSummarySql,
} from "../../src/tools/hand-written/analytics-sql.js";

const NOW = Date.UTC(2024, 0, 20, 12, 30, 0);
const H = 3_600_000;
const D = 24 * H;

describe("windows and tables", () => {
  it("cuts a window past the 90-day retention and says so", () => {
    expect(makeWindow(7 * D, NOW)).toEqual({ from: NOW - 7 * D, to: NOW, clamped: false });
    expect(makeWindow(365 * D, NOW)).toEqual({ from: NOW - 90 * D, to: NOW, clamped: true });
    expect(() => makeWindow(0, NOW)).toThrow(HelperArgumentError);
  });

  it("picks the aggregate table that fits the window", () => {
    expect(totalsGranularity(makeWindow(H, NOW))).toBe("minute");
    expect(totalsGranularity(makeWindow(7 * D, NOW))).toBe("hour");
    expect(totalsGranularity(makeWindow(60 * D, NOW))).toBe("day");
    expect(autoGranularity(makeWindow(H, NOW))).toBe("minute");
    expect(autoGranularity(makeWindow(2 * D, NOW))).toBe("hour");
    expect(autoGranularity(makeWindow(30 * D, NOW))).toBe("day");
    // 90 days of minutes is too many points: the next coarser granularity that fits.
    expect(countBuckets(makeWindow(90 * D, NOW), "minute")).toBeGreaterThan(1000);
    expect(fitGranularity(makeWindow(90 * D, NOW), "minute")).toBe("day");
    expect(fitGranularity(makeWindow(D, NOW), "minute")).toBe("hour");
  });

  it("builds SQL on the aggregate tables with the window start rounded down to the bucket", () => {
    const w = makeWindow(7 * D, NOW);
    const start = Date.UTC(2024, 0, 13, 12, 0, 0);
    expect(usageSummarySql(w, {}).sql).toBe(
      `SELECT outcome, SUM(count) AS verifications, SUM(spent_credits) AS spent_credits FROM key_verifications_per_hour_v1 WHERE time >= fromUnixTimestamp64Milli(toInt64(${start})) GROUP BY outcome ORDER BY verifications DESC`,
    );
    expect(topSql(w, "external_id", 500, {}).sql).toContain("AND external_id != '' GROUP BY external_id ORDER BY verifications DESC, external_id LIMIT 100");
    expect(timeSeriesSql(w, "day", { keyId: "key_1" })).toContain(
      "FROM key_verifications_per_day_v1 WHERE time >= fromUnixTimestamp64Milli(toInt64(1705104000000)) AND key_id = 'key_1' GROUP BY time",
    );
    expect(ratelimitSql(w, { identifier: "user_123" }).sql).toContain("FROM ratelimits_per_hour_v1 WHERE");
  });

  it("never puts a quote or a comment into a literal", () => {
    expect(sqlString("keyId", "key_ABC-1.2:x@y/z=+")).toBe("'key_ABC-1.2:x@y/z=+'");
    for (const bad of ["x' OR 1=1 --", "a\\b", "", "x;y", "a'"]) expect(() => sqlString("keyId", bad)).toThrow(/keyId/);
  });
});

describe("rows into figures", () => {
  it("fills every bucket, empty ones as zeros", () => {
    const w = makeWindow(3 * D, NOW);
    const points = fillSeries([{ time: "2024-01-18", total: 5, valid: 4, rate_limited: 1 }], w, "day");
    expect(points.map((p) => p.time.slice(0, 10))).toEqual(["2024-01-17", "2024-01-18", "2024-01-19", "2024-01-20"]);
    expect(points[1]).toEqual({ time: "2024-01-18T00:00:00.000Z", total: 5, valid: 4, rateLimited: 1, other: 0 });
    expect(points[0]!.total + points[2]!.total + points[3]!.total).toBe(0);
    const hours = fillSeries([{ time: "2024-01-20 11:00:00", total: 2, valid: 2, rate_limited: 0 }], makeWindow(2 * H, NOW), "hour");
    expect(hours.map((p) => [p.time, p.total])).toEqual([
      ["2024-01-20T10:00:00.000Z", 0],
      ["2024-01-20T11:00:00.000Z", 2],
      ["2024-01-20T12:00:00.000Z", 0],
    ]);
  });

  it("summarises usage and rate limits in one paragraph with the numbers", () => {
    const w = makeWindow(7 * D, NOW);
    const u = summariseUsage(
      [
        { outcome: "VALID", verifications: 90, spent_credits: 12 },
        { outcome: "RATE_LIMITED", verifications: 10, spent_credits: 0 },
      ],
      w,
      "hour",
    );
    expect(u.data).toEqual({ total: 100, valid: 90, spentCredits: 12, byOutcome: { VALID: 90, RATE_LIMITED: 10 } });
    expect(u.summary).toBe("100 verifications since 2024-01-13T12:00Z (hour buckets): 90 VALID (90%), 10 RATE_LIMITED; 12 credits spent.");
    const r = summariseRatelimits([{ namespace_id: "ns_1", identifier: "user_a", passed: 4, denied: 2, total: 6 }], w, "hour", { identifier: "user_a" });
    expect(r.summary).toBe(
      "6 rate-limit checks for identifier user_a since 2024-01-13T12:00Z (hour buckets): 4 passed, 2 denied (33.3%). Most denied: user_a 2/6.",
    );
    expect(summariseUsage([], w, "hour").summary).toBe("No verifications since 2024-01-13T12:00Z (hour buckets).");
  });
});
