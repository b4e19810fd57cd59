/**
 * The bundled contract's tool catalog for unit tests, and small readers of tool results.
 */
import { buildCatalog } from "../../src/tools/catalog.js";
import type { ToolDefinition } from "../../src/tools/types.js";

/** The whole catalog as the server builds it: generated tools plus hand-written ones. */
export const tools: ToolDefinition[] = (await buildCatalog({ strict: true })).tools;

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

/** How many tools a profile lists (what a client of /mcp/v2 or /mcp/ratelimits/ should see). */
export function profileSize(profile: "full" | "ratelimits"): number {
  return tools.filter((t) => t.profiles.includes(profile)).length;
}
