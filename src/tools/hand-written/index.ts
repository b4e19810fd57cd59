/**
 * Hand-written tools (made with defineTool), listed after the generated ones in every catalog.
 * Each lives in its own module here and is added to this list.
 */
import type { ToolDefinition } from "../types.js";
import { analyticsTools } from "./analytics.js";

export const handWrittenTools: ToolDefinition[] = [...analyticsTools];
