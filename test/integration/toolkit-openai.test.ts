/**
 * unkey-mcp/openai with recorded model responses: Chat Completions and Responses API payloads in
 * their real wire shape (test/fixtures/toolkit/), replayed turn by turn. Ids the model copied from
 * earlier tool results are recorded as `{{tool.field}}` and filled in from this run's results, as
 * the model filled them in from what it read. The tool calls act on the local API over HTTP.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  handleToolCall,
  handleToolCalls,
  openaiChatTools,
  openaiResponsesTools,
  type OpenAIChatToolCall,
  type OpenAIResponsesFunctionCall,
} from "../../src/toolkit/openai.js";
import type { ApprovalRequest } from "../../src/toolkit/preview.js";
import type { UnkeyToolkit } from "../../src/toolkit/toolkit.js";
import { dataOfText, fillInRecording, startToolkitHarness, type ToolkitHarness } from "../helpers/toolkit.js";

interface ChatCompletion {
  choices: Array<{ message: { role: "assistant"; content: string | null; tool_calls?: OpenAIChatToolCall[] }; finish_reason: string }>;
}
interface ResponsesResponse {
  output: Array<OpenAIResponsesFunctionCall | { type: "message"; content: Array<{ type: string; text: string }> }>;
}

const fixture = <T>(name: string): T => JSON.parse(readFileSync(new URL(`../fixtures/toolkit/${name}`, import.meta.url), "utf8")) as T;

let h: ToolkitHarness;
let toolkit: UnkeyToolkit;
const approvals: ApprovalRequest[] = [];
let answer = false;

beforeAll(async () => {
  h = await startToolkitHarness();
  toolkit = await h.toolkit({
    approve: (call) => {
      approvals.push(call);
      return answer;
    },
  });
});
afterAll(async () => {
  h.expectNoSecretsLogged();
  await h.close();
});

const chatCall = (name: string, args: unknown, id = "call_x"): OpenAIChatToolCall => ({
  id,
  type: "function",
  function: { name, arguments: typeof args === "string" ? args : JSON.stringify(args) },
});

describe("unkey-mcp/openai", () => {
  it("Chat Completions: a recorded conversation creates an API, a rate-limited key, verifies it and reads it back", async () => {
    const results = new Map<string, Record<string, unknown>>();
    const messages: unknown[] = [{ role: "user", content: "Set up an API with a rate-limited key and check it works." }];
    for (const recorded of fixture<ChatCompletion[]>("openai-chat-flow.json")) {
      const message = fillInRecording(recorded, results).choices[0].message;
      messages.push(message);
      const replies = await handleToolCalls(toolkit, message.tool_calls ?? []);
      messages.push(...replies);
      for (const [i, reply] of replies.entries()) {
        expect(reply).toMatchObject({ role: "tool", tool_call_id: message.tool_calls![i].id });
        expect(reply.content).not.toMatch(/^Error:/);
        results.set(message.tool_calls![i].function.name, dataOfText(reply.content));
      }
    }
    h.secrets.add(results.get("create_key")!.key as string);

    expect(results.get("verify_key")).toMatchObject({ valid: true, code: "VALID" });
    expect(results.get("get_key")).toMatchObject({ keyId: results.get("create_key")!.keyId, name: "agent-created" });
    const stored = await h.read("keys.getKey", { keyId: results.get("create_key")!.keyId });
    expect(stored.data.ratelimits).toEqual([expect.objectContaining({ name: "requests", limit: 2, duration: 60_000 })]);
    const again = await h.read("keys.verifyKey", { key: results.get("create_key")!.key });
    expect(again.data.ratelimits).toEqual([expect.objectContaining({ remaining: 0 })]);
  });

  it("Responses API: the same conversation through function_call items and function_call_output replies", async () => {
    const results = new Map<string, Record<string, unknown>>();
    for (const recorded of fixture<ResponsesResponse[]>("openai-responses-flow.json")) {
      const output = fillInRecording(recorded, results).output;
      const replies = await handleToolCalls(toolkit, output);
      const calls = output.filter((o): o is OpenAIResponsesFunctionCall => o.type === "function_call");
      expect(replies.map((r) => r.call_id)).toEqual(calls.map((c) => c.call_id));
      for (const [i, reply] of replies.entries()) {
        expect(reply.type).toBe("function_call_output");
        expect(reply.output).not.toMatch(/^Error:/);
        results.set(calls[i].name, dataOfText(reply.output));
      }
    }
    h.secrets.add(results.get("create_key")!.key as string);
    expect(results.get("verify_key")).toMatchObject({ valid: true, code: "VALID" });
    expect((await h.read("keys.getKey", { keyId: results.get("create_key")!.keyId })).status).toBe(200);
  });

  it("a destructive call waits for approve(call): false changes nothing and the model reads why; true acts", async () => {
    const { keyId } = await h.freshKey();
    answer = false;
    const denied = await handleToolCall(toolkit, chatCall("delete_key", { keyId, permanent: null }, "call_del1"));
    expect(denied.content).toMatch(/^Error: delete_key was not run: the person did not approve/);
    expect((await h.read("keys.getKey", { keyId })).status).toBe(200);
    expect(approvals.at(-1)).toEqual({
      tool: "delete_key",
      title: expect.any(String),
      arguments: { keyId },
      safety: "destructive",
      reason: expect.stringContaining("delete_key"),
      target: { readTool: "get_key", lookup: { keyId }, label: expect.any(String) },
      preview: expect.objectContaining({ summary: expect.stringContaining(keyId), effects: [expect.stringContaining("stops verifying")] }),
    });

    answer = true;
    const approved = await handleToolCall(toolkit, chatCall("delete_key", { keyId, permanent: null }, "call_del2"));
    expect(approved.content).not.toMatch(/^Error:/);
    expect((await h.read("keys.getKey", { keyId })).status).toBe(404);
  });

  it("without an approve callback a destructive call is refused (fail closed); a non-destructive update is not asked about", async () => {
    const { keyId } = await h.freshKey();
    const bare = await h.toolkit();
    const asked = approvals.length;
    const refused = await handleToolCall(bare, chatCall("update_key", { keyId, enabled: false }));
    expect(refused.content).toContain("update_key was not run: this call is destructive and needs a person's approval");
    expect((await h.read("keys.getKey", { keyId })).data.enabled).toBe(true);

    const renamed = await handleToolCall(toolkit, chatCall("update_key", { keyId, name: "renamed" }));
    expect(renamed.content).not.toMatch(/^Error:/);
    expect(approvals.length).toBe(asked);
  });

  it("invalid arguments and unparseable JSON come back as field errors and reach no API", async () => {
    const before = h.requests.length;
    const [bad, garbled] = await handleToolCalls(toolkit, [
      chatCall("create_key", { apiId: 42, ratelimits: [{ name: "requests", limit: "ten" }] }, "call_bad"),
      chatCall("get_key", '{"keyId": "key_123"', "call_garbled"),
    ]);
    expect(h.requests.length).toBe(before);
    expect(bad.content).toContain("Invalid arguments for create_key; nothing was sent to Unkey");
    expect(bad.content).toMatch(/- apiId: .*expected string/);
    expect(bad.content).toMatch(/- ratelimits\[0\]\.duration: is required/);
    expect(garbled.content).toContain("Invalid arguments for get_key");
    expect(garbled.content).toContain("arguments must be an object");
  });

  it("tool definitions use strict mode exactly where the schema allows it", () => {
    const chat = new Map(openaiChatTools(toolkit).map((t) => [t.function.name, t.function]));
    const responses = new Map(openaiResponsesTools(toolkit).map((t) => [t.name, t]));
    expect(chat.size).toBe(toolkit.tools.length);

    // All optional properties became required and nullable, and nothing else is allowed.
    const listKeys = chat.get("list_keys")!;
    expect(listKeys.strict).toBe(true);
    expect(listKeys.parameters).toMatchObject({
      additionalProperties: false,
      required: ["apiId", "limit", "cursor", "externalId", "decrypt", "revalidateKeysCache"],
    });
    expect((listKeys.parameters.properties as Record<string, { type: unknown }>).cursor.type).toEqual(["string", "null"]);
    // A free-form map (meta) or a property where null already means something (expires: null) cannot be strict.
    expect(chat.get("create_key")!.strict).toBe(false);
    expect(chat.get("update_key")!.strict).toBe(false);
    expect(chat.get("update_key")!.parameters).toBe(toolkit.tool("update_key")!.inputSchema);
    expect(responses.get("list_keys")).toMatchObject({ type: "function", strict: true, parameters: listKeys.parameters });
  });

  it("nulls a strict-mode model sends for optional arguments are dropped before validation", async () => {
    const api = await h.read("apis.createApi", { name: "strict-nulls" });
    const reply = await handleToolCall(
      toolkit,
      chatCall("list_keys", { apiId: api.data.apiId, limit: null, cursor: null, externalId: null, decrypt: null, revalidateKeysCache: null }),
    );
    expect(reply.content).toMatch(/^list_keys: 0 items/);
  });
});
