/**
 * README promises about `unkey-mcp http`, checked against the built CLI (needs `npm run build`)
 * in front of the local API: it binds loopback by default, a stateful session's tool list is
 * fixed at initialize, and /healthz reports status, open sessions and mode.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { startLocalApi, type InProcessLocalApi } from "../helpers/local-api.js";
import { spawnHttpServer, type SpawnedHttpServer } from "../helpers/mcp-http.js";
import { listeningAddress } from "../helpers/net.js";

const V2 = "/mcp/v2";
// The keys toolset as the README's table lists it.
const KEYS_TOOLS = [
  "create_key",
  "get_key",
  "whoami_key",
  "verify_key",
  "update_key",
  "update_key_credits",
  "delete_key",
  "reroll_key",
  "migrate_keys",
  "add_key_permissions",
  "remove_key_permissions",
  "set_key_permissions",
  "add_key_roles",
  "remove_key_roles",
  "set_key_roles",
].sort();

/** The /healthz body as the server documents it; the tests below check it with toEqual. */
interface Health {
  status: string;
  sessions: number;
  mode: string;
}

async function health(base: string): Promise<{ status: number; contentType: string | null; body: Health }> {
  const res = await fetch(`${base}/healthz`);
  return { status: res.status, contentType: res.headers.get("content-type"), body: (await res.json()) as Health };
}

let api: InProcessLocalApi;
let server: SpawnedHttpServer;
beforeAll(async () => {
  api = await startLocalApi();
  server = await spawnHttpServer(api.url);
});
afterAll(async () => {
  await server?.close();
  await api?.close();
});

describe("unkey-mcp http binds loopback by default", () => {
  it("listens on 127.0.0.1 only without --host (checked in the kernel's socket table)", async () => {
    expect(new URL(server.url).hostname).toBe("127.0.0.1");
    expect(listeningAddress(Number(new URL(server.url).port))).toBe("127.0.0.1");
    // Control: the same check sees a server told to bind every interface.
    const open = await spawnHttpServer(api.url, ["--host", "0.0.0.0", "--allowed-hosts", "mcp.example.com"]);
    try {
      expect(listeningAddress(Number(new URL(open.url).port))).toBe("0.0.0.0");
    } finally {
      await open.close();
    }
  });
});

describe("stateful sessions", () => {
  it("fix the tool list at initialize: later requests without (or with other) X-MCP-Toolsets still see only that list", async () => {
    // The narrowing header goes out with whatever `toolsets` holds when the request is made.
    let toolsets: string | undefined = "keys";
    const fetchWithHeader: typeof fetch = (input, init) => {
      const headers = new Headers(init?.headers);
      if (toolsets !== undefined) headers.set("X-MCP-Toolsets", toolsets);
      else headers.delete("X-MCP-Toolsets");
      return fetch(input, { ...init, headers });
    };
    const client = new Client({ name: "http-behaviour", version: "1.0.0" });
    const transport = new StreamableHTTPClientTransport(new URL(`${server.url}${V2}`), {
      requestInit: { headers: { "MCP-UNKEY-BEARER-AUTH": api.rootKey } },
      fetch: fetchWithHeader,
    });
    await client.connect(transport);
    try {
      expect(transport.sessionId).toBeTruthy();
      const names = async (): Promise<string[]> => (await client.listTools()).tools.map((t) => t.name).sort();
      expect(await names()).toEqual(KEYS_TOOLS);
      toolsets = undefined;
      expect(await names()).toEqual(KEYS_TOOLS);
      toolsets = "apis";
      expect(await names()).toEqual(KEYS_TOOLS);
    } finally {
      await client.close();
    }
    // Control: a new session without the header gets the whole catalog, so the header above did the narrowing.
    toolsets = undefined;
    const plain = new Client({ name: "http-behaviour", version: "1.0.0" });
    await plain.connect(
      new StreamableHTTPClientTransport(new URL(`${server.url}${V2}`), {
        requestInit: { headers: { "MCP-UNKEY-BEARER-AUTH": api.rootKey } },
        fetch: fetchWithHeader,
      }),
    );
    try {
      expect((await plain.listTools()).tools).toHaveLength(45);
    } finally {
      await plain.close();
    }
  });
});

describe("/healthz", () => {
  it("answers 200 JSON with status ok, the open session count and the mode (stateful)", async () => {
    const before = await health(server.url);
    expect(before.status).toBe(200);
    expect(before.contentType).toMatch(/^application\/json/);
    expect(before.body).toEqual({ status: "ok", sessions: expect.any(Number), mode: "stateful" });

    const client = new Client({ name: "http-behaviour", version: "1.0.0" });
    const transport = new StreamableHTTPClientTransport(new URL(`${server.url}${V2}`), { requestInit: { headers: { "MCP-UNKEY-BEARER-AUTH": api.rootKey } } });
    await client.connect(transport);
    expect((await health(server.url)).body.sessions).toBe(before.body.sessions + 1);
    await transport.terminateSession();
    await client.close();
    expect((await health(server.url)).body.sessions).toBe(before.body.sessions);
  });

  it("reports mode stateless and no sessions under --stateless", async () => {
    const stateless = await spawnHttpServer(api.url, ["--stateless"]);
    try {
      const client = new Client({ name: "http-behaviour", version: "1.0.0" });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${stateless.url}${V2}`), { requestInit: { headers: { "MCP-UNKEY-BEARER-AUTH": api.rootKey } } }),
      );
      expect((await client.listTools()).tools).toHaveLength(45);
      const h = await health(stateless.url);
      expect(h.status).toBe(200);
      expect(h.body).toEqual({ status: "ok", sessions: 0, mode: "stateless" });
      await client.close();
    } finally {
      await stateless.close();
    }
  });
});
