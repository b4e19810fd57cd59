/**
 * The one definition type for tools: generated ones and hand-written ones alike.
 */
import type { CallToolResult } from "@modelcontextprotocol/server";
import type { JsonSchema } from "../schemas/loader.js";
import type { ExecuteContext } from "./execute.js";
import type { ArgumentCondition, PaginationRule, PermissionRequirement, ConditionalPermission, SafetyClass, TargetRule } from "../schemas/x-mcp.js";

export interface ToolAnnotations {
  title?: string;
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

/** How a tool reaches the API: an HTTP operation of the contract. */
export interface HttpBinding {
  operationId: string;
  method: "post" | "get";
  path: string;
  /** When the request body is not an object, the input property that carries it. */
  bodyProperty?: string;
}

export interface ToolDefinition {
  /** What MCP clients see. */
  name: string;
  title: string;
  description: string;
  /** Model-visible argument schema (cleaned for tokens; see src/tools/generate.ts). */
  inputSchema: JsonSchema;
  /**
   * What the executor validates arguments against: the request schema as the API defines it
   * (strict, e.g. `additionalProperties: false`). Absent → validate against `inputSchema`.
   */
  validationSchema?: JsonSchema;
  /** Shape of `structuredContent` on success: `{ data, pagination? }`. */
  outputSchema?: JsonSchema;
  annotations: ToolAnnotations;
  /** Catalog metadata. */
  toolset: string;
  profiles: string[];
  safety: SafetyClass;
  destructiveWhen?: ArgumentCondition[];
  permissions: PermissionRequirement;
  permissionsIf?: ConditionalPermission[];
  pagination?: PaginationRule;
  /** Paths in the result `data` holding secrets. */
  secrets: string[];
  /** Request argument names holding secrets (never logged). */
  secretArgs: string[];
  impact?: "high";
  target?: TargetRule;
  /** Generated tools call the API; hand-written tools bring their own handler. */
  http?: HttpBinding;
  handler?: ToolHandler;
}

/** What a hand-written tool receives: validated arguments and the call's context. */
export type ToolHandler = (args: Record<string, unknown>, ctx: ExecuteContext & { rootKey: string }) => Promise<CallToolResult>;
