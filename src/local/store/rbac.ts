/**
 * Permissions and roles of a workspace, and which permissions a role holds. Slugs and role names
 * compare case-insensitively, as Unkey's collation does (the unique indexes are NOCASE too).
 */
import { likePattern, type PageQuery } from "./sql.js";
import type { PermissionRow, RoleRow } from "./rows.js";
import type { Store } from "./store.js";

export function findPermissionBySlug(db: Store, workspaceId: string, slug: string): PermissionRow | undefined {
  return db.get<PermissionRow>("SELECT * FROM permissions WHERE workspace_id = ? AND slug = ? COLLATE NOCASE", workspaceId, slug);
}

export function findPermissionById(db: Store, workspaceId: string, id: string): PermissionRow | undefined {
  return db.get<PermissionRow>("SELECT * FROM permissions WHERE workspace_id = ? AND id = ?", workspaceId, id);
}

/** A permission by id or slug; an id match wins over a slug match. */
export function findPermission(db: Store, workspaceId: string, idOrSlug: string): PermissionRow | undefined {
  return db.get<PermissionRow>(
    "SELECT * FROM permissions WHERE workspace_id = ? AND (id = ? OR slug = ? COLLATE NOCASE) ORDER BY id = ? DESC LIMIT 1",
    workspaceId,
    idOrSlug,
    idOrSlug,
    idOrSlug,
  );
}

export function insertPermission(db: Store, p: PermissionRow): void {
  db.run(
    "INSERT INTO permissions (id, workspace_id, name, slug, description, created_at) VALUES (?, ?, ?, ?, ?, ?)",
    p.id,
    p.workspace_id,
    p.name,
    p.slug,
    p.description,
    p.created_at,
  );
}

/** One page of permissions; `search` matches id, name, slug or description. */
export function listPermissions(db: Store, workspaceId: string, page: PageQuery): PermissionRow[] {
  const params = { ws: workspaceId, cursor: page.cursor, limit: page.limit };
  if (page.search) {
    return db.all<PermissionRow>(
      "SELECT * FROM permissions WHERE workspace_id = @ws AND id >= @cursor AND (id LIKE @search ESCAPE '\\' OR name LIKE @search ESCAPE '\\' OR slug LIKE @search ESCAPE '\\' OR description LIKE @search ESCAPE '\\') ORDER BY id LIMIT @limit",
      { ...params, search: likePattern(page.search) },
    );
  }
  return db.all<PermissionRow>("SELECT * FROM permissions WHERE workspace_id = @ws AND id >= @cursor ORDER BY id LIMIT @limit", params);
}

/** Deletes a permission and every grant of it, to keys and to roles. */
export function deletePermission(db: Store, permissionId: string): void {
  db.run("DELETE FROM keys_permissions WHERE permission_id = ?", permissionId);
  db.run("DELETE FROM roles_permissions WHERE permission_id = ?", permissionId);
  db.run("DELETE FROM permissions WHERE id = ?", permissionId);
}

/** A role by id or name; an id match wins over a name match. */
export function findRole(db: Store, workspaceId: string, idOrName: string): RoleRow | undefined {
  return db.get<RoleRow>(
    "SELECT * FROM roles WHERE workspace_id = ? AND (id = ? OR name = ? COLLATE NOCASE) ORDER BY id = ? DESC LIMIT 1",
    workspaceId,
    idOrName,
    idOrName,
    idOrName,
  );
}

export function findRoleByName(db: Store, workspaceId: string, name: string): RoleRow | undefined {
  return db.get<RoleRow>("SELECT * FROM roles WHERE workspace_id = ? AND name = ? COLLATE NOCASE", workspaceId, name);
}

export function insertRole(db: Store, r: RoleRow): void {
  db.run(
    "INSERT INTO roles (id, workspace_id, name, description, created_at) VALUES (?, ?, ?, ?, ?)",
    r.id,
    r.workspace_id,
    r.name,
    r.description,
    r.created_at,
  );
}

/** One page of roles; `search` matches id, name or description. */
export function listRoles(db: Store, workspaceId: string, page: PageQuery): RoleRow[] {
  const params = { ws: workspaceId, cursor: page.cursor, limit: page.limit };
  if (page.search) {
    return db.all<RoleRow>(
      "SELECT * FROM roles WHERE workspace_id = @ws AND id >= @cursor AND (id LIKE @search ESCAPE '\\' OR name LIKE @search ESCAPE '\\' OR description LIKE @search ESCAPE '\\') ORDER BY id LIMIT @limit",
      { ...params, search: likePattern(page.search) },
    );
  }
  return db.all<RoleRow>("SELECT * FROM roles WHERE workspace_id = @ws AND id >= @cursor ORDER BY id LIMIT @limit", params);
}

/** Deletes a role, its grants to keys and its permission links. */
export function deleteRole(db: Store, roleId: string): void {
  db.run("DELETE FROM keys_roles WHERE role_id = ?", roleId);
  db.run("DELETE FROM roles_permissions WHERE role_id = ?", roleId);
  db.run("DELETE FROM roles WHERE id = ?", roleId);
}

/** The permissions a role holds, by slug. */
export function getRolePermissions(db: Store, roleId: string): PermissionRow[] {
  return db.all<PermissionRow>(
    "SELECT p.* FROM roles_permissions rp JOIN permissions p ON p.id = rp.permission_id WHERE rp.role_id = ? ORDER BY p.slug",
    roleId,
  );
}

export function addRolePermissions(db: Store, workspaceId: string, roleId: string, permissionIds: readonly string[], now: number): void {
  for (const pid of permissionIds) {
    db.run("INSERT OR IGNORE INTO roles_permissions (role_id, permission_id, workspace_id, created_at) VALUES (?, ?, ?, ?)", roleId, pid, workspaceId, now);
  }
}

/** Replaces the role's permissions with exactly `permissionIds`. */
export function setRolePermissions(db: Store, workspaceId: string, roleId: string, permissionIds: readonly string[], now: number): void {
  db.run("DELETE FROM roles_permissions WHERE role_id = ?", roleId);
  addRolePermissions(db, workspaceId, roleId, permissionIds, now);
}
