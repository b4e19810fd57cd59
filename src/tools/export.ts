/**
 * The tool catalog for other agent frameworks: MCP/JSON Schema, OpenAI function calling and
 * Anthropic tool use, plus the `unkey-mcp tools` command that prints it.
 */
import type { JsonSchema } from "../schemas/loader.js";
import { ConfigError, flagHelp, parseConfig, wantsHelp, type ExportFormat } from "../config.js";
import { buildCatalog, CatalogSelectionError, selectTools } from "./catalog.js";
import type { ToolAnnotations, ToolDefinition } from "./types.js";

export { readSpec } from "./catalog.js";

/** A tool as MCP `tools/list` shows it. */
export interface ListedTool {
  name: string;
  title: string;
  description: string;
  inputSchema: JsonSchema;
  outputSchema?: JsonSchema;
  annotations: ToolAnnotations;
}

/** OpenAI Chat Completions `tools` entry. */
export interface OpenAITool {
  type: "function";
  function: { name: string; description: string; parameters: JsonSchema };
}

/** Anthropic Messages API `tools` entry. */
export interface AnthropicTool {
  name: string;
  description: string;
  input_schema: JsonSchema;
}

/** The model-facing part of a tool definition, exactly what `tools/list` serves. */
export function toListedTool(tool: ToolDefinition): ListedTool {
  return {
    name: tool.name,
    title: tool.title,
    description: tool.description,
    inputSchema: tool.inputSchema,
    ...(tool.outputSchema ? { outputSchema: tool.outputSchema } : {}),
    annotations: tool.annotations,
  };
}

export function toOpenAITools(tools: readonly ToolDefinition[]): OpenAITool[] {
  return tools.map((t) => ({
    type: "function",
    function: { name: t.name, description: t.description, parameters: t.inputSchema },
  }));
}

export function toAnthropicTools(tools: readonly ToolDefinition[]): AnthropicTool[] {
  return tools.map((t) => ({ name: t.name, description: t.description, input_schema: t.inputSchema }));
}

export { EXPORT_FORMATS, type ExportFormat } from "../config.js";

/** The catalog in one of the export formats, ready for JSON.stringify. */
export function exportTools(tools: readonly ToolDefinition[], format: ExportFormat): unknown {
  switch (format) {
    case "json":
      return { tools: tools.map(toListedTool) };
    case "openai":
      return toOpenAITools(tools);
    case "anthropic":
      return toAnthropicTools(tools);
  }
}

/** `unkey-mcp tools --help`: the flags come from config.ts, like every other command's. */
export function toolsUsage(): string {
  return `Usage: unkey-mcp tools [flags]

Print the tool catalog as JSON on stdout.

Flags [environment variable]:
${flagHelp("tools")}
  -h, --help  this text
`;
}

export interface CommandIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

/**
 * \`unkey-mcp tools …\`: prints the selected catalog; returns the exit code (also set on process).
 * \`env\` is the caller's environment (the CLI passes process.env; nothing here reads it itself).
 */
export async function runToolsCommand(
  args: readonly string[],
  io: CommandIo = { stdout: process.stdout, stderr: process.stderr },
  env: NodeJS.ProcessEnv = {},
): Promise<number> {
  const code = await run(args, io, env);
  if (code !== 0) process.exitCode = code;
  return code;
}

async function run(args: readonly string[], io: CommandIo, env: NodeJS.ProcessEnv): Promise<number> {
  try {
    if (wantsHelp([...args])) {
      io.stdout.write(toolsUsage());
      return 0;
    }
    const config = parseConfig("tools", [...args], env);
    // Lenient even for the bundled contract: a rule slip is printed as a warning rather than
    // hiding the whole catalog (strict mode is enforced by the test suite).
    const { tools, warnings } = await buildCatalog({ spec: config.spec });
    for (const w of warnings) io.stderr.write(`warning: ${w}\n`);
    const selected = selectTools(tools, config.catalog);
    io.stdout.write(`${JSON.stringify(exportTools(selected, config.format), null, 2)}\n`);
    return 0;
  } catch (err) {
    if (err instanceof ConfigError || err instanceof CatalogSelectionError) {
      io.stderr.write(`unkey-mcp tools: ${err.message}\n`);
      return 2;
    }
    io.stderr.write(`unkey-mcp tools: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
