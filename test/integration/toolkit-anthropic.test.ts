/**
 * unkey-mcp/anthropic with recorded Messages API responses (test/fixtures/toolkit/), replayed turn
 * by turn: `tool_use` blocks in, `tool_result` blocks out. Ids the model copied from earlier tool
 * results are recorded as `{{tool.field}}` and filled in from this run's results. The tool calls
 * act on the local API over HTTP.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { anthropicTools, handleToolUse, handleToolUses, type AnthropicToolUseBlock } from "../../src/toolkit/anthropic.js";
import type { UnkeyToolkit } from "../../src/toolkit/toolkit.js";
import { dataOfText, fillInRecording, startToolkitHarness, type ToolkitHarness } from "../helpers/toolkit.js";

interface MessagesResponse {
  role: "assistant";
  content: Array<AnthropicToolUseBlock | { type: "text"; text: string }>;
  stop_reason: string;
}

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

const use = (name: string, input: unknown, id = "toolu_x"): AnthropicToolUseBlock => ({ type: "tool_use", id, name, input });

describe("unkey-mcp/anthropic", () => {
  it("a recorded conversation creates an API, a rate-limited key, verifies it and reads it back", async () => {
    const recording = JSON.parse(readFileSync(new URL("../fixtures/toolkit/anthropic-messages-flow.json", import.meta.url), "utf8")) as MessagesResponse[];
    const results = new Map<string, Record<string, unknown>>();
    const messages: unknown[] = [{ role: "user", content: "Set up an API with a rate-limited key and check it works." }];
    for (const recorded of recording) {
      const message = fillInRecording(recorded, results);
      messages.push({ role: "assistant", content: message.content });
      if (message.stop_reason !== "tool_use") break;
      const blocks = await handleToolUses(toolkit, message.content);
      const uses = message.content.filter((b): b is AnthropicToolUseBlock => b.type === "tool_use");
      expect(blocks.map((b) => b.tool_use_id)).toEqual(uses.map((u) => u.id));
      for (const [i, block] of blocks.entries()) {
        expect(block.is_error).toBeUndefined();
        results.set(uses[i].name, dataOfText(block.content));
      }
      messages.push({ role: "user", content: blocks });
    }
    h.secrets.add(results.get("create_key")!.key as string);

    expect(results.get("verify_key")).toMatchObject({ valid: true, code: "VALID" });
    const stored = await h.read("keys.getKey", { keyId: results.get("create_key")!.keyId });
    expect(stored.data.ratelimits).toEqual([expect.objectContaining({ name: "requests", limit: 2, duration: 60_000 })]);
    const again = await h.read("keys.verifyKey", { key: results.get("create_key")!.key });
    expect(again.data.ratelimits).toEqual([expect.objectContaining({ remaining: 0 })]);
  });

  it("a destructive call waits for approve(call): false changes nothing and comes back is_error; true acts", async () => {
    const { keyId } = await h.freshKey();
    answer = false;
    const denied = await handleToolUse(toolkit, use("delete_key", { keyId }));
    expect(denied).toMatchObject({ type: "tool_result", tool_use_id: "toolu_x", is_error: true });
    expect(denied.content).toContain("delete_key was not run: the person did not approve");
    expect((await h.read("keys.getKey", { keyId })).status).toBe(200);

    answer = true;
    const approved = await handleToolUse(toolkit, use("delete_key", { keyId }));
    expect(approved.is_error).toBeUndefined();
    expect((await h.read("keys.getKey", { keyId })).status).toBe(404);
  });

  it("without an approve callback a destructive call is refused with is_error (fail closed)", async () => {
    const { keyId } = await h.freshKey();
    const bare = await h.toolkit();
    const refused = await handleToolUse(bare, use("update_key_credits", { keyId, operation: "set", value: 0 }));
    expect(refused.is_error).toBe(true);
    expect(refused.content).toContain("update_key_credits was not run: this call is destructive and needs a person's approval");
    expect((await h.read("keys.getKey", { keyId })).data.credits).toBeUndefined();
  });

  it("invalid input comes back as field errors with is_error and reaches no API", async () => {
    const before = h.requests.length;
    const [bad] = await handleToolUses(toolkit, [{ type: "text" }, use("set_ratelimit_override", { namespace: "api", identifier: "", limit: -1 })]);
    expect(h.requests.length).toBe(before);
    expect(bad.is_error).toBe(true);
    expect(bad.content).toContain("Invalid arguments for set_ratelimit_override; nothing was sent to Unkey");
    expect(bad.content).toMatch(/- identifier: /);
    expect(bad.content).toMatch(/- limit: /);
    expect(bad.content).toMatch(/- duration: is required/);
  });

  it("tool definitions carry the catalog's schemas unchanged", () => {
    const defs = anthropicTools(toolkit);
    expect(defs.map((d) => d.name)).toEqual(toolkit.tools.map((t) => t.name));
    expect(defs.find((d) => d.name === "create_key")!.input_schema).toBe(toolkit.tool("create_key")!.inputSchema);
  });
});
