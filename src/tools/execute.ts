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
import { loadArgumentValidator, validateArguments } from "./arguments.js";
import { CONFIRM_ARG, effectiveSafety, isGuarded, policyRefusal, type BeforeExecuteHook, type GuardPolicy } from "./guard.js";
import { handWrittenTools } from "./hand-written/index.js";
import { prepareArguments } from "./prepare.js";
import {
  apiErrorResult,
  confirmationResult,
  confirmRefusedResult,
  internalErrorResult,
  invalidArgumentsResult,
  missingRootKeyResult,
  networkErrorResult,
  outputResult,
  refusedResult,
  successResult,
  type ResultOptions,
} from "./results.js";
import type { AuditLog } from "./confirm/audit.js";
import type { ConfirmAnswer, ConfirmChannel, ConfirmDecision, ConfirmGuard, ConfirmOutcome } from "./confirm/guard.js";
import { rootKeyFingerprint } from "./confirm/token.js";
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
  /** Confirmation of destructive calls; absent = they act at once (library use, tests). */
  confirm?: ConfirmGuard;
  /** How to ask the person in this session (`--confirm auto`); absent = the token result. */
  confirmChannel?: ConfirmChannel;
  /** An answer this request carries to an earlier question (2026-07-28 retry: requestState + response). */
  confirmAnswer?: { token: string; answer: ConfirmAnswer };
  /** One line per executed change and per confirmation outcome. */
  audit?: AuditLog;
  /** With hideSecrets: where withheld secrets go (stdio: a 0600 file). */
  secretSink?: (label: string, value: string) => string;
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

/** What the audit line and the log line say about a guarded call. */
interface CallFacts {
  safety?: SafetyClass;
  confirmation?: ConfirmOutcome;
  apiCalled?: boolean;
  status?: number;
  requestId?: string;
  reason?: string;
  [field: string]: unknown;
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
    secretSink: ctx.secretSink,
    available: ctx.availableTools ?? bundledToolNames(),
    tokenBudget: ctx.resultTokenBudget,
  };
  let auditArgs: unknown;
  const done = (result: CallToolResult, outcome: string, fields?: CallFacts): CallToolResult => {
    // Audit before the result leaves: every call that ran with side effects, and every
    // confirmation outcome (a preview that changed nothing included).
    if (
      ctx.audit &&
      fields?.safety !== undefined &&
      (fields.safety !== "read" || fields.confirmation !== undefined) &&
      (fields.apiCalled !== undefined || fields.confirmation !== undefined)
    ) {
      ctx.audit.append({
        tool: tool.name,
        safety: fields.safety,
        args: auditArgs,
        confirmation: fields.confirmation ?? "not_required",
        apiCalled: fields.apiCalled === true,
        ...(fields.status !== undefined ? { status: fields.status } : {}),
        ...(fields.requestId !== undefined ? { requestId: fields.requestId } : {}),
        rootKey: rootKeyFingerprint(ctx.rootKey ?? ""),
        ...(fields.reason !== undefined ? { reason: fields.reason } : {}),
      });
    }
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

  // `confirm` belongs to the guard, not to the API: take it out before the API's schema sees it.
  const split = splitConfirm(tool, rawArgs);
  if (typeof split.token !== "string" && split.token !== undefined) {
    return done(
      invalidArgumentsResult(tool, [
        { field: CONFIRM_ARG, problem: "is not a string", expected: "the token string a preview returned", given: typeof split.token },
      ]),
      "invalid_arguments",
      { fields: [CONFIRM_ARG] },
    );
  }
  const token = split.token;
  const raw = split.args === undefined || split.args === null ? {} : split.args;
  const prepared =
    typeof raw === "object" && !Array.isArray(raw)
      ? prepareArguments(tool.argumentRules, raw as Record<string, unknown>, now())
      : { ok: true as const, args: raw };
  if (!prepared.ok) return done(invalidArgumentsResult(tool, prepared.problems), "invalid_arguments", { fields: prepared.problems.map((p) => p.field) });
  await loadArgumentValidator();
  const check = validateArguments(tool, prepared.args);
  if (!check.ok) return done(invalidArgumentsResult(tool, check.problems), "invalid_arguments", { fields: check.problems.map((p) => p.field) });
  const args = check.args;
  if (ctx.audit) auditArgs = redactValue(args, [], tool.secretArgs);
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

  let confirmation: ConfirmOutcome | undefined;
  let changed: string[] | undefined;
  let reason: string | undefined;
  if (safety === "destructive" && ctx.confirm) {
    let decision: ConfirmDecision;
    const call = { tool, args, rootKey, client: ctx.client, signal: ctx.signal };
    // Both the first decision and the one after a person's answer read the target again; a
    // network error in either is a tool result (and an audit line), not a protocol error.
    const previewFailed = (err: unknown): CallToolResult => {
      if (err instanceof UnkeyNetworkError)
        return done(networkErrorResult(tool, err), "network_error", { safety, confirmation: "not_asked", apiCalled: false, reason: "preview failed" });
      throw err;
    };
    try {
      decision =
        ctx.confirmAnswer && ctx.confirm.mode !== "off"
          ? await ctx.confirm.answered({ ...call, ...ctx.confirmAnswer })
          : await ctx.confirm.decide({ ...call, token });
    } catch (err) {
      return previewFailed(err);
    }
    // A fresh question (not the retry of one) goes to the person when the session can ask.
    if (decision.kind === "ask" && !ctx.confirmAnswer && ctx.confirmChannel && ctx.confirm.mode === "auto") {
      const asked = await ctx.confirmChannel.ask({ tool: tool.name, preview: decision.preview, token: decision.token, expiresAt: decision.expiresAt });
      if (asked.kind === "answer") {
        try {
          decision = await ctx.confirm.answered({ ...call, token: decision.token, answer: asked.answer, preview: decision.preview });
        } catch (err) {
          return previewFailed(err);
        }
      } else if (asked.kind === "pending") reason = "asked through input_required; the answer comes with the retry";
      else reason = `not asked: ${asked.why}`;
    }
    switch (decision.kind) {
      case "unresolved":
        // The target cannot be read (not found, not readable with this key): that error, as is.
        return done(apiErrorResult(tool, args, decision.response, hintOptions), "preview_failed", {
          safety,
          confirmation: "not_asked",
          apiCalled: false,
          status: decision.response.status,
          requestId: decision.response.requestId,
        });
      case "ask":
        return done(confirmationResult(tool, decision), "confirmation_required", {
          safety,
          confirmation: "not_asked",
          apiCalled: false,
          ...(reason ? { reason } : {}),
        });
      case "refuse":
        return done(confirmRefusedResult(tool, decision.reason), `confirmation_${decision.outcome}`, {
          safety,
          confirmation: decision.outcome,
          apiCalled: false,
          reason: decision.reason,
        });
      case "proceed":
        confirmation = decision.outcome;
        changed = decision.preview ? [decision.preview.summary, ...decision.preview.effects] : undefined;
        break;
    }
  }

  const resultOptions: ResultOptions = { ...hintOptions, now: now() };
  try {
    if (tool.handler) {
      const output = await tool.handler(args, toolContext(ctx, rootKey, safety, now));
      return done(outputResult(tool, output, resultOptions), "ok", { safety, apiCalled: true, ...(confirmation ? { confirmation } : {}) });
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
    const fields: CallFacts = {
      safety,
      status: response.status,
      requestId: response.requestId,
      attempts: response.attempts,
      apiCalled: true,
      ...(confirmation ? { confirmation } : {}),
    };
    if (response.status >= 200 && response.status < 300) return done(successResult(tool, response, { ...resultOptions, changed }), "ok", fields);
    return done(apiErrorResult(tool, args, response, resultOptions), "api_error", fields);
  } catch (err) {
    if (err instanceof UnkeyApiError) {
      const r = err.response;
      return done(apiErrorResult(tool, args, r, resultOptions), "api_error", {
        safety,
        status: r.status,
        requestId: r.requestId,
        attempts: r.attempts,
        operation: err.operationId,
      });
    }
    if (err instanceof UnkeyNetworkError) {
      return done(networkErrorResult(tool, err, resultOptions), err.kind === "aborted" ? "cancelled" : "network_error", {
        safety,
        kind: err.kind,
        code: err.code,
        attempts: err.attempts,
        apiCalled: true,
        reason: err.kind,
        ...(confirmation ? { confirmation } : {}),
      });
    }
    if (err instanceof UnkeyRequestBodyError) {
      const problem = { field: "(arguments)", problem: err.message, expected: "plain JSON values", given: "a value JSON cannot carry" };
      return done(invalidArgumentsResult(tool, [problem]), "invalid_arguments", { safety, apiCalled: false });
    }
    const message = err instanceof Error ? err.message : String(err);
    log.error("tool failed unexpectedly", { tool: tool.name, error: err instanceof Error ? { name: err.name, message, stack: err.stack } : message });
    return done(internalErrorResult(tool, "an unexpected error occurred (details are in the server log)"), "internal_error", {
      safety,
      apiCalled: true,
      reason: "internal error",
      ...(confirmation ? { confirmation } : {}),
    });
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

/** Separates the guard's `confirm` argument (guarded tools only) from the API's arguments. */
function splitConfirm(tool: ToolDefinition, raw: unknown): { args: unknown; token?: unknown } {
  if (!isGuarded(tool) || raw === null || typeof raw !== "object" || Array.isArray(raw) || !(CONFIRM_ARG in raw)) return { args: raw };
  const { [CONFIRM_ARG]: token, ...args } = raw as Record<string, unknown>;
  return { args, token };
}
