/**
 * What a person is shown before a destructive call runs through the agent toolkit.
 *
 * The tool, its title, the (redacted) arguments, the effective safety, why the call counts as
 * destructive and which read call the contract names for the target; and `preview`, the target
 * resolved with read calls exactly as the MCP confirmation guard shows it (src/tools/confirm/
 * preview.ts: which key, API or identity, how many keys it holds, what is lost).
 */
import type { SafetyClass } from "../schemas/x-mcp.js";
import type { Preview } from "../tools/confirm/preview.js";
import { conditionMatches, type GuardCall } from "../tools/guard.js";
import type { ToolDefinition } from "../tools/types.js";
import { redactValue } from "../util/log.js";

/** The contract's rule for finding the target: which read tool, called with which arguments. */
export interface ApprovalTarget {
  /** The read tool that resolves the target (e.g. `get_key`), or its operationId when the tool is unknown. */
  readTool: string;
  /** Its arguments, taken from this call's arguments (e.g. `{ keyId: "key_…" }`). */
  lookup: Record<string, unknown>;
  /** The field of the read's `data` that names the target for a person (e.g. `name`). */
  label: string;
}

export interface ApprovalPreview {
  tool: string;
  title: string;
  /** The validated arguments, with secret arguments (plaintext keys) redacted. */
  arguments: Record<string, unknown>;
  /** Always `destructive` for a call that needs approval; a write can turn destructive with some arguments. */
  safety: SafetyClass;
  /** Why this call is destructive, in words a person reads. */
  reason: string;
  /** Absent when the contract names no target rule for the tool. */
  target?: ApprovalTarget;
  /** `high` for the actions the confirmation flow makes a person type the target's name for (deleting an API). */
  impact?: "high";
  /** What will happen, resolved with read calls (set by the toolkit before `approve` is asked). */
  preview?: Preview;
}

/** The call a developer's `approve(call)` callback is asked about. */
export type ApprovalRequest = ApprovalPreview;

/**
 * The preview of one destructive call. `catalog` is the whole catalog (not only the selected
 * tools), so the target's read tool is named even when the selection leaves it out.
 */
export function buildApprovalPreview(call: Pick<GuardCall, "tool" | "args" | "safety">, catalog: readonly ToolDefinition[]): ApprovalPreview {
  const { tool, args, safety } = call;
  const preview: ApprovalPreview = {
    tool: tool.name,
    title: tool.title,
    arguments: redactValue(args, [], tool.secretArgs) as Record<string, unknown>,
    safety,
    reason: destructiveReason(tool, args),
  };
  if (tool.target) {
    const rule = tool.target;
    const reader = catalog.find((t) => t.http?.operationId === rule.operation);
    const lookup: Record<string, unknown> = {};
    for (const [readArg, callArg] of Object.entries(rule.args)) if (args[callArg] !== undefined) lookup[readArg] = args[callArg];
    preview.target = { readTool: reader?.name ?? rule.operation, lookup, label: rule.label };
  }
  if (tool.impact) preview.impact = tool.impact;
  return preview;
}

function destructiveReason(tool: ToolDefinition, args: Record<string, unknown>): string {
  if (tool.safety === "destructive") return `${tool.name} deletes, removes, replaces or revokes data`;
  const matched = (tool.destructiveWhen ?? []).filter((c) => conditionMatches(c, args)).map((c) => c.field);
  return `${tool.name} becomes destructive with ${matched.map((f) => `\`${f}\``).join(", ") || "these arguments"}`;
}
