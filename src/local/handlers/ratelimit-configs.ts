/** Ratelimit configs of keys and identities as requests set them: unique names, replace by name. */
import type { RequestContext } from "../context.js";
import { badRequest } from "../errors.js";
import { newId } from "../ids.js";
import {
  deleteRatelimitConfig,
  getIdentityRatelimits,
  getKeyRatelimits,
  insertRatelimitConfig,
  updateRatelimitConfig,
  type RatelimitInput,
  type RatelimitOwner,
} from "../store/ratelimit-configs.js";

export type { RatelimitInput, RatelimitOwner };

/** Ratelimit names must be unique within one owner (Unkey answers 400). */
export function assertUniqueRatelimitNames(ratelimits: readonly RatelimitInput[], field = "ratelimits"): void {
  const seen = new Set<string>();
  for (const [i, r] of ratelimits.entries()) {
    if (seen.has(r.name)) {
      const location = `body.${field}[${i}].name`;
      throw badRequest(`Ratelimit with name "${r.name}" is already defined in the request.`, [
        { location, message: `${location} "${r.name}" is a duplicate`, fix: "Give every ratelimit a distinct name." },
      ]);
    }
    seen.add(r.name);
  }
}

export function insertRatelimit(ctx: RequestContext, owner: RatelimitOwner, r: RatelimitInput): string {
  const id = newId("rl");
  insertRatelimitConfig(ctx.db, { ...r, id, workspaceId: ctx.workspaceId, owner, now: ctx.now });
  return id;
}

/**
 * Replaces the ratelimit configs of a key or identity, matched by name: existing names keep their
 * id and get the new values, names not in `ratelimits` are removed, new names are inserted.
 */
export function replaceRatelimits(ctx: RequestContext, owner: RatelimitOwner, ratelimits: readonly RatelimitInput[]): void {
  const existing = "keyId" in owner ? getKeyRatelimits(ctx.db, owner.keyId) : getIdentityRatelimits(ctx.db, owner.identityId);
  const wanted = new Map(ratelimits.map((r) => [r.name, r]));
  for (const e of existing) {
    const r = wanted.get(e.name);
    if (!r) {
      deleteRatelimitConfig(ctx.db, e.id);
      continue;
    }
    updateRatelimitConfig(ctx.db, e.id, r, ctx.now);
    wanted.delete(e.name);
  }
  for (const r of wanted.values()) insertRatelimit(ctx, owner, r);
}
