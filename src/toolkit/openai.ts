/**
 * `unkey-mcp/openai`: function tools for the OpenAI Chat Completions and Responses APIs, and
 * handlers that execute the model's tool calls and return what to send back. No OpenAI package is
 * needed: the types below are the wire shapes.
 *
 *   const tools = openaiChatTools(toolkit);
 *   const completion = await openai.chat.completions.create({ model, messages, tools });
 *   messages.push(completion.choices[0].message, ...(await handleToolCalls(toolkit, completion.choices[0].message.tool_calls ?? [])));
 *
 * Destructive calls run only when the toolkit's `approve(call)` returns true (or the toolkit was
 * created with `confirm: "off"`); otherwise the model gets a tool message saying nothing was done.
 */
import type { JsonSchema } from "../schemas/loader.js";
import type { ToolDefinition } from "../tools/types.js";
import { dropStrictNulls, toStrictSchema } from "./strict-schema.js";
import type { ApproveCallback, ToolkitCallResult, UnkeyToolkit } from "./toolkit.js";

/** Chat Completions `tools[]` entry. */
export interface OpenAIChatTool {
  type: "function";
  function: { name: string; description: string; parameters: JsonSchema; strict: boolean };
}

/** Responses API `tools[]` entry. */
export interface OpenAIResponsesTool {
  type: "function";
  name: string;
  description: string;
  parameters: JsonSchema;
  strict: boolean;
}

/** A Chat Completions `message.tool_calls[]` entry. */
export interface OpenAIChatToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

/** The reply to one Chat Completions tool call. */
export interface OpenAIChatToolMessage {
  role: "tool";
  tool_call_id: string;
  content: string;
}

/** A Responses API `output[]` item of type `function_call`. */
export interface OpenAIResponsesFunctionCall {
  type: "function_call";
  call_id: string;
  name: string;
  arguments: string;
  id?: string;
  status?: string;
}

/** The reply to one Responses API function call, for the next request's `input`. */
export interface OpenAIResponsesFunctionCallOutput {
  type: "function_call_output";
  call_id: string;
  output: string;
}

export interface OpenAIHandleOptions {
  signal?: AbortSignal;
  /** Overrides the toolkit's `approve` for these calls. */
  approve?: ApproveCallback;
}

/** Per tool: strict-mode schema (or the original with strict false), built once per toolkit. */
const schemaCache = new WeakMap<ToolDefinition, { parameters: JsonSchema; strict: boolean }>();

function parametersFor(def: ToolDefinition): { parameters: JsonSchema; strict: boolean } {
  let entry = schemaCache.get(def);
  if (!entry) {
    const strict = toStrictSchema(def.inputSchema);
    entry = strict ? { parameters: strict, strict: true } : { parameters: def.inputSchema, strict: false };
    schemaCache.set(def, entry);
  }
  return entry;
}

export function openaiChatTools(toolkit: UnkeyToolkit): OpenAIChatTool[] {
  return toolkit.tools.map((def) => ({ type: "function", function: { name: def.name, description: def.description, ...parametersFor(def) } }));
}

export function openaiResponsesTools(toolkit: UnkeyToolkit): OpenAIResponsesTool[] {
  return toolkit.tools.map((def) => ({ type: "function", name: def.name, description: def.description, ...parametersFor(def) }));
}

/** Executes one tool call (either API's shape) and returns the reply in the same API's shape. */
export async function handleToolCall(toolkit: UnkeyToolkit, call: OpenAIChatToolCall, options?: OpenAIHandleOptions): Promise<OpenAIChatToolMessage>;
export async function handleToolCall(
  toolkit: UnkeyToolkit,
  call: OpenAIResponsesFunctionCall,
  options?: OpenAIHandleOptions,
): Promise<OpenAIResponsesFunctionCallOutput>;
export async function handleToolCall(
  toolkit: UnkeyToolkit,
  call: OpenAIChatToolCall | OpenAIResponsesFunctionCall,
  options: OpenAIHandleOptions = {},
): Promise<OpenAIChatToolMessage | OpenAIResponsesFunctionCallOutput> {
  if ("function" in call) {
    const result = await run(toolkit, call.function.name, call.function.arguments, options);
    return { role: "tool", tool_call_id: call.id, content: replyText(result) };
  }
  const result = await run(toolkit, call.name, call.arguments, options);
  return { type: "function_call_output", call_id: call.call_id, output: replyText(result) };
}

/**
 * Executes the tool calls of one model turn, in order (a later call may depend on an earlier
 * one's effect). Chat Completions: pass `message.tool_calls`; Responses: pass `response.output`
 * (items other than `function_call` are skipped).
 */
export async function handleToolCalls(
  toolkit: UnkeyToolkit,
  calls: readonly OpenAIChatToolCall[],
  options?: OpenAIHandleOptions,
): Promise<OpenAIChatToolMessage[]>;
export async function handleToolCalls(
  toolkit: UnkeyToolkit,
  output: readonly (OpenAIResponsesFunctionCall | { type: string })[],
  options?: OpenAIHandleOptions,
): Promise<OpenAIResponsesFunctionCallOutput[]>;
export async function handleToolCalls(
  toolkit: UnkeyToolkit,
  calls: readonly (OpenAIChatToolCall | OpenAIResponsesFunctionCall | { type: string })[],
  options: OpenAIHandleOptions = {},
): Promise<Array<OpenAIChatToolMessage | OpenAIResponsesFunctionCallOutput>> {
  const replies: Array<OpenAIChatToolMessage | OpenAIResponsesFunctionCallOutput> = [];
  for (const call of calls) {
    if ("function" in call) replies.push(await handleToolCall(toolkit, call as OpenAIChatToolCall, options));
    else if (call.type === "function_call") replies.push(await handleToolCall(toolkit, call as OpenAIResponsesFunctionCall, options));
  }
  return replies;
}

async function run(toolkit: UnkeyToolkit, name: string, rawArguments: string, options: OpenAIHandleOptions): Promise<ToolkitCallResult> {
  let args: unknown;
  try {
    args = rawArguments.trim() === "" ? {} : JSON.parse(rawArguments);
  } catch {
    // Unparseable JSON goes to the executor as the string it is: its validation answers that the
    // arguments must be an object, quoting what was given, and nothing is sent to Unkey.
    return toolkit.call(name, rawArguments, options);
  }
  const def = toolkit.tool(name);
  if (def && parametersFor(def).strict) args = dropStrictNulls(args, def.inputSchema);
  return toolkit.call(name, args, options);
}

/** Chat Completions and Responses have no error flag for tool output: failures say so in words. */
function replyText(result: ToolkitCallResult): string {
  return result.isError ? `Error: ${result.text}` : result.text;
}
