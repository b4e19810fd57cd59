/**
 * Anthropic Messages API: the Unkey tools as tool definitions, `tool_use` blocks answered with
 * `tool_result` blocks by handleToolUses, destructive calls asked on the terminal. Plain fetch.
 * Run: UNKEY_ROOT_KEY=… ANTHROPIC_API_KEY=… npx tsx examples/anthropic.ts "Which of my keys are disabled?"
 */
import { createInterface } from "node:readline/promises";
import { createUnkeyToolkit } from "unkey-mcp";
import { anthropicTools, handleToolUses, type AnthropicToolUseBlock } from "unkey-mcp/anthropic";

const terminal = createInterface({ input: process.stdin, output: process.stdout });
const toolkit = await createUnkeyToolkit({
  rootKey: process.env.UNKEY_ROOT_KEY ?? "",
  baseUrl: process.env.UNKEY_API_URL,
  approve: async (call) =>
    (await terminal.question(`${call.title}: ${JSON.stringify(call.arguments)} (${call.reason}). Allow? [y/N] `)).trim().toLowerCase() === "y",
});

type Block = AnthropicToolUseBlock | { type: "text"; text: string };
const messages: unknown[] = [{ role: "user", content: process.argv[2] ?? "List the keys of my first API." }];
for (let turn = 0; turn < 10; turn++) {
  const response = await fetch("https://api.anthropic.com/v1/messages", {
    method: "POST",
    headers: { "x-api-key": process.env.ANTHROPIC_API_KEY ?? "", "anthropic-version": "2023-06-01", "content-type": "application/json" },
    body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 2048, tools: anthropicTools(toolkit), messages }),
  });
  const message = (await response.json()) as { content: Block[]; stop_reason: string };
  messages.push({ role: "assistant", content: message.content });
  if (message.stop_reason !== "tool_use") {
    for (const block of message.content) if (block.type === "text") console.log(block.text);
    break;
  }
  messages.push({ role: "user", content: await handleToolUses(toolkit, message.content) });
}
terminal.close();
await toolkit.close();
