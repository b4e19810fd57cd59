/**
 * Token cost as a contract: what the catalog costs a model's context (o200k_base tokens of
 * name + description + inputSchema per tool), against the budget derived from Unkey's previous
 * MCP server (9,093 tokens for 39 tools; ours must stay within 60% of that for the 41 tools generated
 * from the contract, the like-for-like comparison). The hand-written helpers (analytics) have no
 * counterpart in the baseline; they are held to a budget of their own, per tool and in total.
 */
import { describe, expect, it } from "vitest";
import { countToolListTokens, FULL_PROFILE_BUDGET } from "../../bench/tokens.mjs";
import { selectTools } from "../../src/tools/catalog.js";
import { tools } from "../helpers/catalog.js";

describe("token budget", () => {
  it("the budget is 60% of the baseline's 9,093 tokens", () => {
    expect(FULL_PROFILE_BUDGET).toBe(5455);
  });

  it("the full profile's contract tools fit the budget while carrying descriptions and limits", () => {
    const full = selectTools(tools, { profile: "full" }).filter((t) => t.handler === undefined);
    expect(full).toHaveLength(41);
    const tokens = countToolListTokens(full);
    expect(tokens, `the 41 contract tools cost ${tokens} tokens; budget ${FULL_PROFILE_BUDGET}`).toBeLessThanOrEqual(FULL_PROFILE_BUDGET);
  });

  it("each hand-written helper costs at most 130 tokens, and all of them at most 420", () => {
    const helpers = selectTools(tools, { profile: "full" }).filter((t) => t.handler !== undefined);
    expect(helpers.length).toBeGreaterThan(0);
    for (const t of helpers) expect(countToolListTokens([t]), t.name).toBeLessThanOrEqual(130);
    expect(countToolListTokens(helpers)).toBeLessThanOrEqual(420);
  });

  it("counts what the model sees, so a profile with fewer tools costs less", () => {
    const full = countToolListTokens(selectTools(tools, { profile: "full" }));
    const ratelimits = countToolListTokens(selectTools(tools, { profile: "ratelimits" }));
    expect(ratelimits).toBeGreaterThan(0);
    expect(ratelimits).toBeLessThan(full / 4);
    // outputSchema and annotations are not part of the count.
    const [one] = tools;
    expect(countToolListTokens([{ ...one, outputSchema: { type: "object", description: "x".repeat(500) } }])).toBe(countToolListTokens([one]));
  });
});
