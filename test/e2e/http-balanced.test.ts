/**
 * Two HTTP instances behind one plain round-robin TCP proxy (no affinity, loopback only): a
 * 2026-07-28 client is served without a single failed call, because that era keeps no server
 * memory between requests; 2025 clients work against --stateless instances.
 */
import { createServer, connect, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { Agent, fetch as undiciFetch } from "undici";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalApi, type InProcessLocalApi } from "../helpers/local-api.js";
import { spawnHttpServer, type SpawnedHttpServer } from "../helpers/mcp-http.js";
import { connectHttp2 } from "../helpers/sdk2.js";
import { profileSize } from "../helpers/catalog.js";

interface Proxy {
  url: string;
  /** Connections handed to each backend, in order. */
  counts: number[];
  close(): Promise<void>;
}

/** A port-forwarding proxy that hands each new connection to the next backend in turn. */
async function roundRobinProxy(backends: string[]): Promise<Proxy> {
  const targets = backends.map((u) => new URL(u));
  const counts = targets.map(() => 0);
  const sockets = new Set<Socket>();
  let next = 0;
  const server: Server = createServer((client) => {
    const i = next++ % targets.length;
    counts[i]++;
    const upstream = connect(Number(targets[i].port), targets[i].hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A fetch that opens a new connection for every request, so the proxy spreads requests too. */
const freshConnectionFetch: typeof fetch = async (input, init) => {
  const dispatcher = new Agent({ pipelining: 0 });
  try {
    const res = await undiciFetch(input as string, { ...(init as object), dispatcher } as Parameters<typeof undiciFetch>[1]);
    const body = await res.arrayBuffer();
    return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers as unknown as Headers });
  } finally {
    void dispatcher.close();
  }
};

async function toolCallsServed(server: SpawnedHttpServer): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return text
    .split("\n")
    .filter((l) => l.startsWith("unkey_mcp_tool_calls_total{"))
    .reduce((sum, l) => sum + Number(l.split(" ").pop()), 0);
}

describe("two instances behind a round-robin proxy", () => {
  let api: InProcessLocalApi;
  beforeAll(async () => {
    api = await startLocalApi();
  });
  afterAll(async () => api?.close());

  describe("stateful instances, 2026-07-28 client", () => {
    let servers: SpawnedHttpServer[] = [];
    let proxy: Proxy;
    beforeAll(async () => {
      servers = await Promise.all([spawnHttpServer(api.url), spawnHttpServer(api.url)]);
      proxy = await roundRobinProxy(servers.map((s) => s.url));
    });
    afterAll(async () => {
      await proxy?.close();
      await Promise.all(servers.map((s) => s.close()));
    });

    it("serves 30 calls, spread over both instances, without one failure", async () => {
      const client = await connectHttp2(`${proxy.url}/mcp/v2`, { "MCP-UNKEY-BEARER-AUTH": api.rootKey }, "auto", freshConnectionFetch);
      try {
        expect(client.getNegotiatedProtocolVersion()).toBe("2026-07-28");
        expect((await client.listTools()).tools).toHaveLength(profileSize("full"));
        const created = (await client.callTool({ name: "create_api", arguments: { name: "balanced" } })) as {
          isError?: boolean;
          structuredContent?: { data?: { apiId?: string } };
        };
        expect(created.isError).toBeFalsy();
        const apiId = created.structuredContent?.data?.apiId;
        for (let i = 0; i < 29; i++) {
          const got = (await client.callTool({ name: "get_api", arguments: { apiId } })) as {
            isError?: boolean;
            structuredContent?: { data?: { name?: string } };
          };
          expect(got.isError, `call ${i}`).toBeFalsy();
          expect(got.structuredContent?.data?.name).toBe("balanced");
        }
      } finally {
        await client.close();
      }
      const served = await Promise.all(servers.map(toolCallsServed));
      expect(served[0] + served[1]).toBe(30);
      expect(Math.min(...served)).toBeGreaterThanOrEqual(10);
    });
  });

  describe("--stateless instances, 2025 client (SDK 1.x)", () => {
    let servers: SpawnedHttpServer[] = [];
    let proxy: Proxy;
    beforeAll(async () => {
      servers = await Promise.all([spawnHttpServer(api.url, ["--stateless"]), spawnHttpServer(api.url, ["--stateless"])]);
      proxy = await roundRobinProxy(servers.map((s) => s.url));
    });
    afterAll(async () => {
      await proxy?.close();
      await Promise.all(servers.map((s) => s.close()));
    });

    it("initializes, lists and calls across both instances", async () => {
      const client = new Client({ name: "balanced-2025", version: "1.0.0" });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${proxy.url}/mcp/v2`), {
          requestInit: { headers: { "MCP-UNKEY-BEARER-AUTH": api.rootKey } },
          fetch: freshConnectionFetch,
        }),
      );
      try {
        expect((await client.listTools()).tools).toHaveLength(profileSize("full"));
        for (let i = 0; i < 10; i++) {
          const r = (await client.callTool({ name: "list_permissions", arguments: {} })) as { isError?: boolean };
          expect(r.isError, `call ${i}`).toBeFalsy();
        }
      } finally {
        await client.close();
      }
      const served = await Promise.all(servers.map(toolCallsServed));
      expect(served[0] + served[1]).toBe(10);
      expect(Math.min(...served)).toBeGreaterThanOrEqual(3);
    });
  });
});
