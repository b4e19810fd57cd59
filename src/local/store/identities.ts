/** The `identities` table. Identities are soft-deleted; externalId is unique among live ones. */
import { likePattern, type PageQuery } from "./sql.js";
import type { IdentityRow } from "./rows.js";
import type { Store } from "./store.js";

/** A live identity by id. */
export function getIdentityById(db: Store, identityId: string): IdentityRow | undefined {
  return db.get<IdentityRow>("SELECT * FROM identities WHERE id = ? AND deleted_at IS NULL", identityId);
}

/** A live identity by id or externalId (Unkey's `identity` field accepts both); an id match wins. */
export function findIdentity(db: Store, workspaceId: string, idOrExternalId: string): IdentityRow | undefined {
  return db.get<IdentityRow>(
    "SELECT * FROM identities WHERE workspace_id = ? AND deleted_at IS NULL AND (id = ? OR external_id = ?) ORDER BY id = ? DESC LIMIT 1",
    workspaceId,
    idOrExternalId,
    idOrExternalId,
    idOrExternalId,
  );
}

/** A live identity by externalId only. */
export function findIdentityByExternalId(db: Store, workspaceId: string, externalId: string): IdentityRow | undefined {
  return db.get<IdentityRow>("SELECT * FROM identities WHERE workspace_id = ? AND external_id = ? AND deleted_at IS NULL", workspaceId, externalId);
}

export function insertIdentity(db: Store, i: { id: string; workspaceId: string; externalId: string; meta: string | null; createdAt: number }): void {
  db.run(
    "INSERT INTO identities (id, workspace_id, external_id, meta, created_at) VALUES (?, ?, ?, ?, ?)",
    i.id,
    i.workspaceId,
    i.externalId,
    i.meta,
    i.createdAt,
  );
}

/** One page of live identities; `search` matches externalId or id. */
export function listIdentities(db: Store, workspaceId: string, page: PageQuery): IdentityRow[] {
  if (page.search) {
    const pattern = likePattern(page.search);
    return db.all<IdentityRow>(
      "SELECT * FROM identities WHERE workspace_id = ? AND deleted_at IS NULL AND id >= ? AND (external_id LIKE ? ESCAPE '\\' OR id LIKE ? ESCAPE '\\') ORDER BY id LIMIT ?",
      workspaceId,
      page.cursor,
      pattern,
      pattern,
      page.limit,
    );
  }
  return db.all<IdentityRow>(
    "SELECT * FROM identities WHERE workspace_id = ? AND deleted_at IS NULL AND id >= ? ORDER BY id LIMIT ?",
    workspaceId,
    page.cursor,
    page.limit,
  );
}

/** Stamps `updated_at`, and replaces `meta` when given (JSON text). */
export function touchIdentity(db: Store, identityId: string, now: number, meta?: string): void {
  if (meta !== undefined) db.run("UPDATE identities SET meta = ?, updated_at = ? WHERE id = ?", meta, now, identityId);
  else db.run("UPDATE identities SET updated_at = ? WHERE id = ?", now, identityId);
}

/** Soft-deletes an identity, drops its ratelimits and unlinks its keys (which stay). */
export function deleteIdentity(db: Store, identityId: string, now: number): void {
  db.run("UPDATE identities SET deleted_at = ? WHERE id = ?", now, identityId);
  db.run("DELETE FROM ratelimit_configs WHERE identity_id = ?", identityId);
  db.run("UPDATE keys SET identity_id = NULL WHERE identity_id = ?", identityId);
}
