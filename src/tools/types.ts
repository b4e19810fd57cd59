/**
 * The one definition type for tools: generated ones and hand-written ones alike.
 */
import type { JsonSchema } from "../schemas/loader.js";
import type { TimeKind } from "./times.js";
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

/** One argument the executor prepares before validation (see src/tools/prepare.ts). */
export interface ArgumentRule {
  /** Dotted path below the arguments; `[]` steps into array items (`ratelimits[].duration`). */
  path: string;
  time?: TimeKind;
  /** The API's minimum for a duration, to explain a value that looks like seconds. */
  minimum?: number;
  /** `x-mcp-default`: the value an omitted field takes. */
  default?: unknown;
  /** A free-form object held to FREE_FORM_LIMITS. */
  freeForm?: boolean;
}

/** A unix-ms field of a result's `data` (path syntax as ArgumentRule's). */
export interface ResultTime {
  path: string;
  kind: TimeKind;
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
  /** What the executor does to arguments before validation (x-mcp-time, x-mcp-default, free-form limits). */
  argumentRules?: ArgumentRule[];
  /** Unix-ms fields of the result `data` that results carry with their ISO 8601 form. */
  resultTimes?: ResultTime[];
  /** Generated tools call the API; hand-written tools bring their own handler. */
  http?: HttpBinding;
  handler?: ToolHandler;
}

/**
 * What a hand-written tool's handler receives besides its validated arguments. It never sees the
 * root key, the client or the logger: everything it sends goes through `call`, so the executor
 * keeps authentication, retries and error shaping in one place.
 */
export interface ToolContext {
  /**
   * Calls an operation of the bundled contract by operationId and resolves with the response's
   * `data`. A non-2xx answer throws UnkeyApiError, which the executor shapes exactly like a
   * generated tool's error (hints included); a network failure throws UnkeyNetworkError.
   */
  call(operationId: string, body: unknown): Promise<unknown>;
  /** The current time in unix ms (tests can pin it). */
  now(): number;
  /** Cancelled when the MCP client cancels the request or disconnects. */
  signal?: AbortSignal;
}

/** What a hand-written handler returns; results.ts shapes it like any other success. */
export interface ToolOutput {
  data: unknown;
  /** One line saying what the result is; the executor's default summary otherwise. */
  summary?: string;
  /** Extra image content items (charts), base64-encoded. */
  images?: { data: string; mimeType: string }[];
}

/** A hand-written tool's body: validated arguments in, data out. */
export type ToolHandler = (args: Record<string, unknown>, ctx: ToolContext) => Promise<ToolOutput>;
