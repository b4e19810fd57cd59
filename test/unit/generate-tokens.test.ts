/**
 * Token cost as a contract: what the catalog costs a model's context (o200k_base tokens of
 * name + description + inputSchema per tool, as bench/mcp.mjs counts a tools/list answer),
 * against the budget derived from Unkey's previous MCP server: 9,093 tokens for 39 tools, and
 * issue 12 holds the WHOLE full-profile catalog (the 41 tools generated from the contract plus
 * the hand-written helpers, as buildCatalog serves them) to 60% of that.
 */
import { describe, expect, it } from "vitest";
import { countToolListTokens, FULL_PROFILE_BUDGET } from "../../bench/tokens.mjs";
import { buildCatalog, selectTools } from "../../src/tools/catalog.js";

/** The catalog exactly as the server builds it (no options: what `unkey-mcp` lists). */
const { tools } = await buildCatalog();

describe("token budget", () => {
  it("the budget is 60% of the baseline's 9,093 tokens", () => {
    expect(FULL_PROFILE_BUDGET).toBe(5455);
  });

  it("the whole full-profile catalog, generated and hand-written tools, fits the budget", () => {
    const full = selectTools(tools, { profile: "full" });
    expect(full.filter((t) => t.handler === undefined)).toHaveLength(41);
    // The helpers are counted too: the budget is for what tools/list shows, not a subset.
    expect(full.filter((t) => t.handler !== undefined).length).toBeGreaterThan(0);
    const tokens = countToolListTokens(full);
    expect(tokens, `the ${full.length} tools of the full profile cost ${tokens} tokens; budget ${FULL_PROFILE_BUDGET}`).toBeLessThanOrEqual(
      FULL_PROFILE_BUDGET,
    );
  });

  it("counts what the model sees, so a selection with fewer tools costs less (ratelimits, read-only)", () => {
    const full = countToolListTokens(selectTools(tools, { profile: "full" }));
    const ratelimits = selectTools(tools, { profile: "ratelimits" });
    const readOnly = selectTools(tools, { profile: "full", readOnly: true });
    const rl = countToolListTokens(ratelimits);
    const ro = countToolListTokens(readOnly);
    expect(rl, `ratelimits profile: ${ratelimits.length} tools, ${rl} tokens`).toBeGreaterThan(0);
    expect(rl, `ratelimits profile: ${ratelimits.length} tools, ${rl} tokens`).toBeLessThan(full / 4);
    expect(ro, `full --read-only: ${readOnly.length} tools, ${ro} tokens`).toBeGreaterThan(0);
    expect(ro, `full --read-only: ${readOnly.length} tools, ${ro} tokens`).toBeLessThan(full / 2);
    // outputSchema and annotations are not part of the count.
    const [one] = tools;
    expect(countToolListTokens([{ ...one, outputSchema: { type: "object", description: "x".repeat(500) } }])).toBe(countToolListTokens([one]));
  });
});
