/**
 * apis.createApi, getApi, deleteApi, listKeys (behavior doc §3 "apis", §4 "APIs", "Pagination").
 */
import { apiPerm, hasAll, requireAll } from "../context.js";
import { ApiError } from "../errors.js";
import { newId } from "../ids.js";
import { getLiveApi, type KeyRow } from "../store/queries.js";
import { apiNotFound, DEFAULT_PAGE_LIMIT, keyToJson, toPage } from "./common.js";
import { registerHandler } from "./registry.js";

registerHandler("apis.createApi", (ctx, body) => {
  requireAll(ctx, [["api.*.create_api"]]);
  const apiId = newId("api");
  ctx.db.tx(() => {
    const ksId = newId("ks");
    ctx.db.run(
      "INSERT INTO key_spaces (id, workspace_id, store_encrypted_keys, created_at) VALUES (?, ?, 0, ?)",
      ksId,
      ctx.workspaceId,
      ctx.now,
    );
    ctx.db.run(
      "INSERT INTO apis (id, workspace_id, name, key_space_id, delete_protection, created_at) VALUES (?, ?, ?, ?, 0, ?)",
      apiId,
      ctx.workspaceId,
      body.name,
      ksId,
      ctx.now,
    );
  });
  return { data: { apiId } };
});

registerHandler("apis.getApi", (ctx, body) => {
  const api = getLiveApi(ctx.db, ctx.workspaceId, body.apiId);
  if (!api) throw apiNotFound();
  requireAll(ctx, [apiPerm(api.id, "read_api")]);
  return { data: { id: api.id, name: api.name } };
});

registerHandler("apis.deleteApi", (ctx, body) => {
  return ctx.db.tx(() => {
    const api = getLiveApi(ctx.db, ctx.workspaceId, body.apiId);
    if (!api) throw apiNotFound();
    requireAll(ctx, [apiPerm(api.id, "delete_api")]);
    if (api.delete_protection === 1) {
      throw new ApiError(
        412,
        "unkey/application/protected_resource",
        `The API ${api.id} is protected from deletion. Turn delete protection off first (unkey-mcp local api protect ${api.id} --off).`,
      );
    }
    ctx.db.run("UPDATE apis SET deleted_at = ? WHERE id = ?", ctx.now, api.id);
    ctx.db.run("UPDATE keys SET deleted_at = ? WHERE key_space_id = ? AND deleted_at IS NULL", ctx.now, api.key_space_id);
    return { data: {} };
  });
});

registerHandler("apis.listKeys", (ctx, body) => {
  const api = getLiveApi(ctx.db, ctx.workspaceId, body.apiId);
  // Unkey masks a missing read permission as "API not found".
  if (!api || !hasAll(ctx, [apiPerm(api.id, "read_key"), apiPerm(api.id, "read_api")])) throw apiNotFound();
  if (body.decrypt) requireAll(ctx, [apiPerm(api.id, "decrypt_key")]);
  const limit = body.limit ?? DEFAULT_PAGE_LIMIT;
  const cursor = body.cursor ?? "";
  let rows: KeyRow[];
  if (body.externalId !== undefined) {
    const identity = ctx.db.get<{ id: string }>(
      "SELECT id FROM identities WHERE workspace_id = ? AND external_id = ? AND deleted_at IS NULL",
      ctx.workspaceId,
      body.externalId,
    );
    if (!identity) return { data: [], pagination: { hasMore: false } };
    rows = ctx.db.all<KeyRow>(
      "SELECT * FROM keys WHERE key_space_id = ? AND deleted_at IS NULL AND identity_id = ? AND id >= ? ORDER BY id LIMIT ?",
      api.key_space_id,
      identity.id,
      cursor,
      limit + 1,
    );
  } else {
    rows = ctx.db.all<KeyRow>(
      "SELECT * FROM keys WHERE key_space_id = ? AND deleted_at IS NULL AND id >= ? ORDER BY id LIMIT ?",
      api.key_space_id,
      cursor,
      limit + 1,
    );
  }
  const page = toPage(rows, limit);
  return { data: page.items.map((k) => keyToJson(ctx.db, k)), pagination: page.pagination };
});
