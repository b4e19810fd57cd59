/**
 * The official @unkey/api SDK against the local API: every CRUD operation, success and error
 * paths. The SDK validates each response with its own schemas (a mismatch throws
 * ResponseValidationError) and the server, started with validateResponses, checks each 2xx body
 * against our contract too.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { Unkey } from "@unkey/api";
import {
  BadRequestErrorResponse,
  ConflictErrorResponse,
  NotFoundErrorResponse,
  PreconditionFailedErrorResponse,
  UnauthorizedErrorResponse,
} from "@unkey/api/models/errors";
import { startLocalApi, type LocalApiHandle } from "../helpers/local-api.js";
import { runLocalCli } from "../../src/local/cli.js";
import { failure } from "../helpers/sdk.js";

let api: LocalApiHandle;
let unkey: Unkey;

function sdk(rootKey: string): Unkey {
  return new Unkey({ rootKey, serverURL: api.url, retryConfig: { strategy: "none" } });
}

async function newApi(name = "test-api"): Promise<string> {
  const r = await unkey.apis.createApi({ name });
  return r.data.apiId;
}

beforeAll(async () => {
  api = await startLocalApi();
  unkey = sdk(api.rootKey);
});
afterAll(async () => {
  await api.close();
});

describe("apis", () => {
  test("createApi then getApi returns its id and name", async () => {
    const apiId = await newApi("payments");
    expect(apiId).toMatch(/^api_[a-zA-Z0-9]+$/);
    const got = await unkey.apis.getApi({ apiId });
    expect(got.data).toEqual({ id: apiId, name: "payments" });
    expect(got.meta.requestId).toMatch(/^req_/);
  });

  test("getApi of an unknown API is a typed 404 api_not_found", async () => {
    const err = await failure(unkey.apis.getApi({ apiId: "api_doesnotexist" }));
    expect(err).toBeInstanceOf(NotFoundErrorResponse);
    expect((err as NotFoundErrorResponse).error.type).toBe("https://unkey.com/docs/errors/unkey/data/api_not_found");
  });

  test("deleteApi soft-deletes: the API and its keys are gone afterwards", async () => {
    const apiId = await newApi();
    const { data: key } = await unkey.keys.createKey({ apiId });
    await unkey.apis.deleteApi({ apiId });
    expect(await failure(unkey.apis.getApi({ apiId }))).toBeInstanceOf(NotFoundErrorResponse);
    expect(await failure(unkey.keys.getKey({ keyId: key.keyId }))).toBeInstanceOf(NotFoundErrorResponse);
    expect(await failure(unkey.apis.deleteApi({ apiId }))).toBeInstanceOf(NotFoundErrorResponse);
  });

  test("listKeys pages by cursor (the id of the next row) and filters by externalId", async () => {
    const apiId = await newApi();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await unkey.keys.createKey({ apiId, externalId: i === 1 ? "cust_1" : undefined })).data.keyId);
    const first = await unkey.apis.listKeys({ apiId, limit: 2 });
    expect(first.result.data.map((k) => k.keyId)).toEqual(ids.slice(0, 2));
    expect(first.result.pagination).toEqual({ hasMore: true, cursor: ids[2] });
    const second = await first.next();
    expect(second).not.toBeNull();
    expect(second!.result.data.map((k) => k.keyId)).toEqual([ids[2]]);
    expect(second!.result.pagination?.hasMore).toBe(false);
    expect(second!.result.pagination?.cursor).toBeUndefined();
    expect(await second!.next()).toBeNull();

    const filtered = await unkey.apis.listKeys({ apiId, externalId: "cust_1" });
    expect(filtered.result.data.map((k) => k.keyId)).toEqual([ids[1]]);
    expect(filtered.result.data[0].identity?.externalId).toBe("cust_1");
    const none = await unkey.apis.listKeys({ apiId, externalId: "nobody" });
    expect(none.result.data).toEqual([]);
  });

  test("deleteApi of a delete-protected API is 412 protected_resource", async () => {
    const dir = mkdtempSync(join(tmpdir(), "unkey-local-"));
    const disk = await startLocalApi({ dataDir: dir });
    try {
      const client = new Unkey({ rootKey: disk.rootKey, serverURL: disk.url, retryConfig: { strategy: "none" } });
      const { data } = await client.apis.createApi({ name: "protected" });
      await runLocalCli(["api", "protect", data.apiId, "--data-dir", dir]);
      const err = await failure(client.apis.deleteApi({ apiId: data.apiId }));
      expect(err).toBeInstanceOf(PreconditionFailedErrorResponse);
      expect((err as PreconditionFailedErrorResponse).error.type).toBe("https://unkey.com/docs/errors/unkey/application/protected_resource");
      expect((await client.apis.getApi({ apiId: data.apiId })).data.name).toBe("protected");
      await runLocalCli(["api", "protect", data.apiId, "--off", "--data-dir", dir]);
      await client.apis.deleteApi({ apiId: data.apiId });
      expect(await failure(client.apis.getApi({ apiId: data.apiId }))).toBeInstanceOf(NotFoundErrorResponse);
    } finally {
      await disk.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("keys: create, get, whoami", () => {
  let apiId: string;
  beforeAll(async () => {
    apiId = await newApi();
    await unkey.permissions.createRole({ name: "admin", permissions: ["documents.write"] });
  });

  test("createKey returns prefix_base58 whose getKey shows every field set", async () => {
    const { data } = await unkey.keys.createKey({
      apiId,
      prefix: "sk_live",
      name: "mobile",
      externalId: "user_42",
      meta: { plan: "pro" },
      permissions: ["documents.read"],
      roles: ["admin"],
      expires: 4_000_000_000_000,
      credits: { remaining: 100, refill: { interval: "monthly", amount: 100, refillDay: 15 } },
      ratelimits: [{ name: "requests", limit: 10, duration: 60_000, autoApply: true }],
    });
    expect(data.key).toMatch(/^sk_live_[1-9A-HJ-NP-Za-km-z]+$/);
    const got = (await unkey.keys.getKey({ keyId: data.keyId })).data;
    expect(got).toMatchObject({
      keyId: data.keyId,
      start: data.key.slice(0, "sk_live_".length + 4),
      enabled: true,
      name: "mobile",
      meta: { plan: "pro" },
      expires: 4_000_000_000_000,
      credits: { remaining: 100, refill: { amount: 100, interval: "monthly", refillDay: 15 } },
      identity: { externalId: "user_42" },
      roles: ["admin"],
    });
    // The deduplicated union of direct and role-derived permissions.
    expect(got.permissions).toEqual(["documents.read", "documents.write"]);
    expect(got.ratelimits).toEqual([{ id: expect.stringMatching(/^rl_/), name: "requests", limit: 10, duration: 60_000, autoApply: true }]);
  });

  test("createKey without a prefix makes a bare base58 key; the SDK default byteLength is 16", async () => {
    const { data } = await unkey.keys.createKey({ apiId });
    expect(data.key).toMatch(/^[1-9A-HJ-NP-Za-km-z]{20,24}$/);
    const got = (await unkey.keys.getKey({ keyId: data.keyId })).data;
    expect(got.start).toBe(data.key.slice(0, 4));
    expect(got.credits).toBeUndefined();
    expect(got.identity).toBeUndefined();
  });

  test("createKey reuses the identity of an existing externalId", async () => {
    const a = await unkey.keys.createKey({ apiId, externalId: "shared_user" });
    const b = await unkey.keys.createKey({ apiId, externalId: "shared_user" });
    const ia = (await unkey.keys.getKey({ keyId: a.data.keyId })).data.identity;
    const ib = (await unkey.keys.getKey({ keyId: b.data.keyId })).data.identity;
    expect(ia?.id).toBeDefined();
    expect(ia?.id).toBe(ib?.id);
  });

  test("createKey with an unknown role is 404 role_not_found and creates nothing", async () => {
    const before = (await unkey.apis.listKeys({ apiId })).result.data.length;
    const err = await failure(unkey.keys.createKey({ apiId, roles: ["ghost"] }));
    expect(err).toBeInstanceOf(NotFoundErrorResponse);
    expect((err as NotFoundErrorResponse).error.detail).toBe("Role 'ghost' was not found.");
    expect((await unkey.apis.listKeys({ apiId })).result.data.length).toBe(before);
  });

  test("createKey credit rules: refill needs remaining; monthly needs refillDay", async () => {
    const noRemaining = await failure(unkey.keys.createKey({ apiId, credits: { remaining: null, refill: { interval: "daily", amount: 5 } } }));
    expect(noRemaining).toBeInstanceOf(BadRequestErrorResponse);
    const noDay = await failure(unkey.keys.createKey({ apiId, credits: { remaining: 5, refill: { interval: "monthly", amount: 5 } } }));
    expect(noDay).toBeInstanceOf(BadRequestErrorResponse);
    expect((noDay as BadRequestErrorResponse).error.errors.length).toBeGreaterThan(0);
  });

  test("createKey on an unknown API is 404; schema violations are 400 with errors[]", async () => {
    expect(await failure(unkey.keys.createKey({ apiId: "api_missing" }))).toBeInstanceOf(NotFoundErrorResponse);
    const err = await failure(unkey.keys.createKey({ apiId, byteLength: 8 }));
    expect(err).toBeInstanceOf(BadRequestErrorResponse);
    const bad = err as BadRequestErrorResponse;
    expect(bad.error.type).toBe("https://unkey.com/docs/errors/unkey/application/invalid_input");
    expect(bad.error.errors[0].location).toBe("body.byteLength");
    expect(bad.error.errors[0].message).toContain("16");
  });

  test("whoami finds a key by its plaintext; an unknown key is 404", async () => {
    const { data } = await unkey.keys.createKey({ apiId, name: "who" });
    const me = await unkey.keys.whoami({ key: data.key });
    expect(me.data.keyId).toBe(data.keyId);
    expect(me.data.name).toBe("who");
    expect(await failure(unkey.keys.whoami({ key: "sk_nope" }))).toBeInstanceOf(NotFoundErrorResponse);
  });

  test("getKey of an unknown key is 404 key_not_found", async () => {
    const err = await failure(unkey.keys.getKey({ keyId: "key_unknown" }));
    expect((err as NotFoundErrorResponse).error.type).toBe("https://unkey.com/docs/errors/unkey/data/key_not_found");
  });
});

describe("keys: update, credits, delete, reroll, migrate", () => {
  let apiId: string;
  beforeAll(async () => {
    apiId = await newApi();
    await unkey.permissions.createRole({ name: "reader" });
  });

  test("updateKey: absent keeps, null clears, a value sets", async () => {
    const { data } = await unkey.keys.createKey({
      apiId,
      name: "before",
      externalId: "u1",
      meta: { a: 1 },
      expires: 4_000_000_000_000,
      credits: { remaining: 5, refill: { interval: "daily", amount: 5 } },
    });
    await unkey.keys.updateKey({ keyId: data.keyId, name: null, externalId: null });
    let got = (await unkey.keys.getKey({ keyId: data.keyId })).data;
    expect(got.name).toBeUndefined();
    expect(got.identity).toBeUndefined();
    expect(got.meta).toEqual({ a: 1 });
    expect(got.credits).toEqual({ remaining: 5, refill: { amount: 5, interval: "daily" } });
    expect(got.updatedAt).toBeTypeOf("number");

    await unkey.keys.updateKey({ keyId: data.keyId, credits: { refill: null } });
    got = (await unkey.keys.getKey({ keyId: data.keyId })).data;
    expect(got.credits).toEqual({ remaining: 5 });

    await unkey.keys.updateKey({ keyId: data.keyId, credits: null, meta: null, expires: null, enabled: false, name: "after" });
    got = (await unkey.keys.getKey({ keyId: data.keyId })).data;
    expect(got).toMatchObject({ name: "after", enabled: false });
    expect(got.credits).toBeUndefined();
    expect(got.meta).toBeUndefined();
    expect(got.expires).toBeUndefined();
  });

  test("updateKey replaces ratelimits by name (keeping ids), permissions and roles", async () => {
    const { data } = await unkey.keys.createKey({
      apiId,
      permissions: ["a.read"],
      ratelimits: [
        { name: "keep", limit: 1, duration: 1000 },
        { name: "drop", limit: 1, duration: 1000 },
      ],
    });
    const before = (await unkey.keys.getKey({ keyId: data.keyId })).data.ratelimits!;
    const keepId = before.find((r) => r.name === "keep")!.id;
    await unkey.keys.updateKey({
      keyId: data.keyId,
      ratelimits: [
        { name: "keep", limit: 50, duration: 2000, autoApply: true },
        { name: "new", limit: 3, duration: 1000 },
      ],
      permissions: ["b.write"],
      roles: ["reader"],
    });
    const got = (await unkey.keys.getKey({ keyId: data.keyId })).data;
    expect(got.ratelimits?.map((r) => r.name).sort()).toEqual(["keep", "new"]);
    expect(got.ratelimits?.find((r) => r.name === "keep")).toEqual({ id: keepId, name: "keep", limit: 50, duration: 2000, autoApply: true });
    expect(got.permissions).toEqual(["b.write"]);
    expect(got.roles).toEqual(["reader"]);
    expect(await failure(unkey.keys.updateKey({ keyId: data.keyId, roles: ["nope"] }))).toBeInstanceOf(NotFoundErrorResponse);
  });

  test("updateKey: a daily refill with refillDay is 400; an unknown key is 404", async () => {
    const { data } = await unkey.keys.createKey({ apiId, credits: { remaining: 1 } });
    const err = await failure(unkey.keys.updateKey({ keyId: data.keyId, credits: { refill: { interval: "daily", amount: 3, refillDay: 2 } } }));
    expect(err).toBeInstanceOf(BadRequestErrorResponse);
    expect(await failure(unkey.keys.updateKey({ keyId: "key_missing", name: "x" }))).toBeInstanceOf(NotFoundErrorResponse);
  });

  test("updateCredits: set, increment, decrement floors at 0, null makes it unlimited", async () => {
    const { data } = await unkey.keys.createKey({ apiId, credits: { remaining: 10, refill: { interval: "daily", amount: 10 } } });
    expect((await unkey.keys.updateCredits({ keyId: data.keyId, operation: "increment", value: 5 })).data).toEqual({
      remaining: 15,
      refill: { interval: "daily", amount: 10 },
    });
    expect((await unkey.keys.updateCredits({ keyId: data.keyId, operation: "decrement", value: 100 })).data.remaining).toBe(0);
    expect((await unkey.keys.updateCredits({ keyId: data.keyId, operation: "set", value: 7 })).data.remaining).toBe(7);
    const unlimited = await unkey.keys.updateCredits({ keyId: data.keyId, operation: "set", value: null });
    expect(unlimited.data).toEqual({ remaining: null });
    expect((await unkey.keys.getKey({ keyId: data.keyId })).data.credits).toBeUndefined();
    // increment/decrement need a value and a limited key.
    expect(await failure(unkey.keys.updateCredits({ keyId: data.keyId, operation: "increment", value: 1 }))).toBeInstanceOf(BadRequestErrorResponse);
    await unkey.keys.updateCredits({ keyId: data.keyId, operation: "set", value: 1 });
    expect(await failure(unkey.keys.updateCredits({ keyId: data.keyId, operation: "decrement" }))).toBeInstanceOf(BadRequestErrorResponse);
  });

  test("deleteKey soft and permanent both make the key 404", async () => {
    const soft = await unkey.keys.createKey({ apiId });
    const hard = await unkey.keys.createKey({ apiId, permissions: ["x.y"], ratelimits: [{ name: "rl1", limit: 1, duration: 1000 }] });
    expect((await unkey.keys.deleteKey({ keyId: soft.data.keyId })).data).toEqual({});
    await unkey.keys.deleteKey({ keyId: hard.data.keyId, permanent: true });
    for (const k of [soft, hard]) {
      expect(await failure(unkey.keys.getKey({ keyId: k.data.keyId }))).toBeInstanceOf(NotFoundErrorResponse);
      expect(await failure(unkey.keys.whoami({ key: k.data.key }))).toBeInstanceOf(NotFoundErrorResponse);
    }
    expect(await failure(unkey.keys.deleteKey({ keyId: soft.data.keyId }))).toBeInstanceOf(NotFoundErrorResponse);
  });

  test("rerollKey copies the key and expires the old one after `expiration`, rounded up to the minute", async () => {
    const { data: old } = await unkey.keys.createKey({
      apiId,
      prefix: "rk",
      name: "rotating",
      externalId: "rot_user",
      meta: { v: 1 },
      permissions: ["p.one"],
      roles: ["reader"],
      credits: { remaining: 9 },
      ratelimits: [{ name: "rot", limit: 2, duration: 1000, autoApply: true }],
    });
    const before = Date.now();
    const { data: fresh } = await unkey.keys.rerollKey({ keyId: old.keyId, expiration: 90_000 });
    const after = Date.now();
    expect(fresh.key).toMatch(/^rk_/);
    expect(fresh.keyId).not.toBe(old.keyId);
    const n = (await unkey.keys.getKey({ keyId: fresh.keyId })).data;
    const o = (await unkey.keys.getKey({ keyId: old.keyId })).data;
    expect(n).toMatchObject({ name: "rotating", meta: { v: 1 }, credits: { remaining: 9 }, roles: ["reader"], permissions: ["p.one"] });
    expect(n.identity?.id).toBe(o.identity?.id);
    expect(n.ratelimits?.[0]).toMatchObject({ name: "rot", limit: 2, duration: 1000, autoApply: true });
    expect(n.ratelimits?.[0].id).not.toBe(o.ratelimits?.[0].id);
    expect(o.expires! % 60_000).toBe(0);
    expect(o.expires!).toBeGreaterThanOrEqual(before + 90_000);
    expect(o.expires!).toBeLessThan(after + 90_000 + 60_000);
    expect(await failure(unkey.keys.rerollKey({ keyId: "key_missing", expiration: 0 }))).toBeInstanceOf(NotFoundErrorResponse);
  });

  test("migrateKeys stores pre-hashed keys; a duplicate hash is reported as failed", async () => {
    // Migrated keys have an empty `start` (as Unkey stores them); the contract allows it, and this
    // server checks every response against the contract like the others.
    const migrations = await startLocalApi({ validateResponses: true });
    const unkey = new Unkey({ rootKey: migrations.rootKey, serverURL: migrations.url, retryConfig: { strategy: "none" } });
    const apiId = (await unkey.apis.createApi({ name: "migrations" })).data.apiId;
    const plaintext = "legacy_key_0123456789";
    const hash = createHash("sha256").update(plaintext).digest("base64");
    const first = await unkey.keys.migrateKeys({
      migrationId: "mig_local",
      apiId,
      keys: [{ hash, name: "legacy", externalId: "legacy_user", permissions: ["legacy.read"], roles: ["migrated_role"] }],
    });
    expect(first.data.failed).toEqual([]);
    expect(first.data.migrated).toEqual([{ hash, keyId: expect.stringMatching(/^key_/) }]);
    const me = await unkey.keys.whoami({ key: plaintext });
    expect(me.data).toMatchObject({ keyId: first.data.migrated[0].keyId, name: "legacy", roles: ["migrated_role"] });
    const again = await unkey.keys.migrateKeys({ migrationId: "mig_local", apiId, keys: [{ hash }] });
    expect(again.data).toEqual({ migrated: [], failed: [hash] });
    // Only base64 sha256 hashes can ever verify locally: hex, unpadded or other digests are not imported.
    const hex = createHash("sha256").update("other_legacy").digest("hex");
    const unpadded = createHash("sha256").update("other_legacy").digest("base64").replace(/=$/, "");
    const md5 = createHash("md5").update("other_legacy").digest("base64");
    const good = createHash("sha256").update("other_legacy").digest("base64");
    const mixed = await unkey.keys.migrateKeys({ migrationId: "mig_local", apiId, keys: [{ hash: hex }, { hash: unpadded }, { hash: md5 }, { hash: good }] });
    expect(mixed.data.failed).toEqual([hex, unpadded, md5]);
    expect(mixed.data.migrated).toEqual([{ hash: good, keyId: expect.stringMatching(/^key_/) }]);
    expect((await unkey.keys.whoami({ key: "other_legacy" })).data.keyId).toBe(mixed.data.migrated[0].keyId);
    expect(await failure(unkey.keys.migrateKeys({ migrationId: "mig_local", apiId: "api_missing", keys: [{ hash: "abcd" }] }))).toBeInstanceOf(
      NotFoundErrorResponse,
    );
    await migrations.close();
  });
});

describe("keys: permissions and roles", () => {
  let apiId: string;
  let keyId: string;
  beforeAll(async () => {
    apiId = await newApi();
    keyId = (await unkey.keys.createKey({ apiId })).data.keyId;
    await unkey.permissions.createRole({ name: "editor", permissions: ["doc.edit"] });
    await unkey.permissions.createRole({ name: "viewer" });
  });

  test("add/remove/setPermissions list the key's direct permissions and auto-create slugs", async () => {
    const added = await unkey.keys.addPermissions({ keyId, permissions: ["doc.read", "doc.write"] });
    expect(added.data.map((p) => p.slug)).toEqual(["doc.read", "doc.write"]);
    expect(added.data[0]).toEqual({ id: expect.stringMatching(/^perm_/), name: "doc.read", slug: "doc.read" });
    const removed = await unkey.keys.removePermissions({ keyId, permissions: ["doc.read"] });
    expect(removed.data.map((p) => p.slug)).toEqual(["doc.write"]);
    const err = await failure(unkey.keys.removePermissions({ keyId, permissions: ["never.created"] }));
    expect((err as NotFoundErrorResponse).error.type).toBe("https://unkey.com/docs/errors/unkey/data/permission_not_found");
    const set = await unkey.keys.setPermissions({ keyId, permissions: ["doc.admin"] });
    expect(set.data.map((p) => p.slug)).toEqual(["doc.admin"]);
    expect((await unkey.keys.setPermissions({ keyId, permissions: [] })).data).toEqual([]);
  });

  test("add/remove/setRoles list the key's roles with their permissions; unknown roles are 404", async () => {
    const added = await unkey.keys.addRoles({ keyId, roles: ["editor"] });
    expect(added.data).toEqual([{ id: expect.stringMatching(/^role_/), name: "editor", permissions: [expect.objectContaining({ slug: "doc.edit" })] }]);
    expect((await unkey.keys.getKey({ keyId })).data.permissions).toContain("doc.edit");
    const set = await unkey.keys.setRoles({ keyId, roles: ["viewer", "editor"] });
    expect(set.data.map((r) => r.name)).toEqual(["editor", "viewer"]);
    const removed = await unkey.keys.removeRoles({ keyId, roles: ["editor"] });
    expect(removed.data.map((r) => r.name)).toEqual(["viewer"]);
    expect(await failure(unkey.keys.addRoles({ keyId, roles: ["ghost"] }))).toBeInstanceOf(NotFoundErrorResponse);
    expect((await unkey.keys.setRoles({ keyId, roles: [] })).data).toEqual([]);
  });
});

describe("identities", () => {
  test("create, get by id and by externalId, duplicate externalId is 409", async () => {
    const { data } = await unkey.identities.createIdentity({
      externalId: "org_1",
      meta: { tier: "pro" },
      ratelimits: [{ name: "tokens", limit: 100, duration: 60_000, autoApply: true }],
    });
    expect(data.identityId).toMatch(/^id_/);
    const byId = await unkey.identities.getIdentity({ identity: data.identityId });
    const byExt = await unkey.identities.getIdentity({ identity: "org_1" });
    expect(byId.data).toEqual(byExt.data);
    expect(byId.data).toMatchObject({ id: data.identityId, externalId: "org_1", meta: { tier: "pro" } });
    expect(byId.data.ratelimits).toEqual([{ id: expect.stringMatching(/^rl_/), name: "tokens", limit: 100, duration: 60_000, autoApply: true }]);
    const dup = await failure(unkey.identities.createIdentity({ externalId: "org_1" }));
    expect(dup).toBeInstanceOf(ConflictErrorResponse);
    expect((dup as ConflictErrorResponse).error.type).toBe("https://unkey.com/docs/errors/unkey/data/identity_already_exists");
  });

  test("updateIdentity replaces meta and ratelimits (by name); duplicate names are 400", async () => {
    await unkey.identities.createIdentity({ externalId: "org_2", meta: { a: 1 }, ratelimits: [{ name: "xxx", limit: 1, duration: 1000 }] });
    const before = (await unkey.identities.getIdentity({ identity: "org_2" })).data;
    const updated = await unkey.identities.updateIdentity({
      identity: "org_2",
      meta: { b: 2 },
      ratelimits: [
        { name: "xxx", limit: 9, duration: 1000 },
        { name: "yyy", limit: 2, duration: 5000, autoApply: true },
      ],
    });
    expect(updated.data.meta).toEqual({ b: 2 });
    expect(updated.data.ratelimits?.find((r) => r.name === "xxx")).toMatchObject({ id: before.ratelimits![0].id, limit: 9 });
    expect(updated.data.ratelimits).toHaveLength(2);
    const dup = await failure(
      unkey.identities.updateIdentity({
        identity: "org_2",
        ratelimits: [
          { name: "zzz", limit: 1, duration: 1000 },
          { name: "zzz", limit: 2, duration: 1000 },
        ],
      }),
    );
    expect(dup).toBeInstanceOf(BadRequestErrorResponse);
    expect(await failure(unkey.identities.updateIdentity({ identity: "org_missing", meta: {} }))).toBeInstanceOf(NotFoundErrorResponse);
  });

  test("listIdentities pages by cursor and searches externalId", async () => {
    for (const e of ["list_a", "list_b", "list_c"]) await unkey.identities.createIdentity({ externalId: e });
    const found = await unkey.identities.listIdentities({ search: "list_" });
    expect(found.result.data.map((i) => i.externalId)).toEqual(["list_a", "list_b", "list_c"]);
    const page = await unkey.identities.listIdentities({ search: "list_", limit: 2 });
    expect(page.result.data).toHaveLength(2);
    expect(page.result.pagination).toEqual({ hasMore: true, cursor: found.result.data[2].id });
    const next = await page.next();
    expect(next!.result.data.map((i) => i.externalId)).toEqual(["list_c"]);
  });

  test("deleteIdentity answers {meta} only, unlinks keys, and a second delete is a typed problem+json 404", async () => {
    const apiId = await newApi();
    await unkey.identities.createIdentity({ externalId: "org_del" });
    const { data: key } = await unkey.keys.createKey({ apiId, externalId: "org_del" });
    const res = await unkey.identities.deleteIdentity({ identity: "org_del" });
    expect(Object.keys(res)).toEqual(["meta"]);
    expect((await unkey.keys.getKey({ keyId: key.keyId })).data.identity).toBeUndefined();
    const err = await failure(unkey.identities.deleteIdentity({ identity: "org_del" }));
    expect(err).toBeInstanceOf(NotFoundErrorResponse);
    expect(err.contentType).toBe("application/problem+json");
    // The externalId is free again.
    expect((await unkey.identities.createIdentity({ externalId: "org_del" })).data.identityId).toMatch(/^id_/);
  });
});

describe("permissions and roles", () => {
  test("createPermission, get by id and slug, 409 on a duplicate slug, delete", async () => {
    const { data } = await unkey.permissions.createPermission({ name: "Read invoices", slug: "invoices.read" });
    const byId = (await unkey.permissions.getPermission({ permission: data.permissionId })).data;
    expect(byId).toEqual({ id: data.permissionId, name: "Read invoices", slug: "invoices.read" });
    expect((await unkey.permissions.getPermission({ permission: "invoices.read" })).data).toEqual(byId);
    const dup = await failure(unkey.permissions.createPermission({ name: "again", slug: "invoices.read" }));
    expect((dup as ConflictErrorResponse).error.type).toBe("https://unkey.com/docs/errors/unkey/data/permission_already_exists");
    await unkey.permissions.deletePermission({ permission: "invoices.read" });
    expect(await failure(unkey.permissions.getPermission({ permission: "invoices.read" }))).toBeInstanceOf(NotFoundErrorResponse);
    expect(await failure(unkey.permissions.deletePermission({ permission: "invoices.read" }))).toBeInstanceOf(NotFoundErrorResponse);
  });

  test("listPermissions pages and searches", async () => {
    for (const s of ["lp.one", "lp.two", "lp.three"]) await unkey.permissions.createPermission({ name: s, slug: s });
    const all = await unkey.permissions.listPermissions({ search: "lp." });
    expect(all.result.data.map((p) => p.slug).sort()).toEqual(["lp.one", "lp.three", "lp.two"]);
    const page = await unkey.permissions.listPermissions({ search: "lp.", limit: 1 });
    expect(page.result.pagination?.hasMore).toBe(true);
    expect((await page.next())!.result.data).toHaveLength(1);
  });

  test("createRole auto-creates permissions (matching slugs case-insensitively); getRole, listRoles, deleteRole", async () => {
    await unkey.permissions.createPermission({ name: "Billing read", slug: "billing.read" });
    const { data } = await unkey.permissions.createRole({ name: "billing", description: "Billing team", permissions: ["BILLING.READ", "billing.write"] });
    const role = (await unkey.permissions.getRole({ role: "billing" })).data;
    expect(role).toMatchObject({ id: data.roleId, name: "billing", description: "Billing team" });
    expect(role.permissions?.map((p) => p.slug)).toEqual(["billing.read", "billing.write"]);
    expect((await unkey.permissions.getRole({ role: data.roleId })).data.id).toBe(data.roleId);
    const dup = await failure(unkey.permissions.createRole({ name: "billing" }));
    expect((dup as ConflictErrorResponse).error.type).toBe("https://unkey.com/docs/errors/unkey/data/role_already_exists");
    const listed = await unkey.permissions.listRoles({ search: "billing" });
    expect(listed.result.data.map((r) => r.name)).toEqual(["billing"]);
    await unkey.permissions.deleteRole({ role: "billing" });
    expect(await failure(unkey.permissions.getRole({ role: "billing" }))).toBeInstanceOf(NotFoundErrorResponse);
  });

  test("setRolePermissions replaces the set and returns it; an unknown role is 404", async () => {
    const { data } = await unkey.permissions.createRole({ name: "ops", permissions: ["ops.a"] });
    const set = await unkey.permissions.setRolePermissions({ roleId: data.roleId, permissions: ["ops.b", "ops.c"] });
    expect(set.data.map((p) => p.slug)).toEqual(["ops.b", "ops.c"]);
    expect((await unkey.permissions.setRolePermissions({ roleId: data.roleId, permissions: [] })).data).toEqual([]);
    expect(await failure(unkey.permissions.setRolePermissions({ roleId: "role_missing", permissions: [] }))).toBeInstanceOf(NotFoundErrorResponse);
  });
});

describe("uniqueness is case-insensitive, as Unkey's MySQL collation", () => {
  test("permission slugs and role names clash regardless of case (409)", async () => {
    await unkey.permissions.createPermission({ name: "Case perm", slug: "case.perm" });
    const dupSlug = await failure(unkey.permissions.createPermission({ name: "Other name", slug: "CASE.Perm" }));
    expect(dupSlug).toBeInstanceOf(ConflictErrorResponse);
    expect((dupSlug as ConflictErrorResponse).error.type).toBe("https://unkey.com/docs/errors/unkey/data/permission_already_exists");
    // Lookups by slug fold case the same way.
    expect((await unkey.permissions.getPermission({ permission: "Case.PERM" })).data.slug).toBe("case.perm");

    await unkey.permissions.createRole({ name: "case_admin" });
    const dupRole = await failure(unkey.permissions.createRole({ name: "Case_Admin" }));
    expect(dupRole).toBeInstanceOf(ConflictErrorResponse);
    expect((dupRole as ConflictErrorResponse).error.type).toBe("https://unkey.com/docs/errors/unkey/data/role_already_exists");
    expect((await unkey.permissions.getRole({ role: "CASE_ADMIN" })).data.name).toBe("case_admin");
  });

  test("auto-created slugs are de-duplicated case-insensitively within one request and against existing ones", async () => {
    const { data } = await unkey.permissions.createRole({ name: "dedupe", permissions: ["New.Perm", "new.perm"] });
    const role = (await unkey.permissions.getRole({ role: data.roleId })).data;
    expect(role.permissions?.map((p) => p.slug)).toEqual(["New.Perm"]);
    const listed = await unkey.permissions.listPermissions({ search: "new.perm" });
    expect(listed.result.data.map((p) => p.slug)).toEqual(["New.Perm"]);

    const apiId = await newApi("dedupe");
    const { data: key } = await unkey.keys.createKey({ apiId, permissions: ["NEW.PERM", "Fresh.One", "fresh.one"] });
    expect((await unkey.keys.getKey({ keyId: key.keyId })).data.permissions).toEqual(["Fresh.One", "New.Perm"]);
    const fresh = await unkey.permissions.listPermissions({ search: "fresh.one" });
    expect(fresh.result.data).toHaveLength(1);
  });
});

describe("authentication", () => {
  test("an unknown root key is a typed 401", async () => {
    const err = await failure(sdk("unkey_not_a_real_key").apis.createApi({ name: "nope" }));
    expect(err).toBeInstanceOf(UnauthorizedErrorResponse);
    expect((err as UnauthorizedErrorResponse).error.detail).toBe("The provided root key is invalid.");
  });
});
