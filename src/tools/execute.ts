/**
 * The one function that runs any tool:
 *   root key present? → validate arguments → guard (read-only, confirmation hook) →
 *   the tool's handler or its HTTP operation through the Unkey client → result shaping.
 *
 * Every failure on the way is a tool result with `isError: true` (a model can read and act on
 * it), never a thrown error: protocol faults are the server's business, not this function's.
 */
import type { CallToolResult, ServerContext } from "@modelcontextprotocol/server";
import { UnkeyNetworkError, type UnkeyClient } from "../client/unkey-client.js";
import { redactValue, type Logger } from "../util/log.js";
import { validateArguments } from "./arguments.js";
import { effectiveSafety, policyRefusal, type BeforeExecuteHook, type GuardPolicy } from "./guard.js";
import {
  apiErrorResult,
  internalErrorResult,
  invalidArgumentsResult,
  missingRootKeyResult,
  networkErrorResult,
  refusedResult,
  successResult,
} from "./results.js";
import type { ToolDefinition } from "./types.js";

export interface ExecuteContext {
  /** The root key this call acts with (stdio: from config; HTTP: from the request). */
  rootKey?: string;
  client: UnkeyClient;
  /** Cancelled when the MCP client cancels the request or disconnects. */
  signal?: AbortSignal;
  logger: Logger;
  /** Read-only policy; absent = everything allowed. */
  policy?: GuardPolicy;
  /** Keep newly issued plaintext keys out of results. */
  hideSecrets?: boolean;
  /** Where the root key comes from, for hints ("the UNKEY_ROOT_KEY environment variable"). */
  rootKeySource?: string;
  /** Runs after validation and the read-only check; can stop the call with a result. */
  beforeExecute?: BeforeExecuteHook;
  /**
   * The SDK's context of this request: on 2026-07-28 a retried call's `inputResponses` and
   * verified `requestState` (`mcp.mcpReq`), on 2025 sessions the same through the SDK's shim.
   */
  mcp?: ServerContext;
}

export async function executeTool(tool: ToolDefinition, rawArgs: unknown, ctx: ExecuteContext): Promise<CallToolResult> {
  const started = performance.now();
  // `tool` leads every line's fields (what a child logger would add), without building a
  // child logger per call.
  const log = ctx.logger;
  const hintOptions = { hideSecrets: ctx.hideSecrets, rootKeySource: ctx.rootKeySource };
  const done = (result: CallToolResult, outcome: string, fields?: { safety?: string } & Record<string, unknown>): CallToolResult => {
    // One line per call. Successful reads are the bulk of the traffic and change nothing, so they
    // log at debug (a line per call was ~15% of a stateless HTTP server's throughput); every
    // failure and every successful change (write, destructive, consume) stays at info.
    const quiet = outcome === "ok" && fields?.safety === "read";
    if (quiet && log.level !== "debug") return result;
    const line = { tool: tool.name, outcome, durationMs: Math.round(performance.now() - started), ...fields };
    if (quiet) log.debug("tool call", line);
    else log.info("tool call", line);
    return result;
  };

  // Nothing can succeed without a key; say how to set it before anything else.
  const rootKey = ctx.rootKey;
  if (rootKey === undefined || rootKey === "") return done(missingRootKeyResult(tool, hintOptions), "no_root_key");

  const check = validateArguments(tool, rawArgs);
  if (!check.ok) return done(invalidArgumentsResult(tool, check.problems), "invalid_arguments", { fields: check.problems.map((p) => p.field) });
  const args = check.args;
  // The redacting copy is only worth making when the line is written.
  if (log.level === "debug") log.debug("arguments", { tool: tool.name, args: redactValue(args, [], tool.secretArgs) });

  const safety = effectiveSafety(tool, args);
  if (ctx.policy) {
    const refusal = policyRefusal(tool, safety, ctx.policy);
    if (refusal) return done(refusedResult(refusal), "refused_read_only", { safety });
  }
  if (ctx.beforeExecute) {
    const stop = await ctx.beforeExecute({ tool, args, safety, rootKey, signal: ctx.signal });
    if (stop) return done(stop, "stopped_by_guard", { safety });
  }

  try {
    if (tool.handler) {
      const result = await tool.handler(args, { ...ctx, rootKey });
      return done(result, result.isError ? "error" : "ok", { safety });
    }
    if (!tool.http) return done(internalErrorResult(tool, "the tool has neither a handler nor an HTTP binding"), "misconfigured");
    const body = tool.http.bodyProperty ? args[tool.http.bodyProperty] : args;
    const response = await ctx.client.request({
      method: tool.http.method,
      path: tool.http.path,
      body,
      rootKey,
      safety,
      signal: ctx.signal,
    });
    const fields = { safety, status: response.status, requestId: response.requestId, attempts: response.attempts };
    if (response.status >= 200 && response.status < 300) return done(successResult(tool, response, hintOptions), "ok", fields);
    return done(apiErrorResult(tool, args, response, hintOptions), "api_error", fields);
  } catch (err) {
    if (err instanceof UnkeyNetworkError) {
      return done(networkErrorResult(tool, err), err.kind === "aborted" ? "cancelled" : "network_error", { safety, kind: err.kind, code: err.code, attempts: err.attempts });
    }
    const message = err instanceof Error ? err.message : String(err);
    log.error("tool failed unexpectedly", { tool: tool.name, error: err instanceof Error ? { name: err.name, message, stack: err.stack } : message });
    return done(internalErrorResult(tool, "an unexpected error occurred (details are in the server log)"), "internal_error", { safety });
  }
}
