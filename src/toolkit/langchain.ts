/**
 * `unkey-mcp/langchain`: the toolkit as LangChain JS structured tools (`@langchain/core` 1.x).
 *
 *   const tools = langchainTools(toolkit);
 *   const ai = await model.bindTools(tools).invoke(messages);
 *   for (const call of ai.tool_calls ?? []) messages.push(await toolsByName[call.name].invoke(call));
 *
 * Invoked with a tool call, a tool answers with a `ToolMessage` whose `status` is `error` on
 * failures and whose `artifact` holds the result envelope (`structuredContent`). Destructive calls run only when the
 * toolkit's `approve(call)` returns true (or the toolkit was created with `confirm: "off"`).
 */
import { ToolMessage } from "@langchain/core/messages";
import type { CallbackManagerForToolRun } from "@langchain/core/callbacks/manager";
import { StructuredTool, ToolInputParsingException, type ToolRunnableConfig } from "@langchain/core/tools";
import type { JSONSchema } from "@langchain/core/utils/json_schema";
import type { ToolDefinition } from "../tools/types.js";
import type { ApproveCallback, UnkeyToolkit } from "./toolkit.js";

export interface LangChainToolsOptions {
  /** Overrides the toolkit's `approve` for these tools. */
  approve?: ApproveCallback;
}

type ToolOutput = string | ToolMessage;
type CallInput = Parameters<StructuredTool<JSONSchema>["call"]>[0];

/** One Unkey tool as a LangChain structured tool; every call goes through the toolkit's executor. */
export class UnkeyLangChainTool extends StructuredTool<JSONSchema> {
  name: string;
  description: string;
  schema: JSONSchema;
  private readonly toolkit: UnkeyToolkit;
  private readonly approve?: ApproveCallback;

  constructor(toolkit: UnkeyToolkit, def: ToolDefinition, options: LangChainToolsOptions = {}) {
    super();
    this.name = def.name;
    this.description = def.description;
    this.schema = def.inputSchema as JSONSchema;
    this.toolkit = toolkit;
    this.approve = options.approve;
  }

  /**
   * LangChain checks a JSON-Schema tool's input itself and throws a generic "did not match
   * expected schema" before the tool runs. The executor's check names each field, what was
   * expected and what was given, so such input is handed to the executor, which answers with
   * those field errors (and sends nothing to Unkey).
   */
  override async call<TArg extends CallInput, TConfig extends ToolRunnableConfig | undefined>(
    arg: TArg,
    configArg?: TConfig,
    tags?: string[],
  ): ReturnType<StructuredTool<JSONSchema>["call"]> {
    try {
      return await super.call(arg, configArg, tags);
    } catch (err) {
      if (!(err instanceof ToolInputParsingException)) throw err;
      const toolCall = isToolCall(arg) ? arg : configArg?.toolCall;
      return this.run(isToolCall(arg) ? arg.args : arg, toolCall?.id, configArg?.signal);
    }
  }

  protected override async _call(args: unknown, _runManager?: CallbackManagerForToolRun, config?: ToolRunnableConfig): Promise<ToolOutput> {
    return this.run(args, config?.toolCall?.id, config?.signal);
  }

  private async run(args: unknown, toolCallId: string | undefined, signal: AbortSignal | undefined): Promise<ToolOutput> {
    const result = await this.toolkit.call(this.name, args, { signal, ...(this.approve ? { approve: this.approve } : {}) });
    if (toolCallId === undefined) return result.text;
    return new ToolMessage({
      content: result.text,
      tool_call_id: toolCallId,
      name: this.name,
      status: result.isError ? "error" : "success",
      ...(result.structured !== undefined ? { artifact: result.structured } : {}),
    });
  }
}

export function langchainTools(toolkit: UnkeyToolkit, options: LangChainToolsOptions = {}): UnkeyLangChainTool[] {
  return toolkit.tools.map((def) => new UnkeyLangChainTool(toolkit, def, options));
}

function isToolCall(value: unknown): value is { id?: string; name: string; args: unknown; type?: "tool_call" } {
  return typeof value === "object" && value !== null && "args" in value && "name" in value && (value as { type?: unknown }).type === "tool_call";
}
