/**
 * unkey-mcp/ai-sdk through the AI SDK's own agent loop: generateText with the SDK's mock language
 * model (from `ai/test`), `stopWhen`, and the SDK's approval flow. The mock model reads the tool
 * results in its prompt, as a real model would, and its tool calls act on the local API over HTTP.
 */
import { generateText, stepCountIs, type ModelMessage, type ToolApprovalResponse } from "ai";
import { MockLanguageModelV3 } from "ai/test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unkeyAiSdkTools } from "../../src/toolkit/ai-sdk.js";
import type { UnkeyToolkit } from "../../src/toolkit/toolkit.js";
import { dataOfText, keyWithRateLimit, startToolkitHarness, type ToolkitHarness } from "../helpers/toolkit.js";

// The language-model protocol types, as the SDK's own mock model declares them.
type LanguageModelV3CallOptions = Parameters<MockLanguageModelV3["doGenerate"]>[0];
type LanguageModelV3GenerateResult = Awaited<ReturnType<MockLanguageModelV3["doGenerate"]>>;
type LanguageModelV3Content = LanguageModelV3GenerateResult["content"][number];

interface SeenResult {
  toolName: string;
  type: string;
  text: string;
}

/** Every tool result in the prompt the SDK sent to the model, oldest first. */
function toolResults(options: LanguageModelV3CallOptions): SeenResult[] {
  const seen: SeenResult[] = [];
  for (const message of options.prompt) {
    if (message.role !== "tool") continue;
    for (const part of message.content) {
      if (part.type !== "tool-result") continue;
      const out = part.output;
      const text = out.type === "text" || out.type === "error-text" ? out.value : out.type === "execution-denied" ? (out.reason ?? "") : JSON.stringify(out);
      seen.push({ toolName: part.toolName, type: out.type, text });
    }
  }
  return seen;
}

type Turn = (results: SeenResult[]) => LanguageModelV3Content[];

/** A mock model that plays these turns in order, one per model call, reading the results so far. */
function scriptedModel(turns: Turn[]): MockLanguageModelV3 {
  let i = 0;
  return new MockLanguageModelV3({
    doGenerate: async (options): Promise<LanguageModelV3GenerateResult> => {
      const turn = turns[i++];
      const content = turn ? turn(toolResults(options)) : [say("done")];
      const calls = content.some((c) => c.type === "tool-call");
      return {
        content,
        finishReason: { unified: calls ? "tool-calls" : "stop", raw: undefined },
        usage: { inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 1, text: 1, reasoning: 0 } },
        warnings: [],
      };
    },
  });
}

let n = 0;
function call(toolName: string, input: Record<string, unknown>): LanguageModelV3Content {
  return { type: "tool-call", toolCallId: `call_${++n}`, toolName, input: JSON.stringify(input) };
}
const say = (text: string): LanguageModelV3Content => ({ type: "text", text });
const last = (results: SeenResult[], tool: string): SeenResult => {
  const r = [...results].reverse().find((x) => x.toolName === tool);
  if (!r) throw new Error(`the model saw no ${tool} result`);
  return r;
};

let h: ToolkitHarness;
let toolkit: UnkeyToolkit;

beforeAll(async () => {
  h = await startToolkitHarness();
  toolkit = await h.toolkit();
});
afterAll(async () => {
  h.expectNoSecretsLogged();
  await h.close();
});

describe("unkey-mcp/ai-sdk in generateText's tool loop", () => {
  it("creates an API, a rate-limited key, verifies it and reads it back on the local API", async () => {
    const model = scriptedModel([
      () => [call("create_api", { name: "ai-sdk-agent" })],
      (r) => [call("create_key", keyWithRateLimit(dataOfText(last(r, "create_api").text).apiId as string))],
      (r) => {
        const key = dataOfText(last(r, "create_key").text);
        h.secrets.add(key.key as string);
        return [call("verify_key", { key: key.key })];
      },
      (r) => [call("get_key", { keyId: dataOfText(last(r, "create_key").text).keyId })],
      () => [say("Created and verified the key.")],
    ]);
    const result = await generateText({
      model,
      tools: unkeyAiSdkTools(toolkit),
      stopWhen: stepCountIs(10),
      prompt: "Set up an API with a rate-limited key and check it works.",
    });

    expect(result.steps.flatMap((s) => s.toolCalls.map((c) => c.toolName))).toEqual(["create_api", "create_key", "verify_key", "get_key"]);
    expect(result.text).toBe("Created and verified the key.");
    const outputs = result.steps.flatMap((s) => s.toolResults);
    expect(outputs.every((o) => (o.output as { isError: boolean }).isError === false)).toBe(true);
    const verified = outputs.find((o) => o.toolName === "verify_key")!.output as { structured: { data: { valid: boolean; code: string } } };
    expect(verified.structured.data).toMatchObject({ valid: true, code: "VALID" });

    // What the model did is in the API: the key exists with its rate limit, and the model's
    // verification spent one of its two requests.
    const created = outputs.find((o) => o.toolName === "create_key")!.output as { structured: { data: { keyId: string; key: string } } };
    const stored = await h.read("keys.getKey", { keyId: created.structured.data.keyId });
    expect(stored.status).toBe(200);
    expect(stored.data.ratelimits).toEqual([expect.objectContaining({ name: "requests", limit: 2, duration: 60_000, autoApply: true })]);
    const again = await h.read("keys.verifyKey", { key: created.structured.data.key });
    expect(again.data.ratelimits).toEqual([expect.objectContaining({ name: "requests", remaining: 0 })]);
  });

  it("asks for approval before a destructive call, changes nothing until it is granted, then acts", async () => {
    const { keyId } = await h.freshKey();
    const model = scriptedModel([() => [call("delete_key", { keyId })], () => [say("Deleted.")]]);
    const tools = unkeyAiSdkTools(toolkit);
    const messages: ModelMessage[] = [{ role: "user", content: `Delete ${keyId}` }];

    const first = await generateText({ model, tools, stopWhen: stepCountIs(5), messages });
    const requests = first.content.filter((p) => p.type === "tool-approval-request");
    expect(requests).toHaveLength(1);
    expect(requests[0].toolCall).toMatchObject({ toolName: "delete_key", input: { keyId } });
    expect((await h.read("keys.getKey", { keyId })).status).toBe(200);

    messages.push(...first.response.messages);
    const approval: ToolApprovalResponse = { type: "tool-approval-response", approvalId: requests[0].approvalId, approved: true };
    messages.push({ role: "tool", content: [approval] });
    const second = await generateText({ model, tools, stopWhen: stepCountIs(5), messages });

    expect(second.text).toBe("Deleted.");
    expect((await h.read("keys.getKey", { keyId })).status).toBe(404);
  });

  it("a denied approval changes nothing and the model reads the denial", async () => {
    const { keyId } = await h.freshKey();
    let seenByModel: SeenResult[] = [];
    const model = scriptedModel([
      () => [call("delete_key", { keyId })],
      (r) => {
        seenByModel = r;
        return [say("Understood, I left the key alone.")];
      },
    ]);
    const tools = unkeyAiSdkTools(toolkit);
    const messages: ModelMessage[] = [{ role: "user", content: `Delete ${keyId}` }];
    const first = await generateText({ model, tools, stopWhen: stepCountIs(5), messages });
    const request = first.content.find((p) => p.type === "tool-approval-request")!;
    messages.push(...first.response.messages, {
      role: "tool",
      content: [{ type: "tool-approval-response", approvalId: request.approvalId, approved: false, reason: "not this one" }],
    });
    const before = h.requests.length;
    await generateText({ model, tools, stopWhen: stepCountIs(5), messages });

    expect(h.requests.length).toBe(before);
    expect((await h.read("keys.getKey", { keyId })).status).toBe(200);
    expect(seenByModel).toEqual([{ toolName: "delete_key", type: "execution-denied", text: "not this one" }]);
  });

  it("fails closed: a destructive tool stripped of needsApproval is refused, not run, and the model reads why", async () => {
    const { keyId } = await h.freshKey();
    const { needsApproval: _dropped, ...bare } = unkeyAiSdkTools(toolkit).delete_key;
    let seenByModel: SeenResult[] = [];
    const model = scriptedModel([
      () => [call("delete_key", { keyId })],
      (r) => {
        seenByModel = r;
        return [say("I could not delete it.")];
      },
    ]);
    await generateText({ model, tools: { delete_key: bare }, stopWhen: stepCountIs(5), prompt: "Delete it." });

    expect((await h.read("keys.getKey", { keyId })).status).toBe(200);
    expect(seenByModel).toHaveLength(1);
    expect(seenByModel[0].type).toBe("error-text");
    expect(seenByModel[0].text).toContain("delete_key was not run: this call is destructive and needs a person's approval");
  });

  it("judges argument-dependent tools on the actual arguments: disabling a key asks, renaming it does not", async () => {
    const { keyId } = await h.freshKey();
    const model = scriptedModel([() => [call("update_key", { keyId, name: "renamed" }), call("update_key", { keyId, enabled: false })], () => [say("ok")]]);
    const result = await generateText({ model, tools: unkeyAiSdkTools(toolkit), stopWhen: stepCountIs(5), prompt: "Rename and disable the key." });

    const approvals = result.content.filter((p) => p.type === "tool-approval-request");
    expect(approvals.map((a) => a.toolCall.input)).toEqual([{ keyId, enabled: false }]);
    const stored = await h.read("keys.getKey", { keyId });
    expect(stored.data).toMatchObject({ name: "renamed", enabled: true });
  });

  it("invalid arguments from the model come back as field errors the model reads, and reach no API", async () => {
    let seenByModel: SeenResult[] = [];
    const model = scriptedModel([
      () => [call("create_key", { apiId: 42, ratelimits: [{ name: "requests", limit: "ten" }] })],
      (r) => {
        seenByModel = r;
        return [say("I will fix the arguments.")];
      },
    ]);
    const before = h.requests.length;
    await generateText({ model, tools: unkeyAiSdkTools(toolkit), stopWhen: stepCountIs(5), prompt: "Create a key." });

    expect(h.requests.length).toBe(before);
    expect(seenByModel).toHaveLength(1);
    expect(seenByModel[0].type).toBe("error-text");
    expect(seenByModel[0].text).toContain("Invalid arguments for create_key; nothing was sent to Unkey");
    expect(seenByModel[0].text).toMatch(/- apiId: .*expected string/);
    expect(seenByModel[0].text).toMatch(/- ratelimits\[0\]\.limit: /);
    expect(seenByModel[0].text).toMatch(/- ratelimits\[0\]\.duration: is required/);
  });

  it("with confirm off, destructive tools run without an approval request", async () => {
    const { keyId } = await h.freshKey();
    const trusted = await h.toolkit({ confirm: "off" });
    const model = scriptedModel([() => [call("delete_key", { keyId })], () => [say("Deleted.")]]);
    const result = await generateText({ model, tools: unkeyAiSdkTools(trusted), stopWhen: stepCountIs(5), prompt: "Delete it." });

    expect(result.content.some((p) => p.type === "tool-approval-request")).toBe(false);
    expect((await h.read("keys.getKey", { keyId })).status).toBe(404);
  });
});
