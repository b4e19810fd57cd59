/**
 * What a key holds: direct permissions (`keys_permissions`) and roles (`keys_roles`).
 * Inserts are idempotent (INSERT OR IGNORE), so granting twice is harmless.
 */
import type { PermissionRow, RoleRow } from "./rows.js";
import type { Store } from "./store.js";

/** The key's direct permissions, by slug. */
export function getKeyDirectPermissions(db: Store, keyId: string): PermissionRow[] {
  return db.all<PermissionRow>("SELECT p.* FROM keys_permissions kp JOIN permissions p ON p.id = kp.permission_id WHERE kp.key_id = ? ORDER BY p.slug", keyId);
}

/** Slugs of the key's direct permissions. */
export function getKeyDirectPermissionSlugs(db: Store, keyId: string): string[] {
  return db
    .all<{ slug: string }>("SELECT p.slug FROM keys_permissions kp JOIN permissions p ON p.id = kp.permission_id WHERE kp.key_id = ? ORDER BY p.slug", keyId)
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

/** The key's roles, by name. */
export function getKeyRoles(db: Store, keyId: string): RoleRow[] {
  return db.all<RoleRow>("SELECT r.* FROM keys_roles kr JOIN roles r ON r.id = kr.role_id WHERE kr.key_id = ? ORDER BY r.name", keyId);
}

export function getKeyRoleNames(db: Store, keyId: string): string[] {
  return db
    .all<{ name: string }>("SELECT r.name FROM keys_roles kr JOIN roles r ON r.id = kr.role_id WHERE kr.key_id = ? ORDER BY r.name", keyId)
    .map((r) => r.name);
}

/** Ids of the key's direct permissions and roles, in grant order (rerollKey copies them). */
export function getKeyGrantIds(db: Store, keyId: string): { permissionIds: string[]; roleIds: string[] } {
  return {
    permissionIds: db.all<{ id: string }>("SELECT permission_id AS id FROM keys_permissions WHERE key_id = ? ORDER BY rowid", keyId).map((r) => r.id),
    roleIds: db.all<{ id: string }>("SELECT role_id AS id FROM keys_roles WHERE key_id = ? ORDER BY rowid", keyId).map((r) => r.id),
  };
}

export function addKeyPermissions(db: Store, workspaceId: string, keyId: string, permissionIds: readonly string[], now: number): void {
  for (const pid of permissionIds) {
    db.run("INSERT OR IGNORE INTO keys_permissions (key_id, permission_id, workspace_id, created_at) VALUES (?, ?, ?, ?)", keyId, pid, workspaceId, now);
  }
}

export function removeKeyPermission(db: Store, keyId: string, permissionId: string): void {
  db.run("DELETE FROM keys_permissions WHERE key_id = ? AND permission_id = ?", keyId, permissionId);
}

/** Replaces the key's direct permissions with exactly `permissionIds`. */
export function setKeyPermissions(db: Store, workspaceId: string, keyId: string, permissionIds: readonly string[], now: number): void {
  db.run("DELETE FROM keys_permissions WHERE key_id = ?", keyId);
  addKeyPermissions(db, workspaceId, keyId, permissionIds, now);
}

export function addKeyRoles(db: Store, workspaceId: string, keyId: string, roleIds: readonly string[], now: number): void {
  for (const rid of roleIds) {
    db.run("INSERT OR IGNORE INTO keys_roles (key_id, role_id, workspace_id, created_at) VALUES (?, ?, ?, ?)", keyId, rid, workspaceId, now);
  }
}

export function removeKeyRole(db: Store, keyId: string, roleId: string): void {
  db.run("DELETE FROM keys_roles WHERE key_id = ? AND role_id = ?", keyId, roleId);
}

/** Replaces the key's roles with exactly `roleIds`. */
export function setKeyRoles(db: Store, workspaceId: string, keyId: string, roleIds: readonly string[], now: number): void {
  db.run("DELETE FROM keys_roles WHERE key_id = ?", keyId);
  addKeyRoles(db, workspaceId, keyId, roleIds, now);
}
