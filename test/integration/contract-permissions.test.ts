/**
 * The contract's `x-mcp.permissions` / `permissionsIf` feed the MCP server's 403 hints, so they must
 * be exactly what the local API enforces (behavior doc §3). For every operation, over real HTTP,
 * with fresh fixtures per attempt:
 *   (a) a root key holding the first (wildcard) alternative of every clause, plus the conditional
 *       clauses the body triggers, gets past the permission check;
 *   (b) dropping any one clause fails the check (403, or Unkey's masking where it masks);
 *   (c) every other alternative (`api.<apiId>.x` with the fixture's real id) works in place of the wildcard.
 * The permission sets come from the contract; this file only says how to build a valid request.
 */
import { createHash, randomBytes } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { listOperations, loadContract, type ContractOperation } from "../../src/schemas/loader.js";
import type { ArgumentCondition, PermissionRequirement, XMcp } from "../../src/schemas/x-mcp.js";
import { startLocalApi, type InProcessLocalApi } from "../helpers/local-api.js";

interface Fixture {
  apiId: string;
  keyId: string;
  /** Plaintext of `keyId`. */
  key: string;
  identityId: string;
  permissionSlug: string;
  roleId: string;
  roleName: string;
  /** A ratelimit namespace (made by one limit call) with an override for `overrideIdentifier`. */
  namespace: string;
  namespaceId: string;
  overrideIdentifier: string;
  /** A fresh name nobody has used: for bodies that must create something on first use. */
  fresh: string;
}

type Success = "2xx" | "analytics_not_configured" | "precondition_failed";

interface Case {
  operationId: string;
  /** Names a variant of an operation (a body that triggers a conditional requirement). */
  variant?: string;
  body(f: Fixture): unknown;
  /** The body triggers the operation's `note` condition (server-evaluated, e.g. "does not exist yet"). */
  triggersNote?: boolean;
  /** What getting past the permission check looks like (default: HTTP 2xx). */
  success?: Success;
  /** Needs a workspace of its own (listIdentities checks every returned row). */
  isolate?: boolean;
  /** The call creates the resource, so there is no id to grant in advance: skip (c) for `<namespaceId>`. */
  noSpecificNamespace?: boolean;
}

const rand = (): string => randomBytes(5).toString("hex");

const CASES: Case[] = [
  // apis
  { operationId: "apis.createApi", body: (f) => ({ name: `api-${f.fresh}` }) },
  { operationId: "apis.getApi", body: (f) => ({ apiId: f.apiId }) },
  { operationId: "apis.listKeys", body: (f) => ({ apiId: f.apiId }) },
  { operationId: "apis.listKeys", variant: "decrypt", body: (f) => ({ apiId: f.apiId, decrypt: true }) },
  { operationId: "apis.deleteApi", body: (f) => ({ apiId: f.apiId }) },
  // keys
  { operationId: "keys.createKey", body: (f) => ({ apiId: f.apiId }) },
  {
    operationId: "keys.createKey",
    variant: "recoverable",
    body: (f) => ({ apiId: f.apiId, recoverable: true }),
    // No vault locally: the 412 comes after the encrypt_key check.
    success: "precondition_failed",
  },
  { operationId: "keys.getKey", body: (f) => ({ keyId: f.keyId }) },
  { operationId: "keys.getKey", variant: "decrypt", body: (f) => ({ keyId: f.keyId, decrypt: true }) },
  { operationId: "keys.whoami", body: (f) => ({ key: f.key }) },
  { operationId: "keys.verifyKey", body: (f) => ({ key: f.key }) },
  { operationId: "keys.updateKey", body: (f) => ({ keyId: f.keyId, name: "renamed" }) },
  { operationId: "keys.updateCredits", body: (f) => ({ keyId: f.keyId, operation: "set", value: 5 }) },
  { operationId: "keys.deleteKey", body: (f) => ({ keyId: f.keyId }) },
  { operationId: "keys.rerollKey", body: (f) => ({ keyId: f.keyId, expiration: 0 }) },
  {
    operationId: "keys.migrateKeys",
    body: (f) => ({
      migrationId: `mig_${f.fresh}`,
      apiId: f.apiId,
      keys: [{ hash: createHash("sha256").update(f.fresh).digest("base64") }],
    }),
  },
  { operationId: "keys.addPermissions", body: (f) => ({ keyId: f.keyId, permissions: [f.permissionSlug] }) },
  {
    operationId: "keys.addPermissions",
    variant: "new slug",
    body: (f) => ({ keyId: f.keyId, permissions: [`new.${f.fresh}`] }),
    triggersNote: true,
  },
  { operationId: "keys.removePermissions", body: (f) => ({ keyId: f.keyId, permissions: [f.permissionSlug] }) },
  { operationId: "keys.setPermissions", body: (f) => ({ keyId: f.keyId, permissions: [f.permissionSlug] }) },
  {
    operationId: "keys.setPermissions",
    variant: "new slug",
    body: (f) => ({ keyId: f.keyId, permissions: [`new.${f.fresh}`] }),
    triggersNote: true,
  },
  { operationId: "keys.addRoles", body: (f) => ({ keyId: f.keyId, roles: [f.roleName] }) },
  { operationId: "keys.removeRoles", body: (f) => ({ keyId: f.keyId, roles: [f.roleName] }) },
  { operationId: "keys.setRoles", body: (f) => ({ keyId: f.keyId, roles: [f.roleName] }) },
  // identities
  { operationId: "identities.createIdentity", body: (f) => ({ externalId: `ext_${f.fresh}` }) },
  { operationId: "identities.getIdentity", body: (f) => ({ identity: f.identityId }) },
  { operationId: "identities.listIdentities", body: () => ({}), isolate: true },
  { operationId: "identities.updateIdentity", body: (f) => ({ identity: f.identityId, meta: { plan: "pro" } }) },
  { operationId: "identities.deleteIdentity", body: (f) => ({ identity: f.identityId }) },
  // permissions
  { operationId: "permissions.createPermission", body: (f) => ({ name: `p ${f.fresh}`, slug: `p.${f.fresh}` }) },
  { operationId: "permissions.getPermission", body: (f) => ({ permission: f.permissionSlug }) },
  { operationId: "permissions.listPermissions", body: () => ({}) },
  { operationId: "permissions.deletePermission", body: (f) => ({ permission: f.permissionSlug }) },
  { operationId: "permissions.createRole", body: (f) => ({ name: `role_${f.fresh}` }) },
  {
    operationId: "permissions.createRole",
    variant: "with permissions",
    body: (f) => ({ name: `role_${f.fresh}`, permissions: [f.permissionSlug] }),
  },
  {
    operationId: "permissions.createRole",
    variant: "with a new slug",
    body: (f) => ({ name: `role_${f.fresh}`, permissions: [`new.${f.fresh}`] }),
    triggersNote: true,
  },
  { operationId: "permissions.getRole", body: (f) => ({ role: f.roleName }) },
  { operationId: "permissions.listRoles", body: () => ({}) },
  { operationId: "permissions.deleteRole", body: (f) => ({ role: f.roleName }) },
  { operationId: "permissions.setRolePermissions", body: (f) => ({ roleId: f.roleId, permissions: [f.permissionSlug] }) },
  {
    operationId: "permissions.setRolePermissions",
    variant: "new slug",
    body: (f) => ({ roleId: f.roleId, permissions: [`new.${f.fresh}`] }),
    triggersNote: true,
  },
  // ratelimit
  { operationId: "ratelimit.limit", body: (f) => ({ namespace: f.namespace, identifier: "u", limit: 10, duration: 60_000 }) },
  {
    operationId: "ratelimit.limit",
    variant: "new namespace",
    body: (f) => ({ namespace: `ns_${f.fresh}`, identifier: "u", limit: 10, duration: 60_000 }),
    triggersNote: true,
    noSpecificNamespace: true,
  },
  {
    operationId: "ratelimit.multiLimit",
    body: (f) => [{ namespace: f.namespace, identifier: "u", limit: 10, duration: 60_000 }],
  },
  {
    operationId: "ratelimit.multiLimit",
    variant: "new namespace",
    body: (f) => [{ namespace: `ns_${f.fresh}`, identifier: "u", limit: 10, duration: 60_000 }],
    triggersNote: true,
    noSpecificNamespace: true,
  },
  {
    operationId: "ratelimit.setOverride",
    body: (f) => ({ namespace: f.namespace, identifier: "other", limit: 5, duration: 60_000 }),
  },
  { operationId: "ratelimit.getOverride", body: (f) => ({ namespace: f.namespace, identifier: f.overrideIdentifier }) },
  { operationId: "ratelimit.listOverrides", body: (f) => ({ namespace: f.namespace }) },
  { operationId: "ratelimit.deleteOverride", body: (f) => ({ namespace: f.namespace, identifier: f.overrideIdentifier }) },
  {
    operationId: "analytics.getVerifications",
    body: () => ({ query: "SELECT COUNT(*) FROM key_verifications_v1" }),
  },
  {
    operationId: "analytics.getRatelimits",
    body: () => ({ query: "SELECT COUNT(*) FROM ratelimits_v1" }),
  },
];

/** Where Unkey hides a missing base permission instead of answering 403 (behavior doc §3). */
const MASKED_AS_NOT_FOUND = new Set(["keys.createKey", "apis.listKeys", "ratelimit.getOverride"]);
/** verifyKey never answers 403: a root key without verify_key sees the key as unknown. */
const MASKED_AS_UNKNOWN_KEY = "keys.verifyKey";

/** A valid permission no operation asks for: a root key must hold at least one. */
const FILLER = "api.api_nothing_here.read_api";

interface HttpResult {
  status: number;
  json: { data?: unknown; error?: { type?: string; detail?: string } } & Record<string, unknown>;
}

async function call(url: string, rootKey: string, operationId: string, body: unknown): Promise<HttpResult> {
  const res = await fetch(`${url}/v2/${operationId}`, {
    method: "POST",
    headers: { authorization: `Bearer ${rootKey}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as HttpResult["json"] };
}

async function admin<T>(api: InProcessLocalApi, operationId: string, body: unknown): Promise<T> {
  const r = await call(api.url, api.rootKey, operationId, body);
  if (r.status !== 200) throw new Error(`fixture ${operationId} → ${r.status} ${JSON.stringify(r.json)}`);
  return r.json.data as T;
}

/** Real resources, made through the API with the all-permissions root key. */
async function makeFixture(api: InProcessLocalApi): Promise<Fixture> {
  const id = rand();
  const { apiId } = await admin<{ apiId: string }>(api, "apis.createApi", { name: `fixture-${id}` });
  const permissionSlug = `fx.${id}`;
  await admin(api, "permissions.createPermission", { name: `fx ${id}`, slug: permissionSlug });
  const roleName = `role_${id}`;
  const { roleId } = await admin<{ roleId: string }>(api, "permissions.createRole", { name: roleName, permissions: [permissionSlug] });
  const created = await admin<{ keyId: string; key: string }>(api, "keys.createKey", {
    apiId,
    permissions: [permissionSlug],
    roles: [roleName],
  });
  const { identityId } = await admin<{ identityId: string }>(api, "identities.createIdentity", { externalId: `ext_${id}` });
  const namespace = `ns_${id}`;
  const overrideIdentifier = "fixture";
  await admin(api, "ratelimit.limit", { namespace, identifier: overrideIdentifier, limit: 10, duration: 60_000 });
  await admin(api, "ratelimit.setOverride", { namespace, identifier: overrideIdentifier, limit: 20, duration: 60_000 });
  return {
    apiId,
    keyId: created.keyId,
    key: created.key,
    identityId,
    permissionSlug,
    roleId,
    roleName,
    namespace,
    namespaceId: await namespaceIdOf(api, namespace),
    overrideIdentifier,
    fresh: rand(),
  };
}

/**
 * No operation returns a namespace's id, so read it from Unkey's 403 detail for a key that may
 * not limit it ("… ratelimit.*.limit or ratelimit.<id>.limit").
 */
async function namespaceIdOf(api: InProcessLocalApi, namespace: string): Promise<string> {
  const r = await call(api.url, api.createRootKey([FILLER]), "ratelimit.limit", {
    namespace,
    identifier: "probe",
    limit: 1,
    duration: 60_000,
  });
  const m = /ratelimit\.(rlns_[A-Za-z0-9]+)\.limit/.exec(r.json.error?.detail ?? "");
  if (!m) throw new Error(`cannot learn the id of namespace ${namespace}: ${r.status} ${JSON.stringify(r.json)}`);
  return m[1]!;
}

function substitute(permission: string, f: Fixture): string {
  const out = permission.replaceAll("<apiId>", f.apiId).replaceAll("<identityId>", f.identityId).replaceAll("<namespaceId>", f.namespaceId);
  if (/[<>]/.test(out)) throw new Error(`unknown placeholder in contract permission "${permission}"`);
  return out;
}

function conditionMatches(when: ArgumentCondition, body: unknown, c: Case): boolean {
  if (when.note !== undefined) return c.triggersNote === true;
  if (when.field === undefined || typeof body !== "object" || body === null || Array.isArray(body)) return false;
  const value = (body as Record<string, unknown>)[when.field];
  if (value === undefined) return false;
  if (when.present) return true;
  if ("equals" in when) return isDeepStrictEqual(value, when.equals);
  if (when.in) return when.in.some((v) => isDeepStrictEqual(v, value));
  return false;
}

interface Clause {
  alternatives: string[];
  conditional: boolean;
}

/** The base clauses and the conditional ones this body triggers, in the contract's words. */
function requiredClauses(xMcp: XMcp, body: unknown, c: Case): Clause[] {
  const base: PermissionRequirement = xMcp.permissions;
  const conditional = (xMcp.permissionsIf ?? []).filter((r) => conditionMatches(r.when, body, c)).flatMap((r) => r.require);
  return [...base.map((alternatives) => ({ alternatives, conditional: false })), ...conditional.map((alternatives) => ({ alternatives, conditional: true }))];
}

let shared: InProcessLocalApi;
const operations = new Map<string, ContractOperation>(listOperations(loadContract()).map((op) => [op.operationId, op]));

beforeAll(async () => {
  shared = await startLocalApi();
});
afterAll(async () => {
  await shared?.close();
});

test("the table covers every contract operation, and every operation states its permissions", () => {
  expect(operations.size).toBe(41);
  expect(new Set(CASES.map((c) => c.operationId))).toEqual(new Set(operations.keys()));
  for (const op of operations.values()) {
    expect(op.xMcp?.permissions.length, op.operationId).toBeGreaterThan(0);
    for (const clause of op.xMcp!.permissions) expect(clause.length, op.operationId).toBeGreaterThan(0);
  }
});

describe.each(CASES.map((c) => [c.variant ? `${c.operationId} (${c.variant})` : c.operationId, c] as const))("%s", (_name, c) => {
  const op = operations.get(c.operationId);

  /** Fresh fixtures (and, for `isolate`, a fresh workspace), a root key with `grant(f)`, one call. */
  async function attempt(grant: (f: Fixture) => string[]): Promise<{ res: HttpResult; held: string[]; f: Fixture }> {
    const api = c.isolate ? await startLocalApi() : shared;
    try {
      const f = await makeFixture(api);
      const held = grant(f);
      const res = await call(api.url, api.createRootKey(held.length > 0 ? held : [FILLER]), c.operationId, c.body(f));
      return { res, held, f };
    } finally {
      if (c.isolate) await api.close();
    }
  }

  function expectPastPermissionCheck(res: HttpResult, why: string): void {
    const success: Success = c.success ?? "2xx";
    const msg = `${why} → ${res.status} ${JSON.stringify(res.json)}`;
    if (success === "2xx") {
      expect.soft(res.status >= 200 && res.status < 300, msg).toBe(true);
      if (c.operationId === MASKED_AS_UNKNOWN_KEY) expect.soft((res.json.data as { code?: string })?.code, msg).not.toBe("NOT_FOUND");
    } else {
      expect.soft(res.status, msg).toBe(412);
      expect.soft(res.json.error?.type ?? "", msg).toMatch(new RegExp(`/${success}$`));
    }
  }

  function expectDenied(res: HttpResult, clause: Clause, f: Fixture, why: string): void {
    const msg = `${why} → ${res.status} ${JSON.stringify(res.json)}`;
    if (!clause.conditional && c.operationId === MASKED_AS_UNKNOWN_KEY) {
      expect.soft(res.status, msg).toBe(200);
      expect.soft(res.json.data, msg).toEqual({ valid: false, code: "NOT_FOUND" });
    } else if (!clause.conditional && MASKED_AS_NOT_FOUND.has(c.operationId)) {
      expect.soft(res.status, msg).toBe(404);
      expect.soft(res.json.error?.type ?? "", msg).toMatch(/\/unkey\/data\/\w+_not_found$/);
    } else {
      expect.soft(res.status, msg).toBe(403);
      expect.soft(res.json.error?.type ?? "", msg).toMatch(/\/unkey\/authorization\/insufficient_permissions$/);
      // The 403 names the missing clause, as the contract's hint will.
      expect.soft(res.json.error?.detail ?? "", msg).toContain(substitute(clause.alternatives[0]!, f));
    }
  }

  test("(a) the first alternative of every required clause gets past the permission check", async () => {
    expect(op?.xMcp, `${c.operationId} has x-mcp`).toBeDefined();
    const { res, held } = await attempt((f) => requiredClauses(op!.xMcp!, c.body(f), c).map((cl) => substitute(cl.alternatives[0]!, f)));
    // The first alternative is the wildcard form: it must not name a resource id.
    for (const p of held) expect.soft(p, `${c.operationId}: first alternative is a wildcard`).toMatch(/^[a-z]+\.\*\.[a-z_]+$/);
    expectPastPermissionCheck(res, `${c.operationId} with ${JSON.stringify(held)}`);
  });

  test("(b) leaving out any one clause fails the permission check", async () => {
    const probe = await makeFixture(shared);
    const clauses = requiredClauses(op!.xMcp!, c.body(probe), c);
    for (let i = 0; i < clauses.length; i++) {
      const { res, held, f } = await attempt((fx) =>
        requiredClauses(op!.xMcp!, c.body(fx), c)
          .filter((_, j) => j !== i)
          .map((cl) => substitute(cl.alternatives[0]!, fx)),
      );
      expectDenied(res, clauses[i]!, f, `${c.operationId} without ${JSON.stringify(clauses[i]!.alternatives)}, holding ${JSON.stringify(held)}`);
    }
  });

  test("(c) the specific-id alternatives work in place of the wildcard", async () => {
    const probe = await makeFixture(shared);
    const clauses = requiredClauses(op!.xMcp!, c.body(probe), c);
    for (let i = 0; i < clauses.length; i++) {
      for (let k = 1; k < clauses[i]!.alternatives.length; k++) {
        const alternative = clauses[i]!.alternatives[k]!;
        if (c.noSpecificNamespace && alternative.includes("<namespaceId>")) continue;
        const { res, held } = await attempt((f) =>
          requiredClauses(op!.xMcp!, c.body(f), c).map((cl, j) => substitute(j === i ? alternative : cl.alternatives[0]!, f)),
        );
        expectPastPermissionCheck(res, `${c.operationId} with ${JSON.stringify(held)}`);
      }
    }
    // Every alternative after the first names the resource (that is what makes it an alternative).
    for (const cl of clauses) for (const alt of cl.alternatives.slice(1)) expect.soft(alt, c.operationId).toMatch(/<(apiId|identityId|namespaceId)>/);
  });
});
