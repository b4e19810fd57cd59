/** Loading the resources a request names, or Unkey's 404 for them. */
import type { RequestContext } from "../context.js";
import { notFound } from "../errors.js";
import { getApiByKeySpace } from "../store/apis.js";
import { getKeyById } from "../store/keys.js";
import type { ApiRow, KeyRow } from "../store/rows.js";

/** Unkey's 404 for a key that does not exist, was deleted, or whose API was deleted. */
export function keyNotFound(): ReturnType<typeof notFound> {
  return notFound("key", "The specified key was not found.");
}

export function apiNotFound(): ReturnType<typeof notFound> {
  return notFound("api", "The requested API does not exist or has been deleted.");
}

/** A live key and the live API owning it, or Unkey's 404. */
export function loadKey(ctx: RequestContext, keyId: string): { key: KeyRow; api: ApiRow } {
  const key = getKeyById(ctx.db, ctx.workspaceId, keyId);
  const api = key ? getApiByKeySpace(ctx.db, key.key_space_id) : undefined;
  if (!key || !api || api.deleted_at !== null) throw keyNotFound();
  return { key, api };
}
