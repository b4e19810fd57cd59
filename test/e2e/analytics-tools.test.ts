/**
 * The analytics helper tools through the built MCP server, over stdio and over streamable HTTP,
 * against the local API holding history recorded by real verifyKey / ratelimit.limit calls. The
 * expected figures are computed here from the recorded facts; the chart is decoded as a PNG.
 *
 * The MCP server has no test clock, so the history is recorded relative to the real clock (the
 * local API stamps each event with its X-Test-Time) and the windows end at the real "now".
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, ok, rememberSecret, startStdioServer, type StdioServer } from "../helpers/mcp-stdio.js";
import { connectHttpClient, spawnHttpServer, type SpawnedHttpServer } from "../helpers/mcp-http.js";
import { buildFixture, DAY, HOUR, type Fixture, type VerificationFact } from "../integration/analytics-fixture.js";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { createLocalApi, type LocalApi } from "../../src/local/server.js";

let api: LocalApi;
let s: StdioServer;
let f: Fixture;
let now: number;

beforeAll(async () => {
  api = await createLocalApi({ memory: true, port: 0, testClock: true });
  rememberSecret(api.rootKey);
  now = Date.now();
  const post = async (op: string, body: unknown, time: number) => {
    const res = await fetch(`${api.url}/v2/${op}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${api.rootKey}`, "x-test-time": String(time) },
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as Record<string, unknown>;
    if (typeof (json.data as { key?: string } | undefined)?.key === "string") rememberSecret((json.data as { key: string }).key);
    return { status: res.status, body: json };
  };
  f = await buildFixture(
    post,
    {
      keySpaceOf: (id) => api.store.get<{ key_space_id: string }>("SELECT key_space_id FROM apis WHERE id = ?", id)!.key_space_id,
      namespaceIdOf: (name) => api.store.get<{ id: string }>("SELECT id FROM ratelimit_namespaces WHERE name = ?", name)!.id,
    },
    // The latest events half an hour in the past and k2's 90 minutes: the 2-hour window below keeps a
    // 30-minute margin for the seconds between building the fixture and the query (at `now - HOUR`
    // k2's events sat exactly on that window's edge, and CI cut them whenever a minute turned meanwhile).
    now - HOUR / 2,
  );
  s = await startStdioServer({ rootKey: api.rootKey, apiUrl: api.url });
}, 90_000);

afterAll(async () => {
  await s?.close();
  await api?.close();
});

const since = (days: number): VerificationFact[] => f.verifications.filter((v) => v.time >= now - days * DAY);
const countBy = <K>(list: VerificationFact[], key: (v: VerificationFact) => K): Map<K, number> => {
  const m = new Map<K, number>();
  for (const v of list) m.set(key(v), (m.get(key(v)) ?? 0) + 1);
  return m;
};

async function checkUsageSummary(client: Client): Promise<void> {
  const week = since(7);
  const r = await call(client, "analytics_usage_summary", { window: "P7D" });
  expect(r.isError, r.text).toBeFalsy();
  const data = (r.structuredContent as { data: { total: number; valid: number; spentCredits: number; byOutcome: Record<string, number> } }).data;
  expect(data).toEqual({
    total: week.length,
    valid: week.filter((v) => v.outcome === "VALID").length,
    spentCredits: week.reduce((n, v) => n + v.spentCredits, 0),
    byOutcome: Object.fromEntries(countBy(week, (v) => v.outcome)),
  });
  // The one-paragraph summary leads the text.
  expect(r.text).toContain(`${week.length} verifications since`);
  expect(r.text).toContain("credits spent");
}

describe("analytics helpers over stdio", () => {
  it("analytics_usage_summary: totals by outcome and credits, for the workspace and for one user", async () => {
    await checkUsageSummary(s.client);
    const mine = since(30).filter((v) => v.externalId === "user_123");
    const data = await ok<{ total: number; spentCredits: number }>(s.client, "analytics_usage_summary", { window: "P30D", externalId: "user_123" });
    expect(data.total).toBe(mine.length);
    expect(data.spentCredits).toBe(mine.reduce((n, v) => n + v.spentCredits, 0));
  });

  it("analytics_top: keys and external ids by verifications", async () => {
    const month = since(30);
    const keys = [...countBy(month, (v) => v.keyId)].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 2);
    const top = await ok<{ key_id: string; verifications: number; valid: number }[]>(s.client, "analytics_top", { by: "key", window: "P30D", limit: 2 });
    expect(top.map((r) => [r.key_id, r.verifications])).toEqual(keys);
    expect(top[0]!.valid).toBe(month.filter((v) => v.keyId === keys[0]![0] && v.outcome === "VALID").length);
    const users = [
      ...countBy(
        month.filter((v) => v.externalId !== ""),
        (v) => v.externalId,
      ),
    ].sort((a, b) => b[1] - a[1]);
    const byUser = await ok<{ external_id: string; verifications: number }[]>(s.client, "analytics_top", { by: "external_id", window: "P30D" });
    expect(byUser.map((r) => [r.external_id, r.verifications])).toEqual(users);
  });

  it("analytics_timeseries: every day of the window, gaps as zeros, and a PNG chart", async () => {
    const r = await call(s.client, "analytics_timeseries", { window: "P7D", granularity: "day", chart: true });
    expect(r.isError, r.text).toBeFalsy();
    const points = (r.structuredContent as { data: { time: string; total: number; valid: number; rateLimited: number }[] }).data;
    const firstDay = Math.floor((now - 7 * DAY) / DAY) * DAY;
    expect(points.map((p) => p.time)).toEqual(Array.from({ length: points.length }, (_, i) => new Date(firstDay + i * DAY).toISOString()));
    expect(points.length).toBe(Math.floor(now / DAY) - Math.floor((now - 7 * DAY) / DAY) + 1);
    const expected = countBy(
      f.verifications.filter((v) => v.time >= firstDay),
      (v) => new Date(Math.floor(v.time / DAY) * DAY).toISOString(),
    );
    for (const p of points) expect(p.total, p.time).toBe(expected.get(p.time) ?? 0);
    expect(points.some((p) => p.total === 0)).toBe(true);
    expect(points.reduce((n, p) => n + p.rateLimited, 0)).toBe(f.verifications.filter((v) => v.time >= firstDay && v.outcome === "RATE_LIMITED").length);

    const image = r.content.find((c) => c.type === "image") as { type: "image"; data: string; mimeType: string } | undefined;
    expect(image?.mimeType).toBe("image/png");
    const png = Buffer.from(image!.data, "base64");
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.subarray(12, 16).toString("ascii")).toBe("IHDR");
    const [width, height] = [png.readUInt32BE(16), png.readUInt32BE(20)];
    expect(width).toBeGreaterThan(600);
    expect(height).toBeGreaterThan(250);
    expect(png.length).toBeGreaterThan(5_000);
  });

  it("analytics_timeseries picks the granularity from the window and can filter by key", async () => {
    const data = await ok<{ time: string; total: number }[]>(s.client, "analytics_timeseries", { window: "PT2H", keyId: f.k2 });
    expect(data.length).toBeGreaterThanOrEqual(120); // minute buckets
    const expected = f.verifications.filter((v) => v.keyId === f.k2 && v.time >= Math.floor((now - 2 * HOUR) / 60_000) * 60_000).length;
    expect(expected).toBeGreaterThan(0);
    expect(data.reduce((n, p) => n + p.total, 0)).toBe(expected);
  });

  it("analytics_ratelimits: passed and denied per identifier, for a namespace or one identifier", async () => {
    const week = f.ratelimits.filter((r) => r.time >= now - 7 * DAY);
    const data = await ok<{ identifier: string; passed: number; denied: number; total: number; namespaceId: string }[]>(s.client, "analytics_ratelimits", {
      window: "P7D",
      namespaceId: f.namespaceId,
    });
    const expected = ["user_a", "user_b"].map((id) => {
      const mine = week.filter((r) => r.identifier === id);
      return {
        namespaceId: f.namespaceId,
        identifier: id,
        passed: mine.filter((r) => r.passed).length,
        denied: mine.filter((r) => !r.passed).length,
        total: mine.length,
      };
    });
    expect(data).toEqual(expected.sort((a, b) => b.denied - a.denied));
    const one = await call(s.client, "analytics_ratelimits", { window: "P7D", identifier: "user_a" });
    expect(one.text).toMatch(/identifier user_a .*\d+ denied/);
  });

  it("refuses an id that could break out of the SQL literal, before any call", async () => {
    const r = await call(s.client, "analytics_usage_summary", { keyId: "x' OR 1=1 --" });
    expect(r.isError).toBe(true);
    expect(r.text).toContain("keyId");
  });
});

describe("analytics helpers over streamable HTTP", () => {
  let http: SpawnedHttpServer;
  let client: Client;
  beforeAll(async () => {
    http = await spawnHttpServer(api.url);
    client = await connectHttpClient(`${http.url}/mcp/v2`, { "MCP-UNKEY-BEARER-AUTH": api.rootKey! });
  }, 60_000);
  afterAll(async () => {
    await client?.close();
    await http?.close();
  });

  it("analytics_usage_summary gives the same figures", async () => {
    await checkUsageSummary(client);
  });
});
