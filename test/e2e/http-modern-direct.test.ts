/**
 * The direct 2026-07-28 path (src/transports/http/modern-direct.ts) must answer exactly as the
 * SDK's modern handler does: two HTTP servers over one local API and one runtime, one with the
 * direct path and one without, get the same raw requests, and every answer (status, content type
 * and body, byte for byte) must match. The set covers what the direct path serves (tools/list,
 * read tool calls with data, tool errors and argument errors, narrowed lists) and what it must
 * leave to the SDK (unknown tools, write tools, header mismatches, unsupported versions,
 * malformed params, progress, batches).
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config.js";
import { createRootKey } from "../../src/local/root-keys.js";
import type { LocalApi } from "../../src/local/server.js";
import { createRuntime, type ServerInput } from "../../src/runtime.js";
import { startHttpServer, type RunningHttpServer } from "../../src/transports/http/server.js";
import { createLogger } from "../../src/util/log.js";
import { randomRootKey } from "../helpers/local-api.js";
import { expectSameAnswers, startParityPair, type ParityPair } from "../helpers/parity.js";

const MODERN = "2026-07-28";
const envelope = (version = MODERN): Record<string, unknown> => ({
  "io.modelcontextprotocol/protocolVersion": version,
  "io.modelcontextprotocol/clientInfo": { name: "parity", version: "1" },
  "io.modelcontextprotocol/clientCapabilities": {},
});

interface Case {
  name: string;
  path?: string;
  headers: Record<string, string>;
  body: unknown;
  /** Whether the direct path must serve it (otherwise it must go to the SDK's handler). */
  direct: boolean;
}

interface Answer {
  status: number;
  type: string | null;
  body: string;
}

describe("2026-07-28 direct path answers byte for byte as the SDK's handler", () => {
  let local: LocalApi;
  let direct: RunningHttpServer;
  let rootKey: string;
  let apiId: string;
  /**
   * Messages delivered to servers of the direct path (built listing 2026-07-28; the SDK's handler
   * lets the SDK add it). Counted at the transport, since the direct path reuses its servers.
   */
  let directMessages = 0;
  /** Servers of the direct path built and not yet closed. */
  let directServersAlive = 0;

  let pair: ParityPair;

  beforeAll(async () => {
    pair = await startParityPair([], (runtime) => {
      const createServer = runtime.createServer;
      runtime.createServer = (input: ServerInput) => {
        const server = createServer(input);
        if (!input.protocolVersions?.includes(MODERN)) return server;
        directServersAlive++;
        const close = server.close.bind(server);
        server.close = async () => {
          directServersAlive--;
          await close();
        };
        const connect = server.connect.bind(server);
        server.connect = async (transport) => {
          await connect(transport);
          const deliver = transport.onmessage!;
          transport.onmessage = (message, extra) => {
            directMessages++;
            deliver(message, extra);
          };
        };
        return server;
      };
    });
    ({ local, direct, rootKey, apiId } = pair);
  });
  afterAll(async () => {
    await pair?.close();
  });

  const base = (method: string, name?: string): Record<string, string> => ({
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    "mcp-unkey-bearer-auth": rootKey,
    "mcp-protocol-version": MODERN,
    "mcp-method": method,
    ...(name === undefined ? {} : { "mcp-name": name }),
  });
  const call = (id: number | string, name: string, args: unknown, meta: Record<string, unknown> = envelope()): Record<string, unknown> => ({
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: { name, arguments: args, _meta: meta },
  });
  const list = (id: number, meta: Record<string, unknown> = envelope()): Record<string, unknown> => ({
    jsonrpc: "2.0",
    id,
    method: "tools/list",
    params: { _meta: meta },
  });

  const cases = (): Case[] => [
    { name: "tools/list", headers: base("tools/list"), body: list(1), direct: true },
    { name: "tools/list narrowed by X-MCP-Tools", headers: { ...base("tools/list"), "x-mcp-tools": "get_api,list_keys" }, body: list(2), direct: true },
    {
      name: "tools/list on /mcp/ratelimits/",
      path: "/mcp/ratelimits/",
      headers: { ...base("tools/list"), "mcp-unkey-v2-root-key": rootKey },
      body: list(3),
      direct: true,
    },
    { name: "get_api of an existing API", headers: base("tools/call", "get_api"), body: call(4, "get_api", { apiId }), direct: true },
    { name: "get_api with a string id", headers: base("tools/call", "get_api"), body: call("req-5", "get_api", { apiId }), direct: true },
    { name: "get_api of an unknown API (tool error)", headers: base("tools/call", "get_api"), body: call(6, "get_api", { apiId: "api_nope" }), direct: true },
    { name: "get_api without its argument (argument error)", headers: base("tools/call", "get_api"), body: call(7, "get_api", {}), direct: true },
    { name: "list_keys (paginated read)", headers: base("tools/call", "list_keys"), body: call(8, "list_keys", { apiId, limit: 5 }), direct: true },
    { name: "an unknown tool", headers: base("tools/call", "nope"), body: call(9, "nope", {}), direct: false },
    { name: "a write tool", headers: base("tools/call", "create_api"), body: call(10, "create_api", { name: "x" }), direct: false },
    { name: "Mcp-Name that disagrees with the body (-32020)", headers: base("tools/call", "list_keys"), body: call(11, "get_api", { apiId }), direct: false },
    { name: "Mcp-Method that disagrees with the body (-32020)", headers: base("tools/list"), body: call(12, "get_api", { apiId }), direct: false },
    {
      name: "an unsupported version in the envelope (-32022)",
      headers: { ...base("tools/call", "get_api"), "mcp-protocol-version": "2099-01-01" },
      body: call(13, "get_api", { apiId }, envelope("2099-01-01")),
      direct: false,
    },
    { name: "arguments that are not an object", headers: base("tools/call", "get_api"), body: call(14, "get_api", ["x"]), direct: false },
    {
      name: "a call asking for progress",
      headers: base("tools/call", "get_api"),
      body: call(15, "get_api", { apiId }, { ...envelope(), progressToken: "p1" }),
      direct: false,
    },
    {
      name: "a tool outside the request's narrowing",
      headers: { ...base("tools/call", "get_api"), "x-mcp-tools": "list_keys" },
      body: call(16, "get_api", { apiId }),
      direct: false,
    },
    { name: "a batch", headers: base("tools/list"), body: [list(17)], direct: false },
    // After the calls above, the envelope is one the direct path knows: the body is still checked.
    { name: "an id that is null", headers: base("tools/call", "get_api"), body: { ...call(18, "get_api", { apiId }), id: null }, direct: false },
    { name: "jsonrpc 1.0", headers: base("tools/call", "get_api"), body: { ...call(19, "get_api", { apiId }), jsonrpc: "1.0" }, direct: false },
    {
      name: "a body that also carries a result",
      headers: base("tools/call", "get_api"),
      body: { ...call(20, "get_api", { apiId }), result: {} },
      direct: false,
    },
    { name: "the known envelope, served again", headers: base("tools/call", "get_api"), body: call(21, "get_api", { apiId }), direct: true },
  ];

  async function send(server: RunningHttpServer, c: Case): Promise<Answer> {
    const res = await fetch(`${server.url}${c.path ?? "/mcp/v2"}`, { method: "POST", headers: c.headers, body: JSON.stringify(c.body) });
    // Upstream request ids differ per call; everything else must be equal.
    const body = (await res.text()).replace(/req_[A-Za-z0-9]+/g, "req_ID");
    return { status: res.status, type: res.headers.get("content-type"), body };
  }

  it("every request gets the same status, content type and body from both servers", async () => {
    await expectSameAnswers(pair, cases(), send, () => directMessages);
  });

  it("the answers are real: data, tool errors and refusals are what the case says", async () => {
    const ok = JSON.parse((await send(direct, cases()[3])).body) as { result: { structuredContent: { data: { id: string } }; resultType: string } };
    expect(ok.result.structuredContent.data.id).toBe(apiId);
    expect(ok.result.resultType).toBe("complete");
    const missing = JSON.parse((await send(direct, cases()[5])).body) as { result: { isError: boolean } };
    expect(missing.result.isError).toBe(true);
    const mismatch = JSON.parse((await send(direct, cases()[10])).body) as { error: { code: number } };
    expect(mismatch.error.code).toBe(-32020);
    const version = JSON.parse((await send(direct, cases()[12])).body) as { error: { code: number } };
    expect(version.error.code).toBe(-32022);
  });

  it("tool calls and HTTP requests on the direct path are counted in the same metrics as on the SDK path", async () => {
    const requests = async (): Promise<number> => {
      const text = await (await fetch(`${direct.url}/metrics`)).text();
      expect(text).toMatch(/unkey_mcp_tool_calls_total\{tool="get_api",outcome="ok"\} [1-9]/);
      return Number(/unkey_mcp_http_requests_total\{route="\/mcp\/v2",method="POST",status="200"\} (\d+)/.exec(text)?.[1] ?? 0);
    };
    await send(direct, cases()[3]);
    const before = await requests();
    await send(direct, cases()[3]);
    await send(direct, cases()[0]);
    expect(await requests()).toBe(before + 2);
  });

  it("keeps a bounded number of idle servers however many narrowings and concurrent calls clients use", async () => {
    const others = ["list_keys", "get_key", "get_identity", "list_identities", "get_permission", "list_permissions", "get_role", "list_roles"];
    const lists: string[] = [];
    for (const a of others) for (const b of others) if (a < b) lists.push(`get_api,${a},${b}`);
    expect(lists.length).toBeGreaterThanOrEqual(28);
    for (const tools of lists) {
      const answers = await Promise.all(
        Array.from({ length: 32 }, (_, i) =>
          send(direct, { name: tools, headers: { ...base("tools/call", "get_api"), "x-mcp-tools": tools }, body: call(i, "get_api", { apiId }), direct: true }),
        ),
      );
      for (const a of answers) expect(a.body, tools).toContain(apiId);
    }
    // 28 lists x 32 concurrent calls built up to 896 servers; the pools of the 16 most recent
    // lists are kept, and their idle servers stay within the budget of 256.
    expect(directServersAlive).toBeLessThanOrEqual(256);
    expect(directServersAlive).toBeGreaterThan(0);
    // The unnarrowed list still serves, on a kept or a new server.
    expect((await send(direct, cases()[3]!)).body).toContain(apiId);
  });

  it("pooled servers keep concurrent requests apart: 100 interleaved calls under two keys, all with id 1", async () => {
    const other = await (
      await fetch(`${local.url}/v2/apis.createApi`, {
        method: "POST",
        headers: { authorization: `Bearer ${rootKey}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "other" }),
      })
    ).json();
    const otherId = (other as { data: { apiId: string } }).data.apiId;
    // This key may read `apiId` only.
    const narrowKey = createRootKey(local.store, { permissions: [`api.${apiId}.read_api`], now: Date.now() }).key;
    const before = directMessages;
    const results = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const key = i % 2 === 0 ? rootKey : narrowKey;
        const target = i % 4 < 2 ? apiId : otherId;
        const answer = await send(direct, {
          name: `call ${i}`,
          headers: { ...base("tools/call", "get_api"), "mcp-unkey-bearer-auth": key },
          body: call(1, "get_api", { apiId: target }),
          direct: true,
        });
        const body = JSON.parse(answer.body) as { id: number; result: { isError?: boolean; structuredContent?: { data?: { id?: string } } } };
        return { key, target, id: body.id, isError: body.result.isError === true, got: body.result.structuredContent?.data?.id };
      }),
    );
    expect(directMessages - before).toBe(100);
    for (const r of results) {
      expect(r.id).toBe(1);
      if (r.key === rootKey || r.target === apiId) expect(r, JSON.stringify(r)).toMatchObject({ isError: false, got: r.target });
      else expect(r.isError, JSON.stringify(r)).toBe(true);
    }
    expect(results.filter((r) => r.isError)).toHaveLength(25);
  });
});

describe("direct path: a call whose client goes away", () => {
  it("aborts the upstream request, and the next calls are served", async () => {
    // A deliberately slow Unkey API: the first getApi never answers, later ones answer at once.
    const upstreamClosed: Promise<void>[] = [];
    let calls = 0;
    const slow = createServer((req, res) => {
      calls++;
      if (calls === 1) {
        upstreamClosed.push(new Promise((resolve) => req.socket.once("close", () => resolve())));
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ meta: { requestId: "req_slow" }, data: { id: "api_slow", name: "slow" } }));
    });
    await new Promise<void>((resolve) => slow.listen(0, "127.0.0.1", resolve));
    const slowUrl = `http://127.0.0.1:${(slow.address() as AddressInfo).port}`;
    const config = parseConfig("http", ["--port", "0", "--api-url", slowUrl], {});
    const logger = createLogger({ level: "error", format: "json", sink: () => undefined });
    const runtime = await createRuntime(config, logger);
    const server = await startHttpServer({ config, logger, runtime });
    try {
      const headers = {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-unkey-bearer-auth": randomRootKey(),
        "mcp-protocol-version": MODERN,
        "mcp-method": "tools/call",
        "mcp-name": "get_api",
      };
      const body = JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "tools/call",
        params: { name: "get_api", arguments: { apiId: "api_slow" }, _meta: envelope() },
      });
      const aborted = new AbortController();
      const first = fetch(`${server.url}/mcp/v2`, { method: "POST", headers, body, signal: aborted.signal }).catch((e: Error) => e);
      while (upstreamClosed.length === 0) await new Promise((r) => setTimeout(r, 10));
      aborted.abort();
      expect(await first).toBeInstanceOf(Error);
      // The handler's upstream request is cancelled with its client.
      await upstreamClosed[0];
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${server.url}/mcp/v2`, { method: "POST", headers, body });
        const json = (await res.json()) as { id: number; result: { structuredContent: { data: { name: string } } } };
        expect(json.id).toBe(1);
        expect(json.result.structuredContent.data.name).toBe("slow");
      }
    } finally {
      await server.close();
      await runtime.close();
      slow.close();
    }
  });
});
