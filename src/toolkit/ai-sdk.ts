/**
 * `unkey-mcp/ai-sdk`: the toolkit as a Vercel AI SDK `ToolSet`.
 *
 *   const toolkit = await createUnkeyToolkit({ rootKey });
 *   const result = await generateText({ model, tools: unkeyAiSdkTools(toolkit), stopWhen: stepCountIs(5), prompt });
 *
 * Destructive calls use the SDK's own human-in-the-loop flow: `needsApproval` is judged on the
 * actual arguments (so `update_key` with `enabled: false` asks, a rename does not), the SDK
 * returns a `tool-approval-request`, and the call runs only after a `tool-approval-response`
 * with `approved: true`. A denial reaches the model as the SDK's `execution-denied` output.
 */
import { jsonSchema, type JSONSchema7, type ModelMessage, type Tool, type ToolSet } from "ai";
import type { ResultEnvelope } from "../tools/envelope.js";
import type { UnkeyToolkit } from "./toolkit.js";

/** What a tool's `execute` returns (JSON, so it survives UI message round trips). */
export interface UnkeyAiSdkOutput {
  isError: boolean;
  text: string;
  /** The result envelope (`structuredContent`). */
  structured?: ResultEnvelope;
}

export function unkeyAiSdkTools(toolkit: UnkeyToolkit): ToolSet {
  const tools: ToolSet = {};
  for (const def of toolkit.tools) {
    const name = def.name;
    const entry: Tool<Record<string, unknown>, UnkeyAiSdkOutput> = {
      title: def.title,
      description: def.description,
      // No `validate`: the executor validates (against the API's own request schema) and answers
      // with field-level errors the model can act on, which the SDK's validation would pre-empt
      // with a generic message.
      inputSchema: jsonSchema<Record<string, unknown>>(def.inputSchema as JSONSchema7),
      needsApproval: (input) => toolkit.needsApproval(name, input),
      execute: async (input, { abortSignal, toolCallId, messages }) => {
        // Fail closed: a call that needs approval counts as approved only when the conversation
        // holds the person's yes for this very tool call. A tool copied out of this set without
        // its needsApproval is refused by the toolkit instead of running unasked.
        const approved = toolkit.needsApproval(name, input) && approvalGranted(messages, toolCallId);
        const { isError, text, structured } = await toolkit.call(name, input, { signal: abortSignal, approved });
        return { isError, text, ...(structured !== undefined ? { structured } : {}) };
      },
      // The model reads the executor's text (summary, hints, compact JSON); failures as error text.
      toModelOutput: ({ output }) => (output.isError ? { type: "error-text", value: output.text } : { type: "text", value: output.text }),
    };
    tools[name] = entry;
  }
  return tools;
}

/** True when `messages` hold an approval request for this tool call and a granting response to it. */
function approvalGranted(messages: readonly ModelMessage[], toolCallId: string): boolean {
  const approvalIds = new Set<string>();
  for (const m of messages) {
    if (m.role !== "assistant" || typeof m.content === "string") continue;
    for (const part of m.content) if (part.type === "tool-approval-request" && part.toolCallId === toolCallId) approvalIds.add(part.approvalId);
  }
  if (approvalIds.size === 0) return false;
  return messages.some(
    (m) => m.role === "tool" && m.content.some((part) => part.type === "tool-approval-response" && approvalIds.has(part.approvalId) && part.approved),
  );
}
