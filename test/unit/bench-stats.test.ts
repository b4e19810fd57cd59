import { describe, expect, it } from "vitest";
import { mean, median, parseVmHwmKb, percentile, ratio, readPeakRssKb, round, summarize } from "../../bench/lib/stats.mjs";
import { countModelVisibleTokens, countTokens, modelVisible, schemaStats, type ListedTool } from "../../bench/lib/tool-stats.mjs";

describe("bench stats: percentile", () => {
  it("interpolates linearly between closest ranks", () => {
    const values = [10, 20, 30, 40];
    expect(percentile(values, 0)).toBe(10);
    expect(percentile(values, 100)).toBe(40);
    // rank = 0.5 * 3 = 1.5 → halfway between 20 and 30
    expect(percentile(values, 50)).toBe(25);
    // rank = 0.9 * 3 = 2.7 → 30 + 0.7 * 10
    expect(percentile(values, 90)).toBeCloseTo(37, 10);
  });

  it("does not depend on input order and does not reorder the caller's array", () => {
    const values = [5, 1, 4, 2, 3];
    expect(percentile(values, 50)).toBe(3);
    expect(percentile(values, 25)).toBe(2);
    expect(values).toEqual([5, 1, 4, 2, 3]);
  });

  it("sorts numerically, not as strings", () => {
    expect(percentile([100, 9, 20], 100)).toBe(100);
    expect(percentile([100, 9, 20], 0)).toBe(9);
  });

  it("p99 of 1..100 sits just below the maximum", () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 99)).toBeCloseTo(99.01, 10);
    expect(percentile(values, 50)).toBe(50.5);
  });

  it("rejects empty samples, non-numbers and p outside 0–100 with a clear message", () => {
    expect(() => percentile([], 50)).toThrow(/non-empty array/);
    expect(() => percentile([1, Number.NaN], 50)).toThrow(/finite numbers/);
    expect(() => percentile([1, 2], 101)).toThrow(/p must be a number from 0 to 100, got 101/);
    expect(() => percentile([1, 2], -1)).toThrow(/got -1/);
  });
});

describe("bench stats: median, mean, summarize, ratio", () => {
  it("median of odd and even samples", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(() => median([])).toThrow(/median/);
  });

  it("mean", () => {
    expect(mean([1, 2, 3, 4])).toBe(2.5);
  });

  it("summarize reports n, extremes and percentiles rounded to µs", () => {
    const s = summarize([1, 2, 3, 4, 5, 6, 7, 8, 9, 10.0004]);
    expect(s.n).toBe(10);
    expect(s.min).toBe(1);
    expect(s.max).toBe(10);
    expect(s.p50).toBe(5.5);
    expect(s.p90).toBe(9.1);
    expect(s.mean).toBe(5.5);
  });

  it("round keeps the requested decimals", () => {
    expect(round(1.23456, 2)).toBe(1.23);
    expect(round(1.235, 1)).toBe(1.2);
    expect(round(2.5)).toBe(2.5);
  });

  it("ratio is null when a side is missing or zero", () => {
    expect(ratio(3, 4)).toBe(0.75);
    expect(ratio(1, 3, 3)).toBe(0.333);
    expect(ratio(undefined, 4)).toBeNull();
    expect(ratio(4, 0)).toBeNull();
  });
});

describe("bench stats: peak RSS", () => {
  it("parses VmHWM from /proc/<pid>/status text", () => {
    const text = "Name:\tnode\nVmPeak:\t 1000000 kB\nVmHWM:\t   71234 kB\nVmRSS:\t   65000 kB\n";
    expect(parseVmHwmKb(text)).toBe(71234);
    expect(parseVmHwmKb("Name:\tnode\nVmRSS:\t 1 kB\n")).toBeUndefined();
  });

  it("reads this process's own high-water mark, at least its current RSS", () => {
    const kb = readPeakRssKb(process.pid);
    expect(kb).toBeTypeOf("number");
    // The peak can never be below what is resident right now.
    expect(kb as number).toBeGreaterThanOrEqual(Math.floor(process.memoryUsage().rss / 1024) - 1024);
    expect(readPeakRssKb(2 ** 22 + 12345)).toBeUndefined();
  });
});

describe("bench tool stats: what the input schemas carry", () => {
  const ours: ListedTool = {
    name: "get_api",
    title: "Get API",
    description: "Read one API.",
    annotations: { readOnlyHint: true },
    outputSchema: { type: "object" },
    inputSchema: {
      type: "object",
      properties: {
        apiId: { type: "string", description: "The API id.", minLength: 8, maxLength: 255 },
        // A nullable field written as a union still counts as limited through its branch.
        name: { anyOf: [{ type: "string", maxLength: 40 }, { type: "null" }] },
        mode: { type: "string", enum: ["a", "b"] },
        meta: {
          type: "object",
          description: "Nested object.",
          properties: { tags: { type: "array", items: { type: "string", pattern: "^[a-z]+$" } } },
        },
      },
    },
  };
  const baseline: ListedTool = {
    name: "apis-get-api",
    description: "Get API",
    inputSchema: { type: "object", properties: { request: { type: "object", properties: { apiId: { type: "string" } } } } },
  };

  it("counts properties at every depth, with descriptions, limits and enums", () => {
    expect(schemaStats([ours])).toEqual({
      tools: 1,
      properties: 5,
      described: 2,
      limited: 3,
      enumerated: 1,
      toolsWithTitle: 1,
      toolsWithAnnotations: 1,
      toolsWithOutputSchema: 1,
    });
    expect(schemaStats([baseline])).toMatchObject({ properties: 2, described: 0, limited: 0, toolsWithTitle: 0, toolsWithAnnotations: 0 });
  });

  it("counts tokens only over name, description and inputSchema", () => {
    const bare = { name: ours.name, description: ours.description, inputSchema: ours.inputSchema };
    expect(modelVisible([ours])).toEqual([bare]);
    expect(countModelVisibleTokens([ours])).toBe(countTokens(JSON.stringify([bare])));
    expect(countModelVisibleTokens([ours, baseline])).toBeGreaterThan(countModelVisibleTokens([ours]));
  });
});
