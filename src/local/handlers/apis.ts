/**
 * apis.createApi, getApi, deleteApi, listKeys (behavior doc §3 "apis", §4 "APIs", "Pagination").
 */
import { apiPerm, hasAll, requireAll } from "../context.js";
import { ApiError } from "../errors.js";
import { newId } from "../ids.js";
import { getLiveApi, insertApi, softDeleteApi } from "../store/apis.js";
import { findIdentityByExternalId } from "../store/identities.js";
import { listLiveKeys } from "../store/keys.js";
import { apiNotFound } from "./lookups.js";
import { DEFAULT_PAGE_LIMIT, toPage } from "./pagination.js";
import { keyToJson } from "./shapes.js";
import type { HandlerGroup } from "./types.js";

export const apiHandlers = {
  "apis.createApi": (ctx, body) => {
    requireAll(ctx, [["api.*.create_api"]]);
    const apiId = newId("api");
    ctx.db.tx(() => insertApi(ctx.db, { apiId, keySpaceId: newId("ks"), workspaceId: ctx.workspaceId, name: body.name, now: ctx.now }));
    return { data: { apiId } };
  },

  "apis.getApi": (ctx, body) => {
    const api = getLiveApi(ctx.db, ctx.workspaceId, body.apiId);
    if (!api) throw apiNotFound();
    requireAll(ctx, [apiPerm(api.id, "read_api")]);
    return { data: { id: api.id, name: api.name } };
  },

  "apis.deleteApi": (ctx, body) =>
    ctx.db.tx(() => {
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
      softDeleteApi(ctx.db, api, ctx.now);
      return { data: {} };
    }),

  "apis.listKeys": (ctx, body) => {
    const api = getLiveApi(ctx.db, ctx.workspaceId, body.apiId);
    // Unkey masks a missing read permission as "API not found".
    if (!api || !hasAll(ctx, [apiPerm(api.id, "read_key"), apiPerm(api.id, "read_api")])) throw apiNotFound();
    if (body.decrypt) requireAll(ctx, [apiPerm(api.id, "decrypt_key")]);
    const limit = body.limit ?? DEFAULT_PAGE_LIMIT;
    const page = { cursor: body.cursor ?? "", limit: limit + 1 };
    let identityId: string | undefined;
    if (body.externalId !== undefined) {
      identityId = findIdentityByExternalId(ctx.db, ctx.workspaceId, body.externalId)?.id;
      if (identityId === undefined) return { data: [], pagination: { hasMore: false } };
    }
    const { items, pagination } = toPage(listLiveKeys(ctx.db, api.key_space_id, { ...page, identityId }), limit);
    return { data: items.map((k) => keyToJson(ctx.db, k)), pagination };
  },
} satisfies HandlerGroup;
