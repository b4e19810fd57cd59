/**
 * The bundled contract's tool catalog for unit tests, and small readers of tool results.
 */
import { loadContract } from "../../src/schemas/loader.js";
import { generateTools } from "../../src/tools/generate.js";
import type { ToolDefinition } from "../../src/tools/types.js";

export const tools: ToolDefinition[] = generateTools(loadContract()).tools;

/** The catalog's tool of that name (throws for an unknown name, so a typo fails the test). */
export function tool(name: string): ToolDefinition {
  const t = tools.find((x) => x.name === name);
  if (!t) throw new Error(`no tool ${name}`);
  return t;
}

/** The text of a result's first content block. */
export function text(r: { content: unknown[] }): string {
  return (r.content[0] as { text: string }).text;
}
