/**
 * Ratelimit namespaces and their overrides. A namespace is addressed by name or id; overrides are
 * read in creation order (rowid), which is what "the first matching wildcard" means.
 */
import type { NamespaceRow, OverrideRow } from "./rows.js";
import type { Store } from "./store.js";

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

export function insertNamespace(db: Store, ns: NamespaceRow): void {
  db.run("INSERT INTO ratelimit_namespaces (id, workspace_id, name, created_at) VALUES (?, ?, ?, ?)", ns.id, ns.workspace_id, ns.name, ns.created_at);
}

/** Live overrides of a namespace in creation order. */
export function liveOverrides(db: Store, namespaceId: string): OverrideRow[] {
  return db.all<OverrideRow>("SELECT * FROM ratelimit_overrides WHERE namespace_id = ? AND deleted_at IS NULL ORDER BY rowid", namespaceId);
}

/** One page of a namespace's live overrides in id order. */
export function listLiveOverrides(db: Store, namespaceId: string, page: { cursor: string; limit: number }): OverrideRow[] {
  return db.all<OverrideRow>(
    "SELECT * FROM ratelimit_overrides WHERE namespace_id = ? AND deleted_at IS NULL AND id >= ? ORDER BY id LIMIT ?",
    namespaceId,
    page.cursor,
    page.limit,
  );
}

/**
 * Creates or replaces the override for (namespace, identifier): an existing one, even a deleted
 * one, keeps its id and comes back to life. Returns the override id.
 */
export function upsertOverride(
  db: Store,
  o: { newId: string; workspaceId: string; namespaceId: string; identifier: string; limit: number; duration: number; now: number },
): string {
  const existing = db.get<{ id: string }>("SELECT id FROM ratelimit_overrides WHERE namespace_id = ? AND identifier = ?", o.namespaceId, o.identifier);
  if (existing) {
    db.run('UPDATE ratelimit_overrides SET "limit" = ?, duration = ?, updated_at = ?, deleted_at = NULL WHERE id = ?', o.limit, o.duration, o.now, existing.id);
    return existing.id;
  }
  db.run(
    'INSERT INTO ratelimit_overrides (id, workspace_id, namespace_id, identifier, "limit", duration, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    o.newId,
    o.workspaceId,
    o.namespaceId,
    o.identifier,
    o.limit,
    o.duration,
    o.now,
  );
  return o.newId;
}

/** Soft-deletes the live override with exactly this identifier; false when there is none. */
export function softDeleteOverride(db: Store, namespaceId: string, identifier: string, now: number): boolean {
  return (
    db.run("UPDATE ratelimit_overrides SET deleted_at = ? WHERE namespace_id = ? AND identifier = ? AND deleted_at IS NULL", now, namespaceId, identifier)
      .changes > 0
  );
}
