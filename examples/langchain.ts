/**
 * LangChain JS: the Unkey tools as structured tools bound to any tool-calling chat model, in the
 * classic tool loop. Destructive calls go through `approve`. Run it with a model package, e.g.:
 *
 *   import { ChatOpenAI } from "@langchain/openai";
 *   console.log(await runUnkeyAgent(new ChatOpenAI({ model: "gpt-5-mini" }), "Who owns key key_…?"));
 */
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { HumanMessage, type AIMessage, type BaseMessage } from "@langchain/core/messages";
import { createUnkeyToolkit } from "unkey-mcp";
import { langchainTools } from "unkey-mcp/langchain";

export async function runUnkeyAgent(model: BaseChatModel, request: string): Promise<string> {
  const toolkit = await createUnkeyToolkit({
    rootKey: process.env.UNKEY_ROOT_KEY ?? "",
    baseUrl: process.env.UNKEY_API_URL,
    // Refuses every destructive call; put your own confirmation step here.
    approve: (call) => {
      console.error(`refused ${call.tool}: ${call.reason}`);
      return false;
    },
  });
  const tools = langchainTools(toolkit);
  const byName = new Map(tools.map((t) => [t.name, t]));
  if (!model.bindTools) throw new Error("this chat model cannot call tools");
  const agent = model.bindTools(tools);
  const messages: BaseMessage[] = [new HumanMessage(request)];
  try {
    for (let turn = 0; turn < 10; turn++) {
      const ai = (await agent.invoke(messages)) as AIMessage;
      messages.push(ai);
      if (!ai.tool_calls?.length) return typeof ai.content === "string" ? ai.content : JSON.stringify(ai.content);
      for (const call of ai.tool_calls) {
        const tool = byName.get(call.name);
        if (tool) messages.push(await tool.invoke({ ...call, type: "tool_call" }));
      }
    }
    return "stopped after 10 turns";
  } finally {
    await toolkit.close();
  }
}
