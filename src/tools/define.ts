/**
 * `defineTool`: the seam for hand-written tools (analytics helpers, workflows). It returns the
 * same ToolDefinition the generator makes, so a hand-written tool is listed, selected, executed,
 * snapshotted, counted and exported exactly like a generated one; only its body differs (a
 * handler instead of an HTTP binding).
 */
import type { JsonSchema } from "../schemas/loader.js";
import type { PermissionRequirement, SafetyClass } from "../schemas/x-mcp.js";
import { envelopeSchema } from "./envelope.js";
import { annotationsFor, cleanSchema, TOOL_NAME_PATTERN } from "./generate.js";
import { collectArgumentRules } from "./prepare.js";
import type { ToolContext, ToolDefinition, ToolHandler, ToolOutput } from "./types.js";

export type { ToolContext, ToolHandler, ToolOutput };

export interface ToolSpec {
  name: string;
  title: string;
  /** What a model needs to choose and fill the tool: one short paragraph. */
  description: string;
  toolset: string;
  /** Profiles that list the tool; default `["full"]`. */
  profiles?: string[];
  safety: SafetyClass;
  /** JSON Schema of the arguments, as the model sees it (x-mcp-time / x-mcp-default marks apply). */
  inputSchema: JsonSchema;
  /** JSON Schema of the handler's `data`; the result envelope around it is added here. */
  outputSchema?: JsonSchema;
  /** Root-key permissions the tool's calls need, for hints (same CNF as x-mcp.permissions). */
  permissions?: PermissionRequirement;
  /** Argument paths holding secrets (never logged). */
  secretArgs?: string[];
  handler: ToolHandler;
}

/** Builds a ToolDefinition from a spec; throws on a name or schema no client would accept. */
export function defineTool(spec: ToolSpec): ToolDefinition {
  if (!TOOL_NAME_PATTERN.test(spec.name)) throw new Error(`defineTool: name ${JSON.stringify(spec.name)} must match ${TOOL_NAME_PATTERN.source}`);
  if (spec.inputSchema.type !== "object") throw new Error(`defineTool ${spec.name}: inputSchema must be an object schema`);
  const inputSchema = cleanSchema(spec.inputSchema, "model");
  return {
    name: spec.name,
    title: spec.title,
    description: spec.description,
    inputSchema,
    // Validated as written (marks removed), after the executor applied the marks' conversions.
    validationSchema: cleanSchema(spec.inputSchema, "validation"),
    outputSchema: envelopeSchema(spec.outputSchema ? cleanSchema(spec.outputSchema, "output") : undefined),
    annotations: annotationsFor(spec.safety, spec.title),
    toolset: spec.toolset,
    profiles: [...(spec.profiles ?? ["full"])],
    safety: spec.safety,
    permissions: spec.permissions ?? [],
    secrets: [],
    secretArgs: spec.secretArgs ?? [],
    argumentRules: collectArgumentRules(spec.inputSchema),
    handler: spec.handler,
  };
}
