/**
 * The tool catalog for other agent frameworks: MCP/JSON Schema, OpenAI function calling and
 * Anthropic tool use, plus the `unkey-mcp tools` command that prints it.
 */
import { readFile } from "node:fs/promises";
import { loadContract, parseOpenApi } from "../schemas/loader.js";
import type { JsonSchema, OpenApiDocument } from "../schemas/loader.js";
import { CatalogSelectionError, DEFAULT_PROFILE, selectTools } from "./catalog.js";
import type { ToolSelection } from "./catalog.js";
import { generateTools, ToolGenerationError } from "./generate.js";
import type { ToolAnnotations, ToolDefinition } from "./types.js";

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

export const EXPORT_FORMATS = ["json", "openai", "anthropic"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

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

const USAGE = `Usage: unkey-mcp tools [options]

Print the tool catalog as JSON on stdout.

Options:
  --format json|openai|anthropic  json = MCP tools/list shape (default); openai = function
                                  calling "tools"; anthropic = Messages API "tools"
  --profile NAME                  full (default) or ratelimits
  --toolsets a,b                  keep these toolsets
  --tools x,y                     keep these tools (adds to --toolsets)
  --read-only                     keep read tools only
  --allow-consume                 with --read-only, keep verify/limit tools too
  --spec FILE|URL                 build the catalog from another OpenAPI 3.1 document
  -h, --help                      show this help
`;

export interface CommandIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

interface ToolsCommandOptions {
  format: ExportFormat;
  selection: ToolSelection;
  spec?: string;
  help: boolean;
}

/** A command-line mistake: printed as one line, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** `unkey-mcp tools …`: prints the selected catalog; returns the exit code (also set on process). */
export async function runToolsCommand(
  args: readonly string[],
  io: CommandIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const code = await run(args, io);
  if (code !== 0) process.exitCode = code;
  return code;
}

async function run(args: readonly string[], io: CommandIo): Promise<number> {
  try {
    const opts = parseToolsArgs(args);
    if (opts.help) {
      io.stdout.write(USAGE);
      return 0;
    }
    const doc = opts.spec ? await readSpec(opts.spec) : loadContract();
    // Lenient even for the bundled contract: a rule slip is printed as a warning rather than
    // hiding the whole catalog (strict mode is enforced by the test suite).
    const { tools, warnings } = generateTools(doc, opts.spec ? { overlay: loadContract() } : {});
    for (const w of warnings) io.stderr.write(`warning: ${w}\n`);
    const selected = selectTools(tools, opts.selection);
    io.stdout.write(`${JSON.stringify(exportTools(selected, opts.format), null, 2)}\n`);
    return 0;
  } catch (err) {
    if (err instanceof UsageError || err instanceof CatalogSelectionError) {
      io.stderr.write(`unkey-mcp tools: ${err.message}\n`);
      return 2;
    }
    if (err instanceof ToolGenerationError) {
      io.stderr.write(`unkey-mcp tools: ${err.message}\n`);
      return 1;
    }
    io.stderr.write(`unkey-mcp tools: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

/** Parses `tools` flags (`--flag value` or `--flag=value`); throws UsageError. */
export function parseToolsArgs(args: readonly string[]): ToolsCommandOptions {
  const opts: ToolsCommandOptions = { format: "json", selection: { profile: DEFAULT_PROFILE }, help: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const eq = arg.indexOf("=");
    const flag = arg.startsWith("--") && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith("--") && eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = (): string => {
      if (inline !== undefined) return inline;
      const next = args[i + 1];
      if (next === undefined || next.startsWith("--")) throw new UsageError(`${flag}: expected a value, given none`);
      i++;
      return next;
    };
    const flagOnly = (): void => {
      if (inline !== undefined) throw new UsageError(`${flag}: takes no value, given ${JSON.stringify(inline)}`);
    };
    switch (flag) {
      case "-h":
      case "--help":
        opts.help = true;
        break;
      case "--format": {
        const f = value();
        if (!(EXPORT_FORMATS as readonly string[]).includes(f)) {
          throw new UsageError(`--format: expected one of ${EXPORT_FORMATS.join(", ")}, given ${JSON.stringify(f)}`);
        }
        opts.format = f as ExportFormat;
        break;
      }
      case "--profile":
        opts.selection.profile = value();
        break;
      case "--toolsets":
        opts.selection.toolsets = splitList(value());
        break;
      case "--tools":
        opts.selection.tools = splitList(value());
        break;
      case "--read-only":
        flagOnly();
        opts.selection.readOnly = true;
        break;
      case "--allow-consume":
        flagOnly();
        opts.selection.allowConsume = true;
        break;
      case "--spec":
        opts.spec = value();
        break;
      default:
        throw new UsageError(
          `unknown option ${JSON.stringify(arg)}; expected --format, --profile, --toolsets, --tools, --read-only, --allow-consume, --spec or --help`,
        );
    }
  }
  return opts;
}

function splitList(raw: string): string[] {
  return raw
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Reads an OpenAPI document from a file path or an http(s) URL (the `--spec` option). */
export async function readSpec(source: string): Promise<OpenApiDocument> {
  let text: string;
  if (/^https?:\/\//i.test(source)) {
    const res = await fetch(source);
    if (!res.ok) throw new UsageError(`--spec: ${source} answered HTTP ${res.status}`);
    text = await res.text();
  } else {
    try {
      text = await readFile(source, "utf8");
    } catch (err) {
      throw new UsageError(`--spec: cannot read ${source}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  return parseOpenApi(text, source);
}
