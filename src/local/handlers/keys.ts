/**
 * keys.createKey, getKey, whoami, updateKey, updateCredits, deleteKey, rerollKey, migrateKeys
 * (behavior doc §3 "keys", §4 "IDs and key material", "Other key ops").
 */
import { apiPerm, hasAny, requireAll, type RequestContext } from "../context.js";
import { badRequest, preconditionFailed } from "../errors.js";
import { generateKey, hashKey, keyStart, newId } from "../ids.js";
import { getApiByKeySpace, getKeySpace, getLiveApi } from "../store/apis.js";
import { addKeyPermissions, addKeyRoles, getKeyGrantIds, setKeyPermissions, setKeyRoles } from "../store/key-grants.js";
import {
  deleteKeyPermanently,
  ensureKeyMigration,
  findKeyByHash,
  insertKeyRow,
  keyHashExists,
  setKeyExpires,
  softDeleteKey,
  updateKeyRow,
  type KeyPatch,
  type NewKeyRow,
} from "../store/keys.js";
import { getKeyRatelimits } from "../store/ratelimit-configs.js";
import { creditsColumns, refillColumns } from "./credits.js";
import { ensurePermissions, ensureRoles, resolveRoles, upsertIdentity } from "./grants.js";
import { apiNotFound, keyNotFound, loadKey } from "./lookups.js";
import { assertUniqueRatelimitNames, insertRatelimit, replaceRatelimits, type RatelimitInput } from "./ratelimit-configs.js";
import { keyToJson } from "./shapes.js";
import type { KeyRow } from "../store/rows.js";
import type { HandlerGroup, RequestBody, ResponseData } from "./types.js";

/**
 * The key fields createKey and migrateKeys share. Taken from migrateKeys' key items; createKey's
 * body is passed as it is, so the two operations' declarations cannot drift apart unnoticed.
 */
type NewKeyFields = Omit<RequestBody<"keys.migrateKeys">["keys"][number], "hash">;

/** What a new key holds besides its row. */
interface KeyGrants {
  permissionIds: readonly string[];
  roleIds: readonly string[];
  ratelimits: readonly RatelimitInput[];
}

/**
 * The one insert every new key goes through (createKey, migrateKeys, rerollKey): the row, then its
 * permissions, roles and ratelimits. The caller holds the transaction; returns the new key id.
 */
function insertKeyWithGrants(ctx: RequestContext, row: Omit<NewKeyRow, "id" | "workspaceId" | "createdAt">, grants: KeyGrants): string {
  const keyId = newId("key");
  insertKeyRow(ctx.db, { ...row, id: keyId, workspaceId: ctx.workspaceId, createdAt: ctx.now });
  if (grants.permissionIds.length > 0) addKeyPermissions(ctx.db, ctx.workspaceId, keyId, grants.permissionIds, ctx.now);
  if (grants.roleIds.length > 0) addKeyRoles(ctx.db, ctx.workspaceId, keyId, grants.roleIds, ctx.now);
  for (const r of grants.ratelimits) insertRatelimit(ctx, { keyId }, r);
  return keyId;
}

/** createKey / migrateKeys: resolves a request's key fields (identity, permissions, roles, credits) and inserts the key. */
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
  const roles = fields.roles ? (opts.autoCreateRoles ? ensureRoles(ctx, fields.roles) : resolveRoles(ctx, fields.roles)) : [];
  const identityId = fields.externalId !== undefined ? upsertIdentity(ctx, fields.externalId) : null;
  const permissions = fields.permissions && fields.permissions.length > 0 ? ensurePermissions(ctx, fields.permissions) : [];
  return insertKeyWithGrants(
    ctx,
    {
      keySpaceId,
      hash: material.hash,
      start: material.start,
      name: fields.name ?? null,
      meta: fields.meta !== undefined ? JSON.stringify(fields.meta) : null,
      identityId,
      enabled: fields.enabled !== false,
      expires: fields.expires ?? null,
      remaining: credits.remaining,
      refillAmount: credits.refillAmount,
      refillDay: credits.refillDay,
      lastRefillAt: null,
      migrationId: material.migrationId ?? null,
    },
    { permissionIds: permissions.map((p) => p.id), roleIds: roles.map((r) => r.id), ratelimits: fields.ratelimits ?? [] },
  );
}

export const keyHandlers = {
  "keys.createKey": (ctx, body) =>
    ctx.db.tx(() => {
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
    }),

  "keys.getKey": (ctx, body) => {
    const { key, api } = loadKey(ctx, body.keyId);
    requireAll(ctx, [apiPerm(api.id, "read_key")]);
    if (body.decrypt) requireAll(ctx, [apiPerm(api.id, "decrypt_key")]);
    // No vault locally: keys are never stored encrypted, so there is no plaintext to return.
    return { data: keyToJson(ctx.db, key) };
  },

  "keys.whoami": (ctx, body) => {
    const key = findKeyByHash(ctx.db, hashKey(body.key));
    const api = key && key.workspace_id === ctx.workspaceId ? getApiByKeySpace(ctx.db, key.key_space_id) : undefined;
    if (!key || !api || api.deleted_at !== null) throw keyNotFound();
    requireAll(ctx, [apiPerm(api.id, "read_key")]);
    return { data: keyToJson(ctx.db, key) };
  },

  "keys.updateKey": (ctx, body) =>
    ctx.db.tx(() => {
      const { key, api } = loadKey(ctx, body.keyId);
      requireAll(ctx, [apiPerm(api.id, "update_key")]);
      const patch: KeyPatch = {};
      if (body.name !== undefined) patch.name = body.name;
      if (body.meta !== undefined) patch.meta = body.meta === null ? null : JSON.stringify(body.meta);
      if (body.expires !== undefined) patch.expires = body.expires;
      if (body.enabled !== undefined) patch.enabled = body.enabled;
      if (body.externalId !== undefined) patch.identityId = body.externalId === null ? null : upsertIdentity(ctx, body.externalId);
      if (body.credits !== undefined) Object.assign(patch, updatedCredits(key, body.credits));
      if (body.ratelimits !== undefined) {
        assertUniqueRatelimitNames(body.ratelimits);
        replaceRatelimits(ctx, { keyId: key.id }, body.ratelimits);
      }
      if (body.permissions !== undefined) {
        setKeyPermissions(
          ctx.db,
          ctx.workspaceId,
          key.id,
          ensurePermissions(ctx, body.permissions).map((p) => p.id),
          ctx.now,
        );
      }
      if (body.roles !== undefined)
        setKeyRoles(
          ctx.db,
          ctx.workspaceId,
          key.id,
          resolveRoles(ctx, body.roles).map((r) => r.id),
          ctx.now,
        );
      updateKeyRow(ctx.db, key.id, patch, ctx.now);
      return { data: {} };
    }),

  "keys.updateCredits": (ctx, body) =>
    ctx.db.tx(() => {
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
      updateKeyRow(ctx.db, key.id, { remaining, refillAmount, refillDay }, ctx.now);
      const data: ResponseData<"keys.updateCredits"> = { remaining };
      if (remaining !== null && refillAmount !== null) {
        data.refill = refillDay === null ? { interval: "daily", amount: refillAmount } : { interval: "monthly", amount: refillAmount, refillDay };
      }
      return { data };
    }),

  "keys.deleteKey": (ctx, body) =>
    ctx.db.tx(() => {
      const { key, api } = loadKey(ctx, body.keyId);
      requireAll(ctx, [apiPerm(api.id, "delete_key")]);
      if (body.permanent) deleteKeyPermanently(ctx.db, key.id);
      else softDeleteKey(ctx.db, key.id, ctx.now);
      return { data: {} };
    }),

  "keys.rerollKey": (ctx, body) =>
    ctx.db.tx(() => {
      const { key: old, api } = loadKey(ctx, body.keyId);
      requireAll(ctx, [apiPerm(api.id, "create_key")]);
      const ks = getKeySpace(ctx.db, old.key_space_id);
      // Unkey: the prefix is what precedes the first "_" of the old start (so "a_b_" truncates to "a").
      const prefix = (old.start.includes("_") ? old.start.split("_")[0] : (ks?.default_prefix ?? undefined)) || undefined;
      const plaintext = generateKey(prefix, ks?.default_bytes ?? 16);
      // The new key is a copy of the old one (settings, credits, grants, ratelimits) with new material.
      const keyId = insertKeyWithGrants(
        ctx,
        {
          keySpaceId: old.key_space_id,
          hash: hashKey(plaintext),
          start: keyStart(plaintext, prefix),
          name: old.name,
          meta: old.meta,
          identityId: old.identity_id,
          enabled: old.enabled === 1,
          expires: old.expires,
          remaining: old.remaining,
          refillAmount: old.refill_amount,
          refillDay: old.refill_day,
          lastRefillAt: old.last_refill_at,
          migrationId: null,
        },
        {
          ...getKeyGrantIds(ctx.db, old.id),
          ratelimits: getKeyRatelimits(ctx.db, old.id).map((r) => ({ name: r.name, limit: r.limit, duration: r.duration, autoApply: r.auto_apply === 1 })),
        },
      );
      // The old key keeps working until now + expiration, rounded up to the next whole minute.
      const expires = body.expiration === 0 ? ctx.now : Math.ceil((ctx.now + body.expiration) / 60_000) * 60_000;
      setKeyExpires(ctx.db, old.id, expires, ctx.now);
      return { data: { keyId, key: plaintext } };
    }),

  "keys.migrateKeys": (ctx, body) =>
    ctx.db.tx(() => {
      const api = getLiveApi(ctx.db, ctx.workspaceId, body.apiId);
      if (!api) throw apiNotFound();
      requireAll(ctx, [apiPerm(api.id, "create_key")]);
      ensureKeyMigration(ctx.db, body.migrationId, ctx.workspaceId, ctx.now);
      const migrated: { hash: string; keyId: string }[] = [];
      const failed: string[] = [];
      const seen = new Set<string>();
      for (const [i, k] of body.keys.entries()) {
        // The local API verifies keys by sha256/base64 only (Unkey's default `sha256_base64`
        // migration algorithm; others such as prefixed-api-key are not supported). A hash in
        // another form (hex, bcrypt, …) could never match a verification, so it is not imported
        // but listed in `failed` (the contract's `failed` holds bare hashes: no room for a reason).
        // Hashes already present (or repeated in this request) are failed too, as upstream.
        if (!SHA256_BASE64.test(k.hash) || seen.has(k.hash) || keyHashExists(ctx.db, k.hash)) {
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
    }),
} satisfies HandlerGroup;

/** Standard base64 (with `=` padding) of 32 bytes: 43 characters, the last one carrying 4 bits, then `=`. */
const SHA256_BASE64 = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

/** updateKey's `credits` (null = unlimited; `refill: null` removes the refill) → the key's new credit columns. */
function updatedCredits(key: KeyRow, credits: NonNullable<RequestBody<"keys.updateKey">["credits"]> | null): KeyPatch {
  if (credits === null) return { remaining: null, refillAmount: null, refillDay: null };
  let remaining = key.remaining;
  let refillAmount = key.refill_amount;
  let refillDay = key.refill_day;
  if (credits.remaining !== undefined) remaining = credits.remaining;
  if (credits.refill === null) {
    refillAmount = null;
    refillDay = null;
  } else if (credits.refill !== undefined) {
    const refill = credits.refill;
    if (refill.interval === "daily" && refill.refillDay !== undefined) {
      throw badRequest("refillDay is only allowed with the monthly interval.", [
        {
          location: "body.credits.refill.refillDay",
          message: "body.credits.refill.refillDay must be absent when interval is daily",
          fix: "Remove refillDay or use interval monthly.",
        },
      ]);
    }
    const cols = refillColumns(refill, "body.credits.refill");
    refillAmount = cols.amount;
    refillDay = cols.day;
  }
  // Unlimited credits have nothing to refill.
  if (remaining === null) {
    if (credits.refill) {
      throw badRequest("credits.remaining must be set when credits.refill is used.", [
        {
          location: "body.credits.remaining",
          message: "body.credits.remaining is required with body.credits.refill",
          fix: "Set remaining to the starting balance.",
        },
      ]);
    }
    refillAmount = null;
    refillDay = null;
  }
  return { remaining, refillAmount, refillDay };
}
