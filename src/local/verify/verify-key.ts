/**
 * keys.verifyKey, in Unkey's order (v2_keys_verify_key/handler.go and
 * internal/services/keys/{get,verifier,validation}.go):
 *
 * 1. Look the key up by hash (soft-deleted keys are invisible). Unknown → NOT_FOUND.
 * 2. Get-stage status: workspace disabled → FORBIDDEN, API deleted → NOT_FOUND,
 *    disabled → DISABLED, past `expires` → EXPIRED.
 * 3. Early 200 NOT_FOUND (and nothing else, so existence never leaks) when the key
 *    is in another workspace, its API is deleted, or the root key may not verify it.
 * 4. Parse the permission query, as Unkey's handler does: after 1–3 and before the stages. So an
 *    unknown key (or one answered by 3) is 200 NOT_FOUND whatever the query, while a found key,
 *    even a disabled or expired one, with a malformed query is HTTP 400.
 * 5. Stages, each skipped once the status is not VALID so nothing later is consumed:
 *    IP whitelist → permissions → rate limits (all-or-nothing) → credits.
 * 6. Update lastUsedAt, write one `key_verifications` row, answer with empty
 *    fields omitted (the SDK rejects null for optional fields).
 *
 * All of it runs synchronously in one transaction, so concurrent verifications
 * of one key are serialised: 200 parallel requests against 50 credits give
 * exactly 50 VALID.
 */
import { performance } from "node:perf_hooks";
import { ApiError, preconditionFailed } from "../errors.js";
import { hasAny, type RequestContext } from "../context.js";
import { hashKey } from "../ids.js";
import { getKeyDirectPermissionSlugs, getKeyRoleNames, getKeyRolePermissionSlugs } from "../store/key-grants.js";
import { findKeyForVerification, markKeyUsed, spendKeyCredits, type VerificationRow } from "../store/keys.js";
import { getIdentityRatelimits, getKeyRatelimits } from "../store/ratelimit-configs.js";
import { parseJsonObject, type RatelimitConfigRow } from "../store/rows.js";
import { ratelimitToJson, type RatelimitJson } from "../handlers/shapes.js";
import { limiterFor } from "../ratelimit/limiters.js";
import type { LimitCheck } from "../ratelimit/sliding-window.js";
import { evaluatePermissionQuery, parsePermissionQuery, PermissionQuerySyntaxError, type PermissionQuery } from "./permission-query.js";

export type VerifyCode = "VALID" | "NOT_FOUND" | "FORBIDDEN" | "INSUFFICIENT_PERMISSIONS" | "USAGE_EXCEEDED" | "RATE_LIMITED" | "DISABLED" | "EXPIRED";

export interface VerifyKeyRequest {
  key: string;
  tags?: string[];
  permissions?: string;
  credits?: { cost: number };
  ratelimits?: { name: string; cost?: number; limit?: number; duration?: number }[];
  migrationId?: string;
}

export interface VerifyRatelimitResult {
  id: string;
  name: string;
  limit: number;
  duration: number;
  autoApply: boolean;
  exceeded: boolean;
  remaining: number;
  reset: number;
}

export interface VerifyKeyData {
  valid: boolean;
  code: VerifyCode;
  keyId?: string;
  name?: string;
  meta?: Record<string, unknown>;
  expires?: number;
  credits?: number;
  enabled?: boolean;
  permissions?: string[];
  roles?: string[];
  identity?: {
    id: string;
    externalId: string;
    meta?: Record<string, unknown>;
    ratelimits?: RatelimitJson[];
  };
  ratelimits?: VerifyRatelimitResult[];
}

const NOT_FOUND: VerifyKeyData = { valid: false, code: "NOT_FOUND" };

/** One ratelimit to check, after merging key, identity and request limits by name. */
interface PlannedLimit {
  id?: string;
  name: string;
  limit: number;
  duration: number;
  autoApply: boolean;
  identifier: string;
  cost: number;
}

/** Runs the whole verification; throws ApiError for 400 (query syntax, bad ad-hoc limit) and 412. */
export function verifyKey(ctx: RequestContext, req: VerifyKeyRequest, clientIp?: string): VerifyKeyData {
  const started = performance.now();
  return ctx.db.tx(() => {
    const row = findKeyForVerification(ctx.db, hashKey(req.key));
    // Unknown keys write no analytics row: there is no key or keyspace to attribute it to (as Unkey).
    if (!row) return NOT_FOUND;

    const record = (code: VerifyCode, spent: number, used = true): void => {
      if (used) markKeyUsed(ctx.db, row.id, ctx.now);
      // Buffered and written to the analytics engine off the request path (analytics/engine.ts).
      ctx.analytics.recordVerification({
        requestId: ctx.requestId,
        time: ctx.now,
        workspaceId: row.workspace_id,
        keySpaceId: row.key_space_id,
        keyId: row.id,
        identityId: row.live_identity_id ?? "",
        externalId: row.external_id ?? "",
        outcome: code,
        region: ctx.region,
        tags: req.tags ?? [],
        spentCredits: spent,
        latency: performance.now() - started,
      });
    };

    if (
      row.workspace_id !== ctx.workspaceId ||
      row.api_id === null ||
      row.api_deleted_at !== null ||
      !hasAny(ctx, ["api.*.verify_key", `api.${row.api_id}.verify_key`])
    ) {
      // Only a key in the caller's own workspace may leave a trace there, and a caller that
      // may not verify it does not count as using it (lastUsedAt stays).
      if (row.workspace_id === ctx.workspaceId) record("NOT_FOUND", 0, false);
      return NOT_FOUND;
    }

    let code: VerifyCode = "VALID";
    if (row.ws_enabled === 0) code = "FORBIDDEN";
    else if (row.enabled === 0) code = "DISABLED";
    else if (row.expires !== null && ctx.now > row.expires) code = "EXPIRED";

    const query = req.permissions === undefined ? undefined : parseQuery(req.permissions);

    const direct = getKeyDirectPermissionSlugs(ctx.db, row.id);
    const fromRoles = getKeyRolePermissionSlugs(ctx.db, row.id);
    const permissions = [...direct, ...fromRoles];
    const roles = getKeyRoleNames(ctx.db, row.id);
    const identityLimits = row.live_identity_id ? getIdentityRatelimits(ctx.db, row.live_identity_id) : [];
    const keyLimits = getKeyRatelimits(ctx.db, row.id);

    if (code === "VALID" && !ipAllowed(row.ip_whitelist, clientIp)) code = "FORBIDDEN";

    if (code === "VALID" && query && !evaluatePermissionQuery(query, new Set(permissions))) {
      code = "INSUFFICIENT_PERMISSIONS";
    }

    let ratelimitResults: VerifyRatelimitResult[] = [];
    if (code === "VALID") {
      const planned = planRatelimits(row, keyLimits, identityLimits, req.ratelimits);
      if (planned.length > 0) {
        const checks: LimitCheck[] = planned.map((p) => ({
          namespace: p.name,
          identifier: p.identifier,
          limit: p.limit,
          duration: p.duration,
          cost: p.cost,
        }));
        const { passed, outcomes } = limiterFor(ctx.db).checkAll(checks, ctx.now);
        ratelimitResults = planned.map((p, i) => ({
          // Configured limits report their rl_ id; ad-hoc ones have none, and Unkey reports the name.
          id: p.id ?? p.name,
          name: p.name,
          limit: p.limit,
          duration: p.duration,
          autoApply: p.autoApply,
          exceeded: !outcomes[i]!.passed,
          remaining: outcomes[i]!.remaining,
          reset: outcomes[i]!.reset,
        }));
        if (!passed) code = "RATE_LIMITED";
      }
    }

    let remaining = row.remaining;
    let spent = 0;
    if (code === "VALID" && remaining !== null) {
      const cost = req.credits?.cost ?? 1;
      if (cost > 0 && remaining < cost) {
        code = "USAGE_EXCEEDED";
      } else if (cost > 0) {
        spendKeyCredits(ctx.db, row.id, cost);
        remaining -= cost;
        spent = cost;
      }
    }

    record(code, spent);

    const data: VerifyKeyData = { valid: code === "VALID", code, keyId: row.id, enabled: row.enabled === 1 };
    if (row.name) data.name = row.name;
    const meta = parseJsonObject(row.meta);
    if (meta) data.meta = meta;
    if (row.expires !== null) data.expires = row.expires;
    if (remaining !== null) data.credits = remaining;
    if (permissions.length > 0) data.permissions = permissions;
    if (roles.length > 0) data.roles = roles;
    if (row.live_identity_id) {
      const identity: NonNullable<VerifyKeyData["identity"]> = {
        id: row.live_identity_id,
        externalId: row.external_id ?? "",
      };
      const identityMeta = parseJsonObject(row.identity_meta);
      if (identityMeta) identity.meta = identityMeta;
      if (identityLimits.length > 0) identity.ratelimits = identityLimits.map(ratelimitToJson);
      data.identity = identity;
    }
    if (ratelimitResults.length > 0) data.ratelimits = ratelimitResults;
    return data;
  });
}

function parseQuery(text: string): PermissionQuery {
  try {
    return parsePermissionQuery(text);
  } catch (err) {
    if (err instanceof PermissionQuerySyntaxError) {
      throw new ApiError(400, "user/bad_request/permissions_query_syntax_error", err.message, [{ location: "body.permissions", message: err.message }]);
    }
    throw err;
  }
}

/** Unkey's keyspace IP whitelist: a comma-separated list of exact client IPs. */
function ipAllowed(whitelist: string | null, clientIp: string | undefined): boolean {
  if (!whitelist) return true;
  const allowed = whitelist
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (allowed.length === 0) return true;
  return clientIp !== undefined && allowed.includes(clientIp);
}

/**
 * Which limits to check: every autoApply limit of the key and its identity
 * (merged by name, the key's own winning) at cost 1; then each requested limit,
 * either ad-hoc `{name, limit, duration}` on the key or `{name}` selecting a
 * configured one (autoApply or not) at the request's cost.
 */
function planRatelimits(
  row: VerificationRow,
  keyLimits: RatelimitConfigRow[],
  identityLimits: RatelimitConfigRow[],
  requested: VerifyKeyRequest["ratelimits"],
): PlannedLimit[] {
  const configs = new Map<string, RatelimitConfigRow>();
  for (const rl of identityLimits) configs.set(rl.name, rl);
  for (const rl of keyLimits) configs.set(rl.name, rl);

  const fromConfig = (rl: RatelimitConfigRow, cost: number): PlannedLimit => ({
    id: rl.id,
    name: rl.name,
    limit: rl.limit,
    duration: rl.duration,
    autoApply: rl.auto_apply === 1,
    // Identity limits count per identity, so every key of the identity shares them.
    identifier: rl.identity_id ?? row.id,
    cost,
  });

  const planned = new Map<string, PlannedLimit>();
  for (const rl of configs.values()) if (rl.auto_apply === 1) planned.set(rl.name, fromConfig(rl, 1));

  (requested ?? []).forEach((r, i) => {
    const cost = r.cost ?? 1;
    if (r.limit !== undefined && r.duration !== undefined) {
      if (r.duration < 1000) {
        throw new ApiError(400, "unkey/application/invalid_input", `ratelimits[${i}].duration must be at least 1000 ms, got ${r.duration}.`, [
          { location: `body.ratelimits[${i}].duration`, message: `must be >= 1000, got ${r.duration}` },
        ]);
      }
      planned.set(r.name, { name: r.name, limit: r.limit, duration: r.duration, autoApply: false, identifier: row.id, cost });
      return;
    }
    const rl = configs.get(r.name);
    if (!rl) {
      const detail = row.live_identity_id
        ? `ratelimit '${r.name}' was requested but does not exist for key '${row.id}' nor identity: '${row.live_identity_id}' external ID: '${row.external_id ?? ""}'`
        : `ratelimit '${r.name}' was requested but does not exist for key '${row.id}' and there is no identity connected.`;
      throw preconditionFailed(detail);
    }
    planned.set(r.name, fromConfig(rl, cost));
  });
  return [...planned.values()];
}
