/**
 * The `keys` table (and `key_migrations`): lookups, the one insert every new key goes through
 * (createKey, migrateKeys and rerollKey), updates, deletes and the verification read.
 */
import type { KeyRow } from "./rows.js";
import type { Store } from "./store.js";

/** A live (not soft-deleted) key by its sha256/base64 hash, in any workspace. */
export function findKeyByHash(db: Store, hash: string): KeyRow | undefined {
  return db.get<KeyRow>("SELECT * FROM keys WHERE hash = ? AND deleted_at IS NULL", hash);
}

/** True when any key, deleted or not, has this hash (the column is unique). */
export function keyHashExists(db: Store, hash: string): boolean {
  return db.get("SELECT 1 FROM keys WHERE hash = ?", hash) !== undefined;
}

/** A live key by id within the workspace. */
export function getKeyById(db: Store, workspaceId: string, keyId: string): KeyRow | undefined {
  return db.get<KeyRow>("SELECT * FROM keys WHERE id = ? AND workspace_id = ? AND deleted_at IS NULL", keyId, workspaceId);
}

/** The columns of a new key row; everything not listed starts NULL. */
export interface NewKeyRow {
  id: string;
  workspaceId: string;
  keySpaceId: string;
  hash: string;
  start: string;
  name: string | null;
  /** JSON text of the key's meta object. */
  meta: string | null;
  identityId: string | null;
  enabled: boolean;
  expires: number | null;
  remaining: number | null;
  refillAmount: number | null;
  refillDay: number | null;
  lastRefillAt: number | null;
  createdAt: number;
  migrationId: string | null;
}

export function insertKeyRow(db: Store, k: NewKeyRow): void {
  db.run(
    `INSERT INTO keys (id, workspace_id, key_space_id, hash, start, name, meta, identity_id, enabled, expires,
       remaining, refill_amount, refill_day, last_refill_at, created_at, migration_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    k.id,
    k.workspaceId,
    k.keySpaceId,
    k.hash,
    k.start,
    k.name,
    k.meta,
    k.identityId,
    k.enabled ? 1 : 0,
    k.expires,
    k.remaining,
    k.refillAmount,
    k.refillDay,
    k.lastRefillAt,
    k.createdAt,
    k.migrationId,
  );
}

/** The columns updateKey may change; an absent field is left as it is. */
export interface KeyPatch {
  name?: string | null;
  meta?: string | null;
  expires?: number | null;
  enabled?: boolean;
  identityId?: string | null;
  remaining?: number | null;
  refillAmount?: number | null;
  refillDay?: number | null;
}

const PATCH_COLUMNS: Record<keyof KeyPatch, string> = {
  name: "name",
  meta: "meta",
  expires: "expires",
  enabled: "enabled",
  identityId: "identity_id",
  remaining: "remaining",
  refillAmount: "refill_amount",
  refillDay: "refill_day",
};

/** Applies `patch` and stamps `updated_at`. Column names come from PATCH_COLUMNS only, never from input. */
export function updateKeyRow(db: Store, keyId: string, patch: KeyPatch, now: number): void {
  const sets: string[] = [];
  const params: unknown[] = [];
  for (const field of Object.keys(PATCH_COLUMNS) as (keyof KeyPatch)[]) {
    const value = patch[field];
    if (value === undefined) continue;
    sets.push(`${PATCH_COLUMNS[field]} = ?`);
    params.push(typeof value === "boolean" ? (value ? 1 : 0) : value);
  }
  sets.push("updated_at = ?");
  params.push(now);
  db.run(`UPDATE keys SET ${sets.join(", ")} WHERE id = ?`, ...params, keyId);
}

/** Sets the key's expiry (rerollKey's grace period for the old key). */
export function setKeyExpires(db: Store, keyId: string, expires: number, now: number): void {
  db.run("UPDATE keys SET expires = ?, updated_at = ? WHERE id = ?", expires, now, keyId);
}

export function softDeleteKey(db: Store, keyId: string, now: number): void {
  db.run("UPDATE keys SET deleted_at = ? WHERE id = ?", now, keyId);
}

/** Hard delete of a key and everything hanging off it (Unkey's key_delete_by_id). */
export function deleteKeyPermanently(db: Store, keyId: string): void {
  db.run("DELETE FROM keys_permissions WHERE key_id = ?", keyId);
  db.run("DELETE FROM keys_roles WHERE key_id = ?", keyId);
  db.run("DELETE FROM ratelimit_configs WHERE key_id = ?", keyId);
  db.run("DELETE FROM keys WHERE id = ?", keyId);
}

/** One page of a keyspace's live keys in id order from `cursor`, optionally only one identity's. */
export function listLiveKeys(db: Store, keySpaceId: string, page: { cursor: string; limit: number; identityId?: string }): KeyRow[] {
  if (page.identityId !== undefined) {
    return db.all<KeyRow>(
      "SELECT * FROM keys WHERE key_space_id = ? AND deleted_at IS NULL AND identity_id = ? AND id >= ? ORDER BY id LIMIT ?",
      keySpaceId,
      page.identityId,
      page.cursor,
      page.limit,
    );
  }
  return db.all<KeyRow>(
    "SELECT * FROM keys WHERE key_space_id = ? AND deleted_at IS NULL AND id >= ? ORDER BY id LIMIT ?",
    keySpaceId,
    page.cursor,
    page.limit,
  );
}

/** Unkey's migrations are set up by its team; locally the record is created on first use. */
export function ensureKeyMigration(db: Store, migrationId: string, workspaceId: string, now: number): void {
  db.run("INSERT OR IGNORE INTO key_migrations (id, workspace_id, created_at) VALUES (?, ?, ?)", migrationId, workspaceId, now);
}

/** A key row joined with what verifyKey needs of its keyspace, API, workspace and live identity. */
export interface VerificationRow extends KeyRow {
  ip_whitelist: string | null;
  api_id: string | null;
  api_deleted_at: number | null;
  ws_enabled: number | null;
  live_identity_id: string | null;
  external_id: string | null;
  identity_meta: string | null;
}

export function findKeyForVerification(db: Store, hash: string): VerificationRow | undefined {
  return db.get<VerificationRow>(
    `SELECT k.*, ks.ip_whitelist, a.id AS api_id, a.deleted_at AS api_deleted_at, w.enabled AS ws_enabled,
            i.id AS live_identity_id, i.external_id, i.meta AS identity_meta
     FROM keys k
     LEFT JOIN key_spaces ks ON ks.id = k.key_space_id
     LEFT JOIN apis a ON a.key_space_id = k.key_space_id
     LEFT JOIN workspaces w ON w.id = k.workspace_id
     LEFT JOIN identities i ON i.id = k.identity_id AND i.deleted_at IS NULL
     WHERE k.hash = ? AND k.deleted_at IS NULL
     LIMIT 1`,
    hash,
  );
}

export function markKeyUsed(db: Store, keyId: string, now: number): void {
  db.run("UPDATE keys SET last_used_at = ? WHERE id = ?", now, keyId);
}

/** Subtracts `cost` credits; the caller checked the balance in the same transaction. */
export function spendKeyCredits(db: Store, keyId: string, cost: number): void {
  db.run("UPDATE keys SET remaining = remaining - ? WHERE id = ?", cost, keyId);
}
