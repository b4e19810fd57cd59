/**
 * Building blocks shared by the CRUD handlers: lookups that throw Unkey's 404s, pagination,
 * the key response shape (BuildKeyResponseData), permission/role/identity/ratelimit writes.
 */
import type { RequestContext } from "../context.js";
import { badRequest, notFound } from "../errors.js";
import { newId } from "../ids.js";
import {
  getApiByKeySpace,
  getIdentityById,
  getKeyById,
  getKeyDirectPermissionSlugs,
  getKeyRatelimits,
  getKeyRoleNames,
  getKeyRolePermissionSlugs,
  getIdentityRatelimits,
  parseJsonObject,
  ratelimitToJson,
  type ApiRow,
  type IdentityRow,
  type KeyRow,
  type PermissionRow,
  type RoleRow,
} from "../store/queries.js";
import type { Store } from "../store/store.js";
import type { Pagination, ResponseData } from "./registry.js";

/** Unkey's list default (and maximum) page size. */
export const DEFAULT_PAGE_LIMIT = 100;

/** Rows fetched with `limit + 1` → the page and Unkey's pagination (cursor = id of the next row). */
export function toPage<T extends { id: string }>(rows: T[], limit: number): { items: T[]; pagination: Pagination } {
  if (rows.length > limit) {
    return { items: rows.slice(0, limit), pagination: { cursor: rows[limit].id, hasMore: true } };
  }
  return { items: rows, pagination: { hasMore: false } };
}

/** Escapes LIKE wildcards so `search` is a plain substring match. */
export function likePattern(search: string): string {
  return `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Unkey's 404 for a key that does not exist, was deleted, or whose API was deleted. */
export function keyNotFound(): ReturnType<typeof notFound> {
  return notFound("key", "The specified key was not found.");
}

/** A live key and the live API owning it, or Unkey's 404. */
export function loadKey(ctx: RequestContext, keyId: string): { key: KeyRow; api: ApiRow } {
  const key = getKeyById(ctx.db, ctx.workspaceId, keyId);
  const api = key ? getApiByKeySpace(ctx.db, key.key_space_id) : undefined;
  if (!key || !api || api.deleted_at !== null) throw keyNotFound();
  return { key, api };
}

export function apiNotFound(): ReturnType<typeof notFound> {
  return notFound("api", "The requested API does not exist or has been deleted.");
}

export function permissionToJson(p: PermissionRow): { id: string; name: string; slug: string; description?: string } {
  const out: { id: string; name: string; slug: string; description?: string } = { id: p.id, name: p.name, slug: p.slug };
  if (p.description) out.description = p.description;
  return out;
}

export function rolePermissions(db: Store, roleId: string): PermissionRow[] {
  return db.all<PermissionRow>(
    "SELECT p.* FROM roles_permissions rp JOIN permissions p ON p.id = rp.permission_id WHERE rp.role_id = ? ORDER BY p.slug",
    roleId,
  );
}

export function roleToJson(
  db: Store,
  r: RoleRow,
): { id: string; name: string; description?: string; permissions: ReturnType<typeof permissionToJson>[] } {
  const out: { id: string; name: string; description?: string; permissions: ReturnType<typeof permissionToJson>[] } = {
    id: r.id,
    name: r.name,
    permissions: rolePermissions(db, r.id).map(permissionToJson),
  };
  if (r.description) out.description = r.description;
  return out;
}

export function identityToJson(
  db: Store,
  identity: IdentityRow,
): { id: string; externalId: string; meta?: Record<string, unknown>; ratelimits: ReturnType<typeof ratelimitToJson>[] } {
  const out: { id: string; externalId: string; meta?: Record<string, unknown>; ratelimits: ReturnType<typeof ratelimitToJson>[] } = {
    id: identity.id,
    externalId: identity.external_id,
    ratelimits: getIdentityRatelimits(db, identity.id).map(ratelimitToJson),
  };
  const meta = parseJsonObject(identity.meta);
  if (meta) out.meta = meta;
  return out;
}

/** Unkey's BuildKeyResponseData: the shape of getKey, whoami and listKeys items. */
export function keyToJson(db: Store, key: KeyRow): ResponseData<"keys.getKey"> {
  const out: ResponseData<"keys.getKey"> = {
    keyId: key.id,
    start: key.start,
    enabled: key.enabled === 1,
    createdAt: key.created_at,
  };
  if (key.name !== null) out.name = key.name;
  const meta = parseJsonObject(key.meta);
  if (meta) out.meta = meta;
  if (key.updated_at !== null) out.updatedAt = key.updated_at;
  if (key.last_used_at !== null) out.lastUsedAt = key.last_used_at;
  if (key.expires !== null) out.expires = key.expires;
  if (key.remaining !== null) {
    const credits: NonNullable<ResponseData<"keys.getKey">["credits"]> = { remaining: key.remaining };
    if (key.refill_amount !== null) {
      credits.refill =
        key.refill_day === null
          ? { amount: key.refill_amount, interval: "daily" }
          : { amount: key.refill_amount, interval: "monthly", refillDay: key.refill_day };
    }
    out.credits = credits;
  }
  if (key.identity_id !== null) {
    const identity = getIdentityById(db, key.identity_id);
    if (identity) {
      const j = identityToJson(db, identity);
      out.identity = j.ratelimits.length > 0 ? j : { id: j.id, externalId: j.externalId, ...(j.meta ? { meta: j.meta } : {}) };
    }
  }
  const ratelimits = getKeyRatelimits(db, key.id).map(ratelimitToJson);
  if (ratelimits.length > 0) out.ratelimits = ratelimits;
  const permissions = [...new Set([...getKeyDirectPermissionSlugs(db, key.id), ...getKeyRolePermissionSlugs(db, key.id)])].sort();
  if (permissions.length > 0) out.permissions = permissions;
  const roles = getKeyRoleNames(db, key.id);
  if (roles.length > 0) out.roles = roles;
  return out;
}

/** The live identity with this externalId, created when missing (createKey/updateKey/migrateKeys). */
export function upsertIdentity(ctx: RequestContext, externalId: string): string {
  const existing = ctx.db.get<{ id: string }>(
    "SELECT id FROM identities WHERE workspace_id = ? AND external_id = ? AND deleted_at IS NULL",
    ctx.workspaceId,
    externalId,
  );
  if (existing) return existing.id;
  const id = newId("id");
  ctx.db.run(
    "INSERT INTO identities (id, workspace_id, external_id, meta, created_at) VALUES (?, ?, ?, NULL, ?)",
    id,
    ctx.workspaceId,
    externalId,
    ctx.now,
  );
  return id;
}

/**
 * Finds permissions by slug, case-insensitively as Unkey's collation does; `missing` is de-duplicated
 * the same way (["New.Perm", "new.perm"] → one missing slug, the first spelling), so creating them
 * never clashes with the unique slug index.
 */
export function findPermissionsBySlugs(ctx: RequestContext, slugs: readonly string[]): { found: PermissionRow[]; missing: string[] } {
  const found: PermissionRow[] = [];
  const missing: string[] = [];
  const seen = new Set<string>();
  for (const slug of slugs) {
    const folded = slug.toLowerCase();
    if (seen.has(folded)) continue;
    seen.add(folded);
    const row = ctx.db.get<PermissionRow>("SELECT * FROM permissions WHERE workspace_id = ? AND slug = ? COLLATE NOCASE", ctx.workspaceId, slug);
    if (row) {
      if (!found.some((f) => f.id === row.id)) found.push(row);
    } else missing.push(slug);
  }
  return { found, missing };
}

/** Creates permissions with name = slug (Unkey's auto-create). */
export function createPermissions(ctx: RequestContext, slugs: readonly string[]): PermissionRow[] {
  return slugs.map((slug) => {
    const row: PermissionRow = {
      id: newId("perm"),
      workspace_id: ctx.workspaceId,
      name: slug,
      slug,
      description: null,
      created_at: ctx.now,
    };
    ctx.db.run(
      "INSERT INTO permissions (id, workspace_id, name, slug, description, created_at) VALUES (?, ?, ?, ?, NULL, ?)",
      row.id,
      row.workspace_id,
      row.name,
      row.slug,
      row.created_at,
    );
    return row;
  });
}

/** Permissions by slug, creating the missing ones. */
export function ensurePermissions(ctx: RequestContext, slugs: readonly string[]): PermissionRow[] {
  const { found, missing } = findPermissionsBySlugs(ctx, slugs);
  return [...found, ...createPermissions(ctx, missing)];
}

/** Roles by name (or id); a missing one is Unkey's 404 `role_not_found`. */
export function resolveRoles(ctx: RequestContext, names: readonly string[]): RoleRow[] {
  const out: RoleRow[] = [];
  for (const name of new Set(names)) {
    const row = ctx.db.get<RoleRow>(
      "SELECT * FROM roles WHERE workspace_id = ? AND (name = ? COLLATE NOCASE OR id = ?) ORDER BY id = ? DESC LIMIT 1",
      ctx.workspaceId,
      name,
      name,
      name,
    );
    if (!row) throw notFound("role", `Role '${name}' was not found.`);
    if (!out.some((r) => r.id === row.id)) out.push(row);
  }
  return out;
}

export function setKeyPermissions(ctx: RequestContext, keyId: string, permissionIds: readonly string[]): void {
  ctx.db.run("DELETE FROM keys_permissions WHERE key_id = ?", keyId);
  addKeyPermissions(ctx, keyId, permissionIds);
}

export function addKeyPermissions(ctx: RequestContext, keyId: string, permissionIds: readonly string[]): void {
  for (const pid of permissionIds) {
    ctx.db.run(
      "INSERT OR IGNORE INTO keys_permissions (key_id, permission_id, workspace_id, created_at) VALUES (?, ?, ?, ?)",
      keyId,
      pid,
      ctx.workspaceId,
      ctx.now,
    );
  }
}

export function setKeyRoles(ctx: RequestContext, keyId: string, roleIds: readonly string[]): void {
  ctx.db.run("DELETE FROM keys_roles WHERE key_id = ?", keyId);
  addKeyRoles(ctx, keyId, roleIds);
}

export function addKeyRoles(ctx: RequestContext, keyId: string, roleIds: readonly string[]): void {
  for (const rid of roleIds) {
    ctx.db.run(
      "INSERT OR IGNORE INTO keys_roles (key_id, role_id, workspace_id, created_at) VALUES (?, ?, ?, ?)",
      keyId,
      rid,
      ctx.workspaceId,
      ctx.now,
    );
  }
}

export interface RatelimitInput {
  name: string;
  limit: number;
  duration: number;
  autoApply?: boolean;
}

/** Ratelimit names must be unique within one owner (Unkey answers 400). */
export function assertUniqueRatelimitNames(ratelimits: readonly RatelimitInput[], field = "ratelimits"): void {
  const seen = new Set<string>();
  for (const [i, r] of ratelimits.entries()) {
    if (seen.has(r.name)) {
      const location = `body.${field}[${i}].name`;
      throw badRequest(`Ratelimit with name "${r.name}" is already defined in the request.`, [
        { location, message: `${location} "${r.name}" is a duplicate`, fix: "Give every ratelimit a distinct name." },
      ]);
    }
    seen.add(r.name);
  }
}

/**
 * Replaces the ratelimit configs of a key or identity, matched by name: existing names keep their
 * id and get the new values, names not in `ratelimits` are removed, new names are inserted.
 */
export function replaceRatelimits(
  ctx: RequestContext,
  owner: { keyId: string } | { identityId: string },
  ratelimits: readonly RatelimitInput[],
): void {
  const column = "keyId" in owner ? "key_id" : "identity_id";
  const ownerId = "keyId" in owner ? owner.keyId : owner.identityId;
  const existing = ctx.db.all<{ id: string; name: string }>(
    `SELECT id, name FROM ratelimit_configs WHERE ${column} = ?`,
    ownerId,
  );
  const wanted = new Map(ratelimits.map((r) => [r.name, r]));
  for (const e of existing) {
    const r = wanted.get(e.name);
    if (!r) {
      ctx.db.run("DELETE FROM ratelimit_configs WHERE id = ?", e.id);
      continue;
    }
    ctx.db.run(
      'UPDATE ratelimit_configs SET "limit" = ?, duration = ?, auto_apply = ?, updated_at = ? WHERE id = ?',
      r.limit,
      r.duration,
      r.autoApply ? 1 : 0,
      ctx.now,
      e.id,
    );
    wanted.delete(e.name);
  }
  for (const r of wanted.values()) insertRatelimit(ctx, owner, r);
}

export function insertRatelimit(
  ctx: RequestContext,
  owner: { keyId: string } | { identityId: string },
  r: RatelimitInput,
): string {
  const id = newId("rl");
  ctx.db.run(
    'INSERT INTO ratelimit_configs (id, workspace_id, name, "limit", duration, auto_apply, key_id, identity_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    id,
    ctx.workspaceId,
    r.name,
    r.limit,
    r.duration,
    r.autoApply ? 1 : 0,
    "keyId" in owner ? owner.keyId : null,
    "identityId" in owner ? owner.identityId : null,
    ctx.now,
  );
  return id;
}

export interface CreditsInput {
  remaining?: number | null;
  refill?: { interval: string; amount: number; refillDay?: number } | null;
}

/** Refill → (refill_amount, refill_day); validates Unkey's rules for createKey-style input. */
export function refillColumns(
  refill: NonNullable<CreditsInput["refill"]>,
  field: string,
): { amount: number; day: number | null } {
  if (refill.interval === "monthly") {
    if (refill.refillDay === undefined) {
      throw badRequest("When interval is monthly, 'refillDay' must be provided.", [
        { location: `${field}.refillDay`, message: `${field}.refillDay is required when interval is monthly`, fix: "Set refillDay (1-31)." },
      ]);
    }
    return { amount: refill.amount, day: refill.refillDay };
  }
  // daily: Unkey ignores refillDay on create.
  return { amount: refill.amount, day: null };
}

/** createKey / migrateKeys credits → columns. `credits.refill` needs a non-null `remaining`. */
export function creditsColumns(
  credits: CreditsInput | undefined,
  field: string,
): { remaining: number | null; refillAmount: number | null; refillDay: number | null } {
  if (!credits) return { remaining: null, refillAmount: null, refillDay: null };
  const remaining = credits.remaining ?? null;
  if (credits.refill) {
    if (remaining === null) {
      throw badRequest("credits.remaining must be set when credits.refill is used.", [
        { location: `${field}.remaining`, message: `${field}.remaining is required with ${field}.refill`, fix: "Set remaining to the starting balance." },
      ]);
    }
    const { amount, day } = refillColumns(credits.refill, `${field}.refill`);
    return { remaining, refillAmount: amount, refillDay: day };
  }
  return { remaining, refillAmount: null, refillDay: null };
}
