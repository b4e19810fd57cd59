/**
 * Resolving what a request grants: permissions by slug (created when missing), roles by name or
 * id, and the identity an `externalId` names (created when missing).
 */
import type { RequestContext } from "../context.js";
import { notFound } from "../errors.js";
import { newId } from "../ids.js";
import { findIdentityByExternalId, insertIdentity } from "../store/identities.js";
import { findPermissionBySlug, findRole, findRoleByName, insertPermission, insertRole } from "../store/rbac.js";
import type { PermissionRow, RoleRow } from "../store/rows.js";

/** The live identity with this externalId, created when missing (createKey/updateKey/migrateKeys). */
export function upsertIdentity(ctx: RequestContext, externalId: string): string {
  const existing = findIdentityByExternalId(ctx.db, ctx.workspaceId, externalId);
  if (existing) return existing.id;
  const id = newId("id");
  insertIdentity(ctx.db, { id, workspaceId: ctx.workspaceId, externalId, meta: null, createdAt: ctx.now });
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
    const row = findPermissionBySlug(ctx.db, ctx.workspaceId, slug);
    if (row) {
      if (!found.some((f) => f.id === row.id)) found.push(row);
    } else missing.push(slug);
  }
  return { found, missing };
}

/** Creates permissions with name = slug (Unkey's auto-create). */
export function createPermissions(ctx: RequestContext, slugs: readonly string[]): PermissionRow[] {
  return slugs.map((slug) => {
    const row: PermissionRow = { id: newId("perm"), workspace_id: ctx.workspaceId, name: slug, slug, description: null, created_at: ctx.now };
    insertPermission(ctx.db, row);
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
    const row = findRole(ctx.db, ctx.workspaceId, name);
    if (!row) throw notFound("role", `Role '${name}' was not found.`);
    if (!out.some((r) => r.id === row.id)) out.push(row);
  }
  return out;
}

/** Roles by name, creating the missing ones (migrateKeys: upstream's migration test expects it). */
export function ensureRoles(ctx: RequestContext, names: readonly string[]): RoleRow[] {
  return [...new Set(names)].map((name) => {
    const existing = findRoleByName(ctx.db, ctx.workspaceId, name);
    if (existing) return existing;
    const row: RoleRow = { id: newId("role"), workspace_id: ctx.workspaceId, name, description: null, created_at: ctx.now };
    insertRole(ctx.db, row);
    return row;
  });
}
