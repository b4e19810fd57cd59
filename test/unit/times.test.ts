/**
 * Times and durations as a model writes them (src/tools/times.ts) and how the executor applies
 * the contract's marks to arguments (src/tools/prepare.ts).
 */
import { describe, expect, it } from "vitest";
import { prepareArguments } from "../../src/tools/prepare.js";
import { parseIsoDuration, toDurationMs, toUnixMs } from "../../src/tools/times.js";
import { tool } from "../helpers/catalog.js";

const NOW = Date.parse("2026-12-02T00:00:00Z");
const DAY = 86_400_000;

describe("timestamps", () => {
  it("accept unix ms, ISO 8601 date-times and durations from now", () => {
    expect(toUnixMs(NOW + 5000, "future", NOW)).toEqual({ ok: true, value: NOW + 5000 });
    expect(toUnixMs("2027-01-01T00:00:00Z", "future", NOW)).toEqual({ ok: true, value: Date.parse("2027-01-01T00:00:00Z") });
    expect(toUnixMs("2027-01-01T01:00:00+01:00", "future", NOW)).toEqual({ ok: true, value: Date.parse("2027-01-01T00:00:00Z") });
    expect(toUnixMs("2027-01-01", "future", NOW)).toEqual({ ok: true, value: Date.parse("2027-01-01T00:00:00Z") });
    expect(toUnixMs("P90D", "future", NOW)).toEqual({ ok: true, value: NOW + 90 * DAY });
    expect(toUnixMs("PT1H", "future", NOW)).toEqual({ ok: true, value: NOW + 3_600_000 });
    expect(toUnixMs("P1M", "future", NOW)).toEqual({ ok: true, value: Date.parse("2027-01-02T00:00:00Z") });
  });

  it("refuse a number that can only be seconds, showing the milliseconds meant", () => {
    const r = toUnixMs(1803944371, "future", NOW);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.problem).toContain("in milliseconds that is 1803944371000 (2027-03-01T23:39:31Z)");
  });

  it("refuse a past time where the API needs a future one, but not where any time will do", () => {
    expect(toUnixMs("2020-01-01T00:00:00Z", "future", NOW)).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/^is in the past \(2020-01-01T00:00:00Z; now is 2026-12-02/),
    });
    expect(toUnixMs("2020-01-01T00:00:00Z", "timestamp", NOW)).toEqual({ ok: true, value: Date.parse("2020-01-01T00:00:00Z") });
  });

  it("refuse what is not a time", () => {
    for (const v of ["tomorrow", "P", "PT", "2027-13-45", 1.5, true]) expect(toUnixMs(v, "timestamp", NOW).ok, String(v)).toBe(false);
  });
});

describe("durations", () => {
  it("accept milliseconds and ISO 8601 durations", () => {
    expect(toDurationMs("PT1H")).toEqual({ ok: true, value: 3_600_000 });
    expect(toDurationMs("P1DT30M")).toEqual({ ok: true, value: DAY + 1_800_000 });
    expect(toDurationMs("PT0.5S")).toEqual({ ok: true, value: 500 });
    expect(toDurationMs(60_000)).toEqual({ ok: true, value: 60_000 });
  });

  it("refuse months and years, which have no fixed length, and seconds below the minimum", () => {
    expect(toDurationMs("P1M")).toMatchObject({ ok: false, expected: expect.stringContaining("P30D") });
    expect(toDurationMs(60, 1000)).toMatchObject({ ok: false, problem: "is below the minimum of 1000 ms; if seconds were meant, that is 60000 ms" });
  });

  it("parses only well-formed ISO 8601 durations", () => {
    expect(parseIsoDuration("P1Y2M3W4DT5H6M7S")).toEqual({ years: 1, months: 2, weeks: 3, days: 4, hours: 5, minutes: 6, seconds: 7 });
    expect(parseIsoDuration("1H")).toBeUndefined();
  });
});

describe("prepareArguments with the contract's marks", () => {
  it("converts times and fills MCP defaults in a copy; the caller's object is untouched", () => {
    const args = {
      apiId: "api_1",
      expires: "P1D",
      ratelimits: [
        { name: "r", limit: 1, duration: "PT1M" },
        { name: "s", limit: 1, duration: 1000, autoApply: false },
      ],
    };
    const r = prepareArguments(tool("create_key").argumentRules, args, NOW);
    expect(r).toEqual({
      ok: true,
      args: {
        apiId: "api_1",
        expires: NOW + DAY,
        ratelimits: [
          { name: "r", limit: 1, duration: 60_000, autoApply: true },
          { name: "s", limit: 1, duration: 1000, autoApply: false },
        ],
      },
    });
    expect(args.expires).toBe("P1D");
  });

  it("takes an ISO duration for how long a rerolled key's predecessor stays valid", () => {
    expect(prepareArguments(tool("reroll_key").argumentRules, { keyId: "key_1", expiration: "PT1H" }, NOW)).toEqual({
      ok: true,
      args: { keyId: "key_1", expiration: 3_600_000 },
    });
    expect(prepareArguments(tool("reroll_key").argumentRules, { keyId: "key_1", expiration: 0 }, NOW)).toEqual({
      ok: true,
      args: { keyId: "key_1", expiration: 0 },
    });
  });

  it("keeps null where the API reads null as 'clear' (update_key expires)", () => {
    expect(prepareArguments(tool("update_key").argumentRules, { keyId: "key_1", expires: null }, NOW)).toEqual({
      ok: true,
      args: { keyId: "key_1", expires: null },
    });
  });

  it("names every bad field with its index", () => {
    const r = prepareArguments(tool("create_key").argumentRules, { apiId: "a", ratelimits: [{ name: "r", limit: 1, duration: "soon" }] }, NOW);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.problems.map((p) => p.field)).toEqual(["ratelimits[0].duration"]);
  });

  it("refuses a meta with a cycle without trying to serialise it", () => {
    const meta: Record<string, unknown> = {};
    meta.self = meta;
    const r = prepareArguments(tool("create_key").argumentRules, { apiId: "a", meta }, NOW);
    expect(!r.ok && r.problems[0]).toMatchObject({ field: "meta", problem: expect.stringContaining("cycle") });
  });

  it("shows the model a number-or-string field with one phrase, and omits autoApply from required", () => {
    const item = (tool("create_key").inputSchema.properties as Record<string, { items: { properties: Record<string, unknown>; required: string[] } }>)
      .ratelimits.items;
    expect(item.required).not.toContain("autoApply");
    expect(item.properties.autoApply).toMatchObject({ type: "boolean", default: true, description: expect.stringContaining("false") });
    expect(item.properties.duration).toEqual({ type: ["integer", "string"], description: "ms or ISO duration (PT1H)." });
    // The API still receives exactly what it requires.
    const validation = (tool("create_key").validationSchema!.properties as Record<string, { items: { required: string[] } }>).ratelimits.items;
    expect(validation.required).toContain("autoApply");
  });
});
