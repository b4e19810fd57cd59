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
import { jsonSchema, type JSONSchema7, type Tool, type ToolSet } from "ai";
import type { UnkeyToolkit } from "./toolkit.js";

/** What a tool's `execute` returns (JSON, so it survives UI message round trips). */
export interface UnkeyAiSdkOutput {
  isError: boolean;
  text: string;
  data?: Record<string, unknown>;
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
      execute: async (input, { abortSignal }) => {
        // The SDK calls execute for a call that needs approval only after the person granted it.
        const approved = toolkit.needsApproval(name, input);
        const { isError, text, data } = await toolkit.call(name, input, { signal: abortSignal, approved });
        return { isError, text, ...(data !== undefined ? { data } : {}) };
      },
      // The model reads the executor's text (summary, hints, compact JSON); failures as error text.
      toModelOutput: ({ output }) => (output.isError ? { type: "error-text", value: output.text } : { type: "text", value: output.text }),
    };
    tools[name] = entry;
  }
  return tools;
}
