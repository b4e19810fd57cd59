/**
 * Token cost as a contract: what the catalog costs a model's context (o200k_base tokens of
 * name + description + inputSchema per tool), against the budget derived from Unkey's previous
 * MCP server (9,093 tokens for 39 tools; ours must stay within 60% of that for all 41).
 */
import { describe, expect, it } from "vitest";
import { countToolListTokens, FULL_PROFILE_BUDGET } from "../../bench/tokens.mjs";
import { selectTools } from "../../src/tools/catalog.js";
import { tools } from "../helpers/catalog.js";

describe("token budget", () => {
  it("the budget is 60% of the baseline's 9,093 tokens", () => {
    expect(FULL_PROFILE_BUDGET).toBe(5455);
  });

  it("the full profile fits the budget while carrying descriptions and limits", () => {
    const full = selectTools(tools, { profile: "full" });
    expect(full.length).toBeGreaterThanOrEqual(41);
    const tokens = countToolListTokens(full);
    expect(tokens, `full profile costs ${tokens} tokens; budget ${FULL_PROFILE_BUDGET}`).toBeLessThanOrEqual(FULL_PROFILE_BUDGET);
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
