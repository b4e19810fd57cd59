/**
 * The row types of the local API's tables, as the store functions return them. Callers outside
 * store/ see rows only through the typed functions of the store modules (keys.ts, apis.ts, …);
 * every SQL text lives in store/.
 */
import { FREE_FORM_LIMITS, nestingDepth } from "../../schemas/json-schema.js";

export interface KeyRow {
  id: string;
  workspace_id: string;
  key_space_id: string;
  hash: string;
  start: string;
  name: string | null;
  meta: string | null;
  identity_id: string | null;
  enabled: number;
  expires: number | null;
  remaining: number | null;
  refill_amount: number | null;
  refill_day: number | null;
  last_refill_at: number | null;
  created_at: number;
  updated_at: number | null;
  last_used_at: number | null;
  deleted_at: number | null;
  migration_id: string | null;
}

export interface ApiRow {
  id: string;
  workspace_id: string;
  name: string;
  key_space_id: string;
  delete_protection: number;
  created_at: number;
  deleted_at: number | null;
}

export interface KeySpaceRow {
  id: string;
  workspace_id: string;
  default_prefix: string | null;
  default_bytes: number | null;
  ip_whitelist: string | null;
  store_encrypted_keys: number;
}

export interface IdentityRow {
  id: string;
  workspace_id: string;
  external_id: string;
  meta: string | null;
  created_at: number;
  updated_at: number | null;
  deleted_at: number | null;
}

export interface RatelimitConfigRow {
  id: string;
  workspace_id: string;
  name: string;
  limit: number;
  duration: number;
  auto_apply: number;
  key_id: string | null;
  identity_id: string | null;
}

export interface PermissionRow {
  id: string;
  workspace_id: string;
  name: string;
  slug: string;
  description: string | null;
  created_at: number;
}

export interface RoleRow {
  id: string;
  workspace_id: string;
  name: string;
  description: string | null;
  created_at: number;
}

export interface NamespaceRow {
  id: string;
  workspace_id: string;
  name: string;
  created_at: number;
  deleted_at: number | null;
}

export interface OverrideRow {
  id: string;
  namespace_id: string;
  identifier: string;
  limit: number;
  duration: number;
  deleted_at: number | null;
}

/**
 * A JSON column holding an object (`meta`) → the object; anything else → undefined. A value
 * deeper than FREE_FORM_LIMITS (only possible in a data dir written before requests were limited)
 * is left out too: serialising it would overflow the stack and fail every list that includes it.
 */
export function parseJsonObject(text: string | null): Record<string, unknown> | undefined {
  if (text == null) return undefined;
  try {
    const v = JSON.parse(text) as unknown;
    if (!v || typeof v !== "object" || Array.isArray(v)) return undefined;
    return nestingDepth(v, FREE_FORM_LIMITS.maxDepth + 1) > FREE_FORM_LIMITS.maxDepth ? undefined : (v as Record<string, unknown>);
  } catch {
    return undefined;
  }
}
