/**
 * permissions.createPermission, getPermission, listPermissions, deletePermission, createRole,
 * getRole, listRoles, deleteRole, setRolePermissions. All checks use wildcard tuples only
 * (behavior doc §3 "permissions").
 */
import { requireAll, type RequestContext } from "../context.js";
import { conflict, notFound } from "../errors.js";
import { newId } from "../ids.js";
import type { PermissionRow, RoleRow } from "../store/queries.js";
import { createPermissions, DEFAULT_PAGE_LIMIT, findPermissionsBySlugs, likePattern, permissionToJson, rolePermissions, roleToJson, toPage } from "./common.js";
import { registerHandler } from "./registry.js";

function findPermission(ctx: RequestContext, idOrSlug: string): PermissionRow {
  const p = ctx.db.get<PermissionRow>(
    "SELECT * FROM permissions WHERE workspace_id = ? AND (id = ? OR slug = ? COLLATE NOCASE) ORDER BY id = ? DESC LIMIT 1",
    ctx.workspaceId,
    idOrSlug,
    idOrSlug,
    idOrSlug,
  );
  if (!p) throw notFound("permission", `Permission '${idOrSlug}' was not found.`);
  return p;
}

function findRole(ctx: RequestContext, idOrName: string): RoleRow {
  const r = ctx.db.get<RoleRow>(
    "SELECT * FROM roles WHERE workspace_id = ? AND (id = ? OR name = ? COLLATE NOCASE) ORDER BY id = ? DESC LIMIT 1",
    ctx.workspaceId,
    idOrName,
    idOrName,
    idOrName,
  );
  if (!r) throw notFound("role", `Role '${idOrName}' was not found.`);
  return r;
}

/** Role permissions by slug (case-insensitive, as Unkey's createRole), creating missing ones. */
function rolePermissionRows(ctx: RequestContext, slugs: readonly string[]): PermissionRow[] {
  const { found, missing } = findPermissionsBySlugs(ctx, slugs);
  if (missing.length === 0) return found;
  requireAll(ctx, [["rbac.*.create_permission"]]);
  return [...found, ...createPermissions(ctx, missing)];
}

function linkRolePermissions(ctx: RequestContext, roleId: string, permissionIds: readonly string[]): void {
  for (const pid of permissionIds) {
    ctx.db.run(
      "INSERT OR IGNORE INTO roles_permissions (role_id, permission_id, workspace_id, created_at) VALUES (?, ?, ?, ?)",
      roleId,
      pid,
      ctx.workspaceId,
      ctx.now,
    );
  }
}

registerHandler("permissions.createPermission", (ctx, body) => {
  requireAll(ctx, [["rbac.*.create_permission"]]);
  return ctx.db.tx(() => {
    if (ctx.db.get("SELECT 1 FROM permissions WHERE workspace_id = ? AND slug = ? COLLATE NOCASE", ctx.workspaceId, body.slug)) {
      throw conflict("permission", `A permission with slug '${body.slug}' already exists in this workspace.`);
    }
    const id = newId("perm");
    ctx.db.run(
      "INSERT INTO permissions (id, workspace_id, name, slug, description, created_at) VALUES (?, ?, ?, ?, ?, ?)",
      id,
      ctx.workspaceId,
      body.name,
      body.slug,
      body.description ?? null,
      ctx.now,
    );
    return { data: { permissionId: id } };
  });
});

registerHandler("permissions.getPermission", (ctx, body) => {
  requireAll(ctx, [["rbac.*.read_permission"]]);
  return { data: permissionToJson(findPermission(ctx, body.permission)) };
});

registerHandler("permissions.listPermissions", (ctx, body) => {
  requireAll(ctx, [["rbac.*.read_permission"]]);
  const limit = body.limit ?? DEFAULT_PAGE_LIMIT;
  const cursor = body.cursor ?? "";
  const params = { ws: ctx.workspaceId, cursor, limit: limit + 1 };
  const rows =
    body.search !== undefined && body.search !== ""
      ? ctx.db.all<PermissionRow>(
          "SELECT * FROM permissions WHERE workspace_id = @ws AND id >= @cursor AND (id LIKE @search ESCAPE '\\' OR name LIKE @search ESCAPE '\\' OR slug LIKE @search ESCAPE '\\' OR description LIKE @search ESCAPE '\\') ORDER BY id LIMIT @limit",
          { ...params, search: likePattern(body.search) },
        )
      : ctx.db.all<PermissionRow>("SELECT * FROM permissions WHERE workspace_id = @ws AND id >= @cursor ORDER BY id LIMIT @limit", params);
  const page = toPage(rows, limit);
  return { data: page.items.map(permissionToJson), pagination: page.pagination };
});

registerHandler("permissions.deletePermission", (ctx, body) => {
  requireAll(ctx, [["rbac.*.delete_permission"]]);
  return ctx.db.tx(() => {
    const p = findPermission(ctx, body.permission);
    ctx.db.run("DELETE FROM keys_permissions WHERE permission_id = ?", p.id);
    ctx.db.run("DELETE FROM roles_permissions WHERE permission_id = ?", p.id);
    ctx.db.run("DELETE FROM permissions WHERE id = ?", p.id);
    return { data: {} };
  });
});

registerHandler("permissions.createRole", (ctx, body) => {
  requireAll(ctx, [["rbac.*.create_role"]]);
  if (body.permissions && body.permissions.length > 0) requireAll(ctx, [["rbac.*.add_permission_to_role"]]);
  return ctx.db.tx(() => {
    if (ctx.db.get("SELECT 1 FROM roles WHERE workspace_id = ? AND name = ? COLLATE NOCASE", ctx.workspaceId, body.name)) {
      throw conflict("role", `A role with name '${body.name}' already exists in this workspace.`);
    }
    const id = newId("role");
    ctx.db.run(
      "INSERT INTO roles (id, workspace_id, name, description, created_at) VALUES (?, ?, ?, ?, ?)",
      id,
      ctx.workspaceId,
      body.name,
      body.description ?? null,
      ctx.now,
    );
    if (body.permissions && body.permissions.length > 0) {
      linkRolePermissions(ctx, id, rolePermissionRows(ctx, body.permissions).map((p) => p.id));
    }
    return { data: { roleId: id } };
  });
});

registerHandler("permissions.getRole", (ctx, body) => {
  requireAll(ctx, [["rbac.*.read_role"]]);
  return { data: roleToJson(ctx.db, findRole(ctx, body.role)) };
});

registerHandler("permissions.listRoles", (ctx, body) => {
  requireAll(ctx, [["rbac.*.read_role"]]);
  const limit = body.limit ?? DEFAULT_PAGE_LIMIT;
  const params = { ws: ctx.workspaceId, cursor: body.cursor ?? "", limit: limit + 1, search: likePattern(body.search ?? "") };
  const rows =
    body.search !== undefined && body.search !== ""
      ? ctx.db.all<RoleRow>(
          "SELECT * FROM roles WHERE workspace_id = @ws AND id >= @cursor AND (id LIKE @search ESCAPE '\\' OR name LIKE @search ESCAPE '\\' OR description LIKE @search ESCAPE '\\') ORDER BY id LIMIT @limit",
          params,
        )
      : ctx.db.all<RoleRow>("SELECT * FROM roles WHERE workspace_id = @ws AND id >= @cursor ORDER BY id LIMIT @limit", {
          ws: params.ws,
          cursor: params.cursor,
          limit: params.limit,
        });
  const page = toPage(rows, limit);
  return { data: page.items.map((r) => roleToJson(ctx.db, r)), pagination: page.pagination };
});

registerHandler("permissions.deleteRole", (ctx, body) => {
  requireAll(ctx, [["rbac.*.delete_role"]]);
  return ctx.db.tx(() => {
    const r = findRole(ctx, body.role);
    ctx.db.run("DELETE FROM keys_roles WHERE role_id = ?", r.id);
    ctx.db.run("DELETE FROM roles_permissions WHERE role_id = ?", r.id);
    ctx.db.run("DELETE FROM roles WHERE id = ?", r.id);
    return { data: {} };
  });
});

registerHandler("permissions.setRolePermissions", (ctx, body) => {
  requireAll(ctx, [["rbac.*.add_permission_to_role"], ["rbac.*.remove_permission_from_role"]]);
  return ctx.db.tx(() => {
    const role = findRole(ctx, body.roleId);
    const rows = rolePermissionRows(ctx, body.permissions);
    ctx.db.run("DELETE FROM roles_permissions WHERE role_id = ?", role.id);
    linkRolePermissions(ctx, role.id, rows.map((p) => p.id));
    return { data: rolePermissions(ctx.db, role.id).map(permissionToJson) };
  });
});
