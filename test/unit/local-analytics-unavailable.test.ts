/**
 * The analytics engine is optional: when DuckDB cannot start, the local API still runs, drops
 * events, and answers queries with Unkey's 412 analytics_not_configured saying why.
 */
import { describe, expect, it } from "vitest";
import { openAnalytics } from "../../src/local/analytics/index.js";
import { ApiError } from "../../src/local/errors.js";

describe("analytics without a working engine", () => {
  it("answers 412 analytics_not_configured with the reason and accepts events without failing", async () => {
    const a = await openAnalytics({ file: "/nonexistent-dir/for/sure/analytics.duckdb" });
    expect(a.available).toBe(false);
    expect(a.unavailableReason).toMatch(/DuckDB engine failed to start/);
    a.recordVerification({
      requestId: "req_1",
      time: 0,
      workspaceId: "ws",
      keySpaceId: "ks",
      identityId: "",
      externalId: "",
      keyId: "k",
      region: "local",
      outcome: "VALID",
      tags: [],
      spentCredits: 0,
      latency: 0,
    });
    const err = await a.query("verifications", "SELECT 1", { workspaceId: "ws" }, 0).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(412);
    expect((err as ApiError).code).toBe("unkey/data/analytics_not_configured");
    expect((err as ApiError).detail).toContain("@duckdb/node-api");
    await a.close();
  });
});
