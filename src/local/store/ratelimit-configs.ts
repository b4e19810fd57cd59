/** Ratelimit configs owned by a key or by an identity (`ratelimit_configs`), in creation order. */
import type { RatelimitConfigRow } from "./rows.js";
import type { Store } from "./store.js";

/** Who a config belongs to: exactly one key or one identity. */
export type RatelimitOwner = { keyId: string } | { identityId: string };

/** A config as handlers give it: Unkey's `{name, limit, duration, autoApply}`. */
export interface RatelimitInput {
  name: string;
  limit: number;
  duration: number;
  autoApply?: boolean;
}

export function getKeyRatelimits(db: Store, keyId: string): RatelimitConfigRow[] {
  return db.all<RatelimitConfigRow>("SELECT * FROM ratelimit_configs WHERE key_id = ? ORDER BY rowid", keyId);
}

export function getIdentityRatelimits(db: Store, identityId: string): RatelimitConfigRow[] {
  return db.all<RatelimitConfigRow>("SELECT * FROM ratelimit_configs WHERE identity_id = ? ORDER BY rowid", identityId);
}

export function insertRatelimitConfig(db: Store, c: { id: string; workspaceId: string; owner: RatelimitOwner; now: number } & RatelimitInput): void {
  db.run(
    'INSERT INTO ratelimit_configs (id, workspace_id, name, "limit", duration, auto_apply, key_id, identity_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    c.id,
    c.workspaceId,
    c.name,
    c.limit,
    c.duration,
    c.autoApply ? 1 : 0,
    "keyId" in c.owner ? c.owner.keyId : null,
    "identityId" in c.owner ? c.owner.identityId : null,
    c.now,
  );
}

export function updateRatelimitConfig(db: Store, id: string, r: RatelimitInput, now: number): void {
  db.run(
    'UPDATE ratelimit_configs SET "limit" = ?, duration = ?, auto_apply = ?, updated_at = ? WHERE id = ?',
    r.limit,
    r.duration,
    r.autoApply ? 1 : 0,
    now,
    id,
  );
}

export function deleteRatelimitConfig(db: Store, id: string): void {
  db.run("DELETE FROM ratelimit_configs WHERE id = ?", id);
}
