/**
 * Hint texts: what a model should do after a failure, in one or two sentences.
 *
 * Every hint names only tools the caller's catalog has (`available`) or gives an exact next
 * call; where the right tool is not in the catalog the hint says what to check instead. A test
 * walks every template (HINT_SITUATIONS) and checks each tool name it mentions exists.
 */
import { retryAfterMs, type UnkeyResponse } from "../client/unkey-client.js";
import { describeCnf, missingPermissions, notFoundEntity, lookedUp, permissionFlags, requiredPermissions } from "./permission-hints.js";
import type { ToolDefinition } from "./types.js";

export interface HintOptions {
  /** How the operator supplies the root key ("the UNKEY_ROOT_KEY environment variable"). */
  rootKeySource?: string;
  /** Tool names of the caller's catalog; hints never name a tool outside it. */
  available: ReadonlySet<string>;
}

export interface UnkeyErrorBody {
  title?: string;
  detail?: string;
  status?: number;
  type?: string;
  errors?: Array<{ location?: string; message?: string; fix?: string }>;
}

export type HintTool = Pick<ToolDefinition, "name" | "permissions" | "permissionsIf" | "safety" | "target">;

const DEFAULT_KEY_SOURCE = "the UNKEY_ROOT_KEY environment variable";
const DASHBOARD_ROOT_KEYS = "Unkey dashboard → Settings → Root Keys";

/** The Unkey error situations a hint exists for; the hint test walks all of them. */
export const HINT_SITUATIONS: readonly { status: number; type?: string; detail?: string }[] = [
  { status: 400 },
  { status: 400, type: "https://unkey.com/docs/errors/unkey/authentication/missing" },
  { status: 401 },
  { status: 403, type: "https://unkey.com/docs/errors/unkey/authorization/insufficient_permissions", detail: "Missing permission: 'api.*.read_api'" },
  { status: 403, type: "https://unkey.com/docs/errors/unkey/authorization/key_disabled" },
  { status: 403, type: "https://unkey.com/docs/errors/unkey/authorization/workspace_disabled" },
  { status: 403, type: "https://unkey.com/docs/errors/unkey/authorization/forbidden" },
  { status: 403 },
  ...["key", "api", "key_space", "identity", "role", "permission", "ratelimit_namespace", "ratelimit_override"].map((e) => ({
    status: 404,
    type: `https://unkey.com/docs/errors/unkey/data/${e}_not_found`,
  })),
  { status: 404 },
  { status: 409 },
  { status: 410 },
  { status: 412, type: "https://unkey.com/docs/errors/unkey/application/protected_resource" },
  { status: 412 },
  { status: 422 },
  { status: 429 },
  { status: 500 },
];

/** The hint for an Unkey error response; undefined when there is nothing useful to add. */
export function apiErrorHint(
  tool: HintTool,
  args: Record<string, unknown>,
  err: UnkeyErrorBody,
  response: Pick<UnkeyResponse, "status" | "headers" | "attempts">,
  options: HintOptions,
): string | undefined {
  const keySource = options.rootKeySource ?? DEFAULT_KEY_SOURCE;
  const status = response.status;
  switch (status) {
    case 400:
      if (/authentication\/(missing|malformed)/.test(err.type ?? "")) return `the root key is missing or malformed; set ${keySource} to a root key.`;
      return "fix the listed fields and call again; nothing was changed.";
    case 401:
      return `the root key was rejected: it is invalid, revoked or deleted. Supply a valid root key through ${keySource} (create one in the ${DASHBOARD_ROOT_KEYS}, or for the local API with \`${localRootKeyCommand(tool, args)}\`).`;
    case 403:
      return forbiddenHint(tool, args, err, keySource);
    case 404:
      return notFoundHint(tool, args, err, options);
    case 409: {
      const get = readToolFor(tool, options);
      return `a resource with that name or id already exists; ${get ? `fetch it with ${get}, or ` : ""}pick another name.`;
    }
    case 410:
      return "the resource was deleted and cannot be used again; create a new one with a different name.";
    case 412:
      return /protected/.test(err.type ?? "")
        ? "the resource is protected (delete protection); a person must turn protection off in the Unkey dashboard first. Nothing was changed."
        : "a precondition failed (for example a feature not enabled for this workspace or API); the detail says which. Nothing was changed.";
    case 422:
      return "the query was too expensive (time, memory or rows); narrow the time range, add filters or aggregate.";
    case 429: {
      const wait = retryAfterMs(response.headers);
      return wait !== undefined
        ? `rate limited by Unkey; retry after ${Math.max(1, Math.ceil(wait / 1000))} s.`
        : "rate limited by Unkey; wait a little before retrying.";
    }
    default:
      if (status >= 500) {
        return tool.safety === "read"
          ? `Unkey had a server-side problem${response.attempts > 1 ? ` (after ${response.attempts} attempts)` : ""}; try again later and quote the request id if it persists.`
          : `Unkey had a server-side problem; the change may or may not have been applied — ${checkBeforeRetry(tool, options)}.`;
      }
      return undefined;
  }
}

/** For a write that may or may not have happened: how to find out before retrying. */
export function checkBeforeRetry(tool: HintTool, options: HintOptions): string {
  const read = readToolFor(tool, options);
  return read ? `check with ${read} before retrying` : "check the current state (Unkey dashboard) before retrying";
}

/** The hint of a network failure. */
export function networkHint(): string {
  return "check UNKEY_API_URL / --api-url and the network; try again in a moment.";
}

/** What to do when no root key is configured, with a local root-key command the CLI accepts. */
export function missingRootKeyHint(tool: HintTool, options: Pick<HintOptions, "rootKeySource">): string {
  const source = options.rootKeySource ?? DEFAULT_KEY_SOURCE;
  return `set ${source} to a root key (${DASHBOARD_ROOT_KEYS}; for the local API: \`${localRootKeyCommand(tool, {})}\`, adding a --permission for each other tool you need) and restart the MCP server or reconnect.`;
}

/**
 * `unkey-mcp local root-key create` with the permissions this tool needs (first alternative of
 * each clause, ids filled from the arguments or `*`): a command the local CLI accepts as is.
 */
export function localRootKeyCommand(tool: HintTool, args: Record<string, unknown>): string {
  const needed = requiredPermissions(tool, args).map((p) => p.replace(/<[a-zA-Z]+>/g, "*"));
  const flags = permissionFlags(needed);
  return `unkey-mcp local root-key create ${flags || "--permission 'api.*.read_api'"}`;
}

/** Per entity of a `…/data/<entity>_not_found` error: where a model finds the valid ids. */
function findHint(entity: string | undefined, args: Record<string, unknown>, options: HintOptions): string {
  const has = (name: string): string | undefined => (options.available.has(name) ? name : undefined);
  switch (entity) {
    case "key":
      return has("list_keys") ? `list_keys with the key's apiId shows existing keys` : "check the keyId";
    case "api":
    case "key_space":
      return `check the apiId in the Unkey dashboard (APIs cannot be listed through this server)${has("create_api") ? "; create_api makes a new one" : ""}`;
    case "identity":
      return has("list_identities") ? "list_identities shows existing identities" : "check the identity id or externalId";
    case "role":
      return has("list_roles") ? "list_roles shows existing roles" : "check the role names";
    case "permission":
      return has("list_permissions") ? "list_permissions shows existing permissions" : "check the permission slugs";
    case "ratelimit_namespace": {
      const ns = typeof args.namespace === "string" ? args.namespace : "<namespace>";
      const call = `check_ratelimit with {"namespace":${JSON.stringify(ns)},"identifier":"setup","limit":1,"duration":60000,"cost":0}`;
      return has("check_ratelimit")
        ? `a namespace exists once it has been used: call ${call} once (cost 0 spends nothing) to create it, then retry`
        : "a namespace exists once a rate limit has been checked in it, which the tools offered here cannot do; create it in the Unkey dashboard";
    }
    case "ratelimit_override":
      return has("list_ratelimit_overrides") ? "list_ratelimit_overrides with the namespace shows existing overrides" : "check the identifier";
    default:
      return "check the ids";
  }
}

function notFoundHint(tool: HintTool, args: Record<string, unknown>, err: UnkeyErrorBody, options: HintOptions): string {
  const ids = lookedUp(tool, args, err.type);
  const detail = err.detail?.trim().replace(/\.$/, "");
  // Unkey's own words first (they say which entity is missing), then what this call looked up.
  const what = detail
    ? `${detail}${ids.length > 0 ? ` (looked up ${ids.join(", ")})` : ""}`
    : ids.length > 0
      ? `nothing was found for ${ids.join(", ")}`
      : "the resource was not found";
  const masked =
    tool.permissions.length > 0
      ? ` If it does exist, the root key may lack permission (Unkey answers 404 rather than 403 for some calls); this tool needs ${describeCnf(requiredPermissions(tool, args))}.`
      : "";
  return `${what}; it may have been deleted or belong to another workspace. Next: ${findHint(notFoundEntity(err.type), args, options)}.${masked}`;
}

function forbiddenHint(tool: HintTool, args: Record<string, unknown>, err: UnkeyErrorBody, keySource: string): string {
  const type = err.type ?? "";
  if (/authorization\/key_disabled/.test(type)) {
    return `the root key is disabled. Re-enable it (${DASHBOARD_ROOT_KEYS}) or replace it with an enabled root key through ${keySource}. Nothing was changed.`;
  }
  if (/authorization\/workspace_disabled/.test(type)) {
    return "the workspace this root key belongs to is disabled. Re-enable the workspace (Unkey dashboard or Unkey support) or use a root key of an active workspace. Nothing was changed.";
  }
  if (/authorization\/forbidden/.test(type)) {
    return `Unkey refused the root key itself${err.detail ? ` (${err.detail.trim().replace(/\.$/, "")})` : ""}, for example because it has expired. More permissions do not help: replace it with a valid root key through ${keySource}. Nothing was changed.`;
  }
  const fromDetail = missingPermissions(err.detail);
  if (fromDetail === undefined && !/authorization\/insufficient_permissions/.test(type)) {
    return `Unkey refused the call${err.detail ? ` (${err.detail.trim().replace(/\.$/, "")})` : ""}; the root key may be invalid for this workspace or lack a permission. Nothing was changed.`;
  }
  const missing = fromDetail ?? requiredPermissions(tool, args);
  if (missing.length === 0) return "the root key is not allowed to do this; use a root key with more permissions. Nothing was changed.";
  return (
    `the root key lacks ${describeCnf(missing)}. Grant it (${DASHBOARD_ROOT_KEYS} → edit permissions) or use a root key that has it. ` +
    `For the local API, create a root key that also holds ${describeCnf(missing)}, listing every permission the assistant needs (the new key holds only what is listed): ` +
    `\`unkey-mcp local root-key create ${permissionFlags(missing)} …\`. Nothing was changed.`
  );
}

/**
 * The read tool that shows what `tool` acts on: `get_<thing>` for `<verb>_<thing>`, dropping
 * trailing words until a tool of the caller's catalog matches (`add_key_roles` → `get_key`).
 */
export function readToolFor(tool: Pick<ToolDefinition, "name">, options: Pick<HintOptions, "available">): string | undefined {
  const words = tool.name.split("_");
  for (let end = words.length; end > 1; end--) {
    const candidate = ["get", ...words.slice(1, end)].join("_");
    if (candidate !== tool.name && options.available.has(candidate)) return candidate;
  }
  return undefined;
}
