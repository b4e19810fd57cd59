/** The workspace of a data dir and its root keys. Permissions are stored as a JSON array. */
import type { Store } from "./store.js";

/** The first (and locally only) workspace. */
export function firstWorkspaceId(db: Store): string | undefined {
  return db.get<{ id: string }>("SELECT id FROM workspaces ORDER BY created_at LIMIT 1")?.id;
}

export function insertWorkspace(db: Store, id: string, name: string, now: number): void {
  db.run("INSERT INTO workspaces (id, name, enabled, created_at) VALUES (?, ?, 1, ?)", id, name, now);
}

/** Any root key (revoked or not) with this hash. */
export function findRootKeyByHash(db: Store, hash: string): { id: string; deleted_at: number | null } | undefined {
  return db.get<{ id: string; deleted_at: number | null }>("SELECT id, deleted_at FROM root_keys WHERE hash = ?", hash);
}

export function workspaceHasRootKeys(db: Store, workspaceId: string): boolean {
  return db.get("SELECT 1 FROM root_keys WHERE workspace_id = ? LIMIT 1", workspaceId) !== undefined;
}

export function insertRootKeyRow(
  db: Store,
  r: { id: string; workspaceId: string; name: string | null; hash: string; start: string; permissions: readonly string[]; now: number },
): void {
  db.run(
    "INSERT INTO root_keys (id, workspace_id, name, hash, start, permissions, enabled, created_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?)",
    r.id,
    r.workspaceId,
    r.name,
    r.hash,
    r.start,
    JSON.stringify(r.permissions),
    r.now,
  );
}

export interface RootKeyListRow {
  id: string;
  name: string | null;
  start: string;
  permissions: string;
  created_at: number;
}

export function listLiveRootKeys(db: Store): RootKeyListRow[] {
  return db.all<RootKeyListRow>("SELECT id, name, start, permissions, created_at FROM root_keys WHERE deleted_at IS NULL ORDER BY id");
}

/** Soft-deletes a root key; false when no live key has that id. */
export function revokeRootKeyRow(db: Store, id: string, now: number): boolean {
  return db.run("UPDATE root_keys SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL", now, id).changes > 0;
}

export interface RootKeyAuthRow {
  id: string;
  workspace_id: string;
  permissions: string;
  enabled: number;
  expires: number | null;
}

/** A live root key by hash, as authentication needs it. */
export function findLiveRootKeyByHash(db: Store, hash: string): RootKeyAuthRow | undefined {
  return db.get<RootKeyAuthRow>("SELECT id, workspace_id, permissions, enabled, expires FROM root_keys WHERE hash = ? AND deleted_at IS NULL", hash);
}
