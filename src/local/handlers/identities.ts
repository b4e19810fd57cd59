/**
 * identities.createIdentity, getIdentity, listIdentities, updateIdentity, deleteIdentity
 * (behavior doc §3 "identities", §4 "Identities"). Identity ratelimits are shared by every key
 * linked to the identity.
 */
import { requireAll, type RequestContext } from "../context.js";
import { conflict, notFound } from "../errors.js";
import { newId } from "../ids.js";
import { deleteIdentity, findIdentity, findIdentityByExternalId, insertIdentity, listIdentities, touchIdentity } from "../store/identities.js";
import type { IdentityRow } from "../store/rows.js";
import { DEFAULT_PAGE_LIMIT, toPage } from "./pagination.js";
import { assertUniqueRatelimitNames, insertRatelimit, replaceRatelimits } from "./ratelimit-configs.js";
import { identityToJson } from "./shapes.js";
import type { HandlerGroup } from "./types.js";

/** meta's size and depth are held to FREE_FORM_LIMITS at request validation (src/local/validation.ts). */
function metaText(meta: Record<string, unknown> | undefined): string | null {
  return meta === undefined ? null : JSON.stringify(meta);
}

function identityPerm(identityId: string, action: string): string[] {
  return [`identity.*.${action}`, `identity.${identityId}.${action}`];
}

function loadIdentity(ctx: RequestContext, idOrExternalId: string): IdentityRow {
  const identity = findIdentity(ctx.db, ctx.workspaceId, idOrExternalId);
  if (!identity) throw notFound("identity", `Identity '${idOrExternalId}' was not found.`);
  return identity;
}

export const identityHandlers = {
  "identities.createIdentity": (ctx, body) => {
    requireAll(ctx, [["identity.*.create_identity"]]);
    const meta = metaText(body.meta);
    if (body.ratelimits) assertUniqueRatelimitNames(body.ratelimits);
    return ctx.db.tx(() => {
      if (findIdentityByExternalId(ctx.db, ctx.workspaceId, body.externalId)) {
        throw conflict("identity", `Identity with externalId "${body.externalId}" already exists in this workspace.`);
      }
      const id = newId("id");
      insertIdentity(ctx.db, { id, workspaceId: ctx.workspaceId, externalId: body.externalId, meta, createdAt: ctx.now });
      for (const r of body.ratelimits ?? []) insertRatelimit(ctx, { identityId: id }, r);
      return { data: { identityId: id } };
    });
  },

  "identities.getIdentity": (ctx, body) => {
    const identity = loadIdentity(ctx, body.identity);
    requireAll(ctx, [identityPerm(identity.id, "read_identity")]);
    return { data: identityToJson(ctx.db, identity) };
  },

  "identities.listIdentities": (ctx, body) => {
    const limit = body.limit ?? DEFAULT_PAGE_LIMIT;
    const rows = listIdentities(ctx.db, ctx.workspaceId, { cursor: body.cursor ?? "", limit: limit + 1, search: body.search });
    const page = toPage(rows, limit);
    // Unkey checks read_identity per returned row: any row the key may not read fails the call.
    for (const row of page.items) {
      requireAll(ctx, [identityPerm(row.id, "read_identity")]);
    }
    return { data: page.items.map((i) => identityToJson(ctx.db, i)), pagination: page.pagination };
  },

  "identities.updateIdentity": (ctx, body) => {
    requireAll(ctx, [["identity.*.update_identity"]]);
    const meta = body.meta !== undefined ? (metaText(body.meta) ?? undefined) : undefined;
    if (body.ratelimits) assertUniqueRatelimitNames(body.ratelimits);
    return ctx.db.tx(() => {
      const identity = loadIdentity(ctx, body.identity);
      touchIdentity(ctx.db, identity.id, ctx.now, meta);
      if (body.ratelimits !== undefined) replaceRatelimits(ctx, { identityId: identity.id }, body.ratelimits);
      return { data: identityToJson(ctx.db, loadIdentity(ctx, identity.id)) };
    });
  },

  "identities.deleteIdentity": (ctx, body) => {
    requireAll(ctx, [["identity.*.delete_identity"]]);
    return ctx.db.tx(() => {
      const identity = loadIdentity(ctx, body.identity);
      deleteIdentity(ctx.db, identity.id, ctx.now);
      // Unkey answers deleteIdentity with `{meta}` only.
      return {};
    });
  },
} satisfies HandlerGroup;
