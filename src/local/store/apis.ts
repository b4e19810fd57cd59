/** APIs and their keyspaces. An API owns exactly one keyspace; deleting an API soft-deletes its keys. */
import type { ApiRow, KeySpaceRow } from "./rows.js";
import type { Store } from "./store.js";

/** The API (deleted or not) that owns a keyspace. */
export function getApiByKeySpace(db: Store, keySpaceId: string): ApiRow | undefined {
  return db.get<ApiRow>("SELECT * FROM apis WHERE key_space_id = ?", keySpaceId);
}

/** A live API by id within the workspace. */
export function getLiveApi(db: Store, workspaceId: string, apiId: string): ApiRow | undefined {
  return db.get<ApiRow>("SELECT * FROM apis WHERE id = ? AND workspace_id = ? AND deleted_at IS NULL", apiId, workspaceId);
}

export function getKeySpace(db: Store, keySpaceId: string): KeySpaceRow | undefined {
  return db.get<KeySpaceRow>("SELECT * FROM key_spaces WHERE id = ?", keySpaceId);
}

/** A new API with its own empty keyspace (caller holds the transaction). */
export function insertApi(db: Store, a: { apiId: string; keySpaceId: string; workspaceId: string; name: string; now: number }): void {
  db.run("INSERT INTO key_spaces (id, workspace_id, store_encrypted_keys, created_at) VALUES (?, ?, 0, ?)", a.keySpaceId, a.workspaceId, a.now);
  db.run(
    "INSERT INTO apis (id, workspace_id, name, key_space_id, delete_protection, created_at) VALUES (?, ?, ?, ?, 0, ?)",
    a.apiId,
    a.workspaceId,
    a.name,
    a.keySpaceId,
    a.now,
  );
}

/** Soft-deletes the API and every live key of its keyspace. */
export function softDeleteApi(db: Store, api: ApiRow, now: number): void {
  db.run("UPDATE apis SET deleted_at = ? WHERE id = ?", now, api.id);
  db.run("UPDATE keys SET deleted_at = ? WHERE key_space_id = ? AND deleted_at IS NULL", now, api.key_space_id);
}

/** Turns delete protection on or off; false when no live API has that id. */
export function setApiDeleteProtection(db: Store, apiId: string, on: boolean): boolean {
  return db.run("UPDATE apis SET delete_protection = ? WHERE id = ? AND deleted_at IS NULL", on ? 1 : 0, apiId).changes > 0;
}
