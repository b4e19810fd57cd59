/**
 * Ratelimit namespaces and overrides in the store. A namespace is addressed by
 * name or id; overrides are read in creation order (rowid), which is what
 * "the first matching wildcard" means.
 */
import { ApiError, notFound } from "../errors.js";
import { newId } from "../ids.js";
import type { Store } from "../store/store.js";

export interface NamespaceRow {
  id: string;
  workspace_id: string;
  name: string;
  created_at: number;
  deleted_at: number | null;
}

export interface OverrideRow {
  id: string;
  namespace_id: string;
  identifier: string;
  limit: number;
  duration: number;
  deleted_at: number | null;
}

/** The namespace (deleted or not) named or identified by `nameOrId` in the workspace. */
export function findNamespace(db: Store, workspaceId: string, nameOrId: string): NamespaceRow | undefined {
  return db.get<NamespaceRow>(
    "SELECT * FROM ratelimit_namespaces WHERE workspace_id = ? AND (id = ? OR name = ?) ORDER BY id = ? DESC LIMIT 1",
    workspaceId,
    nameOrId,
    nameOrId,
    nameOrId,
  );
}

/** A live namespace, or Unkey's 404 (override operations never auto-create). */
export function requireLiveNamespace(db: Store, workspaceId: string, nameOrId: string): NamespaceRow {
  const ns = findNamespace(db, workspaceId, nameOrId);
  if (!ns || ns.deleted_at !== null) throw namespaceNotFound();
  return ns;
}

export function namespaceNotFound(): ApiError {
  return notFound("ratelimit_namespace", "This namespace does not exist.");
}

export function namespaceGone(): ApiError {
  return new ApiError(410, "unkey/data/ratelimit_namespace_gone", "This namespace has been deleted. Contact support to restore.");
}

export function createNamespace(db: Store, workspaceId: string, name: string, now: number): NamespaceRow {
  const row: NamespaceRow = { id: newId("rlns"), workspace_id: workspaceId, name, created_at: now, deleted_at: null };
  db.run(
    "INSERT INTO ratelimit_namespaces (id, workspace_id, name, created_at) VALUES (?, ?, ?, ?)",
    row.id,
    workspaceId,
    name,
    now,
  );
  return row;
}

/** Live overrides of a namespace in creation order. */
export function liveOverrides(db: Store, namespaceId: string): OverrideRow[] {
  return db.all<OverrideRow>(
    "SELECT * FROM ratelimit_overrides WHERE namespace_id = ? AND deleted_at IS NULL ORDER BY rowid",
    namespaceId,
  );
}
