/**
 * The counter store behind the sliding-window limiter: counters expire once their window has
 * passed, the cap evicts expired counters only, and a live window is never forgotten: when the
 * store is full of live counters a new identifier is refused (fail closed), not an old one dropped.
 */
import { describe, expect, it } from "vitest";
import { CounterStore } from "../../src/local/ratelimit/counter-store.js";
import { SlidingWindowLimiter, type LimitCheck } from "../../src/local/ratelimit/sliding-window.js";

const D = 1_000;
const T0 = 1_700_000_000_000; // a multiple of D: bucket boundaries fall on whole seconds
const seq = (t: number): number => Math.floor(t / D);

describe("CounterStore", () => {
  it("reads the newest bucket and the one before it, and shifts them as time moves on", () => {
    const s = new CounterStore(10);
    s.add("ns", D, "k", seq(T0), 3, T0);
    expect(s.read("ns", D, "k", seq(T0))).toBe(3);
    s.add("ns", D, "k", seq(T0) + 1, 2, T0 + D);
    expect([s.read("ns", D, "k", seq(T0)), s.read("ns", D, "k", seq(T0) + 1)]).toEqual([3, 2]);
    s.add("ns", D, "k", seq(T0) + 3, 1, T0 + 3 * D);
    expect([s.read("ns", D, "k", seq(T0) + 2), s.read("ns", D, "k", seq(T0) + 3)]).toEqual([0, 1]);
  });

  it("keeps a write to an older bucket when the test clock goes back", () => {
    const s = new CounterStore(10);
    s.add("ns", D, "k", seq(T0) + 5, 1, T0 + 5 * D);
    s.add("ns", D, "k", seq(T0), 4, T0);
    expect(s.read("ns", D, "k", seq(T0))).toBe(4);
    expect(s.read("ns", D, "k", seq(T0) + 5)).toBe(1);
  });

  it("never counts below zero, and creates nothing for an uncount", () => {
    const s = new CounterStore(10);
    s.add("ns", D, "k", seq(T0), 1, T0);
    s.add("ns", D, "k", seq(T0), -5, T0);
    expect(s.read("ns", D, "k", seq(T0))).toBe(0);
    s.add("ns", D, "other", seq(T0), -1, T0);
    expect(s.size).toBe(1);
  });

  it("a counter expires exactly when two whole windows have passed its newest bucket", () => {
    const s = new CounterStore(10);
    s.add("ns", D, "k", seq(T0), 1, T0 + 999);
    expect(s.sweep(T0 + 2 * D - 1)).toBe(0);
    expect(s.size).toBe(1);
    expect(s.sweep(T0 + 2 * D)).toBe(1);
    expect(s.size).toBe(0);
  });

  it("at the cap, expired counters make room and live ones stay", () => {
    const s = new CounterStore(3);
    s.add("ns", D, "old", seq(T0), 1, T0);
    s.add("ns", D, "live-1", seq(T0) + 2, 1, T0 + 2 * D);
    s.add("ns", D, "live-2", seq(T0) + 2, 1, T0 + 2 * D);
    expect(s.add("ns", D, "new", seq(T0) + 2, 1, T0 + 2 * D)).toBe(true);
    expect(s.size).toBe(3);
    expect(s.read("ns", D, "old", seq(T0))).toBe(0);
    expect(["live-1", "live-2", "new"].map((k) => s.read("ns", D, k, seq(T0) + 2))).toEqual([1, 1, 1]);
  });

  it("full of live counters, a new key is refused and nothing changes; existing keys still count", () => {
    const s = new CounterStore(2);
    s.add("ns", D, "a", seq(T0), 1, T0);
    s.add("ns", D, "b", seq(T0), 1, T0);
    expect(s.add("ns", D, "c", seq(T0), 1, T0 + 10)).toBe(false);
    expect(s.size).toBe(2);
    expect(s.add("ns", D, "a", seq(T0), 1, T0 + 20)).toBe(true);
    expect(s.read("ns", D, "a", seq(T0))).toBe(2);
    // Once their windows pass, there is room again.
    expect(s.add("ns", D, "c", seq(T0) + 2, 1, T0 + 2 * D)).toBe(true);
  });

  it("the incremental sweep drops expired counters a few per operation", () => {
    const s = new CounterStore(1_000);
    for (let i = 0; i < 500; i++) s.add("ns", D, `id-${i}`, seq(T0), 1, T0);
    const later = T0 + 3 * D;
    for (let i = 0; i < 100; i++) {
      s.sweepSome(later);
      s.add("ns", D, "busy", seq(later), 1, later);
    }
    // 100 operations examined 200 counters; at most a couple of those were the live "busy".
    expect(s.size).toBeGreaterThanOrEqual(500 - 200 + 1);
    expect(s.size).toBeLessThanOrEqual(500 - 200 + 3);
  });
});

describe("SlidingWindowLimiter over a full store", () => {
  const check = (identifier: string, limit = 3): LimitCheck => ({ namespace: "ns", identifier, limit, duration: 60_000, cost: 1 });

  it("denies a new identifier instead of forgetting a live window, and admits it once windows pass", () => {
    const l = new SlidingWindowLimiter({ maxCounters: 2 });
    for (let i = 0; i < 3; i++) expect(l.check(check("alice"), T0).passed).toBe(true);
    expect(l.check(check("alice"), T0).passed).toBe(false);
    expect(l.check(check("bob"), T0).passed).toBe(true);
    const carol = l.check(check("carol"), T0);
    expect(carol).toMatchObject({ passed: false, remaining: 0 });
    // alice's exhausted window is intact: still denied; bob still counts from where he was.
    expect(l.check(check("alice"), T0 + 1).passed).toBe(false);
    expect(l.check(check("bob"), T0 + 1).remaining).toBe(1);
    expect(l.check(check("carol"), T0 + 120_000).passed).toBe(true);
  });
});
