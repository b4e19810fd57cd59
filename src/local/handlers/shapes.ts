/**
 * Rows → Unkey's response shapes: permissions, roles, identities, ratelimit configs and keys
 * (BuildKeyResponseData, the shape of getKey, whoami and listKeys items).
 */
import { getIdentityById } from "../store/identities.js";
import { getKeyDirectPermissionSlugs, getKeyRoleNames, getKeyRolePermissionSlugs } from "../store/key-grants.js";
import { getRolePermissions } from "../store/rbac.js";
import { getIdentityRatelimits, getKeyRatelimits } from "../store/ratelimit-configs.js";
import { parseJsonObject, type IdentityRow, type KeyRow, type PermissionRow, type RatelimitConfigRow, type RoleRow } from "../store/rows.js";
import type { Store } from "../store/store.js";
import type { ResponseData } from "./types.js";

export interface PermissionJson {
  id: string;
  name: string;
  slug: string;
  description?: string;
}

export function permissionToJson(p: PermissionRow): PermissionJson {
  const out: PermissionJson = { id: p.id, name: p.name, slug: p.slug };
  if (p.description) out.description = p.description;
  return out;
}

export interface RoleJson {
  id: string;
  name: string;
  description?: string;
  permissions: PermissionJson[];
}

export function roleToJson(db: Store, r: RoleRow): RoleJson {
  const out: RoleJson = { id: r.id, name: r.name, permissions: getRolePermissions(db, r.id).map(permissionToJson) };
  if (r.description) out.description = r.description;
  return out;
}

export interface RatelimitJson {
  id: string;
  name: string;
  limit: number;
  duration: number;
  autoApply: boolean;
}

/** The API response shape of a ratelimit config. */
export function ratelimitToJson(r: RatelimitConfigRow): RatelimitJson {
  return { id: r.id, name: r.name, limit: r.limit, duration: r.duration, autoApply: r.auto_apply === 1 };
}

export interface IdentityJson {
  id: string;
  externalId: string;
  meta?: Record<string, unknown>;
  ratelimits: RatelimitJson[];
}

export function identityToJson(db: Store, identity: IdentityRow): IdentityJson {
  const out: IdentityJson = {
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
