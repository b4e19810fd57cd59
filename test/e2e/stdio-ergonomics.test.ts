/**
 * What a model writes, as a person would say it, through the built server over stdio with the SDK
 * Client against the local API: times as ISO 8601, rate limits without autoApply, and the
 * mistakes (seconds for milliseconds, a past expiry, a runaway `meta`) refused before anything is
 * sent. Every effect is checked with a direct request to the API.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FREE_FORM_LIMITS } from "../../src/schemas/json-schema.js";
import { startLocalApi, type InProcessLocalApi } from "../helpers/local-api.js";
import { call, expectNoSecretsInServerStderr, ok, rememberSecret, startStdioServer, type StdioServer } from "../helpers/mcp-stdio.js";
import type { OperationId, ResponseData } from "../../src/local/handlers/types.js";

let api: InProcessLocalApi;
let s: StdioServer;
let apiId = "";

async function raw<Op extends OperationId>(path: Op, body: unknown): Promise<{ status: number; data: ResponseData<Op> }> {
  const res = await fetch(`${api.url}/v2/${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${api.rootKey}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as { data: ResponseData<Op> };
  return { status: res.status, data: json.data };
}

async function keyCount(): Promise<number> {
  return ((await raw("apis.listKeys", { apiId, limit: 100 })).data as unknown[]).length;
}

beforeAll(async () => {
  api = await startLocalApi();
  rememberSecret(api.rootKey);
  s = await startStdioServer({ rootKey: api.rootKey, apiUrl: api.url });
  ({ apiId } = (await raw("apis.createApi", { name: "e2e-ergonomics" })).data);
});

afterAll(async () => {
  await s?.close();
  expectNoSecretsInServerStderr();
  await api?.close();
});

describe("rate limits mean what the person said", () => {
  it("create_key with a limit and no autoApply: the limit is enforced on the next verifications", async () => {
    const created = await ok<{ keyId: string; key: string }>(s.client, "create_key", {
      apiId,
      ratelimits: [{ name: "requests", limit: 2, duration: "PT1H" }],
    });
    rememberSecret(created.key);
    const stored = (await raw("keys.getKey", { keyId: created.keyId })).data;
    expect(stored.ratelimits).toEqual([expect.objectContaining({ name: "requests", limit: 2, duration: 3_600_000, autoApply: true })]);
    const codes: string[] = [];
    for (let i = 0; i < 3; i++) codes.push((await ok<{ code: string }>(s.client, "verify_key", { key: created.key })).code);
    expect(codes).toEqual(["VALID", "VALID", "RATE_LIMITED"]);
  });

  it("autoApply: false is still sent as given", async () => {
    const created = await ok<{ keyId: string; key: string }>(s.client, "create_key", {
      apiId,
      ratelimits: [{ name: "named", limit: 1, duration: 60_000, autoApply: false }],
    });
    rememberSecret(created.key);
    expect((await raw("keys.getKey", { keyId: created.keyId })).data.ratelimits![0].autoApply).toBe(false);
  });
});

describe("times a model can express", () => {
  it('expires: "P90D" creates a key expiring 90 days from the request (±1 min), and get_key shows it in ISO 8601', async () => {
    const before = Date.now();
    const { keyId, key } = await ok<{ keyId: string; key: string }>(s.client, "create_key", { apiId, expires: "P90D" });
    rememberSecret(key);
    const expires = (await raw("keys.getKey", { keyId })).data.expires as number;
    expect(Math.abs(expires - (before + 90 * 86_400_000))).toBeLessThan(60_000);
    const shown = await ok<{ expires: number; expiresIso: string; expiresPast: boolean }>(s.client, "get_key", { keyId });
    expect(shown).toMatchObject({ expires, expiresIso: new Date(expires).toISOString().replace(/\.\d{3}Z$/, "Z"), expiresPast: false });
  });

  it("expires as an ISO 8601 date-time is sent as unix ms", async () => {
    const { keyId, key } = await ok<{ keyId: string; key: string }>(s.client, "create_key", { apiId, expires: "2031-05-01T12:00:00Z" });
    rememberSecret(key);
    expect((await raw("keys.getKey", { keyId })).data.expires).toBe(Date.parse("2031-05-01T12:00:00Z"));
  });

  it("expires in seconds is refused with the milliseconds meant, and nothing is created", async () => {
    const before = await keyCount();
    const r = await call(s.client, "create_key", { apiId, expires: 1803944371 });
    expect(r.isError).toBe(true);
    expect(r.text).toContain("expires: looks like seconds");
    expect(r.text).toContain("1803944371000");
    expect(r.text).toContain("nothing was sent to Unkey");
    expect(await keyCount()).toBe(before);
  });

  it("a past expires is refused, naming the field, and nothing is created", async () => {
    const before = await keyCount();
    const r = await call(s.client, "create_key", { apiId, expires: "2020-01-01T00:00:00Z" });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/expires: is in the past \(2020-01-01T00:00:00Z/);
    expect((r.structuredContent as { error: { fields: string[] } }).error.fields[0]).toMatch(/^expires: is in the past/);
    expect(await keyCount()).toBe(before);
  });

  it('duration: "PT1H" equals 3,600,000 ms', async () => {
    const r = await ok<{ limit: number; remaining: number }>(s.client, "check_ratelimit", {
      namespace: "ergonomics",
      identifier: "u1",
      limit: 5,
      duration: "PT1H",
    });
    expect(r).toMatchObject({ limit: 5, remaining: 4 });
    await ok(s.client, "set_ratelimit_override", { namespace: "ergonomics", identifier: "vip", limit: 100, duration: "PT1H" });
    const override = (await raw("ratelimit.getOverride", { namespace: "ergonomics", identifier: "vip" })).data;
    expect(override.duration).toBe(3_600_000);
  });

  it("a duration in seconds below the API's minimum is refused with the milliseconds meant", async () => {
    const r = await call(s.client, "check_ratelimit", { namespace: "ergonomics", identifier: "u2", limit: 5, duration: 60 });
    expect(r.isError).toBe(true);
    expect(r.text).toContain("duration: is below the minimum of 1000 ms; if seconds were meant, that is 60000 ms");
  });
});

describe("free-form objects have limits", () => {
  it(`a meta nested deeper than ${FREE_FORM_LIMITS.maxDepth} levels is refused before anything is sent`, async () => {
    const before = await keyCount();
    let meta: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 200; i++) meta = { nested: meta };
    const r = await call(s.client, "create_key", { apiId, meta });
    expect(r.isError).toBe(true);
    expect(r.text).toContain(`meta: is nested more than ${FREE_FORM_LIMITS.maxDepth} levels deep`);
    expect(await keyCount()).toBe(before);
  });

  it(`a meta larger than ${FREE_FORM_LIMITS.maxBytes} bytes is refused`, async () => {
    const r = await call(s.client, "update_identity", { identity: "nobody", meta: { blob: "x".repeat(FREE_FORM_LIMITS.maxBytes) } });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(new RegExp(`meta: is \\d+ bytes as JSON, more than ${FREE_FORM_LIMITS.maxBytes}`));
  });
});
