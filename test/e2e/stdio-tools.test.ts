/**
 * Every one of the 45 tools, called through the built server over stdio with the SDK Client,
 * against the local API; each effect is checked with a direct request to the API (not just
 * "no error"). Includes pagination over more than one page, the multiLimit wrapper and
 * updateKey's "omitted stays, null clears" semantics.
 *
 * The tests share one server and one API created in beforeAll; every test creates, through the
 * API directly, the keys it changes, so each can run (and fail) on its own. The last test checks
 * that the file as a whole called every tool: it relies on running after the others, which vitest
 * guarantees within a file.
 */
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalApi, type InProcessLocalApi } from "../helpers/local-api.js";
import { call, expectNoSecretsInServerStderr, okConfirmed, rememberSecret, startStdioServer, type StdioServer } from "../helpers/mcp-stdio.js";
import type { OperationId, ResponseData } from "../../src/local/handlers/types.js";

let api: InProcessLocalApi;
let s: StdioServer;
const called = new Set<string>();

/** A tool call through MCP that must succeed (confirming guarded calls); records the tool as covered. */
async function tool<T = Record<string, unknown>>(name: string, args: Record<string, unknown>): Promise<T> {
  called.add(name);
  return okConfirmed<T>(s.client, name, args);
}

/** A request straight to the local API with the admin root key: the independent check. */
async function raw<Op extends OperationId>(path: Op, body: unknown): Promise<{ status: number; data: ResponseData<Op>; body: unknown }> {
  const res = await fetch(`${api.url}/v2/${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${api.rootKey}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as { data: ResponseData<Op> };
  return { status: res.status, data: json.data, body: json };
}

const uniq = (p: string): string => `${p}${Math.random().toString(36).slice(2, 8)}`;

/** Shared fixtures, created through the API directly in beforeAll. */
let apiId = "";
let roleA = "";
let roleB = "";

/** A fresh key under the shared API, created through the API directly (not a tool under test). */
async function rawKey(body: Record<string, unknown> = {}): Promise<{ keyId: string; key: string }> {
  const res = await raw("keys.createKey", { apiId, ...body });
  if (res.status !== 200) throw new Error(`fixture key: ${JSON.stringify(res.body)}`);
  rememberSecret(res.data.key);
  return res.data;
}

beforeAll(async () => {
  api = await startLocalApi();
  rememberSecret(api.rootKey);
  // Debug logging logs every call's arguments: the harshest setting for the secret check.
  s = await startStdioServer({ rootKey: api.rootKey, apiUrl: api.url, args: ["--log-level", "debug"] });
  ({ apiId } = (await raw("apis.createApi", { name: "e2e-tools" })).data);
  roleA = uniq("role_a_");
  roleB = uniq("role_b_");
  for (const name of [roleA, roleB]) {
    const res = await raw("permissions.createRole", { name });
    if (res.status !== 200) throw new Error(`fixture role: ${JSON.stringify(res.body)}`);
  }
});

afterAll(async () => {
  await s?.close();
  expect(s.stderr()).toContain('"msg":"arguments"');
  expectNoSecretsInServerStderr();
  await api?.close();
});

describe("every tool over stdio, effects verified through the API", () => {
  it("apis: create_api, get_api, delete_api", async () => {
    const { apiId: made } = await tool<{ apiId: string }>("create_api", { name: "e2e-made" });
    expect((await raw("apis.getApi", { apiId: made })).data).toMatchObject({ id: made, name: "e2e-made" });
    expect(await tool("get_api", { apiId: made })).toMatchObject({ id: made, name: "e2e-made" });

    const { apiId: doomed } = await tool<{ apiId: string }>("create_api", { name: "e2e-doomed" });
    await tool("delete_api", { apiId: doomed });
    expect((await raw("apis.getApi", { apiId: doomed })).status).toBe(404);
  });

  it("keys: create_key, get_key, whoami_key", async () => {
    const created = await tool<{ keyId: string; key: string }>("create_key", {
      apiId,
      name: "primary",
      prefix: "e2e",
      meta: { plan: "pro" },
      credits: { remaining: 10 },
    });
    const { keyId, key: plaintext } = created;
    rememberSecret(plaintext);
    expect(plaintext.startsWith("e2e_")).toBe(true);
    const stored = (await raw("keys.getKey", { keyId })).data;
    expect(stored).toMatchObject({ keyId, name: "primary", meta: { plan: "pro" }, credits: { remaining: 10 }, enabled: true });

    expect(await tool("get_key", { keyId })).toMatchObject({ keyId, name: "primary" });
    expect(await tool("whoami_key", { key: plaintext })).toMatchObject({ keyId, name: "primary" });
  });

  it("keys: verify_key spends a credit", async () => {
    const { keyId, key: plaintext } = await rawKey({ credits: { remaining: 10 } });
    const v = await tool<{ valid: boolean; code: string; keyId: string }>("verify_key", { key: plaintext });
    expect(v).toMatchObject({ valid: true, code: "VALID", keyId });
    expect((await raw("keys.getKey", { keyId })).data.credits!.remaining).toBe(9);
  });

  it("keys: update_key_credits increments and sets", async () => {
    const { keyId } = await rawKey({ credits: { remaining: 9 } });
    expect(await tool("update_key_credits", { keyId, operation: "increment", value: 5 })).toMatchObject({ remaining: 14 });
    expect((await raw("keys.getKey", { keyId })).data.credits!.remaining).toBe(14);
    await tool("update_key_credits", { keyId, operation: "set", value: 3 });
    expect((await raw("keys.getKey", { keyId })).data.credits!.remaining).toBe(3);
  });

  it("keys: update_key keeps omitted fields and clears fields given as null", async () => {
    const { keyId: k } = await tool<{ keyId: string }>("create_key", {
      apiId,
      name: "to-clear",
      meta: { a: 1 },
      expires: Date.now() + 86_400_000,
      externalId: uniq("owner_"),
    });
    const before = (await raw("keys.getKey", { keyId: k })).data;
    expect(before.expires).toBeDefined();
    expect(before.identity).toBeDefined();

    await tool("update_key", { keyId: k, name: null, meta: null, expires: null });
    const after = (await raw("keys.getKey", { keyId: k })).data;
    expect(after.name).toBeUndefined();
    expect(after.meta).toBeUndefined();
    expect(after.expires).toBeUndefined();
    // Omitted: unchanged.
    expect(after.identity?.externalId).toBe(before.identity!.externalId);
    expect(after.enabled).toBe(true);

    await tool("update_key", { keyId: k, enabled: false, name: "disabled-now" });
    expect((await raw("keys.getKey", { keyId: k })).data).toMatchObject({ enabled: false, name: "disabled-now" });
  });

  it("keys: add/remove/set permissions", async () => {
    const { keyId } = await rawKey();
    await tool("add_key_permissions", { keyId, permissions: ["documents.read", "documents.write"] });
    expect((await raw("keys.getKey", { keyId })).data.permissions!.sort()).toEqual(["documents.read", "documents.write"]);
    await tool("remove_key_permissions", { keyId, permissions: ["documents.write"] });
    expect((await raw("keys.getKey", { keyId })).data.permissions).toEqual(["documents.read"]);
    await tool("set_key_permissions", { keyId, permissions: ["billing.read"] });
    expect((await raw("keys.getKey", { keyId })).data.permissions).toEqual(["billing.read"]);
  });

  it("permissions and roles: create/get/list/delete, set_role_permissions, key roles", async () => {
    const { keyId } = await rawKey();
    const slug = uniq("reports.read.");
    const { permissionId } = await tool<{ permissionId: string }>("create_permission", { name: slug, slug });
    expect((await raw("permissions.getPermission", { permission: permissionId })).data).toMatchObject({ id: permissionId, slug });
    expect(await tool("get_permission", { permission: permissionId })).toMatchObject({ slug });
    const perms = await tool<Array<{ slug: string }>>("list_permissions", { limit: 100 });
    expect(perms.map((p) => p.slug)).toContain(slug);

    const roleName = uniq("analyst_");
    const { roleId } = await tool<{ roleId: string }>("create_role", { name: roleName, description: "reads reports" });
    expect((await raw("permissions.getRole", { role: roleId })).data).toMatchObject({ id: roleId, name: roleName });
    expect(await tool("get_role", { role: roleId })).toMatchObject({ name: roleName });
    const roles = await tool<Array<{ name: string }>>("list_roles", { limit: 100 });
    expect(roles.map((r) => r.name)).toContain(roleName);

    await tool("set_role_permissions", { roleId, permissions: [slug] });
    expect((await raw("permissions.getRole", { role: roleId })).data.permissions!.map((p) => p.slug)).toEqual([slug]);

    await tool("add_key_roles", { keyId, roles: [roleName, roleA] });
    expect((await raw("keys.getKey", { keyId })).data.roles!.sort()).toEqual([roleName, roleA].sort());
    await tool("remove_key_roles", { keyId, roles: [roleA] });
    expect((await raw("keys.getKey", { keyId })).data.roles).toEqual([roleName]);
    await tool("set_key_roles", { keyId, roles: [roleB] });
    expect((await raw("keys.getKey", { keyId })).data.roles).toEqual([roleB]);

    const { roleId: doomedRole } = await tool<{ roleId: string }>("create_role", { name: uniq("doomed_") });
    await tool("delete_role", { role: doomedRole });
    expect((await raw("permissions.getRole", { role: doomedRole })).status).toBe(404);
    await tool("delete_permission", { permission: permissionId });
    expect((await raw("permissions.getPermission", { permission: permissionId })).status).toBe(404);
  });

  it("keys: list_keys pages through more than one page with the cursor from the text", async () => {
    const { apiId: listApi } = await tool<{ apiId: string }>("create_api", { name: "e2e-paging" });
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push((await tool<{ keyId: string }>("create_key", { apiId: listApi, name: `page-${i}` })).keyId);

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const r = await call(s.client, "list_keys", { apiId: listApi, limit: 2, ...(cursor ? { cursor } : {}) });
      called.add("list_keys");
      expect(r.isError).toBeFalsy();
      pages++;
      const sc = r.structuredContent as { data: Array<{ keyId: string }>; pagination?: { cursor?: string; hasMore: boolean } };
      seen.push(...sc.data.map((k) => k.keyId));
      const m = /More results: call list_keys again with cursor="([^"]+)"/.exec(r.text);
      cursor = m?.[1];
      if (sc.pagination?.hasMore) expect(cursor).toBe(sc.pagination.cursor);
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual(made.sort());
  });

  it("keys: reroll_key issues a new key and revokes the old one", async () => {
    const { keyId: oldId, key: oldKey } = await tool<{ keyId: string; key: string }>("create_key", { apiId, name: "to-roll", roles: [] });
    rememberSecret(oldKey);
    const preview = await call(s.client, "reroll_key", { keyId: oldId, expiration: 0 });
    const token = (preview.structuredContent as { confirmation: { token: string } }).confirmation.token;
    const r = await call(s.client, "reroll_key", { keyId: oldId, expiration: 0, confirm: token });
    called.add("reroll_key");
    expect(r.isError).toBeFalsy();
    expect(r.text).toContain("Shown once — store it now");
    const rolled = (r.structuredContent as { data: { keyId: string; key: string } }).data;
    rememberSecret(rolled.key);
    expect(rolled.keyId).not.toBe(oldId);
    expect((await raw("keys.verifyKey", { key: rolled.key })).data).toMatchObject({ valid: true, keyId: rolled.keyId });
    expect((await raw("keys.verifyKey", { key: oldKey })).data.valid).toBe(false);
  });

  it("keys: migrate_keys imports a hash that then verifies", async () => {
    const secret = `legacy_${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
    rememberSecret(secret);
    const hash = createHash("sha256").update(secret).digest("base64");
    const res = await tool<{ migrated: Array<{ hash: string; keyId: string }>; failed: string[] }>("migrate_keys", {
      migrationId: "mig_e2e_tools",
      apiId,
      keys: [{ hash, name: "imported" }],
    });
    expect(res.failed).toEqual([]);
    expect(res.migrated).toHaveLength(1);
    expect((await raw("keys.getKey", { keyId: res.migrated[0].keyId })).data.name).toBe("imported");
    expect((await raw("keys.verifyKey", { key: secret, migrationId: "mig_e2e_tools" })).data.valid).toBe(true);
  });

  it("keys: delete_key removes the key", async () => {
    const { keyId: k } = await tool<{ keyId: string }>("create_key", { apiId, name: "to-delete" });
    await tool("delete_key", { keyId: k });
    expect((await raw("keys.getKey", { keyId: k })).status).toBe(404);
  });

  it("identities: create/get/update/delete and list over two pages", async () => {
    const ext = uniq("cust_");
    const { identityId } = await tool<{ identityId: string }>("create_identity", { externalId: ext, meta: { tier: "free" } });
    expect((await raw("identities.getIdentity", { identity: identityId })).data).toMatchObject({ externalId: ext, meta: { tier: "free" } });
    expect(await tool("get_identity", { identity: ext })).toMatchObject({ id: identityId });

    await tool("update_identity", { identity: ext, meta: { tier: "pro" }, ratelimits: [{ name: "requests", limit: 100, duration: 60_000, autoApply: false }] });
    const updated = (await raw("identities.getIdentity", { identity: identityId })).data;
    expect(updated.meta).toEqual({ tier: "pro" });
    expect(updated.ratelimits).toEqual([expect.objectContaining({ name: "requests", limit: 100, duration: 60_000 })]);

    for (let i = 0; i < 2; i++) await tool("create_identity", { externalId: uniq(`page_${i}_`) });
    const first = await call(s.client, "list_identities", { limit: 2 });
    called.add("list_identities");
    const firstPage = first.structuredContent as { data: Array<{ id: string }>; pagination: { cursor?: string; hasMore: boolean } };
    expect(firstPage.data).toHaveLength(2);
    expect(firstPage.pagination.hasMore).toBe(true);
    expect(first.text).toContain(`cursor=${JSON.stringify(firstPage.pagination.cursor)}`);
    const second = await tool<Array<{ id: string }>>("list_identities", { limit: 2, cursor: firstPage.pagination.cursor });
    expect(second.length).toBeGreaterThan(0);
    expect(second.map((i) => i.id)).not.toContain(firstPage.data[0].id);

    await tool("delete_identity", { identity: identityId });
    expect((await raw("identities.getIdentity", { identity: identityId })).status).toBe(404);
  });

  it("ratelimit: check_ratelimit spends tokens until the limit", async () => {
    const ns = uniq("e2e.ns.");
    const args = { namespace: ns, identifier: "user_1", limit: 2, duration: 60_000 };
    const a = await tool<{ success: boolean; remaining: number }>("check_ratelimit", args);
    const b = await tool<{ success: boolean; remaining: number }>("check_ratelimit", args);
    const c = await tool<{ success: boolean; remaining: number }>("check_ratelimit", args);
    expect([a.success, b.success, c.success]).toEqual([true, true, false]);
    expect(c.remaining).toBe(0);
  });

  it("ratelimit: check_ratelimits sends the wrapped checks as one bare-array request", async () => {
    const ns = uniq("e2e.multi.");
    const res = await tool<{ passed: boolean; limits: Array<{ identifier: string; remaining: number; passed: boolean }> }>("check_ratelimits", {
      checks: [
        { namespace: ns, identifier: "a", limit: 5, duration: 60_000 },
        { namespace: ns, identifier: "b", limit: 1, duration: 60_000, cost: 1 },
      ],
    });
    expect(res.passed).toBe(true);
    expect(res.limits.map((l) => [l.identifier, l.remaining])).toEqual([
      ["a", 4],
      ["b", 0],
    ]);
    // The tokens were really spent: the API now refuses b.
    expect((await raw("ratelimit.limit", { namespace: ns, identifier: "b", limit: 1, duration: 60_000 })).data.success).toBe(false);
  });

  it("ratelimit: set/get/list/delete overrides, listing over two pages", async () => {
    const ns = uniq("e2e.ovr.");
    await raw("ratelimit.limit", { namespace: ns, identifier: "seed", limit: 10, duration: 60_000 });
    const { overrideId } = await tool<{ overrideId: string }>("set_ratelimit_override", { namespace: ns, identifier: "vip_*", limit: 1000, duration: 60_000 });
    await tool("set_ratelimit_override", { namespace: ns, identifier: "blocked", limit: 0, duration: 60_000 });
    expect((await raw("ratelimit.getOverride", { namespace: ns, identifier: "vip_*" })).data).toMatchObject({ overrideId, limit: 1000 });
    expect(await tool("get_ratelimit_override", { namespace: ns, identifier: "vip_*" })).toMatchObject({ overrideId, limit: 1000, duration: 60_000 });
    // The override applies to a matching identifier.
    expect((await raw("ratelimit.limit", { namespace: ns, identifier: "vip_42", limit: 1, duration: 60_000 })).data).toMatchObject({
      limit: 1000,
      success: true,
    });

    const first = await call(s.client, "list_ratelimit_overrides", { namespace: ns, limit: 1 });
    called.add("list_ratelimit_overrides");
    const page1 = first.structuredContent as { data: Array<{ identifier: string }>; pagination: { cursor?: string; hasMore: boolean } };
    expect(page1.data).toHaveLength(1);
    expect(page1.pagination.hasMore).toBe(true);
    const page2 = await tool<Array<{ identifier: string }>>("list_ratelimit_overrides", { namespace: ns, limit: 1, cursor: page1.pagination.cursor });
    expect([...page1.data, ...page2].map((o) => o.identifier).sort()).toEqual(["blocked", "vip_*"]);

    await tool("delete_ratelimit_override", { namespace: ns, identifier: "vip_*" });
    expect((await raw("ratelimit.getOverride", { namespace: ns, identifier: "vip_*" })).status).toBe(404);
  });

  it("analytics: query_key_verifications and query_ratelimit_analytics", async () => {
    const { keyId, key } = await rawKey();
    expect((await raw("keys.verifyKey", { key })).data.valid).toBe(true);
    // The local API records the events and answers the SQL (src/local/analytics).
    const cases: Array<[string, string, (rows: Array<Record<string, unknown>>) => void]> = [
      [
        "query_key_verifications",
        `SELECT outcome, COUNT(*) AS total FROM key_verifications_v1 WHERE key_id = '${keyId}' GROUP BY outcome`,
        (rows) => expect(rows).toEqual(expect.arrayContaining([expect.objectContaining({ outcome: "VALID", total: 1 })])),
      ],
      [
        "query_ratelimit_analytics",
        "SELECT passed, COUNT(*) AS total FROM ratelimits_v1 GROUP BY passed ORDER BY passed",
        (rows) => expect(rows.length).toBeGreaterThan(0),
      ],
    ];
    for (const [name, query, check] of cases) {
      const r = await call(s.client, name, { query });
      called.add(name);
      expect(r.isError, r.text).toBeFalsy();
      check((r.structuredContent as { data: Array<Record<string, unknown>> }).data);
    }
  });

  it("analytics helpers: usage summary, top, time series, rate limits (figures: test/e2e/analytics-tools.test.ts)", async () => {
    const { keyId, key } = await rawKey();
    expect((await raw("keys.verifyKey", { key })).data.valid).toBe(true);
    const usage = await tool<{ total: number; valid: number }>("analytics_usage_summary", { window: "PT1H", keyId });
    expect(usage).toMatchObject({ total: 1, valid: 1 });
    const top = await tool<{ key_id: string }[]>("analytics_top", { by: "key", window: "PT1H", limit: 100 });
    expect(top.map((r) => r.key_id)).toContain(keyId);
    const series = await tool<{ total: number }[]>("analytics_timeseries", { window: "PT1H", granularity: "minute", keyId });
    expect(series.reduce((n, p) => n + p.total, 0)).toBe(1);
    const limits = await tool<{ total: number }[]>("analytics_ratelimits", { window: "P1D" });
    expect(Array.isArray(limits)).toBe(true);
  });

  // Runs last (vitest runs a file's tests in order) and counts what the tests above called.
  it("the tests above called every one of the 45 tools", async () => {
    const { tools } = await s.client.listTools();
    expect(tools).toHaveLength(45);
    const missing = tools.map((t) => t.name).filter((n) => !called.has(n));
    expect(
      missing,
      `${missing.length} tool(s) not called by any test in this file (a test was skipped or filtered out, or a new tool has no test): ${missing.join(", ")}`,
    ).toEqual([]);
  });
});
