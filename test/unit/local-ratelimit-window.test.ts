import { describe, expect, it } from "vitest";
import { SlidingWindowLimiter, type LimitCheck } from "../../src/local/ratelimit/sliding-window.js";
import { matchOverride, wildcardToRegExp } from "../../src/local/ratelimit/override-match.js";
import { refillsOn, utcDayInfo, utcMidnightsCrossed } from "../../src/local/refill-dates.js";

const T0 = 1_700_000_040_000; // a multiple of 10 s and of 60 s
const check = (over: Partial<LimitCheck> = {}): LimitCheck => ({
  namespace: "ns",
  identifier: "user_1",
  limit: 10,
  duration: 10_000,
  cost: 1,
  ...over,
});

describe("sliding window limiter", () => {
  it("counts down remaining and reports the absolute end of the bucket as reset", () => {
    const l = new SlidingWindowLimiter();
    const first = l.check(check(), T0 + 2_000);
    expect(first).toEqual({ passed: true, limit: 10, remaining: 9, reset: T0 + 10_000 });
    expect(l.check(check(), T0 + 3_000).remaining).toBe(8);
  });

  it("denies once the limit is reached, without counting the denied request", () => {
    const l = new SlidingWindowLimiter();
    for (let i = 0; i < 10; i++) expect(l.check(check(), T0 + i).passed).toBe(true);
    const denied = l.check(check(), T0 + 11);
    expect(denied).toMatchObject({ passed: false, remaining: 0 });
    // A cost-0 probe sees exactly 10 used, so the denial above was not counted.
    expect(l.check(check({ cost: 0 }), T0 + 12)).toMatchObject({ passed: true, remaining: 0 });
  });

  it("carries the previous bucket over, weighted by the part still inside the window", () => {
    const l = new SlidingWindowLimiter();
    for (let i = 0; i < 10; i++) l.check(check(), T0 + 5_000);
    // 25% into the next bucket: 75% of 10 = floor(7.5) = 7 still count.
    expect(l.check(check({ cost: 0 }), T0 + 12_500)).toMatchObject({ passed: true, remaining: 3 });
    expect(l.check(check({ cost: 3 }), T0 + 12_500)).toMatchObject({ passed: true, remaining: 0 });
    expect(l.check(check(), T0 + 12_500).passed).toBe(false);
    // At the start of the next bucket the previous one (3 used at +12.5 s) still counts in full...
    expect(l.check(check(), T0 + 20_000)).toMatchObject({ passed: true, remaining: 6 });
    // ...and two buckets later everything is gone.
    expect(l.check(check(), T0 + 40_000)).toMatchObject({ passed: true, remaining: 9 });
  });

  it("charges cost and denies a cost that would exceed the limit (Unkey's 10/4/4 example)", () => {
    const l = new SlidingWindowLimiter();
    expect(l.check(check({ cost: 4 }), T0).remaining).toBe(6);
    expect(l.check(check({ cost: 4 }), T0).remaining).toBe(2);
    expect(l.check(check({ cost: 4 }), T0)).toMatchObject({ passed: false, remaining: 0 });
    expect(l.check(check({ cost: 2 }), T0)).toMatchObject({ passed: true, remaining: 0 });
  });

  it("always denies a limit of 0, even at cost 0", () => {
    const l = new SlidingWindowLimiter();
    expect(l.check(check({ limit: 0 }), T0)).toMatchObject({ passed: false, remaining: 0, limit: 0 });
    expect(l.check(check({ limit: 0, cost: 0 }), T0).passed).toBe(false);
  });

  it("keeps separate counters per namespace, identifier and duration", () => {
    const l = new SlidingWindowLimiter();
    l.check(check({ cost: 10 }), T0);
    expect(l.check(check(), T0).passed).toBe(false);
    expect(l.check(check({ identifier: "user_2" }), T0).passed).toBe(true);
    expect(l.check(check({ namespace: "other" }), T0).passed).toBe(true);
    expect(l.check(check({ duration: 60_000 }), T0).passed).toBe(true);
  });

  it("checkAll is all-or-nothing and gives the cost back to entries that passed", () => {
    const l = new SlidingWindowLimiter();
    l.check(check({ identifier: "full", limit: 1 }), T0);
    const res = l.checkAll([check({ identifier: "a" }), check({ identifier: "full", limit: 1 })], T0);
    expect(res.passed).toBe(false);
    expect(res.outcomes.map((o) => o.passed)).toEqual([true, false]);
    expect(res.outcomes[0]!.remaining).toBe(10);
    // "a" was rolled back: a full 10 are still available.
    expect(l.check(check({ identifier: "a", cost: 10 }), T0).passed).toBe(true);
  });

  it("checkAll counts every entry when all pass", () => {
    const l = new SlidingWindowLimiter();
    const res = l.checkAll([check({ identifier: "a" }), check({ identifier: "b", cost: 5 })], T0);
    expect(res.passed).toBe(true);
    expect(res.outcomes.map((o) => o.remaining)).toEqual([9, 5]);
    expect(l.check(check({ identifier: "b", cost: 0 }), T0).remaining).toBe(5);
  });

  it("sweeps counters that can no longer affect a check", () => {
    const l = new SlidingWindowLimiter();
    l.check(check({ identifier: "old" }), T0);
    l.check(check({ identifier: "new" }), T0 + 20_000);
    l.sweep(T0 + 20_000);
    expect(l.size()).toBe(1);
    expect(l.check(check({ identifier: "new", cost: 0 }), T0 + 20_000).remaining).toBe(9);
  });
});

describe("override matching", () => {
  const overrides = [
    { id: "o1", identifier: "premium_*" },
    { id: "o2", identifier: "*" },
    { id: "o3", identifier: "premium_gold" },
    { id: "o4", identifier: "a.b" },
  ];

  it("prefers an exact identifier over any wildcard", () => {
    expect(matchOverride(overrides, "premium_gold")?.id).toBe("o3");
  });

  it("otherwise takes the first matching wildcard in creation order", () => {
    expect(matchOverride(overrides, "premium_silver")?.id).toBe("o1");
    expect(matchOverride(overrides, "free_user")?.id).toBe("o2");
  });

  it("falls through to the next match once an override is gone", () => {
    expect(
      matchOverride(
        overrides.filter((o) => o.id !== "o1"),
        "premium_silver",
      )?.id,
    ).toBe("o2");
    expect(matchOverride([{ identifier: "x_*" }], "y")).toBeUndefined();
  });

  it("treats only * as special, anchored at both ends", () => {
    expect(wildcardToRegExp("*@acme.com").test("bob@acme.com")).toBe(true);
    expect(wildcardToRegExp("*@acme.com").test("bob@acmeXcom")).toBe(false);
    expect(wildcardToRegExp("user_*_prod").test("user_42_prod")).toBe(true);
    expect(wildcardToRegExp("user_*_prod").test("user_42_prod_2")).toBe(false);
    expect(wildcardToRegExp("(a|b)+*").test("(a|b)+x")).toBe(true);
    expect(wildcardToRegExp("(a|b)+*").test("aa")).toBe(false);
    // A non-wildcard identifier never matches anything but itself.
    expect(matchOverride(overrides, "aXb")?.id).toBe("o2");
  });
});

describe("refill dates", () => {
  const utc = (s: string): number => Date.parse(`${s}T00:00:00Z`);

  it("lists the UTC midnights crossed, oldest first", () => {
    expect(utcMidnightsCrossed(utc("2025-01-01") + 5, utc("2025-01-03") + 10)).toEqual([utc("2025-01-02"), utc("2025-01-03")]);
    expect(utcMidnightsCrossed(utc("2025-01-01"), utc("2025-01-01") + 10)).toEqual([]);
    expect(utcMidnightsCrossed(utc("2025-01-01") - 1, utc("2025-01-01"))).toEqual([utc("2025-01-01")]);
    expect(utcMidnightsCrossed(0, utc("2025-01-01"), 3)).toHaveLength(3);
  });

  it("knows the last day of each month, leap years included", () => {
    expect(utcDayInfo(utc("2025-02-28"))).toEqual({ day: 28, lastDay: true });
    expect(utcDayInfo(utc("2024-02-28"))).toEqual({ day: 28, lastDay: false });
    expect(utcDayInfo(utc("2024-02-29"))).toEqual({ day: 29, lastDay: true });
    expect(utcDayInfo(utc("2025-04-30"))).toEqual({ day: 30, lastDay: true });
  });

  it("refills daily keys every day and monthly keys on their day, clamped to the month's end", () => {
    expect(refillsOn(null, utc("2025-03-17"))).toBe(true);
    expect(refillsOn(17, utc("2025-03-17"))).toBe(true);
    expect(refillsOn(18, utc("2025-03-17"))).toBe(false);
    expect(refillsOn(31, utc("2025-02-28"))).toBe(true);
    expect(refillsOn(29, utc("2025-02-28"))).toBe(true);
    expect(refillsOn(31, utc("2024-02-28"))).toBe(false);
    expect(refillsOn(31, utc("2024-02-29"))).toBe(true);
    expect(refillsOn(31, utc("2025-04-30"))).toBe(true);
    expect(refillsOn(30, utc("2025-03-31"))).toBe(false);
    expect(refillsOn(1, utc("2025-02-28"))).toBe(false);
  });
});
