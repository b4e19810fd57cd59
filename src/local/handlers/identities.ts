/**
 * identities.createIdentity, getIdentity, listIdentities, updateIdentity, deleteIdentity
 * (behavior doc §3 "identities", §4 "Identities"). Identity ratelimits are shared by every key
 * linked to the identity.
 */
import { requireAll, type RequestContext } from "../context.js";
import { badRequest, conflict, notFound } from "../errors.js";
import { newId } from "../ids.js";
import { findIdentity, type IdentityRow } from "../store/queries.js";
import { assertUniqueRatelimitNames, DEFAULT_PAGE_LIMIT, identityToJson, insertRatelimit, likePattern, replaceRatelimits, toPage } from "./common.js";
import { registerHandler } from "./registry.js";

const MAX_META_BYTES = 1024 * 1024;

function metaText(meta: Record<string, unknown> | undefined): string | null {
  if (meta === undefined) return null;
  const text = JSON.stringify(meta);
  if (Buffer.byteLength(text) > MAX_META_BYTES) {
    throw badRequest("Metadata is too large, it must be less than 1MB.", [
      { location: "body.meta", message: `body.meta is ${Buffer.byteLength(text)} bytes, the limit is ${MAX_META_BYTES}`, fix: "Store less metadata." },
    ]);
  }
  return text;
}

function identityPerm(identityId: string, action: string): string[] {
  return [`identity.*.${action}`, `identity.${identityId}.${action}`];
}

function loadIdentity(ctx: RequestContext, idOrExternalId: string): IdentityRow {
  const identity = findIdentity(ctx.db, ctx.workspaceId, idOrExternalId);
  if (!identity) throw notFound("identity", `Identity '${idOrExternalId}' was not found.`);
  return identity;
}

registerHandler("identities.createIdentity", (ctx, body) => {
  requireAll(ctx, [["identity.*.create_identity"]]);
  const meta = metaText(body.meta);
  if (body.ratelimits) assertUniqueRatelimitNames(body.ratelimits);
  return ctx.db.tx(() => {
    const existing = ctx.db.get(
      "SELECT 1 FROM identities WHERE workspace_id = ? AND external_id = ? AND deleted_at IS NULL",
      ctx.workspaceId,
      body.externalId,
    );
    if (existing) throw conflict("identity", `Identity with externalId "${body.externalId}" already exists in this workspace.`);
    const id = newId("id");
    ctx.db.run(
      "INSERT INTO identities (id, workspace_id, external_id, meta, created_at) VALUES (?, ?, ?, ?, ?)",
      id,
      ctx.workspaceId,
      body.externalId,
      meta,
      ctx.now,
    );
    for (const r of body.ratelimits ?? []) insertRatelimit(ctx, { identityId: id }, r);
    return { data: { identityId: id } };
  });
});

registerHandler("identities.getIdentity", (ctx, body) => {
  const identity = loadIdentity(ctx, body.identity);
  requireAll(ctx, [identityPerm(identity.id, "read_identity")]);
  return { data: identityToJson(ctx.db, identity) };
});

registerHandler("identities.listIdentities", (ctx, body) => {
  const limit = body.limit ?? DEFAULT_PAGE_LIMIT;
  const cursor = body.cursor ?? "";
  const rows =
    body.search !== undefined && body.search !== ""
      ? ctx.db.all<IdentityRow>(
          "SELECT * FROM identities WHERE workspace_id = ? AND deleted_at IS NULL AND id >= ? AND (external_id LIKE ? ESCAPE '\\' OR id LIKE ? ESCAPE '\\') ORDER BY id LIMIT ?",
          ctx.workspaceId,
          cursor,
          likePattern(body.search),
          likePattern(body.search),
          limit + 1,
        )
      : ctx.db.all<IdentityRow>(
          "SELECT * FROM identities WHERE workspace_id = ? AND deleted_at IS NULL AND id >= ? ORDER BY id LIMIT ?",
          ctx.workspaceId,
          cursor,
          limit + 1,
        );
  const page = toPage(rows, limit);
  // Unkey checks read_identity per returned row: any row the key may not read fails the call.
  for (const row of page.items) {
    requireAll(ctx, [identityPerm(row.id, "read_identity")]);
  }
  return { data: page.items.map((i) => identityToJson(ctx.db, i)), pagination: page.pagination };
});

registerHandler("identities.updateIdentity", (ctx, body) => {
  requireAll(ctx, [["identity.*.update_identity"]]);
  const meta = body.meta !== undefined ? metaText(body.meta) : undefined;
  if (body.ratelimits) assertUniqueRatelimitNames(body.ratelimits);
  return ctx.db.tx(() => {
    const identity = loadIdentity(ctx, body.identity);
    if (meta !== undefined) {
      ctx.db.run("UPDATE identities SET meta = ?, updated_at = ? WHERE id = ?", meta, ctx.now, identity.id);
    } else {
      ctx.db.run("UPDATE identities SET updated_at = ? WHERE id = ?", ctx.now, identity.id);
    }
    if (body.ratelimits !== undefined) replaceRatelimits(ctx, { identityId: identity.id }, body.ratelimits);
    return { data: identityToJson(ctx.db, loadIdentity(ctx, identity.id)) };
  });
});

registerHandler("identities.deleteIdentity", (ctx, body) => {
  requireAll(ctx, [["identity.*.delete_identity"]]);
  return ctx.db.tx(() => {
    const identity = loadIdentity(ctx, body.identity);
    ctx.db.run("UPDATE identities SET deleted_at = ? WHERE id = ?", ctx.now, identity.id);
    ctx.db.run("DELETE FROM ratelimit_configs WHERE identity_id = ?", identity.id);
    ctx.db.run("UPDATE keys SET identity_id = NULL WHERE identity_id = ?", identity.id);
    // Unkey answers deleteIdentity with `{meta}` only.
    return {};
  });
});
