/**
 * createUnkeyToolkit itself: options checked with errors that name the option, calls through the
 * executor against the local API, the approval step on destructive calls, secret handling and
 * logging. The adapters have their own files; this is what all of them share.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CatalogSelectionError } from "../../src/tools/catalog.js";
import { WITHHELD } from "../../src/tools/results.js";
import type { ApprovalRequest } from "../../src/toolkit/preview.js";
import { createUnkeyToolkit, ToolkitOptionError, type UnkeyToolkitOptions } from "../../src/toolkit/toolkit.js";
import { startToolkitHarness, type ToolkitHarness } from "../helpers/toolkit.js";

let h: ToolkitHarness;

beforeAll(async () => {
  h = await startToolkitHarness();
});
afterAll(async () => {
  h.expectNoSecretsLogged();
  await h.close();
});

describe("createUnkeyToolkit options", () => {
  it("a missing root key is an error that names the option and never echoes a value", async () => {
    await expect(createUnkeyToolkit({ rootKey: "" })).rejects.toThrow(
      new ToolkitOptionError("rootKey: expected an Unkey root key (a non-empty string), got an empty string"),
    );
    await expect(createUnkeyToolkit({} as UnkeyToolkitOptions)).rejects.toThrow(/^rootKey: .*got nothing$/);
  });

  it("confirm, secrets and baseUrl are checked against their valid values", async () => {
    await expect(createUnkeyToolkit({ rootKey: "k", confirm: "ask" as "off" })).rejects.toThrow('confirm: expected one of approve, off, got "ask"');
    await expect(createUnkeyToolkit({ rootKey: "k", secrets: "hide" as "mask" })).rejects.toThrow('secrets: expected one of inline, mask, got "hide"');
    await expect(createUnkeyToolkit({ rootKey: "k", baseUrl: "api.unkey.com" })).rejects.toThrow(/^baseUrl: expected an http\(s\) URL/);
  });

  it("an unknown toolset or tool is the server's selection error, naming the valid choices", async () => {
    const err = await createUnkeyToolkit({ rootKey: "k", toolsets: ["keyz"] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CatalogSelectionError);
    expect((err as CatalogSelectionError).message).toMatch(/^toolsets: unknown toolset "keyz"; expected one of .*keys/);
    await expect(createUnkeyToolkit({ rootKey: "k", readOnly: true, tools: ["delete_key"] })).rejects.toThrow(
      /read-only mode excludes delete_key \(destructive\)/,
    );
  });
});

describe("toolkit calls", () => {
  it("a call returns the executor's result: text, the structured envelope and isError", async () => {
    const toolkit = await h.toolkit();
    const created = await toolkit.call("create_api", { name: "core-api" });
    expect(created.isError).toBe(false);
    expect(created.text).toMatch(/^create_api: done \(request req_\w+\)/);
    expect(created.structured).toEqual({
      summary: "create_api: done",
      data: { apiId: expect.stringMatching(/^api_/) },
      requestId: expect.stringMatching(/^req_/),
    });
    expect(created.result.structuredContent).toBe(created.structured);
    const stored = await h.read("apis.getApi", { apiId: (created.structured!.data as { apiId: string }).apiId });
    expect(stored.data.name).toBe("core-api");

    const failed = await toolkit.call("get_api", { apiId: "api_doesnotexist1" });
    expect(failed.isError).toBe(true);
    expect(failed.structured?.error).toMatchObject({ status: 404, hint: expect.any(String) });
  });

  it("an unknown tool name is an error result listing the available tools, and nothing is sent", async () => {
    const toolkit = await h.toolkit({ toolsets: ["apis"] });
    const before = h.requests.length;
    const r = await toolkit.call("create_key", { apiId: "api_1" });
    expect(r).toMatchObject({
      isError: true,
      text: 'Unknown tool "create_key"; nothing was sent to Unkey. Available tools: create_api, get_api, list_keys, delete_api',
    });
    expect(h.requests.length).toBe(before);
  });

  it("needsApproval is judged on the arguments, and is false for everything with confirm off", async () => {
    const toolkit = await h.toolkit();
    expect(toolkit.needsApproval("delete_key", { keyId: "key_1" })).toBe(true);
    expect(toolkit.needsApproval("update_key", { keyId: "key_1", name: "x" })).toBe(false);
    expect(toolkit.needsApproval("update_key", { keyId: "key_1", enabled: false })).toBe(true);
    expect(toolkit.needsApproval("set_ratelimit_override", { namespace: "n", identifier: "i", limit: 0, duration: 1000 })).toBe(true);
    expect(toolkit.needsApproval("get_key", { keyId: "key_1" })).toBe(false);
    expect((await h.toolkit({ confirm: "off" })).needsApproval("delete_key", { keyId: "key_1" })).toBe(false);
  });

  it("approve(call) receives the preview; a throwing callback refuses the call; a per-call approve overrides the toolkit's", async () => {
    const { apiId, keyId } = await h.freshKey();
    const seen: ApprovalRequest[] = [];
    const toolkit = await h.toolkit({
      approve: (call) => {
        seen.push(call);
        throw new Error("approval UI crashed");
      },
    });
    const crashed = await toolkit.call("delete_api", { apiId });
    expect(crashed).toMatchObject({ isError: true, text: expect.stringContaining("delete_api was not run: the person did not approve") });
    expect(seen).toEqual([
      {
        tool: "delete_api",
        title: expect.any(String),
        arguments: { apiId },
        safety: "destructive",
        reason: "delete_api deletes, removes, replaces or revokes data",
        target: { readTool: "get_api", lookup: { apiId }, label: expect.any(String) },
        impact: "high",
        // Resolved as the MCP guard resolves it: the API, and the one key that stops verifying.
        preview: expect.objectContaining({ summary: expect.stringContaining(apiId), typeToConfirm: expect.any(String) }),
      },
    ]);
    expect(seen[0].preview?.effects.join(" ")).toMatch(/\b1 key/);
    expect((await h.read("apis.getApi", { apiId })).status).toBe(200);
    expect(h.logLines.some((l) => l.includes("approval callback failed") && l.includes("approval UI crashed"))).toBe(true);

    const disabled = await toolkit.call("update_key", { keyId, enabled: false }, { approve: () => true });
    expect(disabled.isError).toBe(false);
    expect((await h.read("keys.getKey", { keyId })).data.enabled).toBe(false);
    expect(seen).toHaveLength(1);
  });

  it("with confirm off a destructive call runs without asking anyone", async () => {
    const { keyId } = await h.freshKey();
    let asked = 0;
    const trusted = await h.toolkit({
      confirm: "off",
      approve: () => {
        asked++;
        return false;
      },
    });
    const r = await trusted.call("delete_key", { keyId });
    expect(r.isError).toBe(false);
    expect(asked).toBe(0);
    expect((await h.read("keys.getKey", { keyId })).status).toBe(404);
  });

  it("the preview says which argument makes a write destructive", async () => {
    const seen: ApprovalRequest[] = [];
    const toolkit = await h.toolkit({
      approve: (call) => {
        seen.push(call);
        return false;
      },
    });
    const { keyId } = await h.freshKey();
    await toolkit.call("update_key_credits", { keyId, operation: "set", value: 0 });
    expect(seen[0].reason).toBe("update_key_credits becomes destructive with `operation`");
  });

  it("secrets: mask keeps a new key's plaintext out of the result", async () => {
    const toolkit = await h.toolkit({ secrets: "mask" });
    const { apiId } = await h.freshKey();
    const r = await toolkit.call("create_key", { apiId });
    expect((r.structured!.data as { key: string }).key).toBe(WITHHELD);
    expect(r.text).toContain("Secret withheld");
  });

  it("every call logs one redacted line to the supplied logger; neither the root key nor a new key's plaintext appears", async () => {
    const toolkit = await h.toolkit();
    const { apiId } = await h.freshKey();
    const from = h.logLines.length;
    const r = await toolkit.call("create_key", { apiId });
    const plaintext = (r.structured!.data as { key: string }).key;
    h.secrets.add(plaintext);
    // A model that pastes secrets into arguments: the debug argument line must not carry them.
    await toolkit.call("verify_key", { key: plaintext });
    await toolkit.call("verify_key", { key: h.api.rootKey });
    const lines = h.logLines.slice(from).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.filter((l) => l.msg === "tool call").map((l) => [l.tool, l.outcome])).toEqual([
      ["create_key", "ok"],
      ["verify_key", "ok"],
      ["verify_key", "ok"],
    ]);
    const text = h.logLines.slice(from).join("");
    expect(text).not.toContain(plaintext);
    expect(text).not.toContain(h.api.rootKey);
  });
});
