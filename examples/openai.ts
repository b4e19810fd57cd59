/**
 * OpenAI Chat Completions: the Unkey tools as function tools, the model's tool calls executed by
 * handleToolCalls, destructive calls asked on the terminal. Plain fetch, no SDK needed.
 * Run: UNKEY_ROOT_KEY=… OPENAI_API_KEY=… npx tsx examples/openai.ts "Create a key for API api_… limited to 10 requests a minute"
 */
import { createInterface } from "node:readline/promises";
import { createUnkeyToolkit } from "unkey-mcp";
import { handleToolCalls, openaiChatTools, type OpenAIChatToolCall } from "unkey-mcp/openai";

const terminal = createInterface({ input: process.stdin, output: process.stdout });
const toolkit = await createUnkeyToolkit({
  rootKey: process.env.UNKEY_ROOT_KEY ?? "",
  baseUrl: process.env.UNKEY_API_URL,
  approve: async (call) =>
    (await terminal.question(`${call.title}: ${JSON.stringify(call.arguments)} (${call.reason}). Allow? [y/N] `)).trim().toLowerCase() === "y",
});

interface AssistantMessage {
  role: "assistant";
  content: string | null;
  tool_calls?: OpenAIChatToolCall[];
}

const messages: unknown[] = [{ role: "user", content: process.argv[2] ?? "List the keys of my first API." }];
for (let turn = 0; turn < 10; turn++) {
  const response = await fetch("https://api.openai.com/v1/chat/completions", {
    method: "POST",
    headers: { authorization: `Bearer ${process.env.OPENAI_API_KEY ?? ""}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "gpt-5-mini", messages, tools: openaiChatTools(toolkit) }),
  });
  const completion = (await response.json()) as { choices: Array<{ message: AssistantMessage }> };
  const message = completion.choices[0].message;
  messages.push(message);
  if (!message.tool_calls?.length) {
    console.log(message.content);
    break;
  }
  messages.push(...(await handleToolCalls(toolkit, message.tool_calls)));
}
terminal.close();
await toolkit.close();
