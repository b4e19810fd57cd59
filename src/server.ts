/**
 * The MCP server: a tool catalog and prompts behind the SDK's low-level `Server` (SDK 2.x).
 *
 * The low-level Server is used (not McpServer) because generated tools carry raw JSON Schema,
 * which must reach clients verbatim; arguments are validated by the executor with ajv. The root
 * key is resolved per call, never captured at connect time, so one server can serve a stdio
 * operator or many HTTP callers alike.
 *
 * One server definition serves both protocol eras: the SDK binds an instance to 2026-07-28
 * (per-request `_meta` envelope, `server/discover`, no `initialize`) or to a 2025-era
 * `initialize` handshake, and the handlers below never need to know which.
 */
import { readFileSync } from "node:fs";
import {
  ProtocolError,
  ProtocolErrorCode,
  CLIENT_CAPABILITIES_META_KEY,
  PROTOCOL_VERSION_META_KEY,
  Server,
  inputRequired,
  isInputRequiredResult,
  type CallToolResult,
  type InputRequiredResult,
  type JSONRPCRequest,
  type Result,
  type ServerContext,
  type ServerOptions,
  type Tool,
  type Implementation,
} from "@modelcontextprotocol/server";
import { createUnkeyClient, type UnkeyClient } from "./client/unkey-client.js";
import type { CommonConfig } from "./config.js";
import { PromptArgumentError, loadShippedPrompts, renderPrompt, type PromptTemplate } from "./prompts.js";
import { ArgumentAjvSchemaValidator } from "./tools/arguments.js";
import { executeTool } from "./tools/execute.js";
import { buildCatalog } from "./tools/catalog.js";
import { toListedTool } from "./tools/export.js";
import type { BeforeExecuteHook, GuardPolicy } from "./tools/guard.js";
import type { SafetyParts } from "./tools/confirm/setup.js";
import { answerFrom, confirmForm, type ConfirmForm } from "./tools/confirm/form.js";
import type { ConfirmAnswer, ConfirmChannel, ConfirmGuard, ConfirmMode } from "./tools/confirm/guard.js";
import type { ToolDefinition } from "./tools/types.js";
import { packagePath } from "./util/assets.js";
import type { Logger } from "./util/log.js";

/** What a tools/call handler receives from the SDK besides the request: signal, auth, `_meta` envelope. */
export type ServerRequestExtra = ServerContext;

/**
 * What the tools/call adapter accepts from the executor: a finished result, or (2026-07-28
 * multi-round-trip) a request for input built with the SDK's `inputRequired(...)`. On a
 * 2025-era connection the SDK's legacy shim turns the latter into `elicitation/create`.
 */
export type ToolCallOutcome = CallToolResult | InputRequiredResult;

/** How one tools/call ended, for the HTTP metrics (the one place calls are counted). */
export type ToolCallCounter = (tool: string, outcome: "ok" | "tool_error" | "protocol_error" | "input_required") => void;

/** How long a 2026-07-28 client may cache the tool and prompt lists (they change only on restart). */
export const LIST_CACHE_TTL_MS = 300_000;

export interface CreateMcpServerOptions {
  tools: ToolDefinition[];
  client: UnkeyClient;
  /** The root key one call acts with: stdio returns the configured key, HTTP reads the request. */
  resolveRootKey: (extra: ServerRequestExtra) => string | undefined;
  instructions: string;
  logger: Logger;
  prompts: PromptTemplate[];
  serverInfo?: { name: string; version: string; title?: string };
  /** Read-only policy the executor enforces even for tools that slipped into the list. */
  policy?: GuardPolicy;
  hideSecrets?: boolean;
  /** How the root key is supplied, for hints in error results. */
  rootKeySource?: string;
  /** Confirmation hook for destructive calls (see src/tools/guard.ts). */
  beforeExecute?: BeforeExecuteHook;
  /** Confirmation guard, audit log and secret sink (src/tools/confirm/setup.ts). */
  safety?: Pick<SafetyParts, "confirm" | "audit" | "secretSink" | "askTimeoutMs">;
  /** Called once per answered tools/call (HTTP metrics). */
  countToolCall?: ToolCallCounter;
  /** The protocol versions the instance lists, when not the SDK's defaults. */
  protocolVersions?: string[];
  /**
   * Verifies (and decodes) an echoed multi-round-trip `requestState` before any handler runs;
   * throw to refuse it (the SDK answers -32602). See the SDK's `createRequestStateCodec`.
   */
  verifyRequestState?: (state: string, ctx: ServerContext) => unknown;
  /** Multi-round-trip knobs: the 2025 legacy shim and the time a person has to answer. */
  inputRequired?: { legacyShim?: boolean; roundTimeoutMs?: number; maxRounds?: number };
}

// HTTP creates a server per session (or per stateless request): everything that only depends on
// the tool list is built once per process, not once per server. Each SDK Server would otherwise
// construct its own Ajv instance.
let sharedValidator: ArgumentAjvSchemaValidator | undefined;
interface Listing {
  listed: Tool[];
  byName: Map<string, ToolDefinition>;
}
const listedByTools = new WeakMap<ToolDefinition[], Listing>();

function listingFor(tools: ToolDefinition[]): Listing {
  let entry = listedByTools.get(tools);
  if (!entry) {
    // The MCP fields only, schemas verbatim (the same shape `unkey-mcp tools` prints), in catalog
    // order: fixed by the contract, so deterministic as 2026-07-28 asks (clients cache and diff lists).
    entry = { listed: tools.map((t) => toListedTool(t) as Tool), byName: new Map(tools.map((t) => [t.name, t])) };
    listedByTools.set(tools, entry);
  }
  return entry;
}

/** A clear -32602 for a tools/call whose params do not have the shape MCP defines. */
function malformedCall(params: unknown): string | undefined {
  const p = params as { name?: unknown; arguments?: unknown } | undefined;
  if (typeof p?.name !== "string") return `tools/call needs params.name as a string (the tool name); given ${describe(p?.name)}.`;
  const args = p.arguments;
  if (args !== undefined && (args === null || typeof args !== "object" || Array.isArray(args))) {
    return `tools/call needs params.arguments as a JSON object of the tool's arguments; given ${describe(args)}.`;
  }
  return undefined;
}

function describe(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return `a ${typeof v}`;
}

type RequestHandler = (request: JSONRPCRequest, ctx: ServerContext) => Promise<Result>;

/**
 * The SDK's Server, with tools/call params checked before the SDK's own schema check: a tool name
 * that is not a string or `arguments` that are not an object get a -32602 that says so in one
 * sentence, not the schema validator's dump.
 */
class UnkeyServer extends Server {
  constructor(
    info: Implementation,
    options: ServerOptions,
    private readonly onMalformed?: () => void,
  ) {
    super(info, options);
  }

  protected override _wrapHandler(method: string, handler: RequestHandler): RequestHandler {
    const wrapped = super._wrapHandler(method, handler);
    if (method !== "tools/call") return wrapped;
    return async (request, ctx) => {
      const malformed = malformedCall(request.params);
      if (malformed) {
        this.onMalformed?.();
        throw new ProtocolError(ProtocolErrorCode.InvalidParams, malformed);
      }
      return wrapped(request, ctx);
    };
  }
}

export function createMcpServer(opts: CreateMcpServerOptions): Server {
  const serverInfo = opts.serverInfo ?? { name: "unkey-mcp", title: "Unkey", version: packageVersion() };
  sharedValidator ??= new ArgumentAjvSchemaValidator();
  const server = new UnkeyServer(
    serverInfo,
    {
      jsonSchemaValidator: sharedValidator,
      capabilities: {
        tools: { listChanged: false },
        prompts: { listChanged: false },
        logging: {},
      },
      instructions: opts.instructions,
      // The lists depend on the request's credentials and narrowing headers, so only the requesting
      // client may cache them (`private`), never a shared cache.
      cacheHints: {
        "tools/list": { ttlMs: LIST_CACHE_TTL_MS, cacheScope: "private" },
        "prompts/list": { ttlMs: LIST_CACHE_TTL_MS, cacheScope: "private" },
        "server/discover": { ttlMs: LIST_CACHE_TTL_MS, cacheScope: "private" },
      },
      ...(opts.protocolVersions ? { supportedProtocolVersions: opts.protocolVersions } : {}),
      ...(opts.verifyRequestState || opts.safety ? { requestState: { verify: opts.verifyRequestState ?? stateVerifier(opts.safety!.confirm) } } : {}),
      ...(opts.inputRequired ? { inputRequired: opts.inputRequired } : {}),
    },
    () => opts.countToolCall?.("unknown", "protocol_error"),
  );

  const { listed, byName } = listingFor(opts.tools);
  const count = opts.countToolCall;

  server.setRequestHandler("tools/list", async () => ({ tools: listed }));

  server.setRequestHandler("tools/call", async (request, ctx): Promise<ToolCallOutcome> => {
    const name = request.params.name;
    const tool = byName.get(name);
    if (!tool) {
      count?.("unknown", "protocol_error");
      // A protocol fault, not a tool failure: the client asked for something never offered.
      throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown tool: ${JSON.stringify(name)}. This server offers: ${[...byName.keys()].join(", ")}`);
    }
    const confirmIo = opts.safety ? confirmationIo(server, ctx, opts.safety.askTimeoutMs) : undefined;
    const outcome: ToolCallOutcome = await executeTool(tool, request.params.arguments, {
      rootKey: opts.resolveRootKey(ctx),
      client: opts.client,
      signal: ctx.mcpReq.signal,
      logger: opts.logger,
      policy: opts.policy,
      hideSecrets: opts.hideSecrets,
      rootKeySource: opts.rootKeySource,
      beforeExecute: opts.beforeExecute,
      confirm: opts.safety?.confirm,
      confirmChannel: confirmIo?.channel,
      confirmAnswer: confirmIo?.carried,
      audit: opts.safety?.audit,
      secretSink: opts.safety?.secretSink,
      mcp: ctx,
    });
    if (isInputRequiredResult(outcome)) {
      count?.(name, "input_required");
      return outcome;
    }
    // A 2026-07-28 question: the token result becomes an input_required form with the token as state.
    const asked = confirmIo?.question(outcome);
    if (asked) {
      count?.(name, "input_required");
      return asked;
    }
    count?.(name, outcome.isError ? "tool_error" : "ok");
    return server.projectCallToolResult(outcome, tool.outputSchema);
  });

  const prompts = new Map(opts.prompts.map((p) => [p.name, p]));
  server.setRequestHandler("prompts/list", async () => ({
    prompts: opts.prompts.map((p) => ({
      name: p.name,
      ...(p.title ? { title: p.title } : {}),
      description: p.description,
      arguments: p.arguments.map((a) => ({ name: a.name, ...(a.description ? { description: a.description } : {}), required: a.required === true })),
    })),
  }));

  server.setRequestHandler("prompts/get", async (request) => {
    const prompt = prompts.get(request.params.name);
    if (!prompt) {
      throw new ProtocolError(
        ProtocolErrorCode.InvalidParams,
        `Unknown prompt: ${JSON.stringify(request.params.name)}. Available: ${[...prompts.keys()].join(", ")}`,
      );
    }
    let text: string;
    try {
      text = renderPrompt(prompt, request.params.arguments);
    } catch (err) {
      if (err instanceof PromptArgumentError) throw new ProtocolError(ProtocolErrorCode.InvalidParams, err.message);
      throw err;
    }
    return { description: prompt.description, messages: [{ role: "user" as const, content: { type: "text" as const, text } }] };
  });

  return server;
}

/**
 * The `requestState` integrity hook: only a confirmation token this server signed comes back as
 * state; anything else is refused by the SDK (-32602) before a handler runs. Resolves nothing, so
 * the handler reads the raw token (which the guard checks again, bindings and single use).
 */
function stateVerifier(guard: ConfirmGuard): (state: string) => undefined {
  return (state) => {
    if (!guard.verifyState(state)) throw new Error("requestState is not a confirmation this server issued");
    return undefined;
  };
}

interface ConfirmationIo {
  channel?: ConfirmChannel;
  /** The answer a 2026-07-28 retry carries: the echoed token and the form's response. */
  carried?: { token: string; answer: ConfirmAnswer };
  /** The input_required result for a question left pending by this call, if any. */
  question(outcome: CallToolResult): InputRequiredResult | undefined;
}

/**
 * How this request can ask the person. 2026-07-28 (an enveloped request): a client that declared
 * form elicitation gets an `input_required` form whose `requestState` is the token, and its retry
 * carries the answer. 2025 sessions: `elicitation/create` within the time budget. Anything else:
 * not asked, the token result.
 */
function confirmationIo(server: Server, ctx: ServerContext, timeoutMs: number): ConfirmationIo {
  const envelope = (ctx.mcpReq.envelope ?? {}) as Record<string, unknown>;
  if (envelope[PROTOCOL_VERSION_META_KEY] === undefined) return { channel: elicitationChannel(server, ctx, timeoutMs), question: () => undefined };
  const state = ctx.mcpReq.requestState<unknown>();
  const response = ctx.mcpReq.inputResponses?.confirm as { action?: unknown; content?: Record<string, unknown> } | undefined;
  const carried =
    typeof state === "string"
      ? {
          token: state,
          answer:
            response && typeof response.action === "string"
              ? answerFrom({ action: response.action, content: response.content })
              : ({ action: "cancel" } as const),
        }
      : undefined;
  const caps = envelope[CLIENT_CAPABILITIES_META_KEY] as { elicitation?: { form?: unknown; url?: unknown } } | undefined;
  const canAsk = caps?.elicitation !== undefined && !(caps.elicitation.url !== undefined && caps.elicitation.form === undefined);
  let pending: { token: string; form: ConfirmForm } | undefined;
  return {
    carried,
    channel: canAsk
      ? {
          async ask({ tool, preview, token }) {
            pending = { token, form: confirmForm(tool, preview) };
            return { kind: "pending" };
          },
        }
      : undefined,
    question(outcome) {
      const c = (outcome.structuredContent as { confirmation?: { token?: unknown } } | undefined)?.confirmation;
      if (!pending || outcome.isError || c?.token !== pending.token) return undefined;
      return inputRequired({ inputRequests: { confirm: inputRequired.elicit({ mode: "form", ...pending.form }) }, requestState: pending.token });
    },
  };
}

/**
 * Asking the person through `elicitation/create` in a 2025 session whose client declared form
 * elicitation. No capability (stateless requests never saw an initialize), no answer within the
 * budget, or a failed request: not asked, and the caller answers with the token instead. (Not
 * the SDK's legacy shim: its timeout ends the call with an error, where ours falls back.)
 */
function elicitationChannel(server: Server, ctx: ServerContext, timeoutMs: number): ConfirmChannel | undefined {
  const elicitation = server.getClientCapabilities()?.elicitation as { form?: unknown; url?: unknown } | undefined;
  // `{}` is how 2025-06-18 clients declare form elicitation; later ones may list `form` explicitly.
  if (!elicitation || (elicitation.url !== undefined && elicitation.form === undefined)) return undefined;
  return {
    async ask({ tool, preview }) {
      try {
        const result = await ctx.mcpReq.elicitInput({ mode: "form", ...confirmForm(tool, preview) }, { timeout: timeoutMs, signal: ctx.mcpReq.signal });
        return { kind: "answer", answer: answerFrom(result) };
      } catch (err) {
        return { kind: "not_asked", why: err instanceof Error ? err.message : String(err) };
      }
    },
  };
}

export interface CatalogSource {
  /** OpenAPI document to build from (file path or http(s) URL); the bundled contract if absent. */
  spec?: string;
  logger: Logger;
  /** Fetch timeout for a spec URL. */
  timeoutMs?: number;
}

/** What every transport builds once per process: the whole catalog, the prompts, the Unkey client. */
export async function loadServerParts(
  config: CommonConfig,
  logger: Logger,
): Promise<{ catalog: ToolDefinition[]; prompts: PromptTemplate[]; client: UnkeyClient }> {
  const catalog = await loadToolCatalog({ spec: config.spec, logger });
  const prompts = await loadShippedPrompts();
  const client = createUnkeyClient({
    baseUrl: config.apiUrl,
    connectTimeoutMs: config.connectTimeoutMs,
    requestTimeoutMs: config.requestTimeoutMs,
    userAgent: `unkey-mcp/${packageVersion()}`,
  });
  return { catalog, prompts, client };
}

/**
 * Every tool the server lists: the bundled contract's (or another document's, given with --spec)
 * plus the hand-written ones, from the one catalog builder everything else uses.
 */
export async function loadToolCatalog(source: CatalogSource): Promise<ToolDefinition[]> {
  const { tools, warnings } = await buildCatalog({ spec: source.spec, timeoutMs: source.timeoutMs });
  for (const w of warnings) source.logger.warn("spec", { warning: w });
  return tools;
}

export interface InstructionFacts {
  profile: string;
  toolsets: string[];
  toolCount: number;
  readOnly: boolean;
  allowConsume: boolean;
  hideSecrets: boolean;
  apiUrl: string;
  hasRootKey?: boolean;
  /** How destructive calls are confirmed; absent = "auto". */
  confirm?: ConfirmMode;
  /** stdio with --secrets mask: plaintext goes to a file instead of being withheld. */
  secretsToFile?: boolean;
}

/** The `instructions` a client shows the model: what this server is and how it is configured. */
export function buildInstructions(f: InstructionFacts): string {
  const lines = [
    `Manage an Unkey workspace (API keys, rate limits, identities, roles and permissions, analytics) through the Unkey v2 API at ${f.apiUrl}.`,
    `Configuration: profile ${f.profile}; toolsets ${f.toolsets.join(", ")}; ${f.toolCount} tools; ${f.readOnly ? `read-only${f.allowConsume ? " (verify/ratelimit checks allowed)" : ""}` : "read-write"}.`,
    "Ids: keys key_…, APIs api_…, identities by id or externalId. List tools are paginated: pass the returned cursor to get the next page.",
    "verify_key and ratelimit checks spend credits and rate-limit tokens; do not call them just to look at a key (use get_key).",
    f.confirm === "off"
      ? "Confirmation is OFF (operator's choice, trusted automation): destructive tools (delete, remove, set/replace, reroll, disable) act at once. Ask the user before calling them."
      : "Destructive calls (delete, remove, set/replace, reroll, disable) first return a preview and a token and change nothing: show the preview to the user and, only if they agree, repeat the call with the same arguments plus confirm=<token>.",
    f.hideSecrets
      ? f.secretsToFile
        ? "Newly issued plaintext keys never enter this conversation: the result names a file (readable only by the operator) holding it; give the user the path."
        : "Newly issued plaintext keys are withheld from this conversation by the operator."
      : "A newly created or rerolled key's plaintext is shown once: tell the user to store it and do not repeat it.",
    "Errors come back as results with a hint (missing permission, invalid field, not found): read it and correct the call.",
  ];
  if (f.hasRootKey === false) lines.push("No root key is configured: every call will fail until the operator sets UNKEY_ROOT_KEY.");
  return lines.join("\n");
}

let version: string | undefined;

/** This package's version (package.json sits one level above both src/ and dist/). */
export function packageVersion(): string {
  if (version === undefined) {
    try {
      version = (JSON.parse(readFileSync(packagePath("package.json"), "utf8")) as { version?: string }).version ?? "0.0.0";
    } catch {
      version = "0.0.0";
    }
  }
  return version;
}
