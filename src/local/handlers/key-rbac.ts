/**
 * keys.addPermissions, removePermissions, setPermissions, addRoles, removeRoles, setRoles.
 * Permission edits need update_key AND the rbac tuple (behavior doc §3); slugs that do not exist
 * yet are created, which also needs rbac.*.create_permission.
 */
import { apiPerm, requireAll, type RequestContext } from "../context.js";
import { notFound } from "../errors.js";
import {
  addKeyPermissions,
  addKeyRoles,
  getKeyDirectPermissions,
  getKeyRoles,
  removeKeyPermission,
  removeKeyRole,
  setKeyPermissions,
  setKeyRoles,
} from "../store/key-grants.js";
import { findPermission, findPermissionById } from "../store/rbac.js";
import type { PermissionRow } from "../store/rows.js";
import { createPermissions, findPermissionsBySlugs, resolveRoles } from "./grants.js";
import { loadKey } from "./lookups.js";
import { permissionToJson, roleToJson, type PermissionJson, type RoleJson } from "./shapes.js";
import type { HandlerGroup } from "./types.js";

function directPermissions(ctx: RequestContext, keyId: string): PermissionJson[] {
  return getKeyDirectPermissions(ctx.db, keyId).map(permissionToJson);
}

function keyRoles(ctx: RequestContext, keyId: string): RoleJson[] {
  return getKeyRoles(ctx.db, keyId).map((r) => roleToJson(ctx.db, r));
}

/** Permissions by slug (or id); missing ones are created when the root key may create permissions. */
function permissionsForGrant(ctx: RequestContext, slugs: readonly string[]): PermissionRow[] {
  const { found, missing } = findPermissionsBySlugs(ctx, slugs);
  const stillMissing = missing.filter((s) => {
    const byId = findPermissionById(ctx.db, ctx.workspaceId, s);
    if (byId && !found.some((f) => f.id === byId.id)) found.push(byId);
    return !byId;
  });
  if (stillMissing.length === 0) return found;
  requireAll(ctx, [["rbac.*.create_permission"]]);
  return [...found, ...createPermissions(ctx, stillMissing)];
}

export const keyRbacHandlers = {
  "keys.addPermissions": (ctx, body) =>
    ctx.db.tx(() => {
      const { key, api } = loadKey(ctx, body.keyId);
      requireAll(ctx, [apiPerm(api.id, "update_key"), ["rbac.*.add_permission_to_key"]]);
      addKeyPermissions(
        ctx.db,
        ctx.workspaceId,
        key.id,
        permissionsForGrant(ctx, body.permissions).map((p) => p.id),
        ctx.now,
      );
      return { data: directPermissions(ctx, key.id) };
    }),

  "keys.removePermissions": (ctx, body) =>
    ctx.db.tx(() => {
      const { key, api } = loadKey(ctx, body.keyId);
      requireAll(ctx, [apiPerm(api.id, "update_key"), ["rbac.*.remove_permission_from_key"]]);
      for (const slug of new Set(body.permissions)) {
        const p = findPermission(ctx.db, ctx.workspaceId, slug);
        if (!p) throw notFound("permission", `Permission '${slug}' was not found.`);
        removeKeyPermission(ctx.db, key.id, p.id);
      }
      return { data: directPermissions(ctx, key.id) };
    }),

  "keys.setPermissions": (ctx, body) =>
    ctx.db.tx(() => {
      const { key, api } = loadKey(ctx, body.keyId);
      requireAll(ctx, [apiPerm(api.id, "update_key"), ["rbac.*.add_permission_to_key"], ["rbac.*.remove_permission_from_key"]]);
      setKeyPermissions(
        ctx.db,
        ctx.workspaceId,
        key.id,
        permissionsForGrant(ctx, body.permissions).map((p) => p.id),
        ctx.now,
      );
      return { data: directPermissions(ctx, key.id) };
    }),

  "keys.addRoles": (ctx, body) =>
    ctx.db.tx(() => {
      const { key, api } = loadKey(ctx, body.keyId);
      requireAll(ctx, [apiPerm(api.id, "update_key"), ["rbac.*.add_role_to_key"]]);
      addKeyRoles(
        ctx.db,
        ctx.workspaceId,
        key.id,
        resolveRoles(ctx, body.roles).map((r) => r.id),
        ctx.now,
      );
      return { data: keyRoles(ctx, key.id) };
    }),

  "keys.removeRoles": (ctx, body) =>
    ctx.db.tx(() => {
      const { key, api } = loadKey(ctx, body.keyId);
      requireAll(ctx, [apiPerm(api.id, "update_key")]);
      for (const r of resolveRoles(ctx, body.roles)) removeKeyRole(ctx.db, key.id, r.id);
      return { data: keyRoles(ctx, key.id) };
    }),

  "keys.setRoles": (ctx, body) =>
    ctx.db.tx(() => {
      const { key, api } = loadKey(ctx, body.keyId);
      requireAll(ctx, [apiPerm(api.id, "update_key")]);
      setKeyRoles(
        ctx.db,
        ctx.workspaceId,
        key.id,
        resolveRoles(ctx, body.roles).map((r) => r.id),
        ctx.now,
      );
      return { data: keyRoles(ctx, key.id) };
    }),
} satisfies HandlerGroup;
