/**
 * keys.addPermissions, removePermissions, setPermissions, addRoles, removeRoles, setRoles.
 * Permission edits need update_key AND the rbac tuple (behavior doc §3); slugs that do not exist
 * yet are created, which also needs rbac.*.create_permission.
 */
import { apiPerm, requireAll, type RequestContext } from "../context.js";
import { notFound } from "../errors.js";
import type { PermissionRow, RoleRow } from "../store/queries.js";
import {
  addKeyPermissions,
  addKeyRoles,
  createPermissions,
  findPermissionsBySlugs,
  loadKey,
  permissionToJson,
  resolveRoles,
  roleToJson,
  setKeyPermissions,
  setKeyRoles,
} from "./common.js";
import { registerHandler } from "./registry.js";

function directPermissions(ctx: RequestContext, keyId: string): ReturnType<typeof permissionToJson>[] {
  return ctx.db
    .all<PermissionRow>(
      "SELECT p.* FROM keys_permissions kp JOIN permissions p ON p.id = kp.permission_id WHERE kp.key_id = ? ORDER BY p.slug",
      keyId,
    )
    .map(permissionToJson);
}

function keyRoles(ctx: RequestContext, keyId: string): ReturnType<typeof roleToJson>[] {
  return ctx.db
    .all<RoleRow>("SELECT r.* FROM keys_roles kr JOIN roles r ON r.id = kr.role_id WHERE kr.key_id = ? ORDER BY r.name", keyId)
    .map((r) => roleToJson(ctx.db, r));
}

/** Permissions by slug (or id); missing ones are created when the root key may create permissions. */
function permissionsForGrant(ctx: RequestContext, slugs: readonly string[]): PermissionRow[] {
  const { found, missing } = findPermissionsBySlugs(ctx, slugs);
  const stillMissing = missing.filter((s) => {
    const byId = ctx.db.get<PermissionRow>("SELECT * FROM permissions WHERE workspace_id = ? AND id = ?", ctx.workspaceId, s);
    if (byId && !found.some((f) => f.id === byId.id)) found.push(byId);
    return !byId;
  });
  if (stillMissing.length === 0) return found;
  requireAll(ctx, [["rbac.*.create_permission"]]);
  return [...found, ...createPermissions(ctx, stillMissing)];
}

registerHandler("keys.addPermissions", (ctx, body) => {
  return ctx.db.tx(() => {
    const { key, api } = loadKey(ctx, body.keyId);
    requireAll(ctx, [apiPerm(api.id, "update_key"), ["rbac.*.add_permission_to_key"]]);
    addKeyPermissions(ctx, key.id, permissionsForGrant(ctx, body.permissions).map((p) => p.id));
    return { data: directPermissions(ctx, key.id) };
  });
});

registerHandler("keys.removePermissions", (ctx, body) => {
  return ctx.db.tx(() => {
    const { key, api } = loadKey(ctx, body.keyId);
    requireAll(ctx, [apiPerm(api.id, "update_key"), ["rbac.*.remove_permission_from_key"]]);
    for (const slug of new Set(body.permissions)) {
      const p = ctx.db.get<{ id: string }>(
        "SELECT id FROM permissions WHERE workspace_id = ? AND (slug = ? COLLATE NOCASE OR id = ?)",
        ctx.workspaceId,
        slug,
        slug,
      );
      if (!p) throw notFound("permission", `Permission '${slug}' was not found.`);
      ctx.db.run("DELETE FROM keys_permissions WHERE key_id = ? AND permission_id = ?", key.id, p.id);
    }
    return { data: directPermissions(ctx, key.id) };
  });
});

registerHandler("keys.setPermissions", (ctx, body) => {
  return ctx.db.tx(() => {
    const { key, api } = loadKey(ctx, body.keyId);
    requireAll(ctx, [apiPerm(api.id, "update_key"), ["rbac.*.add_permission_to_key"], ["rbac.*.remove_permission_from_key"]]);
    setKeyPermissions(ctx, key.id, permissionsForGrant(ctx, body.permissions).map((p) => p.id));
    return { data: directPermissions(ctx, key.id) };
  });
});

registerHandler("keys.addRoles", (ctx, body) => {
  return ctx.db.tx(() => {
    const { key, api } = loadKey(ctx, body.keyId);
    requireAll(ctx, [apiPerm(api.id, "update_key"), ["rbac.*.add_role_to_key"]]);
    addKeyRoles(ctx, key.id, resolveRoles(ctx, body.roles).map((r) => r.id));
    return { data: keyRoles(ctx, key.id) };
  });
});

registerHandler("keys.removeRoles", (ctx, body) => {
  return ctx.db.tx(() => {
    const { key, api } = loadKey(ctx, body.keyId);
    requireAll(ctx, [apiPerm(api.id, "update_key")]);
    for (const r of resolveRoles(ctx, body.roles)) {
      ctx.db.run("DELETE FROM keys_roles WHERE key_id = ? AND role_id = ?", key.id, r.id);
    }
    return { data: keyRoles(ctx, key.id) };
  });
});

registerHandler("keys.setRoles", (ctx, body) => {
  return ctx.db.tx(() => {
    const { key, api } = loadKey(ctx, body.keyId);
    requireAll(ctx, [apiPerm(api.id, "update_key")]);
    setKeyRoles(ctx, key.id, resolveRoles(ctx, body.roles).map((r) => r.id));
    return { data: keyRoles(ctx, key.id) };
  });
});
