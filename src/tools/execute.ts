/**
 * The one function that runs any tool, generated or hand-written:
 *   root key present? → prepare arguments (times, MCP defaults, free-form limits) → validate →
 *   guard (read-only, confirmation hook) → the tool's handler or its HTTP operation through the
 *   Unkey client → result shaping (results.ts).
 *
 * Every failure on the way is a tool result with `isError: true` (a model can read and act on
 * it), never a thrown error: protocol faults are the server's business, not this function's.
 */
import type { CallToolResult, ServerContext } from "@modelcontextprotocol/server";
import { UnkeyApiError, UnkeyNetworkError, UnkeyRequestBodyError, type UnkeyClient } from "../client/unkey-client.js";
import { listOperations, loadContract } from "../schemas/loader.js";
import type { SafetyClass } from "../schemas/x-mcp.js";
import { redactValue, type Logger } from "../util/log.js";
import { validateArguments } from "./arguments.js";
import { effectiveSafety, policyRefusal, type BeforeExecuteHook, type GuardPolicy } from "./guard.js";
import { handWrittenTools } from "./hand-written/index.js";
import { prepareArguments } from "./prepare.js";
import {
  apiErrorResult,
  internalErrorResult,
  invalidArgumentsResult,
  missingRootKeyResult,
  networkErrorResult,
  outputResult,
  refusedResult,
  successResult,
  type ResultOptions,
} from "./results.js";
import type { ToolContext, ToolDefinition } from "./types.js";

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
   * Tool names of the caller's catalog (after profile, toolsets and narrowing): hints name no
   * other tool. Absent = every tool of the bundled catalog.
   */
  availableTools?: ReadonlySet<string>;
  /** Token budget of each half of a result (results.ts, RESULT_TOKEN_BUDGET). */
  resultTokenBudget?: number;
  /** The current time in unix ms; tests pin it. */
  now?: () => number;
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
  const now = ctx.now ?? Date.now;
  const hintOptions: ResultOptions = {
    hideSecrets: ctx.hideSecrets,
    rootKeySource: ctx.rootKeySource,
    available: ctx.availableTools ?? bundledToolNames(),
    tokenBudget: ctx.resultTokenBudget,
  };
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

  const raw = rawArgs === undefined || rawArgs === null ? {} : rawArgs;
  const prepared = typeof raw === "object" && !Array.isArray(raw) ? prepareArguments(tool.argumentRules, raw as Record<string, unknown>, now()) : { ok: true as const, args: raw };
  if (!prepared.ok) return done(invalidArgumentsResult(tool, prepared.problems), "invalid_arguments", { fields: prepared.problems.map((p) => p.field) });
  const check = validateArguments(tool, prepared.args);
  if (!check.ok) return done(invalidArgumentsResult(tool, check.problems), "invalid_arguments", { fields: check.problems.map((p) => p.field) });
  const args = check.args;
  // The redacting copy is only worth making when the line is written.
  if (log.level === "debug") log.debug("arguments", { tool: tool.name, args: redactValue(args, [], tool.secretArgs) });

  const safety = effectiveSafety(tool, args);
  if (ctx.policy) {
    const refusal = policyRefusal(tool, safety, ctx.policy);
    if (refusal) return done(refusedResult(tool, refusal), "refused_read_only", { safety });
  }
  if (ctx.beforeExecute) {
    const stop = await ctx.beforeExecute({ tool, args, safety, rootKey, signal: ctx.signal, mcp: ctx.mcp });
    if (stop) return done(stop, "stopped_by_guard", { safety });
  }

  const resultOptions: ResultOptions = { ...hintOptions, now: now() };
  try {
    if (tool.handler) {
      const output = await tool.handler(args, toolContext(ctx, rootKey, safety, now));
      return done(outputResult(tool, output, resultOptions), "ok", { safety });
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
    if (response.status >= 200 && response.status < 300) return done(successResult(tool, response, resultOptions), "ok", fields);
    return done(apiErrorResult(tool, args, response, resultOptions), "api_error", fields);
  } catch (err) {
    if (err instanceof UnkeyApiError) {
      const r = err.response;
      return done(apiErrorResult(tool, args, r, resultOptions), "api_error", { safety, status: r.status, requestId: r.requestId, attempts: r.attempts, operation: err.operationId });
    }
    if (err instanceof UnkeyNetworkError) {
      return done(networkErrorResult(tool, err, resultOptions), err.kind === "aborted" ? "cancelled" : "network_error", { safety, kind: err.kind, code: err.code, attempts: err.attempts });
    }
    if (err instanceof UnkeyRequestBodyError) {
      const problem = { field: "(arguments)", problem: err.message, expected: "plain JSON values", given: "a value JSON cannot carry" };
      return done(invalidArgumentsResult(tool, [problem]), "invalid_arguments", { safety });
    }
    const message = err instanceof Error ? err.message : String(err);
    log.error("tool failed unexpectedly", { tool: tool.name, error: err instanceof Error ? { name: err.name, message, stack: err.stack } : message });
    return done(internalErrorResult(tool, "an unexpected error occurred (details are in the server log)"), "internal_error", { safety });
  }
}

/**
 * What a hand-written handler gets: `call` sends one contract operation with this call's root
 * key, safety class and cancellation, and resolves with the response's `data`.
 */
function toolContext(ctx: ExecuteContext, rootKey: string, safety: SafetyClass, now: () => number): ToolContext {
  return {
    now,
    signal: ctx.signal,
    async call(operationId: string, body: unknown): Promise<unknown> {
      const op = contractOperations().get(operationId);
      if (!op) throw new Error(`unknown operationId ${JSON.stringify(operationId)} (not in the bundled contract)`);
      const response = await ctx.client.request({ method: op.method, path: op.path, body, rootKey, safety, signal: ctx.signal });
      if (response.status < 200 || response.status >= 300) throw new UnkeyApiError(operationId, response);
      const parsed = response.body;
      return typeof parsed === "object" && parsed !== null && "data" in parsed ? (parsed as { data: unknown }).data : parsed;
    },
  };
}

let operations: Map<string, { method: "post" | "get"; path: string }> | undefined;

/** operationId → method and path of the bundled contract, built on the first hand-written call. */
function contractOperations(): Map<string, { method: "post" | "get"; path: string }> {
  operations ??= new Map(listOperations(loadContract()).map((op) => [op.operationId, { method: op.method, path: op.path }]));
  return operations;
}

let bundledNames: ReadonlySet<string> | undefined;

/** Every tool name of the bundled catalog: what hints may name when the caller's set is unknown. */
function bundledToolNames(): ReadonlySet<string> {
  if (!bundledNames) {
    const generated = listOperations(loadContract()).flatMap((op) => (op.xMcp ? [op.xMcp.name] : []));
    bundledNames = new Set([...generated, ...handWrittenTools.map((t) => t.name)]);
  }
  return bundledNames;
}
