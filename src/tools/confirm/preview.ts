/**
 * Previews: what a guarded call is about to do, resolved with read calls through the same Unkey
 * client and root key, before anything changes.
 *
 * A preview says which resource (id, name, start, identity), how much hangs on it (how many keys
 * an API holds, which permissions a role grants) and what is lost (roles, permissions,
 * verifications). `state` is what was read; its digest is the target fingerprint a token binds,
 * and the confirmed call re-reads it and acts only when it is unchanged.
 */
import type { UnkeyClient, UnkeyResponse } from "../../client/unkey-client.js";
import type { ToolDefinition } from "../types.js";

export interface Preview {
  /** One sentence: what will happen. */
  summary: string;
  /** What changes or stops working, one line each. */
  effects: string[];
  /** The resource acted on, as a person would name it. */
  target?: { kind: string; id: string; name?: string };
  /** For deleteApi and a permanent deleteKey: the name the person must type to confirm. */
  typeToConfirm?: string;
}

export type PreviewOutcome =
  | { ok: true; preview: Preview; state: unknown }
  /** A read answered with an error (the target does not exist, the key may not read it). */
  | { ok: false; response: UnkeyResponse };

export interface PreviewContext {
  client: UnkeyClient;
  rootKey: string;
  signal?: AbortSignal;
}

type Data = Record<string, unknown>;
/** `data` when it is an object; `body` is the whole envelope (lists keep their items and cursor there). */
type Reader = (operationId: string, body: Data) => Promise<{ ok: true; data: Data; body: Data } | { ok: false; response: UnkeyResponse }>;

/** Most keys a deleteApi preview counts (100 per page); beyond this it says "at least". */
const MAX_COUNTED_KEYS = 5_000;

export async function buildPreview(tool: ToolDefinition, args: Data, ctx: PreviewContext): Promise<PreviewOutcome> {
  const read: Reader = async (operationId, body) => {
    const response = await ctx.client.request({ path: `/v2/${operationId}`, body, rootKey: ctx.rootKey, safety: "read", signal: ctx.signal });
    if (response.status < 200 || response.status >= 300) return { ok: false, response };
    const b = isObject(response.body) ? response.body : {};
    return { ok: true, data: isObject(b.data) ? b.data : {}, body: b };
  };
  try {
    return await previewFor(tool, args, read);
  } catch (err) {
    if (err instanceof ReadFailed) return { ok: false, response: err.response };
    throw err;
  }
}

class ReadFailed extends Error {
  constructor(readonly response: UnkeyResponse) {
    super(`read failed with ${response.status}`);
  }
}

async function must(read: Reader, operationId: string, body: Data): Promise<Data> {
  const r = await read(operationId, body);
  if (!r.ok) throw new ReadFailed(r.response);
  return r.data;
}

async function previewFor(tool: ToolDefinition, args: Data, read: Reader): Promise<PreviewOutcome> {
  const op = tool.http?.operationId ?? tool.name;
  switch (op) {
    case "apis.deleteApi":
      return deleteApi(args, read);
    case "permissions.deletePermission": {
      const p = await must(read, "permissions.getPermission", { permission: args.permission });
      return done(
        {
          summary: `Deletes permission ${p.slug} (${p.id}).`,
          effects: [`Every key and role holding ${p.slug} loses it; verifications that require it fail.`],
          target: { kind: "permission", id: str(p.id), name: str(p.slug) },
        },
        p,
      );
    }
    case "permissions.deleteRole": {
      const r = await must(read, "permissions.getRole", { role: args.role });
      const perms = slugs(r.permissions);
      return done(
        {
          summary: `Deletes role ${r.name} (${r.id}).`,
          effects: [
            `Every key with role ${r.name} loses it${perms.length ? ` and the permissions it grants: ${perms.join(", ")}` : ""} (unless granted otherwise).`,
          ],
          target: { kind: "role", id: str(r.id), name: str(r.name) },
        },
        r,
      );
    }
    case "permissions.setRolePermissions": {
      const r = await must(read, "permissions.getRole", { role: args.roleId });
      const current = slugs(r.permissions);
      const next = strings(args.permissions);
      const lost = current.filter((s) => !next.includes(s) && !next.includes(idOf(r.permissions, s)));
      return done(
        {
          summary: `Replaces the permissions of role ${r.name} (${r.id}) with: ${next.join(", ") || "none"}.`,
          effects: [lost.length ? `Keys with role ${r.name} lose: ${lost.join(", ")}.` : `No permission is lost (currently: ${current.join(", ") || "none"}).`],
          target: { kind: "role", id: str(r.id), name: str(r.name) },
        },
        r,
      );
    }
    case "identities.deleteIdentity": {
      const i = await must(read, "identities.getIdentity", { identity: args.identity });
      const limits = Array.isArray(i.ratelimits) ? i.ratelimits.length : 0;
      return done(
        {
          summary: `Deletes identity ${i.externalId} (${i.id}).`,
          effects: [
            `Keys linked to it lose the link, its metadata and its ${limits} shared rate limit${limits === 1 ? "" : "s"}; the keys themselves keep verifying.`,
          ],
          target: { kind: "identity", id: str(i.id), name: str(i.externalId) },
        },
        i,
      );
    }
    case "identities.updateIdentity": {
      const i = await must(read, "identities.getIdentity", { identity: args.identity });
      const effects: string[] = [];
      if ("meta" in args) effects.push(`Its metadata is replaced (current keys: ${Object.keys(isObject(i.meta) ? i.meta : {}).join(", ") || "none"}).`);
      if ("ratelimits" in args)
        effects.push(
          `Its rate limits are replaced (current: ${names(i.ratelimits).join(", ") || "none"}; new: ${names(args.ratelimits).join(", ") || "none"}).`,
        );
      return done({ summary: `Updates identity ${i.externalId} (${i.id}).`, effects, target: { kind: "identity", id: str(i.id), name: str(i.externalId) } }, i);
    }
    case "ratelimit.deleteOverride":
    case "ratelimit.setOverride":
      return override(op, args, read);
    default:
      if (tool.target?.operation === "keys.getKey") return keyPreview(op, args, read);
      return genericPreview(tool, args, read);
  }
}

async function deleteApi(args: Data, read: Reader): Promise<PreviewOutcome> {
  const api = await must(read, "apis.getApi", { apiId: args.apiId });
  let count = 0;
  let cursor: string | undefined;
  do {
    const r = await read("apis.listKeys", { apiId: args.apiId, limit: 100, ...(cursor ? { cursor } : {}) });
    if (!r.ok) throw new ReadFailed(r.response);
    count += Array.isArray(r.body.data) ? r.body.data.length : 0;
    const page = isObject(r.body.pagination) ? r.body.pagination : {};
    cursor = page.hasMore === true && typeof page.cursor === "string" ? page.cursor : undefined;
  } while (cursor !== undefined && count < MAX_COUNTED_KEYS);
  const counted = `${cursor !== undefined ? "At least " : ""}${count}`;
  return done(
    {
      summary: `Deletes API ${api.name} (${api.id}) and its keys.`,
      effects: [`${counted} key${count === 1 ? "" : "s"} of this API ${count === 1 ? "stops" : "stop"} verifying at once.`],
      target: { kind: "api", id: str(api.id), name: str(api.name) },
      typeToConfirm: str(api.name),
    },
    { api, keys: count },
  );
}

async function override(op: string, args: Data, read: Reader): Promise<PreviewOutcome> {
  const r = await read("ratelimit.getOverride", { namespace: args.namespace, identifier: args.identifier });
  const where = `identifier ${args.identifier} in namespace ${args.namespace}`;
  if (op === "ratelimit.deleteOverride") {
    if (!r.ok) return { ok: false, response: r.response };
    const o = r.data;
    return done(
      {
        summary: `Deletes the override for ${where} (${o.limit} per ${o.duration} ms).`,
        effects: ["That identifier falls back to the limit each check names."],
        target: { kind: "override", id: str(o.overrideId), name: String(args.identifier) },
      },
      o,
    );
  }
  // setOverride with limit 0: there may be no override yet; that is state too.
  const current = r.ok ? r.data : null;
  if (!r.ok && r.response.status !== 404) return { ok: false, response: r.response };
  return done(
    {
      summary: `Sets the override for ${where} to limit 0.`,
      effects: [`Every rate-limit check for it is refused${current ? ` (currently ${current.limit} per ${current.duration} ms)` : ""}.`],
      target: { kind: "override", id: current ? str(current.overrideId) : String(args.identifier), name: String(args.identifier) },
    },
    current,
  );
}

async function keyPreview(op: string, args: Data, read: Reader): Promise<PreviewOutcome> {
  const k = await must(read, "keys.getKey", { keyId: args.keyId });
  const identity = isObject(k.identity) ? k.identity : undefined;
  const label = `key ${k.keyId}${k.name ? ` "${k.name}"` : ""} (start ${k.start}${identity ? `, identity ${identity.externalId}` : ""})`;
  const target = { kind: "key", id: str(k.keyId), ...(typeof k.name === "string" ? { name: k.name } : {}) };
  const perms = strings(k.permissions);
  const roles = strings(k.roles);
  const effects: string[] = [];
  let summary: string;
  let typeToConfirm: string | undefined;
  switch (op) {
    case "keys.deleteKey":
      summary = `Deletes ${label}${args.permanent === true ? " permanently (it cannot be recovered)" : ""}.`;
      effects.push("It stops verifying at once (verify_key answers NOT_FOUND).");
      if (args.permanent === true) typeToConfirm = typeof k.name === "string" && k.name !== "" ? k.name : str(k.keyId);
      break;
    case "keys.rerollKey": {
      const ms = typeof args.expiration === "number" ? args.expiration : 0;
      summary = `Issues a new key with the settings of ${label}.`;
      effects.push(ms > 0 ? `The old key keeps verifying for ${ms} ms, then stops.` : "The old key stops verifying at once.");
      break;
    }
    case "keys.removePermissions": {
      const lost = strings(args.permissions).filter((p) => perms.includes(p));
      summary = `Removes permissions from ${label}.`;
      effects.push(lost.length ? `It loses: ${lost.join(", ")}.` : "It holds none of them directly; nothing may change.");
      break;
    }
    case "keys.setPermissions": {
      const next = strings(args.permissions);
      const lost = perms.filter((p) => !next.includes(p));
      summary = `Replaces the direct permissions of ${label} with: ${next.join(", ") || "none"}.`;
      effects.push(lost.length ? `It loses: ${lost.join(", ")} (unless a role grants them).` : "It loses no permission.");
      break;
    }
    case "keys.removeRoles": {
      const lost = strings(args.roles).filter((r) => roles.includes(r));
      summary = `Removes roles from ${label}.`;
      effects.push(lost.length ? `It loses roles: ${lost.join(", ")}.` : "It has none of these roles by name; nothing may change.");
      break;
    }
    case "keys.setRoles": {
      const next = strings(args.roles);
      const lost = roles.filter((r) => !next.includes(r));
      summary = `Replaces the roles of ${label} with: ${next.join(", ") || "none"}.`;
      effects.push(lost.length ? `It loses roles: ${lost.join(", ")}.` : "It loses no role.");
      break;
    }
    case "keys.updateCredits": {
      const remaining = isObject(k.credits) ? k.credits.remaining : undefined;
      const now = remaining === undefined || remaining === null ? "unlimited" : String(remaining);
      summary = `${args.operation === "set" ? "Sets" : "Decrements"} the credits of ${label}${args.operation === "set" ? ` to ${String(args.value)}` : ` by ${String(args.value)}`}.`;
      effects.push(`Remaining credits now: ${now}; verifications fail with USAGE_EXCEEDED when they reach 0.`);
      break;
    }
    case "keys.updateKey":
      summary = `Updates ${label}.`;
      if (args.enabled === false) effects.push("It is disabled: verifications fail with DISABLED until it is enabled again.");
      if ("expires" in args)
        effects.push(
          `Its expiry changes from ${typeof k.expires === "number" ? new Date(k.expires).toISOString() : "never"} to ${typeof args.expires === "number" ? new Date(args.expires).toISOString() : "never"}.`,
        );
      if ("roles" in args) effects.push(`Its roles are replaced (current: ${roles.join(", ") || "none"}).`);
      if ("permissions" in args) effects.push(`Its permissions are replaced (current: ${perms.join(", ") || "none"}).`);
      if ("ratelimits" in args) effects.push(`Its rate limits are replaced (current: ${names(k.ratelimits).join(", ") || "none"}).`);
      if ("credits" in args)
        effects.push(`Its credits are replaced (remaining now: ${isObject(k.credits) ? String(k.credits.remaining ?? "unlimited") : "unlimited"}).`);
      break;
    default:
      summary = `${op} on ${label}.`;
  }
  // Verifications spend credits and stamp lastUsedAt; neither makes the previewed action different.
  const { lastUsedAt: _l, ...state } = k;
  return done({ summary, effects, target, ...(typeToConfirm ? { typeToConfirm } : {}) }, state);
}

/** Any other guarded tool (another --spec document): its x-mcp target, else the arguments alone. */
async function genericPreview(tool: ToolDefinition, args: Data, read: Reader): Promise<PreviewOutcome> {
  if (!tool.target) return done({ summary: `${tool.name} with the given arguments.`, effects: ["It may delete or replace data."] }, null);
  const body: Data = {};
  for (const [param, field] of Object.entries(tool.target.args)) body[param] = args[field];
  const t = await must(read, tool.target.operation, body);
  const name = t[tool.target.label];
  return done({ summary: `${tool.name} on ${typeof name === "string" ? name : JSON.stringify(body)}.`, effects: ["It may delete or replace data."] }, t);
}

/**
 * Characters a name could use to draw lines of its own into the question a person reads (line
 * breaks, other controls, bidirectional overrides). The preview's own text has none of them, and
 * names come from whoever created the key, API or identity, often an end user.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is its purpose
const UNSHOWN = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** Every such character written out as an escape, so a name stays on its own line. */
export function shown(text: string): string {
  return text.replace(UNSHOWN, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function done(preview: Preview, state: unknown): PreviewOutcome {
  const safe: Preview = { ...preview, summary: shown(preview.summary), effects: preview.effects.map(shown) };
  return { ok: true, preview: safe, state };
}

function isObject(v: unknown): v is Data {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
function str(v: unknown): string {
  return typeof v === "string" ? v : String(v);
}
function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}
function slugs(v: unknown): string[] {
  return Array.isArray(v) ? v.filter(isObject).map((p) => str(p.slug)) : [];
}
function idOf(perms: unknown, slug: string): string {
  const hit = Array.isArray(perms) ? perms.filter(isObject).find((p) => p.slug === slug) : undefined;
  return hit ? str(hit.id) : "";
}
function names(v: unknown): string[] {
  return Array.isArray(v) ? v.filter(isObject).map((r) => str(r.name)) : [];
}
