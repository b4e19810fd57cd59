/**
 * analytics.getVerifications and analytics.getRatelimits: one ClickHouse-style SELECT, checked and
 * run by the analytics engine (src/local/analytics) over the caller's rows only. The permission
 * check comes first, as in Unkey: `<resource>.*.read_analytics` sees the whole workspace; each
 * `<resource>.<id>.read_analytics` grant adds that API's key space (or that namespace) to the
 * filter; with neither, 403.
 */
import { hasAny, insufficientPermissions, type RequestContext } from "../context.js";
import type { AnalyticsKind, AnalyticsScope } from "../analytics/index.js";
import { getLiveApi } from "../store/apis.js";
import type { HandlerGroup } from "./types.js";

/** The ids granted by `<resource>.<id>.read_analytics`, or undefined for the wildcard. */
function grantedIds(ctx: RequestContext, resource: "api" | "ratelimit"): string[] | undefined {
  const wildcard = `${resource}.*.read_analytics`;
  if (hasAny(ctx, [wildcard])) return undefined;
  const ids: string[] = [];
  for (const p of ctx.rootKey.permissions) {
    const m = new RegExp(`^${resource}\\.([^.]+)\\.read_analytics$`).exec(p);
    if (m && m[1] !== "*") ids.push(m[1]!);
  }
  if (ids.length === 0) throw insufficientPermissions([[wildcard, `${resource}.<id>.read_analytics`]]);
  return ids;
}

function scopeFor(ctx: RequestContext, kind: AnalyticsKind): AnalyticsScope {
  if (kind === "ratelimits") {
    const namespaceIds = grantedIds(ctx, "ratelimit");
    return namespaceIds ? { workspaceId: ctx.workspaceId, namespaceIds } : { workspaceId: ctx.workspaceId };
  }
  const apiIds = grantedIds(ctx, "api");
  if (!apiIds) return { workspaceId: ctx.workspaceId };
  // An API id the workspace does not have adds nothing (an empty filter shows no rows).
  const keySpaceIds = apiIds.flatMap((id) => getLiveApi(ctx.db, ctx.workspaceId, id)?.key_space_id ?? []);
  return { workspaceId: ctx.workspaceId, keySpaceIds };
}

export const analyticsHandlers = {
  "analytics.getVerifications": async (ctx, body) => {
    const scope = scopeFor(ctx, "verifications");
    return { data: await ctx.analytics.query("verifications", body.query, scope, ctx.now) };
  },
  "analytics.getRatelimits": async (ctx, body) => {
    const scope = scopeFor(ctx, "ratelimits");
    return { data: await ctx.analytics.query("ratelimits", body.query, scope, ctx.now) };
  },
} satisfies HandlerGroup;
