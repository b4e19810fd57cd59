/**
 * analytics.getVerifications and analytics.getRatelimits. The local API records
 * the events (key_verifications, ratelimits tables) but has no query engine yet,
 * so both answer Unkey's own 412 for a workspace without analytics — after the
 * permission check, as Unkey does, so a root key without the permission still
 * learns it is missing.
 */
import { hasAny, insufficientPermissions, type RequestContext } from "../context.js";
import { ApiError } from "../errors.js";
import type { HandlerGroup } from "./types.js";

function notConfigured(): ApiError {
  return new ApiError(
    412,
    "unkey/data/analytics_not_configured",
    "Analytics are not configured for this workspace. The local API records verification and ratelimit events but cannot query them yet.",
  );
}

/** Workspace-wide permission, or at least one per-resource grant (which Unkey turns into a row filter). */
function requireAnalyticsPermission(ctx: RequestContext, resource: "api" | "ratelimit"): void {
  const wildcard = `${resource}.*.read_analytics`;
  if (hasAny(ctx, [wildcard])) return;
  const prefix = `${resource}.`;
  for (const p of ctx.rootKey.permissions) {
    if (p.startsWith(prefix) && p.endsWith(".read_analytics")) return;
  }
  throw insufficientPermissions([[wildcard, `${resource}.<id>.read_analytics`]]);
}

export const analyticsHandlers = {
  "analytics.getVerifications": (ctx) => {
    requireAnalyticsPermission(ctx, "api");
    throw notConfigured();
  },
  "analytics.getRatelimits": (ctx) => {
    requireAnalyticsPermission(ctx, "ratelimit");
    throw notConfigured();
  },
} satisfies HandlerGroup;
