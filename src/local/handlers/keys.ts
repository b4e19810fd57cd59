/**
 * keys.createKey, getKey, whoami, updateKey, updateCredits, deleteKey, rerollKey, migrateKeys
 * (behavior doc §3 "keys", §4 "IDs and key material", "Other key ops").
 */
import { apiPerm, hasAny, requireAll, type RequestContext } from "../context.js";
import { badRequest, preconditionFailed } from "../errors.js";
import { generateKey, hashKey, keyStart, newId } from "../ids.js";
import { findKeyByHash, getApiByKeySpace, getKeySpace, getLiveApi } from "../store/queries.js";
import {
  addKeyPermissions,
  addKeyRoles,
  apiNotFound,
  assertUniqueRatelimitNames,
  creditsColumns,
  ensurePermissions,
  insertRatelimit,
  keyNotFound,
  keyToJson,
  loadKey,
  refillColumns,
  replaceRatelimits,
  resolveRoles,
  setKeyPermissions,
  setKeyRoles,
  upsertIdentity,
} from "./common.js";
import { registerHandler, type RequestBody, type ResponseData } from "./registry.js";

/**
 * The key fields createKey and migrateKeys share. Taken from migrateKeys' key items; createKey's
 * body is passed as it is, so the two operations' declarations cannot drift apart unnoticed.
 */
type NewKeyFields = Omit<RequestBody<"keys.migrateKeys">["keys"][number], "hash">;

/** Inserts a key row with its identity, permissions, roles and ratelimits (caller holds the tx). */
function insertKey(
  ctx: RequestContext,
  keySpaceId: string,
  material: { hash: string; start: string; migrationId?: string },
  fields: NewKeyFields,
  field: string,
  opts: { autoCreateRoles?: boolean } = {},
): string {
  const credits = creditsColumns(fields.credits, `${field}.credits`);
  if (fields.ratelimits) assertUniqueRatelimitNames(fields.ratelimits, `${field === "body" ? "" : `${field.slice(5)}.`}ratelimits`);
  const roles = fields.roles
    ? opts.autoCreateRoles
      ? ensureRoles(ctx, fields.roles)
      : resolveRoles(ctx, fields.roles)
    : [];
  const identityId = fields.externalId !== undefined ? upsertIdentity(ctx, fields.externalId) : null;
  const keyId = newId("key");
  ctx.db.run(
    `INSERT INTO keys (id, workspace_id, key_space_id, hash, start, name, meta, identity_id, enabled, expires,
       remaining, refill_amount, refill_day, created_at, migration_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    keyId,
    ctx.workspaceId,
    keySpaceId,
    material.hash,
    material.start,
    fields.name ?? null,
    fields.meta !== undefined ? JSON.stringify(fields.meta) : null,
    identityId,
    fields.enabled === false ? 0 : 1,
    fields.expires ?? null,
    credits.remaining,
    credits.refillAmount,
    credits.refillDay,
    ctx.now,
    material.migrationId ?? null,
  );
  if (fields.permissions && fields.permissions.length > 0) {
    addKeyPermissions(ctx, keyId, ensurePermissions(ctx, fields.permissions).map((p) => p.id));
  }
  if (roles.length > 0) addKeyRoles(ctx, keyId, roles.map((r) => r.id));
  for (const r of fields.ratelimits ?? []) insertRatelimit(ctx, { keyId }, r);
  return keyId;
}

/** migrateKeys creates missing roles (upstream's migration test expects it). */
function ensureRoles(ctx: RequestContext, names: readonly string[]): { id: string }[] {
  return [...new Set(names)].map((name) => {
    const row = ctx.db.get<{ id: string }>("SELECT id FROM roles WHERE workspace_id = ? AND name = ? COLLATE NOCASE", ctx.workspaceId, name);
    if (row) return row;
    const id = newId("role");
    ctx.db.run("INSERT INTO roles (id, workspace_id, name, created_at) VALUES (?, ?, ?, ?)", id, ctx.workspaceId, name, ctx.now);
    return { id };
  });
}

registerHandler("keys.createKey", (ctx, body) => {
  return ctx.db.tx(() => {
    const api = getLiveApi(ctx.db, ctx.workspaceId, body.apiId);
    // Unkey masks a missing create_key permission as "API not found".
    if (!api || !hasAny(ctx, apiPerm(api.id, "create_key"))) throw apiNotFound();
    const ks = getKeySpace(ctx.db, api.key_space_id);
    if (body.recoverable) {
      requireAll(ctx, [apiPerm(api.id, "encrypt_key")]);
      throw preconditionFailed(
        "This keyspace does not store encrypted keys: the local API has no vault, so recoverable keys are not available. Create the key with recoverable: false.",
      );
    }
    const prefix = body.prefix ?? ks?.default_prefix ?? undefined;
    const byteLength = body.byteLength ?? ks?.default_bytes ?? 16;
    const key = generateKey(prefix, byteLength);
    const keyId = insertKey(ctx, api.key_space_id, { hash: hashKey(key), start: keyStart(key, prefix) }, body, "body");
    return { data: { keyId, key } };
  });
});

registerHandler("keys.getKey", (ctx, body) => {
  const { key, api } = loadKey(ctx, body.keyId);
  requireAll(ctx, [apiPerm(api.id, "read_key")]);
  if (body.decrypt) requireAll(ctx, [apiPerm(api.id, "decrypt_key")]);
  // No vault locally: keys are never stored encrypted, so there is no plaintext to return.
  return { data: keyToJson(ctx.db, key) };
});

registerHandler("keys.whoami", (ctx, body) => {
  const key = findKeyByHash(ctx.db, hashKey(body.key));
  const api = key && key.workspace_id === ctx.workspaceId ? getApiByKeySpace(ctx.db, key.key_space_id) : undefined;
  if (!key || !api || api.deleted_at !== null) throw keyNotFound();
  requireAll(ctx, [apiPerm(api.id, "read_key")]);
  return { data: keyToJson(ctx.db, key) };
});

registerHandler("keys.updateKey", (ctx, body) => {
  return ctx.db.tx(() => {
    const { key, api } = loadKey(ctx, body.keyId);
    requireAll(ctx, [apiPerm(api.id, "update_key")]);
    const sets: string[] = [];
    const params: unknown[] = [];
    const set = (column: string, value: unknown): void => {
      sets.push(`${column} = ?`);
      params.push(value);
    };
    if (body.name !== undefined) set("name", body.name);
    if (body.meta !== undefined) set("meta", body.meta === null ? null : JSON.stringify(body.meta));
    if (body.expires !== undefined) set("expires", body.expires);
    if (body.enabled !== undefined) set("enabled", body.enabled ? 1 : 0);
    if (body.externalId !== undefined) set("identity_id", body.externalId === null ? null : upsertIdentity(ctx, body.externalId));
    if (body.credits !== undefined) {
      let remaining = key.remaining;
      let refillAmount = key.refill_amount;
      let refillDay = key.refill_day;
      if (body.credits === null) {
        remaining = null;
        refillAmount = null;
        refillDay = null;
      } else {
        if (body.credits.remaining !== undefined) remaining = body.credits.remaining;
        if (body.credits.refill === null) {
          refillAmount = null;
          refillDay = null;
        } else if (body.credits.refill !== undefined) {
          const refill = body.credits.refill;
          if (refill.interval === "daily" && refill.refillDay !== undefined) {
            throw badRequest("refillDay is only allowed with the monthly interval.", [
              { location: "body.credits.refill.refillDay", message: "body.credits.refill.refillDay must be absent when interval is daily", fix: "Remove refillDay or use interval monthly." },
            ]);
          }
          const cols = refillColumns(refill, "body.credits.refill");
          refillAmount = cols.amount;
          refillDay = cols.day;
        }
        // Unlimited credits have nothing to refill.
        if (remaining === null) {
          if (body.credits.refill) {
            throw badRequest("credits.remaining must be set when credits.refill is used.", [
              { location: "body.credits.remaining", message: "body.credits.remaining is required with body.credits.refill", fix: "Set remaining to the starting balance." },
            ]);
          }
          refillAmount = null;
          refillDay = null;
        }
      }
      set("remaining", remaining);
      set("refill_amount", refillAmount);
      set("refill_day", refillDay);
    }
    if (body.ratelimits !== undefined) {
      assertUniqueRatelimitNames(body.ratelimits);
      replaceRatelimits(ctx, { keyId: key.id }, body.ratelimits);
    }
    if (body.permissions !== undefined) {
      setKeyPermissions(ctx, key.id, ensurePermissions(ctx, body.permissions).map((p) => p.id));
    }
    if (body.roles !== undefined) setKeyRoles(ctx, key.id, resolveRoles(ctx, body.roles).map((r) => r.id));
    set("updated_at", ctx.now);
    ctx.db.run(`UPDATE keys SET ${sets.join(", ")} WHERE id = ?`, ...params, key.id);
    return { data: {} };
  });
});

registerHandler("keys.updateCredits", (ctx, body) => {
  return ctx.db.tx(() => {
    const { key, api } = loadKey(ctx, body.keyId);
    requireAll(ctx, [apiPerm(api.id, "update_key")]);
    let remaining = key.remaining;
    let refillAmount = key.refill_amount;
    let refillDay = key.refill_day;
    const value = body.value ?? null;
    if (body.operation === "set") {
      remaining = value;
      if (value === null) {
        refillAmount = null;
        refillDay = null;
      }
    } else {
      if (value === null) {
        throw badRequest(`When using the ${body.operation} operation, a value must be provided.`, [
          { location: "body.value", message: `body.value is required for ${body.operation}`, fix: "Provide a value, or use operation set." },
        ]);
      }
      if (key.remaining === null) {
        throw badRequest(`The key has unlimited credits; ${body.operation} needs a key with a credit limit.`, [
          { location: "body.operation", message: `cannot ${body.operation} unlimited credits`, fix: "Use operation set to give the key a limit first." },
        ]);
      }
      remaining = body.operation === "increment" ? key.remaining + value : Math.max(0, key.remaining - value);
    }
    ctx.db.run(
      "UPDATE keys SET remaining = ?, refill_amount = ?, refill_day = ?, updated_at = ? WHERE id = ?",
      remaining,
      refillAmount,
      refillDay,
      ctx.now,
      key.id,
    );
    const data: ResponseData<"keys.updateCredits"> = { remaining };
    if (remaining !== null && refillAmount !== null) {
      data.refill =
        refillDay === null ? { interval: "daily", amount: refillAmount } : { interval: "monthly", amount: refillAmount, refillDay };
    }
    return { data };
  });
});

/** Hard delete of a key and everything hanging off it (Unkey's key_delete_by_id). */
export function deleteKeyPermanently(ctx: RequestContext, keyId: string): void {
  ctx.db.run("DELETE FROM keys_permissions WHERE key_id = ?", keyId);
  ctx.db.run("DELETE FROM keys_roles WHERE key_id = ?", keyId);
  ctx.db.run("DELETE FROM ratelimit_configs WHERE key_id = ?", keyId);
  ctx.db.run("DELETE FROM keys WHERE id = ?", keyId);
}

registerHandler("keys.deleteKey", (ctx, body) => {
  return ctx.db.tx(() => {
    const { key, api } = loadKey(ctx, body.keyId);
    requireAll(ctx, [apiPerm(api.id, "delete_key")]);
    if (body.permanent) deleteKeyPermanently(ctx, key.id);
    else ctx.db.run("UPDATE keys SET deleted_at = ? WHERE id = ?", ctx.now, key.id);
    return { data: {} };
  });
});

registerHandler("keys.rerollKey", (ctx, body) => {
  return ctx.db.tx(() => {
    const { key: old, api } = loadKey(ctx, body.keyId);
    requireAll(ctx, [apiPerm(api.id, "create_key")]);
    const ks = getKeySpace(ctx.db, old.key_space_id);
    // Unkey: the prefix is what precedes the first "_" of the old start (so "a_b_" truncates to "a").
    const prefix = old.start.includes("_") ? old.start.split("_")[0] : (ks?.default_prefix ?? undefined);
    const plaintext = generateKey(prefix || undefined, ks?.default_bytes ?? 16);
    const keyId = newId("key");
    ctx.db.run(
      `INSERT INTO keys (id, workspace_id, key_space_id, hash, start, name, meta, identity_id, enabled, expires,
         remaining, refill_amount, refill_day, last_refill_at, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      keyId,
      ctx.workspaceId,
      old.key_space_id,
      hashKey(plaintext),
      keyStart(plaintext, prefix || undefined),
      old.name,
      old.meta,
      old.identity_id,
      old.enabled,
      old.expires,
      old.remaining,
      old.refill_amount,
      old.refill_day,
      old.last_refill_at,
      ctx.now,
    );
    ctx.db.run(
      "INSERT INTO keys_permissions (key_id, permission_id, workspace_id, created_at) SELECT ?, permission_id, workspace_id, ? FROM keys_permissions WHERE key_id = ?",
      keyId,
      ctx.now,
      old.id,
    );
    ctx.db.run(
      "INSERT INTO keys_roles (key_id, role_id, workspace_id, created_at) SELECT ?, role_id, workspace_id, ? FROM keys_roles WHERE key_id = ?",
      keyId,
      ctx.now,
      old.id,
    );
    for (const r of ctx.db.all<{ name: string; limit: number; duration: number; auto_apply: number }>(
      'SELECT name, "limit", duration, auto_apply FROM ratelimit_configs WHERE key_id = ? ORDER BY rowid',
      old.id,
    )) {
      insertRatelimit(ctx, { keyId }, { name: r.name, limit: r.limit, duration: r.duration, autoApply: r.auto_apply === 1 });
    }
    // The old key keeps working until now + expiration, rounded up to the next whole minute.
    const expires = body.expiration === 0 ? ctx.now : Math.ceil((ctx.now + body.expiration) / 60_000) * 60_000;
    ctx.db.run("UPDATE keys SET expires = ?, updated_at = ? WHERE id = ?", expires, ctx.now, old.id);
    return { data: { keyId, key: plaintext } };
  });
});

/** Standard base64 (with `=` padding) of 32 bytes: 43 characters, the last one carrying 4 bits, then `=`. */
const SHA256_BASE64 = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

registerHandler("keys.migrateKeys", (ctx, body) => {
  return ctx.db.tx(() => {
    const api = getLiveApi(ctx.db, ctx.workspaceId, body.apiId);
    if (!api) throw apiNotFound();
    requireAll(ctx, [apiPerm(api.id, "create_key")]);
    // Unkey's migrations are set up by its team; locally the record is created on first use.
    ctx.db.run(
      "INSERT OR IGNORE INTO key_migrations (id, workspace_id, created_at) VALUES (?, ?, ?)",
      body.migrationId,
      ctx.workspaceId,
      ctx.now,
    );
    const migrated: { hash: string; keyId: string }[] = [];
    const failed: string[] = [];
    const seen = new Set<string>();
    for (const [i, k] of body.keys.entries()) {
      // The local API verifies keys by sha256/base64 only (Unkey's default `sha256_base64`
      // migration algorithm; others such as prefixed-api-key are not supported). A hash in
      // another form (hex, bcrypt, …) could never match a verification, so it is not imported
      // but listed in `failed` (the contract's `failed` holds bare hashes: no room for a reason).
      // Hashes already present (or repeated in this request) are failed too, as upstream.
      if (!SHA256_BASE64.test(k.hash) || seen.has(k.hash) || ctx.db.get("SELECT 1 FROM keys WHERE hash = ?", k.hash)) {
        failed.push(k.hash);
        continue;
      }
      seen.add(k.hash);
      // Migrated keys have no plaintext, so no `start` (Unkey stores an empty string).
      const keyId = insertKey(ctx, api.key_space_id, { hash: k.hash, start: "", migrationId: body.migrationId }, k, `body.keys[${i}]`, {
        autoCreateRoles: true,
      });
      migrated.push({ hash: k.hash, keyId });
    }
    return { data: { migrated, failed } };
  });
});

