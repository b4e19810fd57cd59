/**
 * The one place that turns an Unkey response (or a failure before one) into an MCP tool result.
 *
 * Success: `structuredContent` in the shape the tool's outputSchema declares, plus a short text
 * form for clients that only read text. Failure: `isError: true` with the status, title, detail,
 * field errors, the request id and a hint a model can act on. No structuredContent on errors: a
 * client validates structuredContent against the outputSchema, which describes success only.
 */
import type { CallToolResult } from "@modelcontextprotocol/server";
import { retryAfterMs, type UnkeyNetworkError, type UnkeyResponse } from "../client/unkey-client.js";
import type { PermissionRequirement } from "../schemas/x-mcp.js";
import { redactText } from "../util/log.js";
import { formatProblems, type FieldProblem } from "./arguments.js";
import { conditionMatches } from "./guard.js";
import type { Preview } from "./confirm/preview.js";
import type { ToolDefinition } from "./types.js";

export interface ResultOptions {
  /** Keep plaintext secrets (new keys, decrypted keys) out of the result (`--secrets mask`). */
  hideSecrets?: boolean;
  /**
   * With hideSecrets: where a withheld secret goes instead (stdio: a 0600 file). Returns the
   * path the result names. Absent (HTTP): the secret is withheld with an explanation.
   */
  secretSink?: (label: string, value: string) => string;
  /** What a guarded call changed, from its preview (said in the text and `changed`). */
  changed?: string[];
  /** How the operator supplies the root key, for hints ("the UNKEY_ROOT_KEY environment variable"). */
  rootKeySource?: string;
}

/** Text replacing a withheld secret; a string, so the outputSchema still validates. */
export const WITHHELD = "[withheld by the server operator: --secrets mask]";

/** Longest text form; bigger payloads are cut (structuredContent keeps everything). */
const MAX_TEXT = 24_000;

type Tool = Pick<ToolDefinition, "name" | "outputSchema" | "pagination" | "secrets" | "permissions" | "permissionsIf" | "safety" | "target">;

// ---------------------------------------------------------------- success

export function successResult(tool: Tool, response: UnkeyResponse, options: ResultOptions = {}): CallToolResult {
  const body = isObject(response.body) ? response.body : {};
  const data = body.data;
  const { value: cleanData, revealed, withheld, saved } = handleSecrets(data, tool.secrets ?? [], options.hideSecrets === true, options.secretSink);
  const changed = options.changed && options.changed.length > 0 ? options.changed : undefined;
  const structured = structuredFor(tool, { ...body, data: cleanData });
  if (changed) structured.changed = changed;

  const lines: string[] = [];
  lines.push(summaryLine(tool, cleanData, body) + (response.requestId ? ` (request ${response.requestId})` : ""));
  if (changed) lines.push(`Changed: ${changed.join(" ")}`);
  if (revealed.length > 0 && tool.safety === "read") {
    lines.push(`Contains a secret (${revealed.join(", ")}): treat it as a password; do not repeat it in logs or shared places.`);
  } else if (revealed.length > 0) {
    lines.push(`Shown once — store it now: ${revealed.join(", ")} ${revealed.length === 1 ? "is" : "are"} secret and cannot be shown again. Do not repeat it in logs or shared places.`);
  }
  if (saved.length > 0) {
    lines.push(`Secret not shown (--secrets mask): shown once, written for the person to collect — ${saved.map((x) => `${x.label} → ${x.path}`).join(", ")} (readable only by the server's user). Tell the person the path; do not read the file.`);
  }
  if (withheld.length > 0) {
    lines.push(`Secret withheld: the server operator keeps plaintext keys out of this conversation (--secrets mask); ${withheld.join(", ")} ${withheld.length === 1 ? "was" : "were"} not shown. The key works; its secret must be obtained outside the assistant (this server does not reveal it, not even by decrypting).`);
  }
  const next = nextCursor(tool, body);
  if (next !== undefined && tool.pagination) {
    lines.push(`More results: call ${tool.name} again with ${tool.pagination.cursorParam}=${JSON.stringify(next)} (and the same other arguments).`);
  }
  lines.push(truncate(compactJson(structured)));
  const result: CallToolResult = { content: [{ type: "text", text: lines.join("\n") }] };
  if (tool.outputSchema || structured !== undefined) result.structuredContent = structured;
  return result;
}

/**
 * What goes into structuredContent. The generator's outputSchema is the envelope without `meta`
 * (`{data, pagination?}`): the result keeps exactly the fields it names. Without an outputSchema
 * (hand-written tools, other documents) it is `data` when that is an object, else `{data}`.
 */
export function structuredFor(tool: Pick<ToolDefinition, "outputSchema">, body: Record<string, unknown>): Record<string, unknown> {
  const props = tool.outputSchema && isObject(tool.outputSchema.properties) ? Object.keys(tool.outputSchema.properties) : undefined;
  if (props !== undefined && props.includes("data")) {
    const out: Record<string, unknown> = {};
    for (const k of props) if (body[k] !== undefined && k !== "meta") out[k] = body[k];
    if (props.includes("meta") && body.meta !== undefined) out.meta = body.meta;
    return out;
  }
  if (isObject(body.data)) return body.data;
  const out: Record<string, unknown> = {};
  if (body.data !== undefined) out.data = body.data;
  if (body.pagination !== undefined) out.pagination = body.pagination;
  return out;
}

function summaryLine(tool: Tool, data: unknown, body: Record<string, unknown>): string {
  if (Array.isArray(data)) {
    const more = nextCursor(tool, body) !== undefined;
    return `${tool.name}: ${data.length} item${data.length === 1 ? "" : "s"}${more ? ", more pages available" : tool.pagination ? ", last page" : ""}`;
  }
  if (isObject(data) && typeof data.valid === "boolean" && typeof data.code === "string") {
    return `${tool.name}: valid=${String(data.valid)}, code=${data.code}`;
  }
  if (isObject(data) && typeof data.passed === "boolean" && Array.isArray(data.limits)) {
    // check_ratelimits: the overall verdict first, then how many single checks passed.
    const passedCount = data.limits.filter((l) => isObject(l) && l.passed === true).length;
    return `${tool.name}: passed=${String(data.passed)} (${passedCount}/${data.limits.length} checks passed)`;
  }
  if (isObject(data) && typeof data.success === "boolean" && typeof data.remaining === "number") {
    return `${tool.name}: success=${String(data.success)}, remaining=${data.remaining}/${String(data.limit)}`;
  }
  return `${tool.name}: done`;
}

function nextCursor(tool: Tool, body: Record<string, unknown>): string | undefined {
  const path = tool.pagination?.nextCursor ?? "pagination.cursor";
  const v = getPath(body, path);
  if (typeof v !== "string" || v === "") return undefined;
  const hasMore = getPath(body, "pagination.hasMore");
  return hasMore === false ? undefined : v;
}

/**
 * Finds the secret fields of `data` (paths such as `key`, `plaintext`, `[].plaintext`) and either
 * notes them as revealed or replaces them with WITHHELD. Returns a copy; the input is untouched.
 */
function handleSecrets(
  data: unknown,
  paths: string[],
  hide: boolean,
  sink?: (label: string, value: string) => string,
): { value: unknown; revealed: string[]; withheld: string[]; saved: Array<{ label: string; path: string }> } {
  const revealed = new Set<string>();
  const withheld = new Set<string>();
  const saved: Array<{ label: string; path: string }> = [];
  if (paths.length === 0) return { value: data, revealed: [], withheld: [], saved };
  const copy = structuredClone(data);
  for (const path of paths) {
    const segments = path.split(".").flatMap((s) => (s.startsWith("[]") ? ["[]", ...(s.length > 2 ? [s.slice(2)] : [])] : [s]));
    visit(copy, segments, (holder, key) => {
      const label = path.replace(/^\[\]\./, "");
      if (hide && sink) {
        // Name the file after the key it belongs to, so a person can tell several apart.
        const owner = typeof holder.keyId === "string" ? holder.keyId : label;
        const file = sink(owner, String(holder[key]));
        holder[key] = `[not shown: saved to ${file}]`;
        saved.push({ label, path: file });
      } else if (hide) {
        holder[key] = WITHHELD;
        withheld.add(label);
      } else {
        revealed.add(label);
      }
    });
  }
  return { value: copy, revealed: [...revealed], withheld: [...withheld], saved };
}

function visit(node: unknown, segments: string[], onFound: (holder: Record<string, unknown>, key: string) => void): void {
  if (segments.length === 0) return;
  const [head, ...rest] = segments;
  if (head === "[]") {
    if (Array.isArray(node)) for (const item of node) visit(item, rest, onFound);
    return;
  }
  if (!isObject(node)) return;
  if (rest.length === 0) {
    if (typeof node[head] === "string" && node[head] !== "") onFound(node, head);
    return;
  }
  visit(node[head], rest, onFound);
}

// ---------------------------------------------------------------- errors

interface UnkeyErrorBody {
  title?: string;
  detail?: string;
  status?: number;
  type?: string;
  errors?: Array<{ location?: string; message?: string; fix?: string }>;
}

/** An Unkey error response (any non-2xx) as an actionable tool result. */
export function apiErrorResult(tool: Tool, args: Record<string, unknown>, response: UnkeyResponse, options: ResultOptions = {}): CallToolResult {
  const body = isObject(response.body) ? response.body : {};
  const err: UnkeyErrorBody = isObject(body.error) ? (body.error as UnkeyErrorBody) : {};
  const status = response.status;
  const title = err.title ?? defaultTitle(status);
  const lines: string[] = [`Unkey API error ${status} ${title}${err.detail ? `: ${err.detail}` : ""}`];
  if (Array.isArray(err.errors) && err.errors.length > 0) {
    for (const fe of err.errors) {
      lines.push(`- ${fe.location ?? "(request)"}: ${fe.message ?? "invalid"}${fe.fix ? ` (fix: ${fe.fix})` : ""}`);
    }
  }
  if (err.type) lines.push(`Type: ${err.type}`);
  if (response.requestId) lines.push(`Request id: ${response.requestId}`);
  if (typeof response.body === "string" && response.body.trim() !== "" && !err.detail) lines.push(`Response: ${truncate(redactText(response.body.trim()), 300)}`);
  const hint = hintFor(tool, args, status, err, response, options);
  if (hint) lines.push(`Hint: ${hint}`);
  return errorText(lines.join("\n"));
}

function hintFor(tool: Tool, args: Record<string, unknown>, status: number, err: UnkeyErrorBody, response: UnkeyResponse, options: ResultOptions): string | undefined {
  const keySource = options.rootKeySource ?? "the UNKEY_ROOT_KEY environment variable";
  switch (status) {
    case 400:
      if (/authentication\/(missing|malformed)/.test(err.type ?? "")) return `the root key is missing or malformed; set ${keySource} to a root key.`;
      return "fix the listed fields and call again; nothing was changed.";
    case 401:
      return `the root key was rejected: it is invalid, revoked or deleted. Supply a valid root key through ${keySource} (create one in the Unkey dashboard under Settings → Root Keys, or for the local API with \`unkey-mcp local root-key create --permission …\`).`;
    case 403:
      return forbiddenHint(tool, args, err, keySource);
    case 404:
      return notFoundHint(tool, args, err);
    case 409:
      return "a resource with that name or id already exists; fetch it with the matching get tool, or pick another name.";
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
      return wait !== undefined ? `rate limited by Unkey; retry after ${Math.max(1, Math.ceil(wait / 1000))} s.` : "rate limited by Unkey; wait a little before retrying.";
    }
    default:
      if (status >= 500) {
        return tool.safety === "read"
          ? `Unkey had a server-side problem${response.attempts > 1 ? ` (after ${response.attempts} attempts)` : ""}; try again later and quote the request id if it persists.`
          : "Unkey had a server-side problem; the change may or may not have been applied — check with a read tool before retrying.";
      }
      return undefined;
  }
}

/** Permissions from Unkey's 403 detail: "Missing permission: 'x'" / "Missing one of these permissions: a or b and c". */
export function missingPermissions(detail: string | undefined): string[] | undefined {
  if (!detail) return undefined;
  const quoted = [...detail.matchAll(/'([^']+)'/g)].map((m) => m[1]);
  if (/missing permission/i.test(detail) && quoted.length > 0) return [quoted.join(" and ")];
  const m = /missing one of these permissions:\s*(.+)$/i.exec(detail);
  if (m) return [m[1].trim().replace(/\.$/, "")];
  return undefined;
}

/** The tool's permission CNF (plus conditional parts), with `<apiId>`-style ids filled in from the arguments. */
export function requiredPermissions(tool: Pick<ToolDefinition, "permissions" | "permissionsIf">, args: Record<string, unknown>): string[] {
  const cnf: PermissionRequirement = [...tool.permissions];
  for (const c of tool.permissionsIf ?? []) if (conditionMatches(c.when, args)) cnf.push(...c.require);
  const fill = (p: string): string => p.replace(/<([a-zA-Z]+)>/g, (whole, name: string) => (typeof args[name] === "string" ? (args[name] as string) : whole));
  return cnf.map((alts) => {
    const uniq = [...new Set(alts.map(fill))];
    return uniq.length === 1 ? uniq[0] : `(${uniq.join(" or ")})`;
  });
}

function describeCnf(parts: string[]): string {
  return parts.length ? parts.join(" and ") : "no special permission";
}

/** The first alternative of each clause, as quoted `--permission` flags for the local CLI. */
export function permissionFlags(parts: string[]): string {
  return parts
    .flatMap((p) => p.split(/ and /))
    .map((p) => p.replace(/^\(/, "").split(/ or /)[0].replace(/\)$/, "").trim())
    .filter((p) => p !== "")
    .map((p) => `--permission ${shellQuote(p)}`)
    .join(" ");
}

/** Single-quoted for POSIX shells: `*` in a permission would otherwise be a glob (zsh aborts on no match). */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * The arguments that name the entity of a `…/data/<entity>_not_found` error: the 404 hint names
 * what was actually not found (the API of a create_key call, not its name or externalId).
 */
const NOT_FOUND_ARGS: Record<string, string[]> = {
  key: ["keyId"],
  api: ["apiId"],
  key_space: ["apiId"],
  role: ["roles", "role", "roleId"],
  permission: ["permissions", "permission", "permissionId"],
  identity: ["identity", "identityId", "externalId"],
  ratelimit_namespace: ["namespace", "namespaceId", "namespaceName"],
  ratelimit_override: ["identifier"],
};

/** `key` from `https://unkey.com/docs/errors/unkey/data/key_not_found`; undefined for other types. */
export function notFoundEntity(type: string | undefined): string | undefined {
  const m = /\/data\/([a-z_]+)_not_found\b/.exec(type ?? "");
  return m?.[1];
}

/** `name=value` for the arguments that identify what a 404 did not find. */
export function lookedUp(tool: Pick<ToolDefinition, "target">, args: Record<string, unknown>, type: string | undefined): string[] {
  const entity = notFoundEntity(type);
  const fromType = entity !== undefined ? (NOT_FOUND_ARGS[entity] ?? []) : [];
  // The tool's own target (the fields that name what it acts on) when the type says nothing usable.
  // Without a target either, only arguments that are ids by name (`keyId`, `apiId`, …).
  const fromTarget = tool.target ? Object.values(tool.target.args) : Object.keys(args).filter((k) => /[a-z]Id$/.test(k));
  const present = (names: string[]): string[] => names.filter((n) => isIdValue(args[n]));
  const names = present(fromType).length > 0 ? present(fromType) : entity === undefined || !(entity in NOT_FOUND_ARGS) ? present(fromTarget) : [];
  return [...new Set(names)].map((n) => `${n}=${JSON.stringify(args[n])}`);
}

function isIdValue(v: unknown): boolean {
  if (typeof v === "string" || typeof v === "number") return v !== "";
  return Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "string" || typeof x === "number");
}

function notFoundHint(tool: Tool, args: Record<string, unknown>, err: UnkeyErrorBody): string {
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
  return `${what}. Check the id (a list tool shows existing ones); it may have been deleted or belong to another workspace.${masked}`;
}

function forbiddenHint(tool: Tool, args: Record<string, unknown>, err: UnkeyErrorBody, keySource: string): string {
  const type = err.type ?? "";
  if (/authorization\/key_disabled/.test(type)) {
    return `the root key is disabled. Re-enable it (Unkey dashboard → Settings → Root Keys) or replace it with an enabled root key through ${keySource}. Nothing was changed.`;
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
    `the root key lacks ${describeCnf(missing)}. Grant it (Unkey dashboard → Settings → Root Keys → edit permissions) or use a root key that has it. ` +
    `For the local API, create a root key that also holds ${describeCnf(missing)}, listing every permission the assistant needs (the new key holds only what is listed): ` +
    `\`unkey-mcp local root-key create ${permissionFlags(missing)} …\`. Nothing was changed.`
  );
}

function defaultTitle(status: number): string {
  const titles: Record<number, string> = { 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 409: "Conflict", 410: "Gone", 412: "Precondition Failed", 422: "Unprocessable Entity", 429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout" };
  return titles[status] ?? "Error";
}

/** The API could not be reached or did not answer. */
export function networkErrorResult(tool: Tool, error: UnkeyNetworkError): CallToolResult {
  const applied =
    tool.safety === "read" || error.kind === "connect"
      ? "Nothing was changed."
      : "The change may or may not have been applied: check with a read tool before retrying.";
  const what =
    error.kind === "aborted"
      ? "The call was cancelled."
      : error.kind === "timeout"
        ? `The Unkey API did not answer in time (${error.message}).`
        : `Could not reach the Unkey API (${error.message}).`;
  const hint = error.kind === "aborted" ? "" : " Hint: check UNKEY_API_URL / --api-url and the network; try again in a moment.";
  return errorText(`${what}${error.attempts > 1 ? ` Tried ${error.attempts} times.` : ""} ${applied}${hint}`);
}

/** Arguments that fail the input schema; no request was sent. */
export function invalidArgumentsResult(tool: Pick<ToolDefinition, "name">, problems: FieldProblem[]): CallToolResult {
  return errorText(`Invalid arguments for ${tool.name}; nothing was sent to Unkey. Fix these and call again:\n${formatProblems(problems)}`);
}

/** No root key is configured or supplied. */
export function missingRootKeyResult(tool: Pick<ToolDefinition, "name">, options: ResultOptions = {}): CallToolResult {
  const source = options.rootKeySource ?? "the UNKEY_ROOT_KEY environment variable";
  return errorText(
    `${tool.name} cannot run: no Unkey root key is configured. Set ${source} to a root key (Unkey dashboard → Settings → Root Keys; for the local API: \`unkey-mcp local root-key create --permission '*'\`) and restart the MCP server or reconnect. Nothing was sent to Unkey.`,
  );
}

/** The guard refused the call. */
// ---------------------------------------------------------------- confirmation

export interface ConfirmationFacts {
  preview: Preview;
  token: string;
  expiresAt: number;
}

/**
 * A guarded call's first answer: nothing happened. Not an error (the call did what it should);
 * `structuredContent.confirmation` carries the token for clients that read only structured
 * results, and the text carries it for clients that read only text.
 */
export function confirmationResult(tool: Pick<ToolDefinition, "name">, c: ConfirmationFacts): CallToolResult {
  const until = new Date(c.expiresAt).toISOString();
  const lines = [
    `Not done yet: ${tool.name} needs confirmation. Nothing was changed.`,
    `Preview: ${c.preview.summary}`,
    ...c.preview.effects.map((e) => `- ${e}`),
    `Show this to the person. Only if they agree, call ${tool.name} again with the same arguments plus confirm: ${JSON.stringify(c.token)} (valid once, until ${until}).`,
  ];
  if (c.preview.typeToConfirm !== undefined) lines.push(`This cannot be undone: have the person type the name ${JSON.stringify(c.preview.typeToConfirm)} before you confirm.`);
  return {
    content: [{ type: "text", text: lines.join("\n") }],
    structuredContent: { confirmation: { token: c.token, expiresAt: until, preview: { ...c.preview } } },
  };
}

/** A refused confirmation (expired, replayed, mismatched…): an error that changed nothing. */
export function confirmRefusedResult(tool: Pick<ToolDefinition, "name">, reason: string): CallToolResult {
  return errorText(`${tool.name} was not done: ${reason}. Nothing was changed. Call ${tool.name} again without confirm for a fresh preview, and ask the person before confirming.`);
}

export function refusedResult(message: string): CallToolResult {
  return errorText(message);
}

/** A fault inside this server (a bug): reported without internals or secrets. */
export function internalErrorResult(tool: Pick<ToolDefinition, "name">, message: string): CallToolResult {
  return errorText(`${tool.name} failed inside the MCP server: ${message}. This is a server problem, not a problem with the arguments.`);
}

export function errorText(text: string): CallToolResult {
  return { isError: true, content: [{ type: "text", text }] };
}

// ---------------------------------------------------------------- helpers

function compactJson(value: unknown): string {
  return JSON.stringify(value ?? null);
}

function truncate(text: string, max = MAX_TEXT): string {
  return text.length > max ? `${text.slice(0, max)}… [${text.length - max} more characters in structuredContent]` : text;
}

function getPath(obj: unknown, path: string): unknown {
  let node = obj;
  for (const seg of path.split(".")) {
    if (!isObject(node)) return undefined;
    node = node[seg];
  }
  return node;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
