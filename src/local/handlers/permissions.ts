/**
 * permissions.createPermission, getPermission, listPermissions, deletePermission, createRole,
 * getRole, listRoles, deleteRole, setRolePermissions. All checks use wildcard tuples only
 * (behavior doc §3 "permissions").
 */
import { requireAll, type RequestContext } from "../context.js";
import { conflict, notFound } from "../errors.js";
import { newId } from "../ids.js";
import {
  addRolePermissions,
  deletePermission,
  deleteRole,
  findPermission,
  findPermissionBySlug,
  findRole,
  findRoleByName,
  getRolePermissions,
  insertPermission,
  insertRole,
  listPermissions,
  listRoles,
  setRolePermissions,
} from "../store/rbac.js";
import type { PermissionRow, RoleRow } from "../store/rows.js";
import { createPermissions, findPermissionsBySlugs } from "./grants.js";
import { DEFAULT_PAGE_LIMIT, toPage } from "./pagination.js";
import { permissionToJson, roleToJson } from "./shapes.js";
import type { HandlerGroup } from "./types.js";

function loadPermission(ctx: RequestContext, idOrSlug: string): PermissionRow {
  const p = findPermission(ctx.db, ctx.workspaceId, idOrSlug);
  if (!p) throw notFound("permission", `Permission '${idOrSlug}' was not found.`);
  return p;
}

function loadRole(ctx: RequestContext, idOrName: string): RoleRow {
  const r = findRole(ctx.db, ctx.workspaceId, idOrName);
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

export const permissionHandlers = {
  "permissions.createPermission": (ctx, body) => {
    requireAll(ctx, [["rbac.*.create_permission"]]);
    return ctx.db.tx(() => {
      if (findPermissionBySlug(ctx.db, ctx.workspaceId, body.slug)) {
        throw conflict("permission", `A permission with slug '${body.slug}' already exists in this workspace.`);
      }
      const id = newId("perm");
      insertPermission(ctx.db, {
        id,
        workspace_id: ctx.workspaceId,
        name: body.name,
        slug: body.slug,
        description: body.description ?? null,
        created_at: ctx.now,
      });
      return { data: { permissionId: id } };
    });
  },

  "permissions.getPermission": (ctx, body) => {
    requireAll(ctx, [["rbac.*.read_permission"]]);
    return { data: permissionToJson(loadPermission(ctx, body.permission)) };
  },

  "permissions.listPermissions": (ctx, body) => {
    requireAll(ctx, [["rbac.*.read_permission"]]);
    const limit = body.limit ?? DEFAULT_PAGE_LIMIT;
    const rows = listPermissions(ctx.db, ctx.workspaceId, { cursor: body.cursor ?? "", limit: limit + 1, search: body.search });
    const page = toPage(rows, limit);
    return { data: page.items.map(permissionToJson), pagination: page.pagination };
  },

  "permissions.deletePermission": (ctx, body) => {
    requireAll(ctx, [["rbac.*.delete_permission"]]);
    return ctx.db.tx(() => {
      deletePermission(ctx.db, loadPermission(ctx, body.permission).id);
      return { data: {} };
    });
  },

  "permissions.createRole": (ctx, body) => {
    requireAll(ctx, [["rbac.*.create_role"]]);
    if (body.permissions && body.permissions.length > 0) requireAll(ctx, [["rbac.*.add_permission_to_role"]]);
    return ctx.db.tx(() => {
      if (findRoleByName(ctx.db, ctx.workspaceId, body.name)) {
        throw conflict("role", `A role with name '${body.name}' already exists in this workspace.`);
      }
      const id = newId("role");
      insertRole(ctx.db, { id, workspace_id: ctx.workspaceId, name: body.name, description: body.description ?? null, created_at: ctx.now });
      if (body.permissions && body.permissions.length > 0) {
        addRolePermissions(
          ctx.db,
          ctx.workspaceId,
          id,
          rolePermissionRows(ctx, body.permissions).map((p) => p.id),
          ctx.now,
        );
      }
      return { data: { roleId: id } };
    });
  },

  "permissions.getRole": (ctx, body) => {
    requireAll(ctx, [["rbac.*.read_role"]]);
    return { data: roleToJson(ctx.db, loadRole(ctx, body.role)) };
  },

  "permissions.listRoles": (ctx, body) => {
    requireAll(ctx, [["rbac.*.read_role"]]);
    const limit = body.limit ?? DEFAULT_PAGE_LIMIT;
    const rows = listRoles(ctx.db, ctx.workspaceId, { cursor: body.cursor ?? "", limit: limit + 1, search: body.search });
    const page = toPage(rows, limit);
    return { data: page.items.map((r) => roleToJson(ctx.db, r)), pagination: page.pagination };
  },

  "permissions.deleteRole": (ctx, body) => {
    requireAll(ctx, [["rbac.*.delete_role"]]);
    return ctx.db.tx(() => {
      deleteRole(ctx.db, loadRole(ctx, body.role).id);
      return { data: {} };
    });
  },

  "permissions.setRolePermissions": (ctx, body) => {
    requireAll(ctx, [["rbac.*.add_permission_to_role"], ["rbac.*.remove_permission_from_role"]]);
    return ctx.db.tx(() => {
      const role = loadRole(ctx, body.roleId);
      const rows = rolePermissionRows(ctx, body.permissions);
      setRolePermissions(
        ctx.db,
        ctx.workspaceId,
        role.id,
        rows.map((p) => p.id),
        ctx.now,
      );
      return { data: getRolePermissions(ctx.db, role.id).map(permissionToJson) };
    });
  },
} satisfies HandlerGroup;
