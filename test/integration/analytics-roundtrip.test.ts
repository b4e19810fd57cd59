/**
 * What the analytics engine stores is what was recorded, field for field, on both ways a flush
 * can carry an event: the line encoding (the usual one) and JSON (for an event the line encoding
 * cannot carry). Straight against the engine, so every column can be chosen and read back.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type Analytics, openAnalytics, type RatelimitEvent, type VerificationEvent } from "../../src/local/analytics/index.js";

const NOW = Date.UTC(2026, 0, 15, 12);
const scope = { workspaceId: "ws_rt" };

function verification(over: Partial<VerificationEvent>): VerificationEvent {
  return {
    requestId: "req_a",
    time: NOW - 60_000,
    workspaceId: "ws_rt",
    keySpaceId: "ks_rt",
    identityId: "id_rt",
    externalId: "user_rt",
    keyId: "key_rt",
    region: "local",
    outcome: "VALID",
    tags: ["path=/v1/x", "env=prod"],
    spentCredits: 3,
    latency: 0.05344100000002072,
    ...over,
  };
}

function ratelimit(over: Partial<RatelimitEvent>): RatelimitEvent {
  return {
    requestId: "req_r",
    time: NOW - 30_000,
    workspaceId: "ws_rt",
    namespaceId: "ns_rt",
    identifier: "user_rt",
    passed: false,
    latency: 0.25,
    overrideId: "ovr_rt",
    limit: 10,
    remaining: 0,
    resetAt: NOW + 30_000,
    tokens: 2,
    ...over,
  };
}

const asRow = (e: VerificationEvent) => ({
  request_id: e.requestId,
  time: e.time,
  workspace_id: e.workspaceId,
  key_space_id: e.keySpaceId,
  identity_id: e.identityId,
  external_id: e.externalId,
  key_id: e.keyId,
  region: e.region,
  outcome: e.outcome,
  tags: e.tags,
  spent_credits: e.spentCredits,
  latency: e.latency,
});

const asRlRow = (e: RatelimitEvent) => ({
  request_id: e.requestId,
  time: e.time,
  workspace_id: e.workspaceId,
  namespace_id: e.namespaceId,
  identifier: e.identifier,
  passed: e.passed,
  latency: e.latency,
  override_id: e.overrideId,
  limit: e.limit,
  remaining: e.remaining,
  reset_at: e.resetAt,
  tokens: e.tokens,
});

describe("analytics engine: recorded events read back as sent", () => {
  let analytics: Analytics | undefined;
  afterEach(async () => {
    await analytics?.close();
    analytics = undefined;
  });

  async function open(): Promise<Analytics> {
    analytics = await openAnalytics({ onError: (message, err) => console.error(message, err) });
    expect(analytics.available).toBe(true);
    return analytics;
  }

  it("every column, on the line encoding and on JSON, and one flush carries both", async () => {
    const a = await open();
    const verifications = [
      verification({ requestId: "req_1" }),
      verification({ requestId: "req_2", identityId: "", externalId: "", tags: [], spentCredits: 0, outcome: "RATE_LIMITED", latency: 12 }),
      verification({ requestId: "req_3", externalId: "multi\nline, \"quoted\" 'text' ünïcødé 🔑", tags: ["a", "b", "c"] }),
      // These three cannot go as lines (a separator in a value, an empty tag, a separator in a tag): JSON.
      verification({ requestId: "req_4\u001f", spentCredits: 7 }),
      verification({ requestId: "req_5", tags: [""] }),
      verification({ requestId: "req_6", tags: ["x\u001ey", "z"] }),
    ];
    const limits = [
      ratelimit({ requestId: "req_7" }),
      ratelimit({ requestId: "req_8", passed: true, overrideId: "", remaining: 9, tokens: 1 }),
      ratelimit({ requestId: "req_9", identifier: "id\u001dwith\u001fseparators\u001e" }),
    ];
    for (const e of verifications) a.recordVerification(e);
    for (const e of limits) a.recordRatelimit(e);
    const kv = await a.query("verifications", "SELECT * FROM key_verifications_v1 ORDER BY request_id", scope, NOW);
    expect(kv).toEqual(verifications.map(asRow));
    const rl = await a.query("ratelimits", "SELECT * FROM ratelimits_v1 ORDER BY request_id", scope, NOW);
    expect(rl).toEqual(limits.map(asRlRow));
    const perMinute = await a.query("verifications", "SELECT sum(count) AS n, sum(spent_credits) AS c FROM key_verifications_per_minute_v1", scope, NOW);
    expect(perMinute).toEqual([{ n: 6, c: verifications.reduce((sum, e) => sum + e.spentCredits, 0) }]);
    const rlPerHour = await a.query("ratelimits", "SELECT sum(total) AS n, sum(passed) AS p FROM ratelimits_per_hour_v1", scope, NOW);
    expect(rlPerHour).toEqual([{ n: 3, p: 1 }]);
  });

  it("text that is not well-formed UTF-16 reads back with U+FFFD on both ways, and the flush keeps every event", async () => {
    const a = await open();
    a.recordVerification(verification({ requestId: "req_1", externalId: "half \ud800 pair" }));
    a.recordVerification(verification({ requestId: "req_2", externalId: "half \udc00 pair\u001f" }));
    const rows = await a.query("verifications", "SELECT external_id FROM key_verifications_v1 ORDER BY request_id", scope, NOW);
    expect(rows).toEqual([{ external_id: "half \ufffd pair" }, { external_id: "half \ufffd pair\u001f" }]);
  });

  it("numbers DuckDB cannot cast from text go as JSON and are stored as NULL; the other events of the flush land", async () => {
    const a = await open();
    a.recordRatelimit(ratelimit({ requestId: "req_1", limit: 1e19, remaining: Number.NaN }));
    a.recordRatelimit(ratelimit({ requestId: "req_2", limit: 1e21 }));
    a.recordRatelimit(ratelimit({ requestId: "req_3" }));
    a.recordVerification(verification({ requestId: "req_4", latency: Number.POSITIVE_INFINITY }));
    const rl = await a.query("ratelimits", 'SELECT request_id, "limit", remaining FROM ratelimits_v1 ORDER BY request_id', scope, NOW);
    expect(rl).toEqual([
      { request_id: "req_1", limit: null, remaining: null },
      { request_id: "req_2", limit: null, remaining: 0 },
      { request_id: "req_3", limit: 10, remaining: 0 },
    ]);
    const kv = await a.query("verifications", "SELECT request_id, latency FROM key_verifications_v1", scope, NOW);
    expect(kv).toEqual([{ request_id: "req_4", latency: null }]);
  });

  it("events recorded while close() runs its last flush are written too, not dropped", async () => {
    const dir = mkdtempSync(join(tmpdir(), "unkey-analytics-close-"));
    try {
      const file = join(dir, "close.duckdb");
      const a = await openAnalytics({ file, onError: (message, err) => console.error(message, err) });
      for (let i = 0; i < 5000; i++) a.recordVerification(verification({ requestId: `req_early_${i}` }));
      const closing = a.close();
      // By now the last flush has taken the 5,000 and is writing them: these wait behind it.
      await new Promise((resolve) => setImmediate(resolve));
      a.recordVerification(verification({ requestId: "req_late" }));
      a.recordRatelimit(ratelimit({ requestId: "req_late_rl" }));
      // A second close waits for the first instead of flushing and closing again.
      await Promise.all([closing, a.close()]);
      analytics = await openAnalytics({ file });
      expect(await analytics.query("verifications", "SELECT count(*) AS n FROM key_verifications_v1", scope, NOW)).toEqual([{ n: 5001 }]);
      expect(await analytics.query("verifications", "SELECT request_id FROM key_verifications_v1 WHERE request_id = 'req_late'", scope, NOW)).toEqual([
        { request_id: "req_late" },
      ]);
      expect(await analytics.query("ratelimits", "SELECT request_id FROM ratelimits_v1", scope, NOW)).toEqual([{ request_id: "req_late_rl" }]);
      await analytics.close();
      analytics = undefined;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
