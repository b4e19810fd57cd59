/**
 * What every handler receives, and Unkey's root-key permission checks (behavior doc §3):
 * legacy tuples `<resource>.<id>.<action>` match by exact string equality, so `*` is a literal
 * id and handlers list the wildcard tuple and the specific tuple as alternatives.
 */
import { ApiError } from "./errors.js";
import type { Store } from "./store/store.js";
import type { Analytics } from "./analytics/index.js";

export interface RootKeyInfo {
  id: string;
  permissions: Set<string>;
}

export interface RequestContext {
  db: Store;
  /** Unix ms: the request's `X-Test-Time` when the server runs with --test-clock, else Date.now(). */
  now: number;
  requestId: string;
  workspaceId: string;
  rootKey: RootKeyInfo;
  region: string;
  /** The caller's address, for keyspace IP whitelists. */
  clientIp?: string;
  /** Where verification and ratelimit events go (buffered, off the request path) and analytics queries run. */
  analytics: Analytics;
}

/** True when the root key holds at least one of `perms`. */
export function hasAny(ctx: RequestContext, perms: readonly string[]): boolean {
  const held = ctx.rootKey.permissions;
  for (const p of perms) if (held.has(p)) return true;
  return false;
}

/** True when every inner list (CNF) has at least one held permission. */
export function hasAll(ctx: RequestContext, cnf: readonly (readonly string[])[]): boolean {
  for (const clause of cnf) if (!hasAny(ctx, clause)) return false;
  return true;
}

/** Throws Unkey's 403 `insufficient_permissions` naming the first inner list that is not satisfied. */
export function requireAll(ctx: RequestContext, cnf: readonly (readonly string[])[]): void {
  // Unkey evaluates an AND left to right and reports the first failing operand only.
  for (const clause of cnf) if (!hasAny(ctx, clause)) throw insufficientPermissions([clause]);
}

/**
 * Unkey's detail text: one permission → `Missing permission: 'x'`; otherwise
 * `Missing one of these permissions: a or b and c` (clauses joined by " and ", alternatives by " or ").
 */
export function insufficientPermissions(cnf: readonly (readonly string[])[]): ApiError {
  const flat = cnf.length === 1 && cnf[0].length === 1;
  const detail = flat ? `Missing permission: '${cnf[0][0]}'` : `Missing one of these permissions: ${cnf.map((c) => c.join(" or ")).join(" and ")}`;
  return new ApiError(403, "unkey/authorization/insufficient_permissions", detail);
}

/** `[api.*.<action>, api.<apiId>.<action>]`: the usual pair of alternatives. */
export function apiPerm(apiId: string, action: string): string[] {
  return [`api.*.${action}`, `api.${apiId}.${action}`];
}
