/**
 * The guard between validated arguments and the API: decides whether a call may run at all.
 *
 * The catalog already hides tools that read-only mode excludes; this is the second line, for a
 * call that slips through (a tool list cached by the client, a hand-written tool, a bug). It also
 * offers the hook point where the confirmation flow for destructive calls plugs in.
 */
import { isDeepStrictEqual as isEqual } from "node:util";
import type { ArgumentCondition, SafetyClass } from "../schemas/x-mcp.js";
import type { CallToolResult, ServerContext } from "@modelcontextprotocol/server";
import type { ToolDefinition } from "./types.js";

export interface GuardPolicy {
  readOnly: boolean;
  /** In read-only mode, let consume tools (verify, ratelimit checks) run. */
  allowConsume: boolean;
}

export interface GuardCall {
  tool: ToolDefinition;
  args: Record<string, unknown>;
  /** The effective safety of this call (a write can turn destructive with some arguments). */
  safety: SafetyClass;
  rootKey?: string;
  signal?: AbortSignal;
  /** The SDK's request context: a retried multi-round-trip call's `inputResponses` are in `mcp.mcpReq`. */
  mcp?: ServerContext;
}

/**
 * Runs after validation and the read-only check, before the API call. Returning a result stops
 * the call with that result (a confirmation request, a refusal); undefined lets it proceed.
 * The confirmation flow for destructive calls is implemented here later.
 */
export type BeforeExecuteHook = (call: GuardCall) => Promise<CallToolResult | undefined> | CallToolResult | undefined;

/** True when one top-level argument condition holds. `note` conditions only the server can judge. */
export function conditionMatches(cond: ArgumentCondition, args: Record<string, unknown>): boolean {
  if (cond.field === undefined) return false;
  const present = Object.hasOwn(args, cond.field);
  const value = args[cond.field];
  if (cond.present !== undefined) return cond.present ? present : !present;
  if (!present) return false;
  if (cond.in !== undefined) return cond.in.some((v) => isEqual(v, value));
  if ("equals" in cond) return isEqual(cond.equals, value);
  return false;
}

/**
 * Calls that can lose data are guarded by a confirmation step (src/tools/confirm): every
 * `destructive` tool and every `write` with `destructiveWhen` rules.
 */
export function isGuarded(t: Pick<ToolDefinition, "safety" | "destructiveWhen">): boolean {
  return t.safety === "destructive" || (t.safety === "write" && (t.destructiveWhen?.length ?? 0) > 0);
}

/** The argument that carries a confirmation token; never sent to the API. */
export const CONFIRM_ARG = "confirm";

/**
 * The safety class of this particular call: `destructiveWhen` rules upgrade a write. A rule no
 * argument can decide (a `note`, as an operation of a --spec document without x-mcp gets) holds
 * for every call: such a tool is listed as guarded, so it must be guarded.
 */
export function effectiveSafety(tool: Pick<ToolDefinition, "safety" | "destructiveWhen">, args: Record<string, unknown>): SafetyClass {
  if (tool.safety === "write" && tool.destructiveWhen?.some((c) => c.field === undefined || conditionMatches(c, args))) return "destructive";
  return tool.safety;
}

/** A refusal message when the policy forbids this call, else undefined. */
export function policyRefusal(tool: Pick<ToolDefinition, "name" | "safety">, safety: SafetyClass, policy: GuardPolicy): string | undefined {
  if (!policy.readOnly) return undefined;
  if (safety === "read") return undefined;
  if (safety === "consume") {
    if (policy.allowConsume) return undefined;
    return `${tool.name} is refused: the server runs in read-only mode and this tool spends credits or rate-limit tokens and records analytics. The operator can allow it with --allow-consume (UNKEY_MCP_ALLOW_CONSUME=true).`;
  }
  return `${tool.name} is refused: the server runs in read-only mode and this call ${safety === "destructive" ? "deletes, replaces or revokes data" : "creates or changes data"}. Nothing was changed. Use a read tool instead, or ask the operator to restart without --read-only.`;
}
