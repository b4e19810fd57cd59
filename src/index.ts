/**
 * Library entry: the tool catalog for use inside other agents.
 *
 *   import { buildCatalog, selectTools, toOpenAITools } from "unkey-mcp";
 *   const { tools } = await buildCatalog();
 *   const openaiTools = toOpenAITools(selectTools(tools, { profile: "ratelimits" }));
 *
 * Nothing here starts a server or reads the environment; the local API is not loaded.
 */
export { loadContract, parseOpenApi, validateOpenApi, listOperations } from "./schemas/loader.js";
export type { ContractOperation, JsonSchema, OpenApiDocument } from "./schemas/loader.js";
export type { ArgumentCondition, PaginationRule, PermissionRequirement, SafetyClass, TargetRule, XMcp } from "./schemas/x-mcp.js";
export { annotationsFor, generateTools, ToolGenerationError, TOOL_NAME_PATTERN } from "./tools/generate.js";
export type { GeneratedCatalog, GenerateOptions } from "./tools/generate.js";
export {
  buildCatalog,
  CatalogSelectionError,
  DEFAULT_PROFILE,
  listProfiles,
  listToolsets,
  narrowSelection,
  selectTools,
  validateSelection,
} from "./tools/catalog.js";
export type { Catalog, CatalogOptions, SelectionField, ToolSelection } from "./tools/catalog.js";
export { defineTool } from "./tools/define.js";
export type { ToolSpec } from "./tools/define.js";
export type { ResultEnvelope, ResultError } from "./tools/envelope.js";
export { exportTools, readSpec, toAnthropicTools, toListedTool, toOpenAITools } from "./tools/export.js";
export type { AnthropicTool, ExportFormat, ListedTool, OpenAITool } from "./tools/export.js";
export type { HttpBinding, ToolAnnotations, ToolContext, ToolDefinition, ToolHandler, ToolOutput } from "./tools/types.js";
