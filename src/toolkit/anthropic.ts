/**
 * `unkey-mcp/anthropic`: tool definitions for the Anthropic Messages API and a handler that turns
 * the model's `tool_use` blocks into `tool_result` blocks. No Anthropic package is needed: the
 * types below are the wire shapes.
 *
 *   const message = await anthropic.messages.create({ model, max_tokens, tools: anthropicTools(toolkit), messages });
 *   messages.push({ role: "assistant", content: message.content });
 *   messages.push({ role: "user", content: await handleToolUses(toolkit, message.content) });
 *
 * Destructive calls run only when the toolkit's `approve(call)` returns true (or the toolkit was
 * created with `confirm: "off"`); otherwise the `tool_result` has `is_error: true` and says why.
 */
import type { JsonSchema } from "../schemas/loader.js";
import type { ApproveCallback, UnkeyToolkit } from "./toolkit.js";

/** Messages API `tools[]` entry. */
export interface AnthropicToolDefinition {
  name: string;
  description: string;
  input_schema: JsonSchema;
}

/** A `tool_use` content block of an assistant message. */
export interface AnthropicToolUseBlock {
  type: "tool_use";
  id: string;
  name: string;
  input: unknown;
}

/** The reply to one `tool_use`, for the next user message's content. */
export interface AnthropicToolResultBlock {
  type: "tool_result";
  tool_use_id: string;
  content: string;
  is_error?: boolean;
}

export interface AnthropicHandleOptions {
  signal?: AbortSignal;
  /** Overrides the toolkit's `approve` for these calls. */
  approve?: ApproveCallback;
}

export function anthropicTools(toolkit: UnkeyToolkit): AnthropicToolDefinition[] {
  return toolkit.tools.map((def) => ({ name: def.name, description: def.description, input_schema: def.inputSchema }));
}

export async function handleToolUse(
  toolkit: UnkeyToolkit,
  block: AnthropicToolUseBlock,
  options: AnthropicHandleOptions = {},
): Promise<AnthropicToolResultBlock> {
  const result = await toolkit.call(block.name, block.input, options);
  return { type: "tool_result", tool_use_id: block.id, content: result.text, ...(result.isError ? { is_error: true } : {}) };
}

/**
 * Executes every `tool_use` block of an assistant message's content, in order (a later call may
 * depend on an earlier one's effect); other blocks (text, thinking) are skipped. The results are
 * the content of the next user message.
 */
export async function handleToolUses(
  toolkit: UnkeyToolkit,
  content: readonly (AnthropicToolUseBlock | { type: string })[],
  options: AnthropicHandleOptions = {},
): Promise<AnthropicToolResultBlock[]> {
  const results: AnthropicToolResultBlock[] = [];
  for (const block of content) if (isToolUse(block)) results.push(await handleToolUse(toolkit, block, options));
  return results;
}

function isToolUse(block: AnthropicToolUseBlock | { type: string }): block is AnthropicToolUseBlock {
  return block.type === "tool_use";
}
