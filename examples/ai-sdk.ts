/**
 * Vercel AI SDK: the Unkey tools in generateText, with the SDK's approval flow for destructive
 * calls. Run: UNKEY_ROOT_KEY=… AI_GATEWAY_API_KEY=… npx tsx examples/ai-sdk.ts "Delete the key named test-key"
 * (UNKEY_API_URL points it at the local API that `npm start` prints).
 */
import { createInterface } from "node:readline/promises";
import { generateText, stepCountIs, type ModelMessage, type ToolApprovalResponse } from "ai";
import { createUnkeyToolkit } from "unkey-mcp";
import { unkeyAiSdkTools } from "unkey-mcp/ai-sdk";

const toolkit = await createUnkeyToolkit({ rootKey: process.env.UNKEY_ROOT_KEY ?? "", baseUrl: process.env.UNKEY_API_URL });
const tools = unkeyAiSdkTools(toolkit);
const messages: ModelMessage[] = [{ role: "user", content: process.argv[2] ?? "List the keys of my first API." }];
const terminal = createInterface({ input: process.stdin, output: process.stdout });

for (;;) {
  const result = await generateText({ model: "openai/gpt-5-mini", tools, stopWhen: stepCountIs(10), messages });
  messages.push(...result.response.messages);
  const approvals: ToolApprovalResponse[] = [];
  for (const part of result.content) {
    if (part.type !== "tool-approval-request") continue;
    const answer = await terminal.question(`Allow ${part.toolCall.toolName} ${JSON.stringify(part.toolCall.input)}? [y/N] `);
    approvals.push({ type: "tool-approval-response", approvalId: part.approvalId, approved: answer.trim().toLowerCase() === "y" });
  }
  if (approvals.length === 0) {
    console.log(result.text);
    break;
  }
  messages.push({ role: "tool", content: approvals });
}
terminal.close();
await toolkit.close();
