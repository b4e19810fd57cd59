/**
 * The agent toolkit: the Unkey tools as plain async functions for agent frameworks that do not
 * speak MCP (the adapters in this folder turn it into each framework's native tool objects).
 *
 * Nothing is implemented twice: the catalog is the MCP server's (same loader, same selection
 * rules and errors), and every call goes through `executeTool` with the same validation,
 * read-only policy, result shaping, secret handling and logging. The toolkit only adds what an
 * agent framework lacks: an approval step for destructive calls, plugged into the executor's
 * `beforeExecute` hook, so it runs after validation and the read-only check and judges the
 * call's effective safety on its validated arguments.
 */
import type { CallToolResult } from "@modelcontextprotocol/server";
import { createUnkeyClient, type UnkeyClient } from "../client/unkey-client.js";
import { DEFAULT_API_URL } from "../config.js";
import { buildCatalog, selectTools } from "../tools/catalog.js";
import { executeTool } from "../tools/execute.js";
import { effectiveSafety, type BeforeExecuteHook } from "../tools/guard.js";
import { prepareArguments } from "../tools/prepare.js";
import type { ResultEnvelope } from "../tools/envelope.js";
import { buildPreview } from "../tools/confirm/preview.js";
import { apiErrorResult, errorResult, refusedResult } from "../tools/results.js";
import type { ToolDefinition } from "../tools/types.js";
import { createLogger, type Logger } from "../util/log.js";
import { buildApprovalPreview, type ApprovalRequest } from "./preview.js";

/** `approve`: destructive calls need a person's yes (fail closed). `off`: trusted automation, no approval. */
export type ConfirmMode = "approve" | "off";
export const CONFIRM_MODES: readonly ConfirmMode[] = ["approve", "off"];

/** `inline`: a new key's plaintext is in the result (shown once). `mask`: it never reaches the model. */
export type SecretsMode = "inline" | "mask";
export const SECRETS_MODES: readonly SecretsMode[] = ["inline", "mask"];

/** Asked before a destructive call runs; only `true` lets it run (a throw or anything else refuses). */
export type ApproveCallback = (call: ApprovalRequest) => boolean | Promise<boolean>;

export interface UnkeyToolkitOptions {
  /** The root key every call acts with. Never logged, never part of a result. */
  rootKey: string;
  /** Unkey API base URL (default https://api.unkey.com; the local API's URL for development). */
  baseUrl?: string;
  /** Tool selection, as the MCP server's `--profile`, `--toolsets`, `--tools`, `--read-only`, `--allow-consume`. */
  profile?: string;
  toolsets?: readonly string[];
  tools?: readonly string[];
  readOnly?: boolean;
  allowConsume?: boolean;
  /** Default `inline`. */
  secrets?: SecretsMode;
  /** Default `approve`. */
  confirm?: ConfirmMode;
  /** Decides destructive calls for the OpenAI, Anthropic and LangChain adapters (the AI SDK asks through its own flow). */
  approve?: ApproveCallback;
  /** Where tool-call lines go (redacted); default: warnings and errors on stderr. */
  logger?: Logger;
  /** Per-request timeout towards the Unkey API (default 30 s). */
  requestTimeoutMs?: number;
}

export interface ToolkitCallOptions {
  signal?: AbortSignal;
  /** Overrides the toolkit's `approve` for this call. */
  approve?: ApproveCallback;
  /**
   * The person already approved this exact call through the framework's own flow (the AI SDK's
   * `needsApproval`). Only adapters and code that asked the person themselves set it.
   */
  approved?: boolean;
}

/** A tool call's outcome: what the MCP server would return, in the parts an adapter needs. */
export interface ToolkitCallResult {
  isError: boolean;
  /** The text form (errors carry the hint a model acts on). */
  text: string;
  /** `structuredContent`: the result envelope (`summary`, `data`, `next`, `notices`, or `error` with its hint). */
  structured?: ResultEnvelope;
  /** The executor's result, unchanged. */
  result: CallToolResult;
}

export interface UnkeyToolkit {
  /** The selected tools, in catalog order. */
  readonly tools: readonly ToolDefinition[];
  readonly confirm: ConfirmMode;
  tool(name: string): ToolDefinition | undefined;
  /** Runs one tool call through the executor. Never throws for a bad call: failures are results with `isError`. */
  call(name: string, args: unknown, options?: ToolkitCallOptions): Promise<ToolkitCallResult>;
  /** True when this call must be approved before it runs (judged on these arguments). */
  needsApproval(name: string, args: unknown): boolean;
  /** Closes the HTTP connections to the Unkey API. */
  close(): Promise<void>;
}

/** A toolkit option is missing or wrong; the message names the option and what was expected. */
export class ToolkitOptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ToolkitOptionError";
  }
}

const ROOT_KEY_SOURCE = "the rootKey option of createUnkeyToolkit";

export async function createUnkeyToolkit(options: UnkeyToolkitOptions): Promise<UnkeyToolkit> {
  checkOptions(options);
  const confirm = options.confirm ?? "approve";
  const logger = options.logger ?? createLogger({ level: "warn" });
  logger.addSecret(options.rootKey);

  // The one catalog everything lists from (generated tools, precompiled when built, plus the
  // hand-written ones).
  const { tools: catalog } = await buildCatalog();
  // Loaded lazily: the server module is only needed for the version, and importing the package
  // root must stay light.
  const { packageVersion } = await import("../server.js");
  // Throws CatalogSelectionError naming the valid choices, exactly as the server's flags do.
  const selected = selectTools(catalog, {
    profile: options.profile,
    toolsets: options.toolsets,
    tools: options.tools,
    readOnly: options.readOnly,
    allowConsume: options.allowConsume,
  });
  const byName = new Map(selected.map((t) => [t.name, t]));
  const client: UnkeyClient = createUnkeyClient({
    baseUrl: options.baseUrl ?? DEFAULT_API_URL,
    requestTimeoutMs: options.requestTimeoutMs,
    userAgent: `unkey-mcp-toolkit/${packageVersion()}`,
  });
  const policy = { readOnly: options.readOnly === true, allowConsume: options.allowConsume === true };

  const approvalHook =
    (callOptions: ToolkitCallOptions): BeforeExecuteHook =>
    async (call) => {
      if (call.safety !== "destructive" || confirm === "off" || callOptions.approved === true) return undefined;
      const approve = callOptions.approve ?? options.approve;
      if (!approve) {
        return refusedResult(
          call.tool,
          `${call.tool.name} was not run: this call is destructive and needs a person's approval, and this agent has no approval step. Nothing was changed. ` +
            `Tell the user what you intended to do; the developer can pass approve(call) to createUnkeyToolkit (or confirm: "off" for trusted automation).`,
        );
      }
      // The same resolved preview the MCP guard shows (which key, how many keys, what is lost);
      // a target that cannot be read is that API error, and nothing is asked or changed.
      const resolved = await buildPreview(call.tool, call.args, { client, rootKey: call.rootKey ?? options.rootKey, signal: call.signal });
      if (!resolved.ok) return apiErrorResult(call.tool, call.args, resolved.response, { rootKeySource: ROOT_KEY_SOURCE });
      let approved: unknown;
      try {
        approved = await approve({ ...buildApprovalPreview(call, catalog), preview: resolved.preview });
      } catch (err) {
        logger.warn("approval callback failed", { tool: call.tool.name, error: err instanceof Error ? err.message : String(err) });
        approved = false;
      }
      if (approved === true) return undefined;
      return refusedResult(
        call.tool,
        `${call.tool.name} was not run: the person did not approve this destructive call. Nothing was changed. Do not retry it unless the user asks again.`,
      );
    };

  return {
    tools: selected,
    confirm,
    tool: (name) => byName.get(name),
    needsApproval: (name, args) => {
      const tool = byName.get(name);
      if (!tool || confirm === "off") return false;
      // Judged on the arguments as the executor will see them (ISO times converted, MCP defaults
      // applied). Arguments it will reject are judged as given; the executor refuses them anyway.
      const raw = isRecord(args) ? args : {};
      const prepared = prepareArguments(tool.argumentRules, raw, Date.now());
      return effectiveSafety(tool, prepared.ok ? prepared.args : raw) === "destructive";
    },
    call: async (name, args, callOptions = {}) => {
      const tool = byName.get(name);
      if (!tool) {
        const text = `Unknown tool ${JSON.stringify(name)}; nothing was sent to Unkey. Available tools: ${[...byName.keys()].join(", ")}`;
        return toCallResult(errorResult(name, text, { message: text }));
      }
      const result = await executeTool(tool, args, {
        rootKey: options.rootKey,
        client,
        signal: callOptions.signal,
        logger,
        policy,
        hideSecrets: options.secrets === "mask",
        rootKeySource: ROOT_KEY_SOURCE,
        beforeExecute: approvalHook(callOptions),
      });
      return toCallResult(result);
    },
    close: () => client.close(),
  };
}

function toCallResult(result: CallToolResult): ToolkitCallResult {
  const text = result.content
    .filter((c): c is { type: "text"; text: string } => c.type === "text")
    .map((c) => c.text)
    .join("\n");
  return {
    isError: result.isError === true,
    text,
    ...(result.structuredContent !== undefined ? { structured: result.structuredContent as unknown as ResultEnvelope } : {}),
    result,
  };
}

function checkOptions(options: UnkeyToolkitOptions): void {
  if (!isRecord(options)) throw new ToolkitOptionError(`createUnkeyToolkit: expected an options object, got ${typeof options}`);
  // Never echo the value: it may be a real key pasted into the wrong field.
  if (typeof options.rootKey !== "string" || options.rootKey.trim() === "") {
    throw new ToolkitOptionError(
      `rootKey: expected an Unkey root key (a non-empty string), got ${options.rootKey === undefined ? "nothing" : typeof options.rootKey === "string" ? "an empty string" : typeof options.rootKey}`,
    );
  }
  if (options.confirm !== undefined && !CONFIRM_MODES.includes(options.confirm)) {
    throw new ToolkitOptionError(`confirm: expected one of ${CONFIRM_MODES.join(", ")}, got ${JSON.stringify(options.confirm)}`);
  }
  if (options.secrets !== undefined && !SECRETS_MODES.includes(options.secrets)) {
    throw new ToolkitOptionError(`secrets: expected one of ${SECRETS_MODES.join(", ")}, got ${JSON.stringify(options.secrets)}`);
  }
  if (options.approve !== undefined && typeof options.approve !== "function") {
    throw new ToolkitOptionError(`approve: expected a function (call) => boolean | Promise<boolean>, got ${typeof options.approve}`);
  }
  if (options.baseUrl !== undefined && !/^https?:\/\//i.test(options.baseUrl)) {
    throw new ToolkitOptionError(`baseUrl: expected an http(s) URL such as ${DEFAULT_API_URL}, got ${JSON.stringify(options.baseUrl)}`);
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
