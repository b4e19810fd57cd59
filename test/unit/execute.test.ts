/**
 * executeTool end to end over real HTTP to a recording server, which answers with a fixed
 * envelope and counts what arrived: the point is what the executor sends (or does not send).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createUnkeyClient, type UnkeyClient } from "../../src/client/unkey-client.js";
import { loadContract } from "../../src/schemas/loader.js";
import { executeTool } from "../../src/tools/execute.js";
import { generateTools } from "../../src/tools/generate.js";
import type { ToolDefinition } from "../../src/tools/types.js";
import { createLogger } from "../../src/util/log.js";

const tools = generateTools(loadContract()).tools;
const tool = (name: string): ToolDefinition => tools.find((t) => t.name === name)!;
const text = (r: { content: unknown[] }): string => (r.content[0] as { text: string }).text;

let server: Server;
let client: UnkeyClient;
const received: Array<{ url: string; auth?: string; body: unknown }> = [];
let answer: { status: number; body: unknown } = { status: 200, body: { meta: { requestId: "req_x" }, data: {} } };
const logLines: string[] = [];
const logger = createLogger({ level: "debug", sink: (l) => logLines.push(l) });
const ROOT = "root_key_for_execute_tests_123";

beforeAll(async () => {
  server = createServer((req, res) => {
    let raw = "";
    req.on("data", (c: Buffer) => (raw += c.toString()));
    req.on("end", () => {
      received.push({ url: req.url ?? "", auth: req.headers.authorization, body: JSON.parse(raw || "null") });
      res.writeHead(answer.status, { "content-type": "application/json" });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  client = createUnkeyClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, backoffMs: 1 });
});
afterAll(async () => {
  await client.close();
  await new Promise<void>((r) => server.close(() => r()));
});
beforeEach(() => {
  received.length = 0;
  answer = { status: 200, body: { meta: { requestId: "req_x" }, data: {} } };
});

describe("executeTool", () => {
  it("sends the flat arguments as the body with the root key, and shapes the answer", async () => {
    answer = { status: 200, body: { meta: { requestId: "req_1" }, data: { apiId: "api_new12345" } } };
    const r = await executeTool(tool("create_api"), { name: "payments" }, { rootKey: ROOT, client, logger });
    expect(received).toEqual([{ url: "/v2/apis.createApi", auth: `Bearer ${ROOT}`, body: { name: "payments" } }]);
    expect(r.isError).toBeUndefined();
    expect(r.structuredContent).toEqual({ data: { apiId: "api_new12345" } });
  });

  it("unwraps the multiLimit wrapper: the API receives the bare array", async () => {
    const checks = [{ namespace: "n", identifier: "u1", limit: 10, duration: 60_000 }];
    answer = { status: 200, body: { meta: { requestId: "r" }, data: { passed: true, limits: [] } } };
    await executeTool(tool("check_ratelimits"), { checks }, { rootKey: ROOT, client, logger });
    expect(received[0].body).toEqual(checks);
  });

  it("sends nothing when the arguments are invalid", async () => {
    const r = await executeTool(tool("create_api"), { name: 5 }, { rootKey: ROOT, client, logger });
    expect(r.isError).toBe(true);
    expect(text(r)).toContain("name: has the wrong type (expected string; given integer 5)");
    expect(received).toHaveLength(0);
  });

  it("sends nothing without a root key and says how to set one", async () => {
    const r = await executeTool(tool("get_api"), { apiId: "api_123456" }, { client, logger });
    expect(r.isError).toBe(true);
    expect(text(r)).toContain("UNKEY_ROOT_KEY");
    expect(received).toHaveLength(0);
  });

  it("refuses writes and destructive calls in read-only mode without sending anything", async () => {
    const policy = { readOnly: true, allowConsume: false };
    for (const [name, args] of [
      ["create_api", { name: "abc" }],
      ["delete_key", { keyId: "key_1" }],
      ["verify_key", { key: "k_123" }],
    ] as const) {
      const r = await executeTool(tool(name), args, { rootKey: ROOT, client, logger, policy });
      expect(r.isError, name).toBe(true);
      expect(text(r)).toContain("read-only mode");
    }
    expect(received).toHaveLength(0);
  });

  it("lets reads, and consume calls with allowConsume, through in read-only mode", async () => {
    const policy = { readOnly: true, allowConsume: true };
    await executeTool(tool("get_api"), { apiId: "api_123456" }, { rootKey: ROOT, client, logger, policy });
    answer = { status: 200, body: { meta: { requestId: "r" }, data: { valid: true, code: "VALID" } } };
    await executeTool(tool("verify_key"), { key: "k_123" }, { rootKey: ROOT, client, logger, policy });
    expect(received.map((r) => r.url)).toEqual(["/v2/apis.getApi", "/v2/keys.verifyKey"]);
  });

  it("passes the effective safety to the confirmation hook, which can stop the call", async () => {
    const seen: string[] = [];
    const r = await executeTool(tool("update_key"), { keyId: "key_1", enabled: false }, {
      rootKey: ROOT,
      client,
      logger,
      beforeExecute: ({ safety }) => {
        seen.push(safety);
        return { isError: true, content: [{ type: "text", text: "confirmation required" }] };
      },
    });
    expect(seen).toEqual(["destructive"]);
    expect(text(r)).toBe("confirmation required");
    expect(received).toHaveLength(0);
  });

  it("runs a hand-written tool's handler with the validated arguments", async () => {
    const handwritten: ToolDefinition = {
      ...tool("get_api"),
      name: "custom",
      http: undefined,
      handler: async (args, ctx) => ({ content: [{ type: "text", text: `hi ${String(args.apiId)} ${ctx.rootKey === ROOT}` }] }),
    };
    const r = await executeTool(handwritten, { apiId: "api_999999" }, { rootKey: ROOT, client, logger });
    expect(text(r)).toBe("hi api_999999 true");
  });

  it("turns an Unkey error into an isError result", async () => {
    answer = { status: 404, body: { meta: { requestId: "req_404" }, error: { title: "Not Found", detail: "no such api", status: 404, type: "t" } } };
    const r = await executeTool(tool("get_api"), { apiId: "api_missing" }, { rootKey: ROOT, client, logger });
    expect(r.isError).toBe(true);
    expect(text(r)).toContain('apiId="api_missing"');
    expect(text(r)).toContain("req_404");
  });

  it("never writes the root key or a verified plaintext key to the log", async () => {
    answer = { status: 200, body: { meta: { requestId: "r" }, data: { valid: true, code: "VALID" } } };
    await executeTool(tool("verify_key"), { key: "acme_plaintext_secret_99" }, { rootKey: ROOT, client, logger });
    const all = logLines.join("");
    expect(all).toContain("verify_key");
    expect(all).not.toContain(ROOT);
    expect(all).not.toContain("acme_plaintext_secret_99");
  });
});

describe("guard rules", () => {
  it("upgrades a write to destructive only for the arguments the contract names", async () => {
    const { effectiveSafety } = await import("../../src/tools/guard.js");
    const update = tool("update_key");
    expect(effectiveSafety(update, { keyId: "k", name: "x" })).toBe("write");
    expect(effectiveSafety(update, { keyId: "k", enabled: true })).toBe("write");
    expect(effectiveSafety(update, { keyId: "k", enabled: false })).toBe("destructive");
    expect(effectiveSafety(update, { keyId: "k", expires: null })).toBe("destructive");
    expect(effectiveSafety(update, { keyId: "k", externalId: null })).toBe("destructive");
    const credits = tool("update_key_credits");
    expect(effectiveSafety(credits, { keyId: "k", operation: "increment", value: 1 })).toBe("write");
    expect(effectiveSafety(credits, { keyId: "k", operation: "set", value: 1 })).toBe("destructive");
    expect(effectiveSafety(tool("delete_key"), { keyId: "k" })).toBe("destructive");
    expect(effectiveSafety(tool("get_key"), { keyId: "k" })).toBe("read");
  });
});
