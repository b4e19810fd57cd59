/**
 * unkey-mcp/langchain in a LangChain tool loop: LangChain's own fake tool-calling chat model
 * (`FakeStreamingChatModel` from @langchain/core/utils/testing) bound to the tools with
 * `bindTools`, each AI message's tool calls invoked on the tools, the ToolMessages fed back. Before
 * each model turn the test decides that turn's tool calls from the ToolMessages so far, as a real
 * model reads them. The calls act on the local API over HTTP.
 */
import { type AIMessage, AIMessageChunk, HumanMessage, type ToolMessage, type BaseMessage } from "@langchain/core/messages";
import type { ToolCall } from "@langchain/core/messages/tool";
import { FakeStreamingChatModel } from "@langchain/core/utils/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { langchainTools, type UnkeyLangChainTool } from "../../src/toolkit/langchain.js";
import type { UnkeyToolkit } from "../../src/toolkit/toolkit.js";
import { dataOfText, keyWithRateLimit, startToolkitHarness, type ToolkitHarness } from "../helpers/toolkit.js";

type Turn = (toolMessages: ToolMessage[]) => Array<{ name: string; args: Record<string, unknown> }>;

let n = 0;

/**
 * Runs the classic LangChain tool loop until the model answers without tool calls. The fake model
 * answers each turn with the chunk placed in its `chunks` before the call.
 */
async function runLoop(tools: UnkeyLangChainTool[], turns: Turn[]): Promise<{ messages: BaseMessage[]; toolMessages: ToolMessage[] }> {
  const model = new FakeStreamingChatModel({ sleep: 0 });
  const bound = model.bindTools(tools);
  const byName = new Map(tools.map((t) => [t.name, t]));
  const messages: BaseMessage[] = [new HumanMessage("Do the Unkey task.")];
  const toolMessages: ToolMessage[] = [];
  for (const turn of [...turns, () => []]) {
    const calls: ToolCall[] = turn(toolMessages).map((c) => ({ ...c, id: `call_${++n}`, type: "tool_call" }));
    model.chunks.splice(0, model.chunks.length, new AIMessageChunk({ content: calls.length ? "" : "done", tool_calls: calls }));
    const ai = (await bound.invoke(messages)) as AIMessage;
    messages.push(ai);
    if (!ai.tool_calls?.length) break;
    for (const call of ai.tool_calls) {
      const reply = (await byName.get(call.name)!.invoke({ ...call, type: "tool_call" })) as ToolMessage;
      messages.push(reply);
      toolMessages.push(reply);
    }
  }
  return { messages, toolMessages };
}

const contentOf = (m: ToolMessage): string => (typeof m.content === "string" ? m.content : JSON.stringify(m.content));
const lastOf = (ms: ToolMessage[], name: string): ToolMessage => [...ms].reverse().find((m) => m.name === name)!;

let h: ToolkitHarness;
let toolkit: UnkeyToolkit;
let answer = false;

beforeAll(async () => {
  h = await startToolkitHarness();
  toolkit = await h.toolkit({ approve: () => answer });
});
afterAll(async () => {
  h.expectNoSecretsLogged();
  await h.close();
});

describe("unkey-mcp/langchain", () => {
  it("the fake tool-calling model creates an API, a rate-limited key, verifies it and reads it back", async () => {
    const { toolMessages } = await runLoop(langchainTools(toolkit), [
      () => [{ name: "create_api", args: { name: "langchain-agent" } }],
      (ms) => [{ name: "create_key", args: keyWithRateLimit(dataOfText(contentOf(lastOf(ms, "create_api"))).apiId as string) }],
      (ms) => {
        const key = dataOfText(contentOf(lastOf(ms, "create_key")));
        h.secrets.add(key.key as string);
        return [{ name: "verify_key", args: { key: key.key } }];
      },
      (ms) => [{ name: "get_key", args: { keyId: dataOfText(contentOf(lastOf(ms, "create_key"))).keyId } }],
    ]);

    expect(toolMessages.map((m) => [m.name, m.status])).toEqual([
      ["create_api", "success"],
      ["create_key", "success"],
      ["verify_key", "success"],
      ["get_key", "success"],
    ]);
    // The structured result travels as the ToolMessage's artifact.
    expect((lastOf(toolMessages, "verify_key").artifact as { data: unknown }).data).toMatchObject({ valid: true, code: "VALID" });
    const created = dataOfText(contentOf(lastOf(toolMessages, "create_key")));
    const stored = await h.read("keys.getKey", { keyId: created.keyId as string });
    expect(stored.data.ratelimits).toEqual([expect.objectContaining({ name: "requests", limit: 2, duration: 60_000 })]);
    const again = await h.read("keys.verifyKey", { key: created.key as string });
    expect(again.data.ratelimits).toEqual([expect.objectContaining({ remaining: 0 })]);
  });

  it("a destructive call waits for approve(call): false changes nothing and the model reads an error; true acts", async () => {
    const { keyId } = await h.freshKey();
    answer = false;
    const denied = await runLoop(langchainTools(toolkit), [() => [{ name: "delete_key", args: { keyId } }]]);
    expect(denied.toolMessages[0].status).toBe("error");
    expect(contentOf(denied.toolMessages[0])).toContain("delete_key was not run: the person did not approve");
    expect((await h.read("keys.getKey", { keyId })).status).toBe(200);

    answer = true;
    const approved = await runLoop(langchainTools(toolkit), [() => [{ name: "delete_key", args: { keyId } }]]);
    expect(approved.toolMessages[0].status).toBe("success");
    expect((await h.read("keys.getKey", { keyId })).status).toBe(404);
  });

  it("without an approve callback a destructive call is refused (fail closed)", async () => {
    const { keyId } = await h.freshKey();
    const { toolMessages } = await runLoop(langchainTools(await h.toolkit()), [() => [{ name: "delete_key", args: { keyId } }]]);
    expect(toolMessages[0].status).toBe("error");
    expect(contentOf(toolMessages[0])).toContain("needs a person's approval");
    expect((await h.read("keys.getKey", { keyId })).status).toBe(200);
  });

  it("invalid arguments come back as the executor's field errors (not LangChain's generic schema error) and reach no API", async () => {
    const before = h.requests.length;
    const { toolMessages } = await runLoop(langchainTools(toolkit), [
      () => [{ name: "create_key", args: { apiId: 42, ratelimits: [{ name: "requests", limit: "ten" }] } }],
    ]);
    expect(h.requests.length).toBe(before);
    expect(toolMessages[0].status).toBe("error");
    const text = contentOf(toolMessages[0]);
    expect(text).toContain("Invalid arguments for create_key; nothing was sent to Unkey");
    expect(text).toMatch(/- apiId: .*expected string/);
    expect(text).toMatch(/- ratelimits\[0\]\.duration: is required/);
  });

  it("tools carry the catalog's names, descriptions and JSON Schemas", () => {
    const tools = langchainTools(toolkit);
    expect(tools.map((t) => t.name)).toEqual(toolkit.tools.map((t) => t.name));
    expect(tools.find((t) => t.name === "get_key")!.schema).toBe(toolkit.tool("get_key")!.inputSchema);
  });
});
