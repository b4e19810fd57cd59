/**
 * ratelimit.limit, ratelimit.multiLimit and the override operations
 * (Unkey's v2_ratelimit_* handlers; behavior doc §4 "ratelimit.limit, multiLimit and overrides").
 */
import { performance } from "node:perf_hooks";
import { hasAny, requireAll, type RequestContext } from "../context.js";
import { notFound } from "../errors.js";
import { newId } from "../ids.js";
import { limiterFor } from "../ratelimit/limiters.js";
import { matchOverride } from "../ratelimit/override-match.js";
import { createNamespace, namespaceGone, namespaceNotFound, requireLiveNamespace } from "../ratelimit/namespaces.js";
import type { LimitCheck, LimitOutcome } from "../ratelimit/sliding-window.js";
import { findNamespace, listLiveOverrides, liveOverrides, softDeleteOverride, upsertOverride } from "../store/ratelimit-namespaces.js";
import type { NamespaceRow, OverrideRow } from "../store/rows.js";
import { toPage } from "./pagination.js";
import type { HandlerGroup, RequestBody, ResponseData } from "./types.js";

type RatelimitCheckBody = RequestBody<"ratelimit.limit">;

interface ResolvedCheck {
  body: RatelimitCheckBody;
  namespace: NamespaceRow;
  override?: OverrideRow;
  check: LimitCheck;
}

/**
 * The namespace for a limit call: found by name or id, else auto-created, which
 * first needs `ratelimit.*.create_namespace`. A deleted one is 410, never revived.
 */
function namespaceForLimit(ctx: RequestContext, nameOrId: string): NamespaceRow {
  const ns = findNamespace(ctx.db, ctx.workspaceId, nameOrId);
  if (!ns) {
    requireAll(ctx, [["ratelimit.*.create_namespace"]]);
    return createNamespace(ctx.db, ctx.workspaceId, nameOrId, ctx.now);
  }
  if (ns.deleted_at !== null) throw namespaceGone();
  return ns;
}

function resolve(ctx: RequestContext, body: RatelimitCheckBody, namespace: NamespaceRow): ResolvedCheck {
  const override = matchOverride(liveOverrides(ctx.db, namespace.id), body.identifier);
  return {
    body,
    namespace,
    override,
    check: {
      namespace: namespace.id,
      identifier: body.identifier,
      // An override replaces both the limit and the duration.
      limit: override ? override.limit : body.limit,
      duration: override ? override.duration : body.duration,
      cost: body.cost ?? 1,
    },
  };
}

function recordEvent(ctx: RequestContext, r: ResolvedCheck, o: LimitOutcome, latency: number): void {
  // Buffered and written to the analytics engine off the request path (analytics/engine.ts).
  ctx.analytics.recordRatelimit({
    requestId: ctx.requestId,
    time: ctx.now,
    workspaceId: ctx.workspaceId,
    namespaceId: r.namespace.id,
    identifier: r.body.identifier,
    passed: o.passed,
    latency,
    overrideId: r.override?.id ?? "",
    limit: o.limit,
    remaining: o.remaining,
    resetAt: o.reset,
    tokens: r.check.cost,
  });
}

function overrideToJson(o: OverrideRow): ResponseData<"ratelimit.getOverride"> {
  return { overrideId: o.id, duration: o.duration, identifier: o.identifier, limit: o.limit };
}

function overrideNotFound(): ReturnType<typeof notFound> {
  return notFound("ratelimit_override", "This override does not exist.");
}

export const ratelimitHandlers = {
  "ratelimit.limit": (ctx, body) =>
    ctx.db.tx(() => {
      const namespace = namespaceForLimit(ctx, body.namespace);
      requireAll(ctx, [["ratelimit.*.limit", `ratelimit.${namespace.id}.limit`]]);
      const r = resolve(ctx, body, namespace);
      const started = performance.now();
      const o = limiterFor(ctx.db).check(r.check, ctx.now);
      recordEvent(ctx, r, o, performance.now() - started);
      const data: ResponseData<"ratelimit.limit"> = { limit: o.limit, remaining: o.remaining, reset: o.reset, success: o.passed };
      if (r.override) data.overrideId = r.override.id;
      return { data };
    }),

  "ratelimit.multiLimit": (ctx, body) =>
    ctx.db.tx(() => {
      const namespaces = body.map((b) => namespaceForLimit(ctx, b.namespace));
      // `ratelimit.*.limit`, or the per-namespace permission for every namespace involved:
      // (A or B1) and (A or B2) … is exactly that, and names what is missing per namespace.
      requireAll(
        ctx,
        [...new Set(namespaces.map((n) => n.id))].map((id) => ["ratelimit.*.limit", `ratelimit.${id}.limit`]),
      );
      const resolved = body.map((b, i) => resolve(ctx, b, namespaces[i]!));
      const started = performance.now();
      // One timestamp for every entry, all-or-nothing.
      const { passed, outcomes } = limiterFor(ctx.db).checkAll(
        resolved.map((r) => r.check),
        ctx.now,
      );
      const latency = performance.now() - started;
      const limits = resolved.map((r, i) => {
        const o = outcomes[i]!;
        recordEvent(ctx, r, o, latency);
        const item: ResponseData<"ratelimit.multiLimit">["limits"][number] = {
          namespace: r.body.namespace,
          identifier: r.body.identifier,
          limit: o.limit,
          remaining: o.remaining,
          reset: o.reset,
          passed: o.passed,
        };
        if (r.override) item.overrideId = r.override.id;
        return item;
      });
      return { data: { passed, limits } };
    }),

  "ratelimit.setOverride": (ctx, body) =>
    ctx.db.tx(() => {
      const ns = requireLiveNamespace(ctx.db, ctx.workspaceId, body.namespace);
      requireAll(ctx, [["ratelimit.*.set_override", `ratelimit.${ns.id}.set_override`]]);
      // Upsert by (namespace, identifier): an existing override, even a deleted one, keeps its id.
      const overrideId = upsertOverride(ctx.db, {
        newId: newId("rlor"),
        workspaceId: ctx.workspaceId,
        namespaceId: ns.id,
        identifier: body.identifier,
        limit: body.limit,
        duration: body.duration,
        now: ctx.now,
      });
      return { data: { overrideId } };
    }),

  "ratelimit.getOverride": (ctx, body) => {
    const ns = requireLiveNamespace(ctx.db, ctx.workspaceId, body.namespace);
    // A root key that may not read overrides learns nothing: the failure looks like a missing namespace.
    if (!hasAny(ctx, ["ratelimit.*.read_override", `ratelimit.${ns.id}.read_override`])) throw namespaceNotFound();
    // Resolved like a limit call would resolve it: exact identifier first, else the first matching wildcard.
    const match = matchOverride(liveOverrides(ctx.db, ns.id), body.identifier);
    if (!match) throw overrideNotFound();
    return { data: overrideToJson(match) };
  },

  "ratelimit.listOverrides": (ctx, body) => {
    const ns = requireLiveNamespace(ctx.db, ctx.workspaceId, body.namespace);
    requireAll(ctx, [["ratelimit.*.read_override", `ratelimit.${ns.id}.read_override`]]);
    // Unkey's handler defaults to 50; the contract's default (10) usually arrives filled in by validation or the SDK.
    const limit = body.limit ?? 50;
    const rows = listLiveOverrides(ctx.db, ns.id, { cursor: body.cursor ?? "", limit: limit + 1 });
    const page = toPage(rows, limit);
    return { data: page.items.map(overrideToJson), pagination: page.pagination };
  },

  "ratelimit.deleteOverride": (ctx, body) =>
    ctx.db.tx(() => {
      const ns = requireLiveNamespace(ctx.db, ctx.workspaceId, body.namespace);
      requireAll(ctx, [["ratelimit.*.delete_override", `ratelimit.${ns.id}.delete_override`]]);
      if (!softDeleteOverride(ctx.db, ns.id, body.identifier, ctx.now)) throw overrideNotFound();
      return { data: {} };
    }),
} satisfies HandlerGroup;
