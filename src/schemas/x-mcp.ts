/**
 * The `x-mcp` vocabulary: MCP metadata carried on every operation of an OpenAPI document.
 * It is the only source of tool metadata; see docs/x-mcp.md for the prose version.
 */

export type SafetyClass = "read" | "consume" | "write" | "destructive";

export const SAFETY_CLASSES: readonly SafetyClass[] = ["read", "consume", "write", "destructive"];

/** A condition on a top-level request argument. Exactly one of equals / present / in / note is set. */
export interface ArgumentCondition {
  /** Top-level request field the condition reads. Absent for a `note`-only condition. */
  field?: string;
  /** Matches when the argument is present and deep-equal to this value (null included). */
  equals?: unknown;
  /** Matches when the argument is present (any value, null included). */
  present?: boolean;
  /** Matches when the argument equals one of these values. */
  in?: unknown[];
  /** A condition only the server can evaluate, stated in prose for hints and docs. */
  note?: string;
}

/**
 * Root-key permissions in conjunctive normal form: every inner list must be satisfied by holding
 * any one of its permissions. `<apiId>`, `<identityId>`, `<namespaceId>` stand for the id of the
 * resource the call touches.
 */
export type PermissionRequirement = string[][];

export interface ConditionalPermission {
  when: ArgumentCondition;
  require: PermissionRequirement;
}

export interface PaginationRule {
  /** Request field that takes the cursor. */
  cursorParam: string;
  /** Response path of the next cursor (absent at the end). */
  nextCursor: string;
  /** Response path of the page's items. */
  items: string;
}

/** How a guard finds and names the target of a destructive call, with a read operation. */
export interface TargetRule {
  /** operationId of the read that resolves the target. */
  operation: string;
  /** Read-operation argument → field of this call's arguments. */
  args: Record<string, string>;
  /** Field of the read's `data` that names the target for a person. */
  label: string;
}

export interface XMcp {
  name: string;
  title: string;
  toolset: string;
  safety: SafetyClass;
  permissions: PermissionRequirement;
  profiles: string[];
  /** For `write` operations that turn destructive with some arguments: any matching rule does. */
  destructiveWhen?: ArgumentCondition[];
  permissionsIf?: ConditionalPermission[];
  pagination?: PaginationRule;
  /** Fields of the response `data` that hold secrets (also marked `x-unkey-redact` in the schema). */
  secrets?: string[];
  /** Non-object request bodies are wrapped in this property of the tool's input. */
  bodyProperty?: string;
  /** `high`: confirmation asks a person to type the target's name. */
  impact?: "high";
  target?: TargetRule;
}
