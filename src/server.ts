/**
 * The MCP server: a tool catalog and prompts behind the SDK's low-level `Server`.
 *
 * The low-level Server is used (not McpServer) because generated tools carry raw JSON Schema,
 * which must reach clients verbatim; arguments are validated by the executor with ajv. The root
 * key is resolved per call, never captured at connect time, so one server can serve a stdio
 * operator or many HTTP callers alike.
 */
import { existsSync, readFileSync } from "node:fs";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import {
  CallToolRequestSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListToolsRequestSchema,
  McpError,
  type CallToolResult,
  type ServerNotification,
  type ServerRequest,
  type Tool,
} from "@modelcontextprotocol/sdk/types.js";
import { createUnkeyClient, type UnkeyClient } from "./client/unkey-client.js";
import type { CommonConfig } from "./config.js";
import { PromptArgumentError, loadShippedPrompts, renderPrompt, type PromptTemplate } from "./prompts.js";
import { loadContract } from "./schemas/loader.js";
import { executeTool } from "./tools/execute.js";
import { readSpec, toListedTool } from "./tools/export.js";
import { generateTools } from "./tools/generate.js";
import type { BeforeExecuteHook, GuardPolicy } from "./tools/guard.js";
import type { SafetyParts } from "./tools/confirm/setup.js";
import { answerFrom, confirmForm } from "./tools/confirm/form.js";
import type { ConfirmChannel, ConfirmMode } from "./tools/confirm/guard.js";
import type { ToolDefinition } from "./tools/types.js";
import { codePath, packagePath } from "./util/assets.js";
import type { Logger } from "./util/log.js";

export type ServerRequestExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

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
}

// HTTP creates a server per session (or per stateless request): everything that only depends on
// the tool list is built once per process, not once per server. Each SDK Server would otherwise
// construct its own Ajv instance (~15% of the CPU of a fresh stateless request).
let sharedValidator: AjvJsonSchemaValidator | undefined;
const listedByTools = new WeakMap<ToolDefinition[], { listed: Tool[]; byName: Map<string, ToolDefinition> }>();

function listingFor(tools: ToolDefinition[]): { listed: Tool[]; byName: Map<string, ToolDefinition> } {
  let entry = listedByTools.get(tools);
  if (!entry) {
    // The MCP fields only, schemas verbatim (the same shape `unkey-mcp tools` prints).
    entry = { listed: tools.map((t) => toListedTool(t) as Tool), byName: new Map(tools.map((t) => [t.name, t])) };
    listedByTools.set(tools, entry);
  }
  return entry;
}

export function createMcpServer(opts: CreateMcpServerOptions): Server {
  const serverInfo = opts.serverInfo ?? { name: "unkey-mcp", title: "Unkey", version: packageVersion() };
  sharedValidator ??= new AjvJsonSchemaValidator();
  const server = new Server(serverInfo, {
    jsonSchemaValidator: sharedValidator,
    capabilities: {
      tools: { listChanged: false },
      prompts: { listChanged: false },
      logging: {},
    },
    instructions: opts.instructions,
  });

  const { listed, byName } = listingFor(opts.tools);

  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: listed }));

  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const name = request.params.name;
    const tool = byName.get(name);
    if (!tool) {
      // A protocol fault, not a tool failure: the client asked for something never offered.
      throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${JSON.stringify(name)}. This server offers: ${[...byName.keys()].join(", ")}`);
    }
    return executeTool(tool, request.params.arguments, {
      rootKey: opts.resolveRootKey(extra),
      client: opts.client,
      signal: extra.signal,
      logger: opts.logger,
      policy: opts.policy,
      hideSecrets: opts.hideSecrets,
      rootKeySource: opts.rootKeySource,
      beforeExecute: opts.beforeExecute,
      confirm: opts.safety?.confirm,
      confirmChannel: opts.safety ? elicitationChannel(server, opts.safety.askTimeoutMs, extra.signal) : undefined,
      audit: opts.safety?.audit,
      secretSink: opts.safety?.secretSink,
    });
  });

  const prompts = new Map(opts.prompts.map((p) => [p.name, p]));
  server.setRequestHandler(ListPromptsRequestSchema, async () => ({
    prompts: opts.prompts.map((p) => ({
      name: p.name,
      ...(p.title ? { title: p.title } : {}),
      description: p.description,
      arguments: p.arguments.map((a) => ({ name: a.name, ...(a.description ? { description: a.description } : {}), required: a.required === true })),
    })),
  }));

  server.setRequestHandler(GetPromptRequestSchema, async (request) => {
    const prompt = prompts.get(request.params.name);
    if (!prompt) {
      throw new McpError(ErrorCode.InvalidParams, `Unknown prompt: ${JSON.stringify(request.params.name)}. Available: ${[...prompts.keys()].join(", ")}`);
    }
    let text: string;
    try {
      text = renderPrompt(prompt, request.params.arguments);
    } catch (err) {
      if (err instanceof PromptArgumentError) throw new McpError(ErrorCode.InvalidParams, err.message);
      throw err;
    }
    return { description: prompt.description, messages: [{ role: "user" as const, content: { type: "text" as const, text } }] };
  });

  return server;
}

/**
 * Asking the person through `elicitation/create` in a session whose client declared form
 * elicitation. No capability (stateless requests never saw an initialize), no answer within the
 * budget, or a failed request: not asked, and the caller answers with the token instead.
 */
function elicitationChannel(server: Server, timeoutMs: number, signal: AbortSignal): ConfirmChannel | undefined {
  const elicitation = server.getClientCapabilities()?.elicitation as { form?: unknown; url?: unknown } | undefined;
  // `{}` is how 2025-06-18 clients declare form elicitation; later ones may list `form` explicitly.
  if (!elicitation || (elicitation.url !== undefined && elicitation.form === undefined)) return undefined;
  return {
    async ask({ tool, preview }) {
      try {
        const result = await server.elicitInput({ mode: "form", ...confirmForm(tool, preview) }, { timeout: timeoutMs, signal });
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

/** The bundled contract's catalog, precompiled by the build (scripts/postbuild.mjs). */
const PRECOMPILED_CATALOG = codePath("tools/catalog.json");

/** Every tool of the bundled contract, or of another document given with --spec. */
export async function loadToolCatalog(source: CatalogSource): Promise<ToolDefinition[]> {
  if (!source.spec) {
    // Startup time matters: the build generates the bundled catalog once; running from source
    // (tests) generates it here.
    if (existsSync(PRECOMPILED_CATALOG)) return JSON.parse(readFileSync(PRECOMPILED_CATALOG, "utf8")) as ToolDefinition[];
    return generateTools(loadContract()).tools;
  }
  const doc = await readSpec(source.spec, source.timeoutMs ?? 15_000);
  // Our contract's x-mcp fills in operations the other document leaves unannotated.
  const { tools, warnings } = generateTools(doc, { overlay: loadContract() });
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
