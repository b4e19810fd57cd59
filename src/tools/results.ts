/**
 * The one place that turns an Unkey response, a hand-written tool's output, or a failure before
 * either, into an MCP tool result.
 *
 * Every result has both halves, and each half is complete on its own, because clients disagree
 * about which one the model reads: `structuredContent` is the envelope of ./envelope.ts (summary,
 * data, next call, notices, error with its hint), and the text states the same facts as lines
 * followed by the data as compact JSON, once. A result is kept within a token budget; what is cut
 * is named with the exact call that returns it.
 *
 * Hint wording lives in ./hints.ts, permission rules in ./permission-hints.ts.
 */
import type { CallToolResult } from "@modelcontextprotocol/server";
import type { UnkeyNetworkError, UnkeyResponse } from "../client/unkey-client.js";
import { isObject } from "../schemas/json-schema.js";
import { redactText } from "../util/log.js";
import { formatProblems, type FieldProblem } from "./arguments.js";
import type { ResultEnvelope, ResultError } from "./envelope.js";
import { apiErrorHint, checkBeforeRetry, missingRootKeyHint, networkHint, type HintOptions, type UnkeyErrorBody } from "./hints.js";
import { iso } from "./times.js";
import type { ToolDefinition, ToolOutput } from "./types.js";
import type { Preview } from "./confirm/preview.js";

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
  /** Tool names of the caller's catalog: hints name no other tool. Absent = only generic hints. */
  available?: ReadonlySet<string>;
  /** Token budget of each half of a result (default RESULT_TOKEN_BUDGET, at most RESULT_TOKEN_HARD_CAP). */
  tokenBudget?: number;
  /** The current time in unix ms (whether a timestamp is in the past). */
  now?: number;
}

/** Text replacing a withheld secret; a string, so the outputSchema still validates. */
export const WITHHELD = "[withheld by the server operator: --secrets mask]";

/** Default budget of one half of a result, in tokens (well under what hosts accept). */
export const RESULT_TOKEN_BUDGET = 10_000;
/** No budget setting can raise a half above this (Claude Code refuses results over 25k tokens). */
export const RESULT_TOKEN_HARD_CAP = 24_000;
/**
 * Characters per token when estimating. JSON of ids, numbers and timestamps runs at about 2.6
 * characters per o200k token (a list_keys page measured 2.57 in bench/mcp.mjs); 2.5 keeps the
 * estimate on the safe side without loading a tokenizer.
 */
const CHARS_PER_TOKEN = 2.5;

type Tool = Pick<
  ToolDefinition,
  "name" | "outputSchema" | "pagination" | "secrets" | "permissions" | "permissionsIf" | "safety" | "target" | "resultTimes" | "inputSchema"
>;

// ---------------------------------------------------------------- success

/** A 2xx Unkey response of a generated tool. */
export function successResult(tool: Tool, response: UnkeyResponse, options: ResultOptions = {}): CallToolResult {
  const body = isObject(response.body) ? response.body : {};
  return shapeSuccess(tool, { data: body.data, pagination: body.pagination, requestId: response.requestId }, options);
}

/** What a hand-written tool's handler returned. */
export function outputResult(tool: Tool, output: ToolOutput, options: ResultOptions = {}): CallToolResult {
  const result = shapeSuccess(tool, { data: output.data, summary: output.summary }, options);
  for (const image of output.images ?? []) result.content.push({ type: "image", data: image.data, mimeType: image.mimeType });
  return result;
}

interface SuccessParts {
  data: unknown;
  pagination?: unknown;
  requestId?: string;
  summary?: string;
}

function shapeSuccess(tool: Tool, parts: SuccessParts, options: ResultOptions): CallToolResult {
  const now = options.now ?? Date.now();
  const secrets = handleSecrets(parts.data, tool.secrets ?? [], options.hideSecrets === true, options.secretSink);
  const timed = withIsoTimes(secrets.value, tool.resultTimes ?? [], now);
  const notices: string[] = [];
  if (secrets.revealed.length > 0 && tool.safety === "read") {
    notices.push(`Contains a secret (${secrets.revealed.join(", ")}): treat it as a password; do not repeat it in logs or shared places.`);
  } else if (secrets.revealed.length > 0) {
    notices.push(
      `Shown once — store it now: ${secrets.revealed.join(", ")} ${secrets.revealed.length === 1 ? "is" : "are"} secret and cannot be shown again. Do not repeat it in logs or shared places.`,
    );
  }
  if (secrets.saved.length > 0) {
    notices.push(
      `Secret not shown (--secrets mask): shown once, written for the person to collect — ${secrets.saved.map((x) => `${x.label} → ${x.path}`).join(", ")} (readable only by the server's user). Tell the person the path; do not read the file.`,
    );
  }
  if (secrets.withheld.length > 0) {
    notices.push(
      `Secret withheld: the server operator keeps plaintext keys out of this conversation (--secrets mask); ${secrets.withheld.join(", ")} ${secrets.withheld.length === 1 ? "was" : "were"} not shown. The key works; its secret must be obtained outside the assistant (this server does not reveal it, not even by decrypting).`,
    );
  }
  const fitted = fitToBudget(tool, timed, options);
  if (fitted.notice) notices.push(fitted.notice);
  const cursor = nextCursor(tool, parts.pagination);
  const next =
    fitted.next ??
    (cursor !== undefined && tool.pagination
      ? `call ${tool.name} again with ${tool.pagination.cursorParam}=${JSON.stringify(cursor)} and the same other arguments`
      : undefined);
  const summary = parts.summary ?? summaryLine(tool, timed, cursor !== undefined, fitted.shown);

  const envelope: ResultEnvelope = { summary };
  if (fitted.data !== undefined) envelope.data = fitted.data;
  if (parts.pagination !== undefined) envelope.pagination = parts.pagination;
  if (next) envelope.next = next;
  if (notices.length > 0) envelope.notices = notices;
  if (parts.requestId) envelope.requestId = parts.requestId;
  const changed = options.changed && options.changed.length > 0 ? options.changed : undefined;
  if (changed) envelope.changed = changed;

  const lines = [summary + (parts.requestId ? ` (request ${parts.requestId})` : "")];
  if (changed) lines.push(`Changed: ${changed.join(" ")}`);
  lines.push(...notices);
  if (next) lines.push(`More results: ${next}.`);
  lines.push(cutText(compactJson(fitted.data), budgetChars(options)));
  return { content: [{ type: "text", text: lines.join("\n") }], structuredContent: envelope as unknown as Record<string, unknown> };
}

function summaryLine(tool: Tool, data: unknown, more: boolean, shown?: { of: number; count: number }): string {
  if (Array.isArray(data)) {
    const n = shown ? `${shown.count} of ${shown.of}` : String(data.length);
    const plural = (shown ? shown.of : data.length) === 1 ? "" : "s";
    return `${tool.name}: ${n} item${plural}${more ? ", more pages available" : tool.pagination ? ", last page" : ""}`;
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

function nextCursor(tool: Tool, pagination: unknown): string | undefined {
  // The contract's cursor path is `pagination.cursor`; other documents name theirs in x-mcp.
  const path = (tool.pagination?.nextCursor ?? "pagination.cursor").replace(/^pagination\./, "");
  const v = getPath(pagination, path);
  if (typeof v !== "string" || v === "") return undefined;
  return getPath(pagination, "hasMore") === false ? undefined : v;
}

// ---------------------------------------------------------------- budget

interface Fitted {
  data: unknown;
  /** Set when items were cut: how many are shown of how many. */
  shown?: { of: number; count: number };
  notice?: string;
  next?: string;
}

function budgetChars(options: ResultOptions): number {
  const tokens = Math.min(options.tokenBudget ?? RESULT_TOKEN_BUDGET, RESULT_TOKEN_HARD_CAP);
  return tokens * CHARS_PER_TOKEN;
}

/**
 * Keeps `data` within the budget: a list (the data itself, or its largest list field) loses
 * items from the end; the result says how many it shows and the call that gets the rest.
 */
function fitToBudget(tool: Tool, data: unknown, options: ResultOptions): Fitted {
  const max = budgetChars(options);
  const size = compactJson(data).length;
  if (size <= max) return { data };
  const list = Array.isArray(data) ? { items: data, key: undefined } : largestList(data);
  if (!list) return { data };
  const overhead = size - compactJson(list.items).length;
  const keep = itemsWithin(list.items, max - overhead);
  const shownData = list.key === undefined ? list.items.slice(0, keep) : { ...(data as Record<string, unknown>), [list.key]: list.items.slice(0, keep) };
  const tokens = Math.round(max / CHARS_PER_TOKEN);
  const field = list.key === undefined ? "items" : `${list.key} items`;
  const hasLimit = isObject(tool.inputSchema.properties) && "limit" in tool.inputSchema.properties;
  const next =
    hasLimit && tool.pagination
      ? `call ${tool.name} again with limit=${Math.max(1, keep)} and the same other arguments, then follow the cursor page by page`
      : `call ${tool.name} again with narrower arguments (filters, a shorter time range, a smaller limit)`;
  return {
    data: shownData,
    shown: list.key === undefined ? { of: list.items.length, count: keep } : undefined,
    notice: `Cut to fit about ${tokens.toLocaleString("en-US")} tokens: showing the first ${keep} of ${list.items.length} ${field}; the rest were not shown.`,
    next,
  };
}

function largestList(data: unknown): { items: unknown[]; key: string } | undefined {
  if (!isObject(data)) return undefined;
  let best: { items: unknown[]; key: string } | undefined;
  for (const [key, value] of Object.entries(data)) {
    if (Array.isArray(value) && (!best || compactJson(value).length > compactJson(best.items).length)) best = { items: value, key };
  }
  return best;
}

/** How many leading items fit in `chars` characters of JSON. */
function itemsWithin(items: unknown[], chars: number): number {
  let used = 2;
  for (let i = 0; i < items.length; i++) {
    used += compactJson(items[i]).length + 1;
    if (used > chars) return i;
  }
  return items.length;
}

function cutText(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}… [${text.length - max} more characters not shown]` : text;
}

// ---------------------------------------------------------------- secrets and times

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
    visit(copy, segmentsOf(path), (holder, key) => {
      if (typeof holder[key] !== "string" || holder[key] === "") return;
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

/**
 * Beside each unix-ms field `f` of `data`: `fIso` (ISO 8601, UTC) and, for future-type fields
 * (an expiry), `fPast` (whether it has passed). The generator declares the same fields in the
 * outputSchema (generate.ts, timeSiblingSchemas). Returns a copy when anything is added.
 */
function withIsoTimes(data: unknown, times: NonNullable<Tool["resultTimes"]>, now: number): unknown {
  if (times.length === 0 || data === undefined || data === null) return data;
  const copy = structuredClone(data);
  for (const t of times) {
    visit(copy, segmentsOf(t.path), (holder, key) => {
      const v = holder[key];
      if (typeof v !== "number") return;
      holder[`${key}Iso`] = iso(v);
      if (t.kind === "future") holder[`${key}Past`] = v <= now;
    });
  }
  return copy;
}

function segmentsOf(path: string): string[] {
  return path.split(".").flatMap((s) => (s.startsWith("[]") ? ["[]", ...(s.length > 2 ? [s.slice(2)] : [])] : s.endsWith("[]") ? [s.slice(0, -2), "[]"] : [s]));
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
    if (node[head] !== undefined) onFound(node, head);
    return;
  }
  visit(node[head], rest, onFound);
}

// ---------------------------------------------------------------- errors

/** An Unkey error response (any non-2xx) as an actionable tool result. */
export function apiErrorResult(tool: Tool, args: Record<string, unknown>, response: UnkeyResponse, options: ResultOptions = {}): CallToolResult {
  const body = isObject(response.body) ? response.body : {};
  const err: UnkeyErrorBody = isObject(body.error) ? (body.error as UnkeyErrorBody) : {};
  const status = response.status;
  const title = err.title ?? defaultTitle(status);
  const message = `Unkey API error ${status} ${title}${err.detail ? `: ${err.detail}` : ""}`;
  const fields = Array.isArray(err.errors)
    ? err.errors.map((fe) => `${fe.location ?? "(request)"}: ${fe.message ?? "invalid"}${fe.fix ? ` (fix: ${fe.fix})` : ""}`)
    : [];
  const lines: string[] = [message, ...fields.map((f) => `- ${f}`)];
  if (err.type) lines.push(`Type: ${err.type}`);
  if (response.requestId) lines.push(`Request id: ${response.requestId}`);
  let raw: string | undefined;
  if (typeof response.body === "string" && response.body.trim() !== "" && !err.detail) {
    raw = cutText(redactText(response.body.trim()), 300);
    lines.push(`Response: ${raw}`);
  }
  const hint = apiErrorHint(tool, args, err, response, hintOptions(options));
  if (hint) lines.push(`Hint: ${hint}`);
  return errorResult(tool.name, lines.join("\n"), {
    message: raw ? `${message} (response: ${raw})` : message,
    status,
    ...(err.type ? { type: err.type } : {}),
    ...(fields.length > 0 ? { fields } : {}),
    ...(hint ? { hint } : {}),
    ...(response.requestId ? { requestId: response.requestId } : {}),
  });
}

function hintOptions(options: ResultOptions): HintOptions {
  return { rootKeySource: options.rootKeySource, available: options.available ?? new Set() };
}

function defaultTitle(status: number): string {
  const titles: Record<number, string> = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    410: "Gone",
    412: "Precondition Failed",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
  };
  return titles[status] ?? "Error";
}

/** The API could not be reached or did not answer. */
export function networkErrorResult(tool: Tool, error: UnkeyNetworkError, options: ResultOptions = {}): CallToolResult {
  const applied =
    tool.safety === "read" || error.kind === "connect"
      ? "Nothing was changed."
      : `The change may or may not have been applied: ${checkBeforeRetry(tool, hintOptions(options))}.`;
  const what =
    error.kind === "aborted"
      ? "The call was cancelled."
      : error.kind === "timeout"
        ? `The Unkey API did not answer in time (${error.message}).`
        : `Could not reach the Unkey API (${error.message}).`;
  const message = `${what}${error.attempts > 1 ? ` Tried ${error.attempts} times.` : ""} ${applied}`;
  const hint = error.kind === "aborted" ? undefined : networkHint();
  return errorResult(tool.name, `${message}${hint ? ` Hint: ${hint}` : ""}`, { message, ...(hint ? { hint } : {}) });
}

/** Arguments that fail the input schema (or cannot be sent at all); no request was sent. */
export function invalidArgumentsResult(tool: Pick<ToolDefinition, "name">, problems: FieldProblem[]): CallToolResult {
  const message = `Invalid arguments for ${tool.name}; nothing was sent to Unkey.`;
  const fields = formatProblems(problems)
    .split("\n")
    .map((l) => l.replace(/^- /, ""));
  return errorResult(tool.name, `${message} Fix these and call again:\n${formatProblems(problems)}`, {
    message,
    fields,
    hint: "fix the listed fields and call again.",
  });
}

/** No root key is configured or supplied. */
export function missingRootKeyResult(tool: Tool, options: ResultOptions = {}): CallToolResult {
  const message = `${tool.name} cannot run: no Unkey root key is configured. Nothing was sent to Unkey.`;
  const hint = missingRootKeyHint(tool, options);
  return errorResult(tool.name, `${message} Hint: ${hint}`, { message, hint });
}

/** The guard refused the call. */
export function refusedResult(tool: Pick<ToolDefinition, "name">, message: string): CallToolResult {
  return errorResult(tool.name, message, { message });
}

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
  const summary = `Not done yet: ${tool.name} needs confirmation. Nothing was changed.`;
  const how = `Show the preview to the person. Only if they agree, call ${tool.name} again with the same arguments plus confirm: ${JSON.stringify(c.token)} (valid once, until ${until}).`;
  const notices = [how];
  if (c.preview.typeToConfirm !== undefined)
    notices.push(`This cannot be undone: have the person type the name ${JSON.stringify(c.preview.typeToConfirm)} before you confirm.`);
  const lines = [summary, `Preview: ${c.preview.summary}`, ...c.preview.effects.map((e) => `- ${e}`), ...notices];
  const envelope = {
    summary,
    next: `call ${tool.name} again with the same arguments plus confirm=${JSON.stringify(c.token)}, once the person agrees`,
    notices,
    confirmation: { token: c.token, expiresAt: until, preview: { ...c.preview } },
  };
  return { content: [{ type: "text", text: lines.join("\n") }], structuredContent: envelope };
}

/** A refused confirmation (expired, replayed, mismatched…): an error that changed nothing. */
export function confirmRefusedResult(tool: Pick<ToolDefinition, "name">, reason: string): CallToolResult {
  const message = `${tool.name} was not done: ${reason}. Nothing was changed.`;
  const hint = `Call ${tool.name} again without confirm for a fresh preview, and ask the person before confirming.`;
  return errorResult(tool.name, `${message} ${hint}`, { message, hint });
}

/** A fault inside this server (a bug): reported without internals or secrets. */
export function internalErrorResult(tool: Pick<ToolDefinition, "name">, message: string): CallToolResult {
  const text = `${tool.name} failed inside the MCP server: ${message}. This is a server problem, not a problem with the arguments.`;
  return errorResult(tool.name, text, { message: text });
}

/** An error result: `text` for text readers, the same facts as the envelope's `error`. */
export function errorResult(toolName: string, text: string, error: ResultError): CallToolResult {
  const envelope: ResultEnvelope = { summary: `${toolName}: failed`, error };
  return { isError: true, content: [{ type: "text", text }], structuredContent: envelope as unknown as Record<string, unknown> };
}

// ---------------------------------------------------------------- helpers

function compactJson(value: unknown): string {
  return JSON.stringify(value ?? null);
}

function getPath(obj: unknown, path: string): unknown {
  let node = obj;
  for (const seg of path.split(".")) {
    if (!isObject(node)) return undefined;
    node = node[seg];
  }
  return node;
}
