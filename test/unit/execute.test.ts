/**
 * executeTool end to end over real HTTP.
 *
 * Success and Unkey-error paths run against the real local API, behind a pass-through proxy that
 * records what the executor sent (or did not send) and what the API answered. Only the fault
 * cases — 5xx, a dropped connection, a body that is not JSON, no answer at all — use a
 * deliberately faulty server, because the local API does not misbehave on purpose.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createUnkeyClient, type UnkeyClient } from "../../src/client/unkey-client.js";
import { defineTool } from "../../src/tools/define.js";
import type { ToolDefinition, ToolHandler } from "../../src/tools/types.js";
import { executeTool } from "../../src/tools/execute.js";
import { createLogger } from "../../src/util/log.js";
import { tool } from "../helpers/catalog.js";
import { startLocalApi, type InProcessLocalApi } from "../helpers/local-api.js";

const text = (r: { content: unknown[] }): string => (r.content[0] as { text: string }).text;

// Deliberately not shaped like an Unkey root key (no `unkey_` prefix), so a redactor that only
// recognises the usual prefix would let it through and the log assertion below would catch it.
const ROOT = "exec-tests-ROOT-4f9c2a71d3e8b6";

interface Exchange {
  url: string;
  auth?: string;
  body: unknown;
  status: number;
  response: unknown;
}

let api: InProcessLocalApi;
let proxy: Server;
let client: UnkeyClient;
const received: Exchange[] = [];
const logLines: string[] = [];
const logger = createLogger({ level: "debug", sink: (l) => logLines.push(l) });

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    let raw = "";
    req.on("data", (c: Buffer) => (raw += c.toString()));
    req.on("end", () => resolve(raw));
    req.on("error", reject);
  });

/** Forwards every request to the local API unchanged and records request and answer. */
function recordingProxy(target: URL): Server {
  return createServer((req, res) => {
    void readBody(req).then((raw) => {
      const fwd = httpRequest(
        { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: { ...req.headers, host: target.host } },
        (up) => {
          let answer = "";
          up.on("data", (c: Buffer) => (answer += c.toString()));
          up.on("end", () => {
            received.push({
              url: req.url ?? "",
              auth: req.headers.authorization,
              body: JSON.parse(raw || "null"),
              status: up.statusCode ?? 0,
              response: JSON.parse(answer || "null"),
            });
            res.writeHead(up.statusCode ?? 502, up.headers);
            res.end(answer);
          });
        },
      );
      fwd.on("error", () => res.destroy());
      fwd.end(raw);
    });
  });
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
}

/** A direct call to the local API with the admin key (set-up and independent checks). */
async function direct<T>(path: string, body: unknown): Promise<{ status: number; data: T }> {
  const res = await fetch(`${api.url}/v2/${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${ROOT}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, data: ((await res.json()) as { data: T }).data };
}

beforeAll(async () => {
  api = await startLocalApi({ rootKey: ROOT });
  proxy = recordingProxy(new URL(api.url));
  client = createUnkeyClient({ baseUrl: await listen(proxy), backoffMs: 1 });
});
afterAll(async () => {
  await client?.close();
  if (proxy) await closeServer(proxy);
  await api?.close();
});
beforeEach(() => {
  received.length = 0;
});

/** A hand-written read tool taking an apiId, with get_api's permission rule (for hints). */
function handWritten(name: string, handler: ToolHandler): ToolDefinition {
  return defineTool({
    name,
    title: name,
    description: "A hand-written test tool.",
    toolset: "apis",
    safety: "read",
    permissions: [["api.*.read_api", "api.<apiId>.read_api"]],
    inputSchema: { type: "object", properties: { apiId: { type: "string" } }, required: ["apiId"] },
    handler,
  });
}

describe("executeTool against the local API", () => {
  it("sends the flat arguments as the body with the root key, and shapes the answer", async () => {
    const r = await executeTool(tool("create_api"), { name: "payments" }, { rootKey: ROOT, client, logger });
    expect(received.map(({ url, auth, body }) => ({ url, auth, body }))).toEqual([
      { url: "/v2/apis.createApi", auth: `Bearer ${ROOT}`, body: { name: "payments" } },
    ]);
    expect(r.isError).toBeUndefined();
    const apiId = (r.structuredContent as { data: { apiId: string } }).data.apiId;
    expect(r.structuredContent).toEqual({
      summary: "create_api: done",
      data: { apiId: expect.stringMatching(/^api_/) },
      requestId: expect.stringMatching(/^req_/),
    });
    // The API really has it.
    expect((await direct<{ name: string }>("apis.getApi", { apiId })).data.name).toBe("payments");
  });

  it("unwraps the multiLimit wrapper: the API receives the bare array", async () => {
    const checks = [
      { namespace: "exec.multi", identifier: "u1", limit: 10, duration: 60_000 },
      { namespace: "exec.multi", identifier: "u2", limit: 1, duration: 60_000 },
    ];
    const r = await executeTool(tool("check_ratelimits"), { checks }, { rootKey: ROOT, client, logger });
    expect(r.isError, text(r)).toBeUndefined();
    expect(received).toHaveLength(1);
    expect(received[0].body).toEqual(checks);
    expect(received[0].status).toBe(200);
    expect((r.structuredContent as { data: { passed: boolean; limits: Array<{ identifier: string; remaining: number }> } }).data).toMatchObject({
      passed: true,
      limits: [
        { identifier: "u1", remaining: 9 },
        { identifier: "u2", remaining: 0 },
      ],
    });
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
    const read = await executeTool(tool("get_api"), { apiId: "api_123456" }, { rootKey: ROOT, client, logger, policy });
    const verify = await executeTool(tool("verify_key"), { key: "k_123" }, { rootKey: ROOT, client, logger, policy });
    expect(received.map((r) => [r.url, r.status])).toEqual([
      ["/v2/apis.getApi", 404],
      ["/v2/keys.verifyKey", 200],
    ]);
    expect(text(read)).not.toContain("read-only mode");
    expect((verify.structuredContent as { data: { valid: boolean; code: string } }).data).toMatchObject({ valid: false, code: "NOT_FOUND" });
  });

  it("passes the effective safety to the confirmation hook, which can stop the call", async () => {
    const seen: string[] = [];
    const r = await executeTool(
      tool("update_key"),
      { keyId: "key_1", enabled: false },
      {
        rootKey: ROOT,
        client,
        logger,
        beforeExecute: ({ safety }) => {
          seen.push(safety);
          return { isError: true, content: [{ type: "text", text: "confirmation required" }] };
        },
      },
    );
    expect(seen).toEqual(["destructive"]);
    expect(text(r)).toBe("confirmation required");
    expect(received).toHaveLength(0);
  });

  it("runs a hand-written tool's handler with the validated arguments and shapes its output", async () => {
    const handwritten = handWritten("custom", async (args) => ({ data: { echoed: args.apiId }, summary: "custom: echoed" }));
    const r = await executeTool(handwritten, { apiId: "api_999999" }, { rootKey: ROOT, client, logger });
    expect(r.structuredContent).toEqual({ summary: "custom: echoed", data: { echoed: "api_999999" } });
    expect(text(r)).toContain('{"echoed":"api_999999"}');
    expect(received).toHaveLength(0);
  });

  it("a hand-written tool's call goes through the client with the caller's root key, and its API error is shaped like a generated tool's", async () => {
    const handwritten = handWritten("api_name", async (args, ctx) => ({
      data: { name: ((await ctx.call("apis.getApi", { apiId: args.apiId })) as { name: string }).name },
    }));
    const r = await executeTool(handwritten, { apiId: "api_missing" }, { rootKey: ROOT, client, logger });
    expect(r.isError).toBe(true);
    expect(received).toHaveLength(1);
    expect(received[0].auth).toBe(`Bearer ${ROOT}`);
    const generated = await executeTool(tool("get_api"), { apiId: "api_missing" }, { rootKey: ROOT, client, logger });
    const strip = (t: string): string => t.replace(/req_[A-Za-z0-9]+/g, "<req>").replace(/^\S+: failed/, "");
    expect(strip(text(r))).toBe(strip(text(generated)));
    expect((r.structuredContent as { error: { hint: string } }).error.hint).toBe((generated.structuredContent as { error: { hint: string } }).error.hint);
  });

  it("a hand-written call whose body JSON cannot carry is an invalid-arguments result: nothing was sent", async () => {
    const handwritten = handWritten("bad_body", async (_args, ctx) => ({ data: await ctx.call("apis.createApi", { name: BigInt(1) }) }));
    const r = await executeTool(handwritten, { apiId: "api_1" }, { rootKey: ROOT, client, logger });
    expect(r.isError).toBe(true);
    expect(text(r)).toContain("nothing was sent to Unkey");
    expect(text(r)).not.toMatch(/may or may not/);
    expect(received).toHaveLength(0);
  });

  it("turns an Unkey error into an isError result naming the target and the request id", async () => {
    const r = await executeTool(tool("get_api"), { apiId: "api_missing" }, { rootKey: ROOT, client, logger });
    expect(r.isError).toBe(true);
    expect(received).toHaveLength(1);
    expect(received[0].status).toBe(404);
    const requestId = (received[0].response as { meta: { requestId: string } }).meta.requestId;
    expect(requestId).toBeTruthy();
    expect(text(r)).toContain('apiId="api_missing"');
    expect(text(r)).toContain(requestId);
  });

  it("never writes the root key or a verified plaintext key to the log", async () => {
    const { apiId } = (await direct<{ apiId: string }>("apis.createApi", { name: "exec-logs" })).data;
    const { key } = (await direct<{ key: string }>("keys.createKey", { apiId, prefix: "acme" })).data;
    logLines.length = 0;
    const r = await executeTool(tool("verify_key"), { key }, { rootKey: ROOT, client, logger });
    expect((r.structuredContent as { data: { valid: boolean } }).data.valid).toBe(true);
    const all = logLines.join("");
    // The call was logged at debug, arguments included: there was something to leak.
    expect(all).toContain("verify_key");
    expect(all).toContain('"arguments"');
    expect(all).not.toContain(ROOT);
    expect(all).not.toContain(key);
  });
});

describe("executeTool against a faulty server", () => {
  type Handler = (req: IncomingMessage, res: ServerResponse) => void;
  let faulty: Server;
  let faultyClient: UnkeyClient;
  let handler: Handler = (_req, res) => res.end();
  let hits = 0;

  beforeAll(async () => {
    faulty = createServer((req, res) => {
      hits++;
      void readBody(req).then(() => handler(req, res));
    });
    faultyClient = createUnkeyClient({ baseUrl: await listen(faulty), backoffMs: 1, maxRetries: 2, requestTimeoutMs: 300 });
  });
  afterAll(async () => {
    await faultyClient?.close();
    if (faulty) await closeServer(faulty);
  });
  beforeEach(() => {
    hits = 0;
  });

  const unavailable: Handler = (_req, res) => {
    res.writeHead(503, { "content-type": "application/json" });
    res.end(JSON.stringify({ meta: { requestId: "req_503" }, error: { title: "Service Unavailable", detail: "overloaded", status: 503, type: "t" } }));
  };

  it("a read that keeps getting 503 is retried, then reported as an error result", async () => {
    handler = unavailable;
    const r = await executeTool(tool("get_api"), { apiId: "api_123456" }, { rootKey: ROOT, client: faultyClient, logger });
    expect(r.isError).toBe(true);
    expect(text(r)).toContain("503");
    expect(hits).toBe(3);
  });

  it("a write that gets a 503 is not retried", async () => {
    handler = unavailable;
    const r = await executeTool(tool("create_api"), { name: "not-twice" }, { rootKey: ROOT, client: faultyClient, logger });
    expect(r.isError).toBe(true);
    expect(hits).toBe(1);
  });

  it("a dropped connection on a write says the change may or may not have been applied", async () => {
    handler = (req) => req.socket.destroy();
    const r = await executeTool(tool("create_api"), { name: "dropped" }, { rootKey: ROOT, client: faultyClient, logger });
    expect(r.isError).toBe(true);
    expect(text(r)).toContain("Could not reach the Unkey API");
    expect(text(r)).toContain("may or may not have been applied");
    expect(hits).toBe(1);
  });

  it("a body that is not JSON is an error result, not a crash", async () => {
    handler = (_req, res) => {
      res.writeHead(502, { "content-type": "text/html" });
      res.end("<html>bad gateway</html>");
    };
    const r = await executeTool(tool("create_api"), { name: "html" }, { rootKey: ROOT, client: faultyClient, logger });
    expect(r.isError).toBe(true);
    expect(text(r)).toContain("502");
  });

  it("no answer within the request timeout is reported as a timeout, once", async () => {
    handler = () => undefined; // never answers; the client's timeout ends the call
    const r = await executeTool(tool("get_api"), { apiId: "api_123456" }, { rootKey: ROOT, client: faultyClient, logger });
    expect(r.isError).toBe(true);
    expect(text(r)).toContain("did not answer in time");
    expect(hits).toBe(1);
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
