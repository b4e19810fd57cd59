/**
 * ratelimit.* and analytics.* against the local API over real HTTP, through the
 * official SDK where practical, with the test clock driving the windows.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "./local-verify-support.js";

let h: Harness;
const W = 10_000; // a 10 s window
let t0: number; // start of a fresh 10 s bucket

beforeAll(async () => {
  h = await startHarness();
  t0 = Math.ceil(h.clock.now / W) * W;
  h.clock.now = t0;
});
afterAll(async () => {
  await h?.close();
});

const limit = (namespace: string, identifier: string, extra: { limit?: number; duration?: number; cost?: number } = {}) =>
  h.unkey.ratelimit.limit({ namespace, identifier, limit: extra.limit ?? 5, duration: extra.duration ?? W, cost: extra.cost }).then((r) => r.data);

/** The namespace's rows in ratelimits_v1, in the order they were recorded (read from the analytics engine). */
async function events(
  namespaceId: string,
): Promise<{ identifier: string; passed: boolean; limit: number; remaining: number; override_id: string; tokens: number }[]> {
  const rows = await h.api.analytics.query(
    "ratelimits",
    `SELECT identifier, passed, "limit", remaining, override_id, tokens FROM ratelimits_v1 WHERE namespace_id = '${namespaceId}'`,
    { workspaceId: h.api.workspaceId },
    h.clock.now,
  );
  return rows as { identifier: string; passed: boolean; limit: number; remaining: number; override_id: string; tokens: number }[];
}
function namespaceId(name: string): string {
  return h.api.store.get<{ id: string }>("SELECT id FROM ratelimit_namespaces WHERE name = ?", name)!.id;
}

describe("ratelimit.limit", () => {
  it("auto-creates the namespace, counts down, and reports reset as absolute ms", async () => {
    h.clock.now = t0 + 1_000;
    expect(await limit("api.requests", "user_1")).toEqual({ limit: 5, remaining: 4, reset: t0 + W, success: true });
    expect(namespaceId("api.requests")).toMatch(/^rlns_/);
    for (let i = 0; i < 4; i++) await limit("api.requests", "user_1");
    expect(await limit("api.requests", "user_1")).toEqual({ limit: 5, remaining: 0, reset: t0 + W, success: false });
    // Another identifier has its own counter.
    expect((await limit("api.requests", "user_2")).remaining).toBe(4);
  });

  it("slides the window: the previous bucket counts in proportion to its overlap", async () => {
    h.clock.now = t0 + 9_000;
    for (let i = 0; i < 10; i++) await limit("sliding", "u", { limit: 10 });
    // 30% into the next bucket, 70% of the 10 previous requests (7) still count.
    h.clock.now = t0 + W + 3_000;
    expect(await limit("sliding", "u", { limit: 10, cost: 0 })).toMatchObject({ success: true, remaining: 3 });
    expect(await limit("sliding", "u", { limit: 10, cost: 3 })).toMatchObject({ success: true, remaining: 0 });
    expect(await limit("sliding", "u", { limit: 10 })).toMatchObject({ success: false, remaining: 0 });
    // Halfway in, only 5 of the old requests plus the 3 new ones and this one count.
    h.clock.now = t0 + W + 5_000;
    expect(await limit("sliding", "u", { limit: 10 })).toMatchObject({ success: true, remaining: 1, reset: t0 + 2 * W });
  });

  it("charges cost, and cost 0 only reads", async () => {
    h.clock.now = t0 + 2 * W;
    expect((await limit("costs", "u", { limit: 10, cost: 4 })).remaining).toBe(6);
    expect((await limit("costs", "u", { limit: 10, cost: 4 })).remaining).toBe(2);
    expect(await limit("costs", "u", { limit: 10, cost: 4 })).toMatchObject({ success: false, remaining: 0 });
    expect(await limit("costs", "u", { limit: 10, cost: 0 })).toMatchObject({ success: true, remaining: 2 });
  });

  it("finds a namespace by id as well as by name", async () => {
    h.clock.now = t0 + 3 * W;
    await limit("by-id", "u", { limit: 2 });
    const id = namespaceId("by-id");
    expect(await limit(id, "u", { limit: 2 })).toMatchObject({ success: true, remaining: 0 });
    expect(h.api.store.get<{ n: number }>("SELECT count(*) AS n FROM ratelimit_namespaces WHERE name = ?", id)!.n).toBe(0);
  });

  it("needs ratelimit.*.create_namespace only to create a namespace", async () => {
    await limit("existing-ns", "u");
    const limitOnly = h.rootKeyWith("ratelimit.*.limit");
    const created = await h.post("ratelimit.limit", { namespace: "brand-new", identifier: "u", limit: 1, duration: W }, { rootKey: limitOnly });
    expect(created.status).toBe(403);
    expect(created.body.error).toMatchObject({
      type: "https://unkey.com/docs/errors/unkey/authorization/insufficient_permissions",
      detail: "Missing permission: 'ratelimit.*.create_namespace'",
    });
    expect(h.api.store.get("SELECT 1 FROM ratelimit_namespaces WHERE name = 'brand-new'")).toBeUndefined();
    const ok = await h.post("ratelimit.limit", { namespace: "existing-ns", identifier: "u", limit: 5, duration: W }, { rootKey: limitOnly });
    expect(ok.status).toBe(200);
    const perNs = h.rootKeyWith(`ratelimit.${namespaceId("existing-ns")}.limit`);
    expect((await h.post("ratelimit.limit", { namespace: "existing-ns", identifier: "u", limit: 5, duration: W }, { rootKey: perNs })).status).toBe(200);
    const other = h.rootKeyWith("ratelimit.rlns_other.limit");
    const denied = await h.post("ratelimit.limit", { namespace: "existing-ns", identifier: "u", limit: 5, duration: W }, { rootKey: other });
    expect(denied.status).toBe(403);
  });

  it("answers 410 ratelimit_namespace_gone for a deleted namespace and does not revive it", async () => {
    await limit("deleted-ns", "u");
    h.api.store.run("UPDATE ratelimit_namespaces SET deleted_at = ? WHERE name = 'deleted-ns'", h.clock.now);
    const res = await h.post("ratelimit.limit", { namespace: "deleted-ns", identifier: "u", limit: 5, duration: W });
    expect(res.status).toBe(410);
    expect(res.body.error.type).toBe("https://unkey.com/docs/errors/unkey/data/ratelimit_namespace_gone");
    await expect(limit("deleted-ns", "u")).rejects.toMatchObject({ statusCode: 410 });
  });

  it("records one ratelimits event per check", async () => {
    h.clock.now = t0 + 5 * W;
    await limit("events-ns", "e1", { limit: 1, cost: 1 });
    await limit("events-ns", "e1", { limit: 1, cost: 1 });
    expect(await events(namespaceId("events-ns"))).toEqual([
      { identifier: "e1", passed: true, limit: 1, remaining: 0, override_id: "", tokens: 1 },
      { identifier: "e1", passed: false, limit: 1, remaining: 0, override_id: "", tokens: 1 },
    ]);
  });
});

describe("ratelimit overrides", () => {
  const ns = "overrides-ns";
  beforeAll(async () => {
    await limit(ns, "seed");
  });

  it("prefers an exact override, then the first matching wildcard, then the request's values", async () => {
    h.clock.now = t0 + 10 * W;
    const wild1 = (await h.unkey.ratelimit.setOverride({ namespace: ns, identifier: "premium_*", limit: 100, duration: 60_000 })).data.overrideId;
    const wild2 = (await h.unkey.ratelimit.setOverride({ namespace: ns, identifier: "*", limit: 2, duration: W })).data.overrideId;
    const exact = (await h.unkey.ratelimit.setOverride({ namespace: ns, identifier: "premium_gold", limit: 1000, duration: W })).data.overrideId;
    expect(wild1).toMatch(/^rlor_/);

    expect(await limit(ns, "premium_gold")).toMatchObject({ limit: 1000, remaining: 999, overrideId: exact });
    // The override replaces the duration too: the reset follows its 60 s window.
    const silver = await limit(ns, "premium_silver");
    expect(silver).toMatchObject({ limit: 100, remaining: 99, overrideId: wild1, reset: Math.floor(h.clock.now / 60_000) * 60_000 + 60_000 });
    expect(await limit(ns, "free_user")).toMatchObject({ limit: 2, overrideId: wild2 });

    // getOverride resolves the same way.
    expect((await h.unkey.ratelimit.getOverride({ namespace: ns, identifier: "premium_silver" })).data).toEqual({
      overrideId: wild1,
      identifier: "premium_*",
      limit: 100,
      duration: 60_000,
    });
    expect((await events(namespaceId(ns))).find((e) => e.identifier === "premium_silver")?.override_id).toBe(wild1);

    // Delete the first wildcard: the next match applies.
    await h.unkey.ratelimit.deleteOverride({ namespace: ns, identifier: "premium_*" });
    expect(await limit(ns, "premium_silver")).toMatchObject({ limit: 2, overrideId: wild2 });
    await h.unkey.ratelimit.deleteOverride({ namespace: ns, identifier: "*" });
    const plain = await limit(ns, "premium_silver");
    expect(plain).toMatchObject({ limit: 5 });
    expect(plain).not.toHaveProperty("overrideId");
  });

  it("upserts by identifier, keeping the id, and revives a deleted override", async () => {
    const first = (await h.unkey.ratelimit.setOverride({ namespace: ns, identifier: "upsert_me", limit: 3, duration: W })).data.overrideId;
    const again = (await h.unkey.ratelimit.setOverride({ namespace: ns, identifier: "upsert_me", limit: 7, duration: W })).data.overrideId;
    expect(again).toBe(first);
    expect((await h.unkey.ratelimit.getOverride({ namespace: ns, identifier: "upsert_me" })).data.limit).toBe(7);
    await h.unkey.ratelimit.deleteOverride({ namespace: ns, identifier: "upsert_me" });
    await expect(h.unkey.ratelimit.getOverride({ namespace: ns, identifier: "upsert_me" })).rejects.toMatchObject({ statusCode: 404 });
    expect((await h.unkey.ratelimit.setOverride({ namespace: ns, identifier: "upsert_me", limit: 9, duration: W })).data.overrideId).toBe(first);
  });

  it("blocks an identifier with a limit-0 override", async () => {
    h.clock.now = t0 + 20 * W;
    await h.unkey.ratelimit.setOverride({ namespace: ns, identifier: "banned", limit: 0, duration: W });
    expect(await limit(ns, "banned")).toMatchObject({ success: false, limit: 0, remaining: 0 });
    expect(await limit(ns, "banned", { cost: 0 })).toMatchObject({ success: false });
  });

  it("answers 404 for a missing namespace (no auto-create) and a missing override", async () => {
    const res = await h.post("ratelimit.setOverride", { namespace: "no-such-ns", identifier: "x", limit: 1, duration: W });
    expect(res.status).toBe(404);
    expect(res.body.error.type).toBe("https://unkey.com/docs/errors/unkey/data/ratelimit_namespace_not_found");
    expect(h.api.store.get("SELECT 1 FROM ratelimit_namespaces WHERE name = 'no-such-ns'")).toBeUndefined();
    const del = await h.post("ratelimit.deleteOverride", { namespace: ns, identifier: "never-set" });
    expect(del.status).toBe(404);
    expect(del.body.error.type).toBe("https://unkey.com/docs/errors/unkey/data/ratelimit_override_not_found");
    // deleteOverride needs the exact identifier, not a wildcard match.
    await h.unkey.ratelimit.setOverride({ namespace: ns, identifier: "team_*", limit: 1, duration: W });
    expect((await h.post("ratelimit.deleteOverride", { namespace: ns, identifier: "team_a" })).status).toBe(404);
  });

  it("masks a getOverride permission failure as 404 and enforces the others with 403", async () => {
    const noRead = h.rootKeyWith("ratelimit.*.limit");
    const get = await h.post("ratelimit.getOverride", { namespace: ns, identifier: "banned" }, { rootKey: noRead });
    expect(get.status).toBe(404);
    const set = await h.post("ratelimit.setOverride", { namespace: ns, identifier: "x", limit: 1, duration: W }, { rootKey: noRead });
    expect(set.status).toBe(403);
    expect(set.body.error.detail).toContain("ratelimit.*.set_override");
    const reader = h.rootKeyWith(`ratelimit.${namespaceId(ns)}.read_override`);
    expect((await h.post("ratelimit.getOverride", { namespace: ns, identifier: "banned" }, { rootKey: reader })).status).toBe(200);
  });

  it("lists overrides with cursor pagination", async () => {
    const listNs = "list-ns";
    await limit(listNs, "seed");
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await h.unkey.ratelimit.setOverride({ namespace: listNs, identifier: `id_${i}`, limit: i, duration: W })).data.overrideId);
    }
    await h.unkey.ratelimit.deleteOverride({ namespace: listNs, identifier: "id_2" });
    const page1 = await h.post("ratelimit.listOverrides", { namespace: listNs, limit: 2 });
    expect(page1.body.data.map((o: { identifier: string }) => o.identifier)).toEqual(["id_0", "id_1"]);
    expect(page1.body.pagination).toEqual({ hasMore: true, cursor: ids[3] });
    const page2 = await h.post("ratelimit.listOverrides", { namespace: listNs, limit: 2, cursor: page1.body.pagination.cursor });
    expect(page2.body.data.map((o: { identifier: string }) => o.identifier)).toEqual(["id_3", "id_4"]);
    expect(page2.body.pagination).toEqual({ hasMore: false });
    // The SDK's iterator walks the same pages.
    const seen: string[] = [];
    for await (const page of await h.unkey.ratelimit.listOverrides({ namespace: listNs, limit: 1 })) {
      seen.push(...page.result.data.map((o) => o.identifier));
    }
    expect(seen).toEqual(["id_0", "id_1", "id_3", "id_4"]);
  });
});

describe("ratelimit.multiLimit", () => {
  it("checks every entry at one instant and is all-or-nothing", async () => {
    h.clock.now = t0 + 30 * W;
    await limit("multi-a", "u", { limit: 1 });
    const res = await h.unkey.ratelimit.multiLimit([
      { namespace: "multi-b", identifier: "u", limit: 3, duration: W },
      { namespace: "multi-a", identifier: "u", limit: 1, duration: W },
    ]);
    expect(res.data.passed).toBe(false);
    expect(res.data.limits).toEqual([
      { namespace: "multi-b", identifier: "u", limit: 3, remaining: 3, reset: t0 + 31 * W, passed: true },
      { namespace: "multi-a", identifier: "u", limit: 1, remaining: 0, reset: t0 + 31 * W, passed: false },
    ]);
    // multi-b was rolled back: all 3 are still available.
    expect(await limit("multi-b", "u", { limit: 3, cost: 3 })).toMatchObject({ success: true, remaining: 0 });
    const ok = await h.unkey.ratelimit.multiLimit([
      { namespace: "multi-c", identifier: "u", limit: 2, duration: W },
      { namespace: "multi-c", identifier: "v", limit: 2, duration: W, cost: 2 },
    ]);
    expect(ok.data).toMatchObject({ passed: true, limits: [{ remaining: 1 }, { remaining: 0 }] });
    expect(await events(namespaceId("multi-c"))).toHaveLength(2);
  });

  it("needs the limit permission for every namespace involved", async () => {
    await limit("perm-a", "u");
    await limit("perm-b", "u");
    const onlyA = h.rootKeyWith(`ratelimit.${namespaceId("perm-a")}.limit`);
    const body = [
      { namespace: "perm-a", identifier: "u", limit: 5, duration: W },
      { namespace: "perm-b", identifier: "u", limit: 5, duration: W },
    ];
    const res = await h.post("ratelimit.multiLimit", body, { rootKey: onlyA });
    expect(res.status).toBe(403);
    expect(res.body.error.detail).toContain(`ratelimit.${namespaceId("perm-b")}.limit`);
    const both = h.rootKeyWith(`ratelimit.${namespaceId("perm-a")}.limit`, `ratelimit.${namespaceId("perm-b")}.limit`);
    expect((await h.post("ratelimit.multiLimit", body, { rootKey: both })).status).toBe(200);
  });
});

describe("analytics", () => {
  it("answers queries for a root key with the permission (the engine is covered in local-analytics.test.ts)", async () => {
    const v = await h.post("analytics.getVerifications", { query: "SELECT count(*) AS n FROM key_verifications_v1" });
    expect(v.status).toBe(200);
    expect(v.body.data).toEqual([{ n: expect.any(Number) }]);
    const r = await h.unkey.analytics.getRatelimits({ query: "SELECT count(*) AS n FROM ratelimits_v1" });
    expect(r.data).toEqual([{ n: expect.any(Number) }]);
  });

  it("answers 403 first when the root key lacks read_analytics", async () => {
    const none = h.rootKeyWith("api.*.read_key");
    const v = await h.post("analytics.getVerifications", { query: "SELECT 1" }, { rootKey: none });
    expect(v.status).toBe(403);
    expect(v.body.error.detail).toContain("api.*.read_analytics");
    const r = await h.post("analytics.getRatelimits", { query: "SELECT 1" }, { rootKey: none });
    expect(r.status).toBe(403);
    expect(r.body.error.detail).toContain("ratelimit.*.read_analytics");
  });
});
