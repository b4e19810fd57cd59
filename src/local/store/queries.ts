/**
 * Typed rows and small accessors shared by handlers (CRUD and verify/ratelimit alike).
 * Each accessor is one prepared statement; callers own the transaction.
 */
import type { Store } from "./store.js";

export interface KeyRow {
  id: string;
  workspace_id: string;
  key_space_id: string;
  hash: string;
  start: string;
  name: string | null;
  meta: string | null;
  identity_id: string | null;
  enabled: number;
  expires: number | null;
  remaining: number | null;
  refill_amount: number | null;
  refill_day: number | null;
  last_refill_at: number | null;
  created_at: number;
  updated_at: number | null;
  last_used_at: number | null;
  deleted_at: number | null;
  migration_id: string | null;
}

export interface ApiRow {
  id: string;
  workspace_id: string;
  name: string;
  key_space_id: string;
  delete_protection: number;
  created_at: number;
  deleted_at: number | null;
}

export interface KeySpaceRow {
  id: string;
  workspace_id: string;
  default_prefix: string | null;
  default_bytes: number | null;
  ip_whitelist: string | null;
  store_encrypted_keys: number;
}

export interface IdentityRow {
  id: string;
  workspace_id: string;
  external_id: string;
  meta: string | null;
  created_at: number;
  updated_at: number | null;
  deleted_at: number | null;
}

export interface RatelimitConfigRow {
  id: string;
  workspace_id: string;
  name: string;
  limit: number;
  duration: number;
  auto_apply: number;
  key_id: string | null;
  identity_id: string | null;
}

export interface PermissionRow {
  id: string;
  workspace_id: string;
  name: string;
  slug: string;
  description: string | null;
  created_at: number;
}

export interface RoleRow {
  id: string;
  workspace_id: string;
  name: string;
  description: string | null;
  created_at: number;
}

/** A live (not soft-deleted) key by its sha256/base64 hash, in any workspace. */
export function findKeyByHash(db: Store, hash: string): KeyRow | undefined {
  return db.get<KeyRow>("SELECT * FROM keys WHERE hash = ? AND deleted_at IS NULL", hash);
}

/** A live key by id within the workspace. */
export function getKeyById(db: Store, workspaceId: string, keyId: string): KeyRow | undefined {
  return db.get<KeyRow>(
    "SELECT * FROM keys WHERE id = ? AND workspace_id = ? AND deleted_at IS NULL",
    keyId,
    workspaceId,
  );
}

/** The API (deleted or not) that owns a keyspace. */
export function getApiByKeySpace(db: Store, keySpaceId: string): ApiRow | undefined {
  return db.get<ApiRow>("SELECT * FROM apis WHERE key_space_id = ?", keySpaceId);
}

/** A live API by id within the workspace. */
export function getLiveApi(db: Store, workspaceId: string, apiId: string): ApiRow | undefined {
  return db.get<ApiRow>(
    "SELECT * FROM apis WHERE id = ? AND workspace_id = ? AND deleted_at IS NULL",
    apiId,
    workspaceId,
  );
}

export function getKeySpace(db: Store, keySpaceId: string): KeySpaceRow | undefined {
  return db.get<KeySpaceRow>("SELECT * FROM key_spaces WHERE id = ?", keySpaceId);
}

/** A live identity by id. */
export function getIdentityById(db: Store, identityId: string): IdentityRow | undefined {
  return db.get<IdentityRow>("SELECT * FROM identities WHERE id = ? AND deleted_at IS NULL", identityId);
}

/** A live identity by id or externalId (Unkey's `identity` field accepts both). */
export function findIdentity(db: Store, workspaceId: string, idOrExternalId: string): IdentityRow | undefined {
  return db.get<IdentityRow>(
    "SELECT * FROM identities WHERE workspace_id = ? AND deleted_at IS NULL AND (id = ? OR external_id = ?) ORDER BY id = ? DESC LIMIT 1",
    workspaceId,
    idOrExternalId,
    idOrExternalId,
    idOrExternalId,
  );
}

export function getKeyRatelimits(db: Store, keyId: string): RatelimitConfigRow[] {
  return db.all<RatelimitConfigRow>("SELECT * FROM ratelimit_configs WHERE key_id = ? ORDER BY rowid", keyId);
}

export function getIdentityRatelimits(db: Store, identityId: string): RatelimitConfigRow[] {
  return db.all<RatelimitConfigRow>(
    "SELECT * FROM ratelimit_configs WHERE identity_id = ? ORDER BY rowid",
    identityId,
  );
}

/** Slugs of the key's direct permissions. */
export function getKeyDirectPermissionSlugs(db: Store, keyId: string): string[] {
  return db
    .all<{ slug: string }>(
      "SELECT p.slug FROM keys_permissions kp JOIN permissions p ON p.id = kp.permission_id WHERE kp.key_id = ? ORDER BY p.slug",
      keyId,
    )
    .map((r) => r.slug);
}

/** Slugs the key holds through its roles (duplicates possible across roles). */
export function getKeyRolePermissionSlugs(db: Store, keyId: string): string[] {
  return db
    .all<{ slug: string }>(
      "SELECT p.slug FROM keys_roles kr JOIN roles_permissions rp ON rp.role_id = kr.role_id JOIN permissions p ON p.id = rp.permission_id WHERE kr.key_id = ? ORDER BY p.slug",
      keyId,
    )
    .map((r) => r.slug);
}

export function getKeyRoleNames(db: Store, keyId: string): string[] {
  return db
    .all<{ name: string }>(
      "SELECT r.name FROM keys_roles kr JOIN roles r ON r.id = kr.role_id WHERE kr.key_id = ? ORDER BY r.name",
      keyId,
    )
    .map((r) => r.name);
}

export function parseJsonObject(text: string | null): Record<string, unknown> | undefined {
  if (text == null) return undefined;
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The API response shape of a ratelimit config. */
export function ratelimitToJson(r: RatelimitConfigRow): {
  id: string;
  name: string;
  limit: number;
  duration: number;
  autoApply: boolean;
} {
  return { id: r.id, name: r.name, limit: r.limit, duration: r.duration, autoApply: r.auto_apply === 1 };
}
