/**
 * keys.verifyKey against the local API over real HTTP, through the official SDK
 * where it can express the call, with the test clock driving time.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "./local-verify-support.js";

let h: Harness;
let apiId: string;

beforeAll(async () => {
  // Every 2xx body is checked against the contract's response schema (a mismatch is a 500).
  h = await startHarness({ validateResponses: true });
  apiId = (await h.unkey.apis.createApi({ name: "verify-tests" })).data.apiId;
});
afterAll(async () => {
  await h?.close();
});

type CreateKey = Parameters<Harness["unkey"]["keys"]["createKey"]>[0];
async function newKey(extra: Partial<CreateKey> = {}): Promise<{ keyId: string; key: string }> {
  const { data } = await h.unkey.keys.createKey({ apiId, prefix: "vt", ...extra });
  return data;
}

async function verify(body: Parameters<Harness["unkey"]["keys"]["verifyKey"]>[0]) {
  return (await h.unkey.keys.verifyKey(body)).data;
}

/** The key's rows in key_verifications_v1, in the order they were recorded (read from the analytics engine). */
async function verificationRows(keyId: string): Promise<{ outcome: string; spent_credits: number; tags: string[]; identity_id: string }[]> {
  const rows = await h.api.analytics.query(
    "verifications",
    `SELECT outcome, spent_credits, tags, identity_id FROM key_verifications_v1 WHERE key_id = '${keyId}'`,
    { workspaceId: h.api.workspaceId },
    h.clock.now,
  );
  return rows as { outcome: string; spent_credits: number; tags: string[]; identity_id: string }[];
}

async function verificationCount(): Promise<number> {
  const rows = await h.api.analytics.query("verifications", "SELECT count(*) AS n FROM key_verifications_v1", { workspaceId: h.api.workspaceId }, h.clock.now);
  return rows[0]!.n as number;
}

describe("verifyKey: VALID and the response data", () => {
  it("returns VALID with every non-empty field and omits the empty ones", async () => {
    await h.unkey.permissions.createRole({ name: "reader", permissions: ["docs.read"] });
    const { keyId, key } = await newKey({
      name: "full",
      meta: { plan: "pro" },
      expires: h.clock.now + 86_400_000,
      credits: { remaining: 5 },
      permissions: ["docs.write"],
      roles: ["reader"],
      externalId: "user_verify_full",
    });
    const data = await verify({ key });
    expect(data).toMatchObject({
      valid: true,
      code: "VALID",
      keyId,
      name: "full",
      enabled: true,
      meta: { plan: "pro" },
      expires: h.clock.now + 86_400_000,
      credits: 4,
      identity: { externalId: "user_verify_full" },
    });
    expect(data.identity?.id).toMatch(/^id_/);
    expect(data.permissions?.sort()).toEqual(["docs.read", "docs.write"]);
    expect(data.roles).toEqual(["reader"]);
  });

  it("omits optional fields entirely (never null) for a bare key", async () => {
    const { key, keyId } = await newKey();
    const raw = await h.post("keys.verifyKey", { key });
    expect(raw.status).toBe(200);
    expect(raw.body.data).toEqual({ valid: true, code: "VALID", keyId, enabled: true });
  });

  it("writes one analytics row per verification, with tags and the identity, and updates lastUsedAt", async () => {
    const { key, keyId } = await newKey({ externalId: "user_verify_rows" });
    h.clock.now += 1000;
    await verify({ key, tags: ["path=/a", "region=eu"] });
    await verify({ key });
    const rows = await verificationRows(keyId);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ outcome: "VALID", spent_credits: 0, tags: ["path=/a", "region=eu"] });
    expect(rows[0]!.identity_id).toMatch(/^id_/);
    const got = await h.unkey.keys.getKey({ keyId });
    expect(got.data.lastUsedAt).toBe(h.clock.now);
  });
});

describe("verifyKey: NOT_FOUND never leaks existence", () => {
  it("answers NOT_FOUND for an unknown key and writes no row", async () => {
    const before = await verificationCount();
    expect(await verify({ key: "vt_doesnotexist" })).toEqual({ valid: false, code: "NOT_FOUND" });
    expect(await verificationCount()).toBe(before);
  });

  it("answers NOT_FOUND for a soft-deleted key", async () => {
    const { key, keyId } = await newKey();
    await h.unkey.keys.deleteKey({ keyId });
    expect(await verify({ key })).toEqual({ valid: false, code: "NOT_FOUND" });
  });

  it("answers NOT_FOUND for a key whose API was deleted", async () => {
    const other = (await h.unkey.apis.createApi({ name: "doomed-api" })).data.apiId;
    const { key } = (await h.unkey.keys.createKey({ apiId: other })).data;
    await h.unkey.apis.deleteApi({ apiId: other });
    expect(await verify({ key })).toEqual({ valid: false, code: "NOT_FOUND" });
  });

  it("answers 200 NOT_FOUND (not 403) when the root key may not verify keys of that API", async () => {
    const { key, keyId } = await newKey();
    const noVerify = h.sdkWith(h.rootKeyWith("api.*.read_key"));
    expect((await noVerify.keys.verifyKey({ key })).data).toEqual({ valid: false, code: "NOT_FOUND" });
    expect((await verificationRows(keyId)).map((r) => r.outcome)).toEqual(["NOT_FOUND"]);
    expect((await h.unkey.keys.getKey({ keyId })).data.lastUsedAt).toBeUndefined();
    const otherApi = h.sdkWith(h.rootKeyWith("api.api_someotherapi.verify_key"));
    expect((await otherApi.keys.verifyKey({ key })).data).toEqual({ valid: false, code: "NOT_FOUND" });
    const thisApi = h.sdkWith(h.rootKeyWith(`api.${apiId}.verify_key`));
    expect((await thisApi.keys.verifyKey({ key })).data.code).toBe("VALID");
  });

  it("answers NOT_FOUND for a key of another workspace", async () => {
    const { key, keyId } = await newKey();
    h.api.store.run("INSERT INTO workspaces (id, name, enabled, created_at) VALUES ('ws_other', 'other', 1, 0)");
    h.api.store.run("UPDATE keys SET workspace_id = 'ws_other' WHERE id = ?", keyId);
    expect(await verify({ key })).toEqual({ valid: false, code: "NOT_FOUND" });
    expect(await verificationRows(keyId)).toHaveLength(0);
  });
});

describe("verifyKey: get-stage codes", () => {
  it("answers DISABLED with enabled:false", async () => {
    const { key } = await newKey({ enabled: false });
    expect(await verify({ key })).toMatchObject({ valid: false, code: "DISABLED", enabled: false });
  });

  it("answers EXPIRED once the clock passes expires, and VALID up to it", async () => {
    const expires = h.clock.now + 60_000;
    const { key, keyId } = await newKey({ expires });
    h.clock.now = expires;
    expect((await verify({ key })).code).toBe("VALID");
    h.clock.now = expires + 1;
    expect(await verify({ key })).toMatchObject({ valid: false, code: "EXPIRED", expires });
    expect((await verificationRows(keyId)).map((r) => r.outcome)).toEqual(["VALID", "EXPIRED"]);
  });

  it("answers FORBIDDEN when the keyspace has an IP whitelist the request cannot match", async () => {
    const other = (await h.unkey.apis.createApi({ name: "whitelisted" })).data.apiId;
    const { key } = (await h.unkey.keys.createKey({ apiId: other, credits: { remaining: 3 } })).data;
    h.api.store.run("UPDATE key_spaces SET ip_whitelist = '10.0.0.1, 10.0.0.2' WHERE id = (SELECT key_space_id FROM apis WHERE id = ?)", other);
    expect(await verify({ key })).toMatchObject({ valid: false, code: "FORBIDDEN", credits: 3 });
  });

  it("lets a caller whose address is on the keyspace's IP whitelist through", async () => {
    const listed = (await h.unkey.apis.createApi({ name: "whitelisted-loopback" })).data.apiId;
    const { key } = (await h.unkey.keys.createKey({ apiId: listed, credits: { remaining: 3 } })).data;
    h.api.store.run("UPDATE key_spaces SET ip_whitelist = '10.0.0.1, 127.0.0.1' WHERE id = (SELECT key_space_id FROM apis WHERE id = ?)", listed);
    expect(await verify({ key })).toMatchObject({ valid: true, code: "VALID", credits: 2 });
  });

  it("checks DISABLED before EXPIRED", async () => {
    const { key } = await newKey({ enabled: false, expires: h.clock.now });
    h.clock.now += 10;
    expect((await verify({ key })).code).toBe("DISABLED");
  });
});

describe("verifyKey: permissions", () => {
  it("answers INSUFFICIENT_PERMISSIONS when the query is not satisfied, counting role permissions", async () => {
    await h.unkey.permissions.createRole({ name: "billing", permissions: ["billing.read"] });
    const { key } = await newKey({ permissions: ["docs.read"], roles: ["billing"] });
    expect((await verify({ key, permissions: "docs.read AND billing.read" })).code).toBe("VALID");
    expect((await verify({ key, permissions: "docs.read AND docs.write" })).code).toBe("INSUFFICIENT_PERMISSIONS");
    expect((await verify({ key, permissions: "docs.write OR (billing.read and docs.read)" })).code).toBe("VALID");
    // `*` is literal: docs.* does not grant docs.read.
    const star = await newKey({ permissions: ["docs.*"] });
    expect((await verify({ key: star.key, permissions: "docs.read" })).code).toBe("INSUFFICIENT_PERMISSIONS");
  });

  it("rejects a malformed query with 400 permissions_query_syntax_error at body.permissions", async () => {
    const { key } = await newKey();
    const res = await h.post("keys.verifyKey", { key, permissions: "docs.read AND (" });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      type: "https://unkey.com/docs/errors/user/bad_request/permissions_query_syntax_error",
      status: 400,
      errors: [{ location: "body.permissions" }],
    });
    expect(res.body.error.detail).toContain("Unexpected end of query");
    const bad = await h.post("keys.verifyKey", { key, permissions: "docs.read && x" });
    expect(bad.status).toBe(400);
    expect(bad.body.error.detail).toContain("Invalid character '&' found in query at position 10");
  });

  it("parses the query after the key lookup, as Unkey's handler: unknown key → 200 NOT_FOUND, found key (even disabled) → 400", async () => {
    const unknown = await h.post("keys.verifyKey", { key: "vt_doesnotexist", permissions: "docs.read AND (" });
    expect(unknown.status).toBe(200);
    expect(unknown.body.data).toEqual({ valid: false, code: "NOT_FOUND" });
    const { key } = await newKey({ enabled: false });
    const disabled = await h.post("keys.verifyKey", { key, permissions: "docs.read AND (" });
    expect(disabled.status).toBe(400);
    expect(disabled.body.error.type).toBe("https://unkey.com/docs/errors/user/bad_request/permissions_query_syntax_error");
  });

  it("does not consume credits or rate limits when permissions fail", async () => {
    const { key, keyId } = await newKey({
      credits: { remaining: 5 },
      ratelimits: [{ name: "perm-rl", limit: 1, duration: 60_000, autoApply: true }],
    });
    for (let i = 0; i < 3; i++) {
      expect(await verify({ key, permissions: "nope" })).toMatchObject({ code: "INSUFFICIENT_PERMISSIONS", credits: 5 });
    }
    const ok = await verify({ key });
    expect(ok).toMatchObject({ code: "VALID", credits: 4 });
    expect(ok.ratelimits?.[0]).toMatchObject({ name: "perm-rl", exceeded: false, remaining: 0 });
    expect((await verificationRows(keyId)).map((r) => r.outcome)).toEqual([
      "INSUFFICIENT_PERMISSIONS",
      "INSUFFICIENT_PERMISSIONS",
      "INSUFFICIENT_PERMISSIONS",
      "VALID",
    ]);
  });
});

describe("verifyKey: credits", () => {
  it("charges 1 by default, `cost` when given, and 0 always passes", async () => {
    const { key, keyId } = await newKey({ credits: { remaining: 3 } });
    expect(await verify({ key })).toMatchObject({ code: "VALID", credits: 2 });
    expect(await verify({ key, credits: { cost: 2 } })).toMatchObject({ code: "VALID", credits: 0 });
    expect(await verify({ key, credits: { cost: 0 } })).toMatchObject({ code: "VALID", credits: 0 });
    expect(await verify({ key })).toMatchObject({ valid: false, code: "USAGE_EXCEEDED", credits: 0 });
    expect((await verificationRows(keyId)).map((r) => r.spent_credits)).toEqual([1, 2, 0, 0]);
  });

  it("denies a cost above the balance without decrementing anything", async () => {
    const { key } = await newKey({ credits: { remaining: 4 } });
    expect(await verify({ key, credits: { cost: 5 } })).toMatchObject({ code: "USAGE_EXCEEDED", credits: 4 });
    expect(await verify({ key, credits: { cost: 4 } })).toMatchObject({ code: "VALID", credits: 0 });
  });

  it("never charges a key without a credit limit", async () => {
    const { key } = await newKey();
    const data = await verify({ key, credits: { cost: 1000 } });
    expect(data.code).toBe("VALID");
    expect(data).not.toHaveProperty("credits");
  });

  it("gives exactly 50 VALID out of 200 concurrent verifications of a key with 50 credits", async () => {
    const { key, keyId } = await newKey({ credits: { remaining: 50 } });
    const results = await Promise.all(Array.from({ length: 200 }, () => h.post("keys.verifyKey", { key }).then((r) => r.body.data.code as string)));
    expect(results.filter((c) => c === "VALID")).toHaveLength(50);
    expect(results.filter((c) => c === "USAGE_EXCEEDED")).toHaveLength(150);
    expect((await h.unkey.keys.getKey({ keyId })).data.credits?.remaining).toBe(0);
  });
});

describe("verifyKey: rate limits", () => {
  it("applies autoApply limits with cost 1 and answers RATE_LIMITED without spending credits", async () => {
    const { key, keyId } = await newKey({
      credits: { remaining: 10 },
      ratelimits: [{ name: "burst", limit: 2, duration: 10_000, autoApply: true }],
    });
    expect(await verify({ key })).toMatchObject({ code: "VALID", credits: 9 });
    const second = await verify({ key });
    expect(second.ratelimits).toEqual([
      {
        id: expect.stringMatching(/^rl_/),
        name: "burst",
        limit: 2,
        duration: 10_000,
        autoApply: true,
        exceeded: false,
        remaining: 0,
        reset: Math.floor(h.clock.now / 10_000) * 10_000 + 10_000,
      },
    ]);
    const third = await verify({ key });
    expect(third).toMatchObject({ valid: false, code: "RATE_LIMITED", credits: 8 });
    expect(third.ratelimits?.[0]).toMatchObject({ exceeded: true, remaining: 0 });
    // Twenty seconds later both buckets have rolled out of the window.
    h.clock.now += 20_000;
    expect((await verify({ key })).code).toBe("VALID");
    expect((await verificationRows(keyId)).map((r) => r.outcome)).toEqual(["VALID", "VALID", "RATE_LIMITED", "VALID"]);
  });

  it("checks a named non-auto limit only when requested, at the requested cost", async () => {
    const { key } = await newKey({ ratelimits: [{ name: "tokens", limit: 10, duration: 60_000, autoApply: false }] });
    expect((await verify({ key })).ratelimits).toBeUndefined();
    const a = await verify({ key, ratelimits: [{ name: "tokens", cost: 7 }] });
    expect(a.ratelimits?.[0]).toMatchObject({ name: "tokens", autoApply: false, remaining: 3, exceeded: false });
    const b = await verify({ key, ratelimits: [{ name: "tokens", cost: 4 }] });
    expect(b).toMatchObject({ code: "RATE_LIMITED" });
    expect(b.ratelimits?.[0]).toMatchObject({ exceeded: true, remaining: 0 });
  });

  it("applies an ad-hoc {name, limit, duration} limit on the key", async () => {
    const { key } = await newKey();
    const first = await verify({ key, ratelimits: [{ name: "adhoc", limit: 1, duration: 5_000 }] });
    expect(first.ratelimits?.[0]).toMatchObject({ name: "adhoc", limit: 1, duration: 5_000, autoApply: false, remaining: 0 });
    expect((await verify({ key, ratelimits: [{ name: "adhoc", limit: 1, duration: 5_000 }] })).code).toBe("RATE_LIMITED");
  });

  it("answers 412 precondition_failed naming the missing limit", async () => {
    const plain = await newKey();
    const res = await h.post("keys.verifyKey", { key: plain.key, ratelimits: [{ name: "ghost" }] });
    expect(res.status).toBe(412);
    expect(res.body.error).toMatchObject({ type: "https://unkey.com/docs/errors/unkey/application/precondition_failed" });
    expect(res.body.error.detail).toBe(`ratelimit 'ghost' was requested but does not exist for key '${plain.keyId}' and there is no identity connected.`);
    const withIdentity = await newKey({ externalId: "user_412" });
    const res2 = await h.post("keys.verifyKey", { key: withIdentity.key, ratelimits: [{ name: "ghost" }] });
    expect(res2.status).toBe(412);
    expect(res2.body.error.detail).toMatch(/^ratelimit 'ghost' was requested but does not exist for key '.+' nor identity: 'id_.+' external ID: 'user_412'$/);
  });

  it("is all-or-nothing across several limits", async () => {
    const { key } = await newKey({
      ratelimits: [
        { name: "wide", limit: 100, duration: 60_000, autoApply: true },
        { name: "narrow", limit: 1, duration: 60_000, autoApply: true },
      ],
    });
    expect((await verify({ key })).code).toBe("VALID");
    const denied = await verify({ key });
    expect(denied.code).toBe("RATE_LIMITED");
    const wide = denied.ratelimits?.find((r) => r.name === "wide");
    expect(wide).toMatchObject({ exceeded: false, remaining: 99 });
    // The denied attempt gave its token back to "wide": 99 remain, not 98.
    h.clock.now += 120_000;
    const later = await verify({ key });
    expect(later.ratelimits?.find((r) => r.name === "wide")?.remaining).toBe(99);
  });

  it("shares identity limits across the identity's keys, and lets a key-level limit of the same name win", async () => {
    await h.unkey.identities.createIdentity({
      externalId: "org_shared",
      ratelimits: [
        { name: "org", limit: 3, duration: 60_000, autoApply: true },
        { name: "per-key", limit: 1, duration: 60_000, autoApply: true },
      ],
    });
    const a = await newKey({ externalId: "org_shared" });
    const b = await newKey({
      externalId: "org_shared",
      ratelimits: [{ name: "per-key", limit: 5, duration: 60_000, autoApply: true }],
    });
    const ra = await verify({ key: a.key });
    expect(ra.identity?.ratelimits?.map((r) => r.name).sort()).toEqual(["org", "per-key"]);
    expect(ra.ratelimits?.find((r) => r.name === "org")?.remaining).toBe(2);
    // b spends from the same "org" bucket…
    expect((await verify({ key: b.key })).ratelimits?.find((r) => r.name === "org")?.remaining).toBe(1);
    // …but uses its own per-key limit of 5, not the identity's 1.
    const rb = await verify({ key: b.key });
    expect(rb.ratelimits?.find((r) => r.name === "per-key")).toMatchObject({ limit: 5, remaining: 3 });
    expect(rb.ratelimits?.find((r) => r.name === "org")?.remaining).toBe(0);
    expect((await verify({ key: a.key })).code).toBe("RATE_LIMITED");
  });
});

describe("verifyKey: reroll", () => {
  it("keeps the old key VALID until the minute-rounded expiration and EXPIRED after it", async () => {
    const t = Date.UTC(2025, 0, 20, 10, 0, 15, 500);
    h.clock.now = t;
    const { key, keyId } = await newKey({ credits: { remaining: 10 } });
    const rerolled = (await h.unkey.keys.rerollKey({ keyId, expiration: 30_000 })).data;
    expect(rerolled.keyId).not.toBe(keyId);
    // now + 30 s = 10:00:45.5, rounded up to the next whole minute: 10:01:00.
    const expiresAt = Date.UTC(2025, 0, 20, 10, 1, 0);
    h.clock.now = expiresAt;
    expect(await verify({ key })).toMatchObject({ code: "VALID", expires: expiresAt });
    h.clock.now = expiresAt + 1;
    expect((await verify({ key })).code).toBe("EXPIRED");
    expect(await verify({ key: rerolled.key })).toMatchObject({ code: "VALID", credits: 9 });
  });
});
