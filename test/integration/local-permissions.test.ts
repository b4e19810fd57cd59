/**
 * Least-privilege root keys get exactly Unkey's answers (behavior doc §3): 403 with the missing
 * permission named, 404 where Unkey masks the failure (createKey, listKeys, getOverride), and
 * verifyKey's 200 NOT_FOUND. Legacy tuples match exactly: a grant for one API covers no other.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Unkey } from "@unkey/api";
import { ForbiddenErrorResponse, NotFoundErrorResponse, UnauthorizedErrorResponse } from "@unkey/api/models/errors";
import { startLocalApi, type InProcessLocalApi } from "../helpers/local-api.js";
import { failure } from "../helpers/sdk.js";

let api: InProcessLocalApi;
let admin: Unkey;
let apiId: string;
let otherApiId: string;
let keyId: string;
let plaintext: string;

function as(permissions: string[]): Unkey {
  return new Unkey({ rootKey: api.createRootKey(permissions), serverURL: api.url, retryConfig: { strategy: "none" } });
}

async function forbidden(p: Promise<unknown>): Promise<string> {
  const err = await failure(p);
  expect(err).toBeInstanceOf(ForbiddenErrorResponse);
  const e = (err as ForbiddenErrorResponse).error;
  expect(e.title).toBe("Insufficient Permissions");
  expect(e.type).toBe("https://unkey.com/docs/errors/unkey/authorization/insufficient_permissions");
  return e.detail;
}

async function apiNotFound(p: Promise<unknown>): Promise<void> {
  const err = await failure(p);
  expect(err).toBeInstanceOf(NotFoundErrorResponse);
  expect((err as NotFoundErrorResponse).error.type).toBe("https://unkey.com/docs/errors/unkey/data/api_not_found");
}

beforeAll(async () => {
  api = await startLocalApi();
  admin = new Unkey({ rootKey: api.rootKey, serverURL: api.url, retryConfig: { strategy: "none" } });
  apiId = (await admin.apis.createApi({ name: "scoped" })).data.apiId;
  otherApiId = (await admin.apis.createApi({ name: "other" })).data.apiId;
  const created = await admin.keys.createKey({ apiId });
  keyId = created.data.keyId;
  plaintext = created.data.key;
});
afterAll(async () => {
  await api.close();
});

describe("apis", () => {
  test("createApi without api.*.create_api names the one missing permission", async () => {
    expect(await forbidden(as(["api.*.read_api"]).apis.createApi({ name: "nope" }))).toBe("Missing permission: 'api.*.create_api'");
  });

  test("getApi accepts the wildcard or the specific id, and lists both when missing", async () => {
    expect((await as([`api.${apiId}.read_api`]).apis.getApi({ apiId })).data.id).toBe(apiId);
    expect((await as(["api.*.read_api"]).apis.getApi({ apiId })).data.id).toBe(apiId);
    expect(await forbidden(as([`api.${otherApiId}.read_api`]).apis.getApi({ apiId }))).toBe(
      `Missing one of these permissions: api.*.read_api or api.${apiId}.read_api`,
    );
  });

  test("deleteApi needs delete_api for that API", async () => {
    await forbidden(as([`api.${otherApiId}.delete_api`]).apis.deleteApi({ apiId }));
    expect((await admin.apis.getApi({ apiId })).data.id).toBe(apiId);
  });

  test("listKeys needs read_key AND read_api; a failure is masked as 404 api_not_found", async () => {
    await apiNotFound(as([`api.${apiId}.read_key`]).apis.listKeys({ apiId }));
    await apiNotFound(as([`api.${apiId}.read_api`]).apis.listKeys({ apiId }));
    await apiNotFound(as([`api.${otherApiId}.read_key`, `api.${otherApiId}.read_api`]).apis.listKeys({ apiId }));
    const ok = await as([`api.${apiId}.read_key`, "api.*.read_api"]).apis.listKeys({ apiId });
    expect(ok.result.data.map((k) => k.keyId)).toContain(keyId);
  });
});

describe("keys", () => {
  test("createKey without create_key for that API is masked as 404 api_not_found", async () => {
    await apiNotFound(as(["api.*.read_key"]).keys.createKey({ apiId }));
    await apiNotFound(as([`api.${otherApiId}.create_key`]).keys.createKey({ apiId }));
    expect((await as([`api.${apiId}.create_key`]).keys.createKey({ apiId })).data.keyId).toMatch(/^key_/);
  });

  test("getKey and whoami need read_key (403, not masked)", async () => {
    const reader = as([`api.${otherApiId}.read_key`]);
    expect(await forbidden(reader.keys.getKey({ keyId }))).toBe(`Missing one of these permissions: api.*.read_key or api.${apiId}.read_key`);
    await forbidden(reader.keys.whoami({ key: plaintext }));
    expect((await as([`api.${apiId}.read_key`]).keys.getKey({ keyId })).data.keyId).toBe(keyId);
  });

  test("updateKey, updateCredits, deleteKey, rerollKey each need their own action", async () => {
    const readOnly = as(["api.*.read_key", "api.*.read_api"]);
    await forbidden(readOnly.keys.updateKey({ keyId, name: "x" }));
    await forbidden(readOnly.keys.updateCredits({ keyId, operation: "set", value: 1 }));
    await forbidden(readOnly.keys.deleteKey({ keyId }));
    await forbidden(readOnly.keys.rerollKey({ keyId, expiration: 0 }));
    expect((await admin.keys.getKey({ keyId })).data.name).toBeUndefined();
  });

  test("permission edits need update_key AND the rbac tuple; new slugs also need create_permission", async () => {
    expect(await forbidden(as([`api.${apiId}.update_key`]).keys.addPermissions({ keyId, permissions: ["a.b"] }))).toBe(
      "Missing permission: 'rbac.*.add_permission_to_key'",
    );
    const editor = as([`api.${apiId}.update_key`, "rbac.*.add_permission_to_key"]);
    expect(await forbidden(editor.keys.addPermissions({ keyId, permissions: ["brand.new"] }))).toBe("Missing permission: 'rbac.*.create_permission'");
    await admin.permissions.createPermission({ name: "exists", slug: "exists.already" });
    expect((await editor.keys.addPermissions({ keyId, permissions: ["exists.already"] })).data.map((p) => p.slug)).toEqual(["exists.already"]);
    await forbidden(editor.keys.setPermissions({ keyId, permissions: [] }));
    await forbidden(editor.keys.removePermissions({ keyId, permissions: ["exists.already"] }));
    await forbidden(as([`api.${apiId}.update_key`]).keys.addRoles({ keyId, roles: ["any"] }));
  });

  test("removeRoles and setRoles succeed with update_key alone (no rbac tuple), as Unkey", async () => {
    await admin.permissions.createRole({ name: "perm_only_update" });
    await admin.keys.addRoles({ keyId, roles: ["perm_only_update"] });
    const updater = as([`api.${apiId}.update_key`]);
    expect((await updater.keys.removeRoles({ keyId, roles: ["perm_only_update"] })).data).toEqual([]);
    expect((await updater.keys.setRoles({ keyId, roles: ["perm_only_update"] })).data.map((r) => r.name)).toEqual(["perm_only_update"]);
    expect((await updater.keys.setRoles({ keyId, roles: [] })).data).toEqual([]);
    await forbidden(as([`api.${otherApiId}.update_key`]).keys.setRoles({ keyId, roles: [] }));
  });

  test("a 403 on a key edit changes nothing", async () => {
    const before = (await admin.keys.getKey({ keyId })).data;
    await forbidden(as([`api.${apiId}.update_key`]).keys.addPermissions({ keyId, permissions: ["never.granted"] }));
    await forbidden(as(["api.*.read_key"]).keys.updateKey({ keyId, name: "renamed" }));
    expect((await admin.keys.getKey({ keyId })).data).toEqual(before);
    expect(await failure(admin.permissions.getPermission({ permission: "never.granted" }))).toBeInstanceOf(NotFoundErrorResponse);
  });

  test("verifyKey without verify_key answers 200 {valid:false, code:NOT_FOUND}, never 403", async () => {
    const res = await as([`api.${otherApiId}.verify_key`]).keys.verifyKey({ key: plaintext });
    expect(res.data.valid).toBe(false);
    expect(res.data.code).toBe("NOT_FOUND");
    const ok = await as([`api.${apiId}.verify_key`]).keys.verifyKey({ key: plaintext });
    expect(ok.data.code).toBe("VALID");
  });
});

describe("identities, permissions, ratelimit", () => {
  test("listIdentities checks read_identity per returned row", async () => {
    const a = (await admin.identities.createIdentity({ externalId: "perm_row_a" })).data.identityId;
    await admin.identities.createIdentity({ externalId: "perm_row_b" });
    const scoped = as([`identity.${a}.read_identity`]);
    expect((await scoped.identities.listIdentities({ search: "perm_row_a" })).result.data.map((i) => i.id)).toEqual([a]);
    await forbidden(scoped.identities.listIdentities({ search: "perm_row_" }));
    expect((await scoped.identities.listIdentities({ search: "matches_nothing" })).result.data).toEqual([]);
    expect((await scoped.identities.getIdentity({ identity: a })).data.id).toBe(a);
  });

  test("identity writes and rbac operations need their wildcard tuples", async () => {
    const nobody = as(["api.*.read_api"]);
    expect(await forbidden(nobody.identities.createIdentity({ externalId: "x_y" }))).toBe("Missing permission: 'identity.*.create_identity'");
    await forbidden(nobody.identities.deleteIdentity({ identity: "perm_row_a" }));
    await forbidden(nobody.permissions.createPermission({ name: "n", slug: "n.n" }));
    await forbidden(nobody.permissions.listRoles({}));
    expect(await forbidden(as(["rbac.*.add_permission_to_role"]).permissions.setRolePermissions({ roleId: "role_x", permissions: [] }))).toBe(
      "Missing permission: 'rbac.*.remove_permission_from_role'",
    );
  });

  test("createRole with permissions also needs add_permission_to_role; after the 403 nothing was created", async () => {
    const creator = as(["rbac.*.create_role", "rbac.*.create_permission"]);
    expect(await forbidden(creator.permissions.createRole({ name: "perm_role_denied", permissions: ["denied.slug"] }))).toBe(
      "Missing permission: 'rbac.*.add_permission_to_role'",
    );
    expect(await failure(admin.permissions.getRole({ role: "perm_role_denied" }))).toBeInstanceOf(NotFoundErrorResponse);
    expect(await failure(admin.permissions.getPermission({ permission: "denied.slug" }))).toBeInstanceOf(NotFoundErrorResponse);
    // Missing slugs additionally need create_permission; the role is not created either.
    const noCreate = as(["rbac.*.create_role", "rbac.*.add_permission_to_role"]);
    expect(await forbidden(noCreate.permissions.createRole({ name: "perm_role_denied", permissions: ["denied.slug"] }))).toBe(
      "Missing permission: 'rbac.*.create_permission'",
    );
    expect(await failure(admin.permissions.getRole({ role: "perm_role_denied" }))).toBeInstanceOf(NotFoundErrorResponse);
    const ok = await as(["rbac.*.create_role", "rbac.*.add_permission_to_role", "rbac.*.create_permission"]).permissions.createRole({
      name: "perm_role_ok",
      permissions: ["granted.slug"],
    });
    expect((await admin.permissions.getRole({ role: ok.data.roleId })).data.permissions?.map((p) => p.slug)).toEqual(["granted.slug"]);
  });

  test("getOverride without read_override is masked as 404", async () => {
    await admin.ratelimit.limit({ namespace: "perm_ns", identifier: "user_1", limit: 10, duration: 60_000 });
    await admin.ratelimit.setOverride({ namespace: "perm_ns", identifier: "user_1", limit: 5, duration: 60_000 });
    const err = await failure(as(["ratelimit.*.limit"]).ratelimit.getOverride({ namespace: "perm_ns", identifier: "user_1" }));
    expect(err).toBeInstanceOf(NotFoundErrorResponse);
  });
});

test("a revoked root key is refused with 401 at once", async () => {
  const key = api.createRootKey(["api.*.read_api"]);
  const client = new Unkey({ rootKey: key, serverURL: api.url, retryConfig: { strategy: "none" } });
  expect((await client.apis.getApi({ apiId })).data.id).toBe(apiId);
  api.revokeRootKey(key);
  expect(await failure(client.apis.getApi({ apiId }))).toBeInstanceOf(UnauthorizedErrorResponse);
});
