/**
 * Ratelimit namespaces as the handlers use them: found by name or id, auto-created by limit calls,
 * and Unkey's 404 / 410 errors. The SQL is in store/ratelimit-namespaces.ts.
 */
import { ApiError, notFound } from "../errors.js";
import { newId } from "../ids.js";
import type { Store } from "../store/store.js";
import { findNamespace, insertNamespace } from "../store/ratelimit-namespaces.js";
import type { NamespaceRow } from "../store/rows.js";

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
  insertNamespace(db, row);
  return row;
}
