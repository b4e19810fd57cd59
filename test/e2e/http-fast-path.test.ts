/**
 * The stateless HTTP server (`node dist/cli.js http --stateless`) must answer every 2025-era
 * request the way the MCP spec and the SDK's Streamable HTTP transport do (plain single requests
 * used to take a hot path of their own; they now go through the SDK 2.x transport like the rest).
 * Raw HTTP requests, so the status codes and content types are what is asserted.
 *
 * Also: a client that disconnects in the middle of a call cancels the upstream request and
 * leaves the server healthy (against a deliberately slow upstream that never answers), for a
 * stateless 2025 call and for a 2026-07-28 call on the direct path.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalApi, type InProcessLocalApi } from "../helpers/local-api.js";
import { spawnHttpServer, type SpawnedHttpServer } from "../helpers/mcp-http.js";

const V2 = "/mcp/v2";
const BOTH = "application/json, text/event-stream";

interface RpcResponse {
  jsonrpc: string;
  id: number | string | null;
  result?: { isError?: boolean; structuredContent?: { data?: unknown }; content?: Array<{ type: string; text?: string }>; tools?: unknown[] };
  error?: { code: number; message: string };
}

const toolCall = (id: number, name: string, args: Record<string, unknown>, meta?: Record<string, unknown>): Record<string, unknown> => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: { name, arguments: args, ...(meta ? { _meta: meta } : {}) },
});

/** The JSON-RPC messages of a response body: a JSON body, or the `data:` lines of an SSE stream. */
function messagesOf(contentType: string | null, body: string): RpcResponse[] {
  if (contentType?.startsWith("text/event-stream")) {
    return body
      .split("\n")
      .filter((l) => l.startsWith("data:"))
      .map((l) => l.slice(5).trim())
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as RpcResponse);
  }
  const parsed = JSON.parse(body) as RpcResponse | RpcResponse[];
  return Array.isArray(parsed) ? parsed : [parsed];
}

describe("stateless HTTP: answers as the MCP spec and SDK do", () => {
  let api: InProcessLocalApi;
  let server: SpawnedHttpServer;
  let post: (body: unknown, headers?: Record<string, string>) => Promise<{ status: number; type: string | null; text: string }>;

  beforeAll(async () => {
    api = await startLocalApi();
    server = await spawnHttpServer(api.url, ["--stateless"]);
    post = async (body, headers = {}) => {
      const res = await fetch(`${server.url}${V2}`, {
        method: "POST",
        headers: { "MCP-UNKEY-BEARER-AUTH": api.rootKey, "content-type": "application/json", accept: BOTH, ...headers },
        body: typeof body === "string" ? body : JSON.stringify(body),
      });
      return { status: res.status, type: res.headers.get("content-type"), text: await res.text() };
    };
  });
  afterAll(async () => {
    await server?.close();
    await api?.close();
  });

  it("a single tools/call: 200 application/json carrying the tool's result", async () => {
    const created = await post(toolCall(1, "create_api", { name: "fast-path" }));
    expect(created.status).toBe(200);
    expect(created.type).toMatch(/^application\/json/);
    const [msg] = messagesOf(created.type, created.text);
    expect(msg).toMatchObject({ jsonrpc: "2.0", id: 1 });
    expect(msg.result?.isError).toBeFalsy();
    const apiId = (msg.result!.structuredContent!.data as { apiId: string }).apiId;
    expect(apiId).toMatch(/^api_/);
    // The result is the API's: the next call reads it back.
    const got = messagesOf(null, (await post(toolCall(2, "get_api", { apiId }))).text)[0];
    expect(got.result?.structuredContent?.data).toMatchObject({ id: apiId, name: "fast-path" });
  });

  it("Accept without text/event-stream: 406", async () => {
    const res = await post(toolCall(3, "list_roles", {}), { accept: "application/json" });
    expect(res.status).toBe(406);
    expect(messagesOf("application/json", res.text)[0].error?.message).toMatch(/text\/event-stream/);
  });

  it("Content-Type text/plain: 415", async () => {
    const res = await post(JSON.stringify(toolCall(4, "list_roles", {})), { "content-type": "text/plain" });
    expect(res.status).toBe(415);
    expect(messagesOf("application/json", res.text)[0].error?.message).toMatch(/application\/json/);
  });

  it("an unsupported MCP-Protocol-Version: 400 naming the supported versions", async () => {
    const res = await post(toolCall(5, "list_roles", {}), { "mcp-protocol-version": "1999-01-01" });
    expect(res.status).toBe(400);
    expect(messagesOf("application/json", res.text)[0].error?.message).toMatch(/1999-01-01.*2025-06-18|Unsupported protocol version/);
    // A supported version is served.
    const ok = await post(toolCall(6, "list_roles", {}), { "mcp-protocol-version": "2025-06-18" });
    expect(ok.status).toBe(200);
    expect(messagesOf(ok.type, ok.text)[0].result?.isError).toBeFalsy();
  });

  it("a JSON-RPC batch: every request answered, by id", async () => {
    const res = await post([toolCall(7, "list_roles", {}), { jsonrpc: "2.0", id: 8, method: "tools/list" }]);
    expect(res.status).toBe(200);
    const byId = new Map(messagesOf(res.type, res.text).map((m) => [m.id, m]));
    expect([...byId.keys()].sort()).toEqual([7, 8]);
    expect(byId.get(7)?.result?.isError).toBeFalsy();
    expect(byId.get(8)?.result?.tools).toHaveLength(45);
  });

  it("a notification: 202 with no body", async () => {
    const res = await post({ jsonrpc: "2.0", method: "notifications/initialized" });
    expect(res.status).toBe(202);
    expect(res.text).toBe("");
  });

  it("a tools/call asking for progress (_meta.progressToken) is served", async () => {
    const res = await post(toolCall(9, "list_roles", {}, { progressToken: "p-9" }));
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/^(application\/json|text\/event-stream)/);
    const answer = messagesOf(res.type, res.text).find((m) => m.id === 9);
    expect(answer?.result?.isError).toBeFalsy();
    expect(answer?.result?.structuredContent?.data).toEqual(expect.any(Array));
  });

  it("an unknown tool: a JSON-RPC error, not a tool result", async () => {
    const res = await post(toolCall(10, "no_such_tool", {}));
    expect(res.status).toBe(200);
    const [msg] = messagesOf(res.type, res.text);
    expect(msg.id).toBe(10);
    expect(msg.result).toBeUndefined();
    expect(msg.error?.code).toBe(-32602);
    expect(msg.error?.message).toContain("no_such_tool");
  });
});

const MODERN_META = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientInfo": { name: "disconnect", version: "1" },
  "io.modelcontextprotocol/clientCapabilities": {},
};

/** One disconnect case: the server's flags, and the tools/call the client abandons. */
interface DisconnectCase {
  title: string;
  flags: string[];
  headers: Record<string, string>;
  body: Record<string, unknown>;
  /** The tools/list that shows the server still serves this era afterwards. */
  list: { headers: Record<string, string>; body: Record<string, unknown> };
}

const DISCONNECT_CASES: DisconnectCase[] = [
  {
    title: "stateless HTTP, a 2025 call",
    flags: ["--stateless"],
    headers: {},
    body: toolCall(1, "get_api", { apiId: "api_12345678" }),
    list: { headers: {}, body: { jsonrpc: "2.0", id: 2, method: "tools/list" } },
  },
  {
    // Served by the direct 2026-07-28 path (src/transports/http/modern-direct.ts).
    title: "a 2026-07-28 call",
    flags: [],
    headers: { "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": "get_api" },
    body: toolCall(1, "get_api", { apiId: "api_12345678" }, MODERN_META),
    list: {
      headers: { "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/list" },
      body: { jsonrpc: "2.0", id: 2, method: "tools/list", params: { _meta: MODERN_META } },
    },
  },
];

for (const dc of DISCONNECT_CASES)
  describe(`${dc.title}: a client that disconnects mid-call`, () => {
    let slow: Server;
    let server: SpawnedHttpServer;
    // Resolved when the upstream request arrives, and when its socket closes.
    let arrived!: Promise<void>;
    let closed!: Promise<void>;
    let markArrived: () => void;
    let markClosed: () => void;
    let answered = false;

    beforeAll(async () => {
      arrived = new Promise((r) => (markArrived = r));
      closed = new Promise((r) => (markClosed = r));
      // Deliberately slow: takes the request and never answers. Only a cancelled request closes it.
      slow = createServer((req: IncomingMessage) => {
        req.resume();
        req.socket.once("close", () => markClosed());
        markArrived();
      });
      await new Promise<void>((r) => slow.listen(0, "127.0.0.1", r));
      // A request timeout far beyond the test's own: only the disconnect can end the upstream call.
      server = await spawnHttpServer(`http://127.0.0.1:${(slow.address() as AddressInfo).port}`, [...dc.flags, "--request-timeout", "600"]);
    });
    afterAll(async () => {
      await server?.close();
      slow?.closeAllConnections();
      await new Promise<void>((r) => (slow ? slow.close(() => r()) : r()));
    });

    it("cancels the upstream request and stays healthy", async () => {
      const controller = new AbortController();
      const pending = fetch(`${server.url}${V2}`, {
        method: "POST",
        headers: { "MCP-UNKEY-BEARER-AUTH": "rk-disconnect-test-key", "content-type": "application/json", accept: BOTH, ...dc.headers },
        body: JSON.stringify(dc.body),
        signal: controller.signal,
      }).then(
        () => (answered = true),
        (err: Error) => err,
      );
      await arrived;
      controller.abort();
      expect(await pending).toBeInstanceOf(Error);
      // The MCP server dropped its upstream request when the client went away.
      await closed;
      expect(answered).toBe(false);

      expect(server.alive()).toBe(true);
      const health = await fetch(`${server.url}/healthz`);
      expect(health.status).toBe(200);
      const list = await fetch(`${server.url}${V2}`, {
        method: "POST",
        headers: { "MCP-UNKEY-BEARER-AUTH": "rk-disconnect-test-key", "content-type": "application/json", accept: BOTH, ...dc.list.headers },
        body: JSON.stringify(dc.list.body),
      });
      expect(list.status).toBe(200);
      expect(messagesOf(list.headers.get("content-type"), await list.text())[0].result?.tools).toHaveLength(45);
      expect(server.stderr()).not.toMatch(/uncaught|unhandled/i);
    });
  });
