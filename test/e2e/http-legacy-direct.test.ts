/**
 * The direct paths for 2025-era requests must answer exactly as the SDK's transports do.
 *
 * Sessions (src/transports/http/session-direct.ts): two stateful HTTP servers over one local API
 * and one runtime,
 * one with the direct path and one without, each get a session and then the same raw requests;
 * every answer (status, the headers a client reads, and the body byte for byte, session ids and
 * upstream request ids aside) must match. The set covers what the direct path serves (lists,
 * read calls with data, tool errors, argument errors, paginated reads) and what it must leave to
 * the transport (write tools, unknown tools, progress, batches, bad headers).
 *
 * `--stateless` (src/transports/http/legacy-direct.ts): the same with two stateless servers and
 * no session.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { DirectServerPool } from "../../src/transports/http/direct-pool.js";
import type { RunningHttpServer } from "../../src/transports/http/server.js";
import { SessionTransport } from "../../src/transports/http/session-direct.js";
import { randomRootKey } from "../helpers/local-api.js";
import { expectSameAnswers, startParityPair, type ParityPair } from "../helpers/parity.js";

const VERSION = "2025-06-18";

interface Answer {
  status: number;
  headers: Record<string, string | null>;
  body: string;
}

describe("2025 session direct path answers as the session transport", () => {
  let direct: RunningHttpServer;
  let sdk: RunningHttpServer;
  let rootKey: string;
  let apiId: string;
  const sessionOf = new Map<RunningHttpServer, string>();

  let pair: ParityPair;

  beforeAll(async () => {
    pair = await startParityPair();
    ({ direct, sdk, rootKey, apiId } = pair);
    for (const server of [direct, sdk]) {
      const init = await fetch(`${server.url}/mcp/v2`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-unkey-bearer-auth": rootKey },
        body: JSON.stringify({
          jsonrpc: "2.0",
          id: 0,
          method: "initialize",
          params: { protocolVersion: VERSION, capabilities: {}, clientInfo: { name: "p", version: "1" } },
        }),
      });
      await init.text();
      const id = init.headers.get("mcp-session-id")!;
      sessionOf.set(server, id);
      const ack = await fetch(`${server.url}/mcp/v2`, {
        method: "POST",
        headers: { ...headers(server), "mcp-protocol-version": VERSION },
        body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }),
      });
      expect(ack.status).toBe(202);
    }
  });
  afterAll(async () => {
    await pair?.close();
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  function headers(server: RunningHttpServer): Record<string, string> {
    return {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-unkey-bearer-auth": rootKey,
      "mcp-protocol-version": VERSION,
      "mcp-session-id": sessionOf.get(server)!,
    };
  }

  interface Case {
    name: string;
    body: unknown;
    headers?: Record<string, string>;
    direct: boolean;
  }
  const call = (id: number, name: string, args: unknown, extra: Record<string, unknown> = {}): unknown => ({
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: { name, arguments: args, ...extra },
  });
  const cases = (): Case[] => [
    { name: "tools/list", body: { jsonrpc: "2.0", id: 1, method: "tools/list" }, direct: true },
    { name: "tools/list with empty params", body: { jsonrpc: "2.0", id: 2, method: "tools/list", params: {} }, direct: true },
    { name: "get_api of an existing API", body: call(3, "get_api", { apiId }), direct: true },
    { name: "get_api with a string id", body: { ...(call(4, "get_api", { apiId }) as object), id: "r-4" }, direct: true },
    { name: "get_api of an unknown API (tool error)", body: call(5, "get_api", { apiId: "api_nope" }), direct: true },
    { name: "get_api without its argument (argument error)", body: call(6, "get_api", {}), direct: true },
    { name: "list_keys (paginated read)", body: call(7, "list_keys", { apiId, limit: 5 }), direct: true },
    { name: "an unknown tool", body: call(8, "nope", {}), direct: false },
    { name: "a write tool", body: call(9, "update_api", { apiId: "api_nope" }), direct: false },
    { name: "arguments that are not an object", body: call(10, "get_api", ["x"]), direct: false },
    { name: "a call asking for progress", body: call(11, "get_api", { apiId }, { _meta: { progressToken: "p" } }), direct: false },
    { name: "a batch", body: [{ jsonrpc: "2.0", id: 12, method: "tools/list" }], direct: false },
    { name: "an unsupported protocol version header", body: call(13, "get_api", { apiId }), headers: { "mcp-protocol-version": "1999-01-01" }, direct: false },
    { name: "Accept without text/event-stream (406)", body: call(14, "get_api", { apiId }), headers: { accept: "application/json" }, direct: false },
    { name: "an older supported version header", body: call(15, "get_api", { apiId }), headers: { "mcp-protocol-version": "2025-03-26" }, direct: true },
  ];

  async function send(server: RunningHttpServer, c: Case): Promise<Answer> {
    const res = await fetch(`${server.url}/mcp/v2`, { method: "POST", headers: { ...headers(server), ...c.headers }, body: JSON.stringify(c.body) });
    const sid = sessionOf.get(server)!;
    const body = (await res.text()).replaceAll(sid, "SESSION").replace(/req_[A-Za-z0-9]+/g, "req_ID");
    const picked: Record<string, string | null> = {};
    for (const h of ["content-type", "cache-control", "x-accel-buffering"]) picked[h] = res.headers.get(h);
    picked["mcp-session-id"] = res.headers.get("mcp-session-id") === sid ? "SESSION" : res.headers.get("mcp-session-id");
    return { status: res.status, headers: picked, body };
  }

  it("every request gets the same status, headers and body from both servers", async () => {
    const deliver = vi.spyOn(SessionTransport.prototype, "deliver");
    await expectSameAnswers(pair, cases(), send, () => deliver.mock.calls.length);
  });

  it("the answers are real: one SSE event with the data, or the tool error", async () => {
    const ok = await send(direct, cases()[2]!);
    expect(ok.status).toBe(200);
    expect(ok.headers["content-type"]).toBe("text/event-stream");
    const m = /^event: message\ndata: (.*)\n\n$/.exec(ok.body);
    expect(m, ok.body).not.toBeNull();
    const msg = JSON.parse(m![1]!) as { id: number; result: { structuredContent: { data: { id: string } } } };
    expect(msg.id).toBe(3);
    expect(msg.result.structuredContent.data.id).toBe(apiId);
    const missing = await send(direct, cases()[4]!);
    expect(missing.body).toContain('"isError":true');
  });

  it("a session's direct calls need its own key: another key's call is refused and changes nothing", async () => {
    const other = randomRootKey();
    const res = await fetch(`${direct.url}/mcp/v2`, {
      method: "POST",
      headers: { ...headers(direct), "mcp-unkey-bearer-auth": other },
      body: JSON.stringify(call(20, "get_api", { apiId })),
    });
    expect(res.status).toBe(403);
    expect(await res.text()).not.toContain(apiId);
    // The owner's session still answers.
    expect((await send(direct, cases()[2]!)).status).toBe(200);
  });
});

describe("2025 --stateless direct path answers as the SDK's stateless transport", () => {
  let direct: RunningHttpServer;
  let rootKey: string;
  let apiId: string;

  let pair: ParityPair;

  beforeAll(async () => {
    pair = await startParityPair(["--stateless"]);
    ({ direct, rootKey, apiId } = pair);
  });
  afterAll(async () => {
    await pair?.close();
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  const call = (id: number, name: string, args: unknown, extra: Record<string, unknown> = {}): unknown => ({
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: { name, arguments: args, ...extra },
  });
  const cases = (): Array<{ name: string; body: unknown; headers?: Record<string, string>; direct: boolean }> => [
    { name: "tools/list", body: { jsonrpc: "2.0", id: 1, method: "tools/list" }, direct: true },
    { name: "get_api of an existing API", body: call(2, "get_api", { apiId }), direct: true },
    { name: "get_api of an unknown API (tool error)", body: call(3, "get_api", { apiId: "api_nope" }), direct: true },
    { name: "get_api without its argument (argument error)", body: call(4, "get_api", {}), direct: true },
    { name: "list_keys (paginated read)", body: call(5, "list_keys", { apiId, limit: 5 }), direct: true },
    { name: "without a protocol version header", body: call(6, "get_api", { apiId }), headers: { "mcp-protocol-version": "" }, direct: true },
    { name: "an unknown tool", body: call(7, "nope", {}), direct: false },
    { name: "a write tool", body: call(8, "update_api", { apiId: "api_nope" }), direct: false },
    { name: "a call asking for progress", body: call(9, "get_api", { apiId }, { _meta: { progressToken: "p" } }), direct: false },
    { name: "a batch", body: [{ jsonrpc: "2.0", id: 10, method: "tools/list" }], direct: false },
    { name: "an unsupported protocol version header", body: call(11, "get_api", { apiId }), headers: { "mcp-protocol-version": "1999-01-01" }, direct: false },
    { name: "Accept without text/event-stream (406)", body: call(12, "get_api", { apiId }), headers: { accept: "application/json" }, direct: false },
  ];

  async function send(server: RunningHttpServer, c: ReturnType<typeof cases>[number]): Promise<Answer> {
    const h: Record<string, string> = {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-unkey-bearer-auth": rootKey,
      "mcp-protocol-version": VERSION,
      ...c.headers,
    };
    for (const [k, v] of Object.entries(h)) if (v === "") delete h[k];
    const res = await fetch(`${server.url}/mcp/v2`, { method: "POST", headers: h, body: JSON.stringify(c.body) });
    const body = (await res.text()).replace(/req_[A-Za-z0-9]+/g, "req_ID");
    return { status: res.status, headers: { "content-type": res.headers.get("content-type"), "mcp-session-id": res.headers.get("mcp-session-id") }, body };
  }

  it("every request gets the same status, headers and body from both servers", async () => {
    const serve = vi.spyOn(DirectServerPool.prototype, "serve");
    await expectSameAnswers(pair, cases(), send, () => serve.mock.calls.length);
  });

  it("the answers are real: the data, or the tool error", async () => {
    const ok = JSON.parse((await send(direct, cases()[1]!)).body) as { id: number; result: { structuredContent: { data: { id: string } } } };
    expect(ok.id).toBe(2);
    expect(ok.result.structuredContent.data.id).toBe(apiId);
    expect((await send(direct, cases()[2]!)).body).toContain('"isError":true');
  });
});
