/**
 * Both protocol eras on the same server: an SDK 2.x client in `auto` negotiation gets 2026-07-28
 * (server/discover, no initialize, no session) on stdio and on both HTTP endpoints; the same
 * client pinned to the 2025 handshake, and the 1.x client, keep their sessions. Each lists the
 * tools and calls one against the local API.
 */
import type { Client } from "@modelcontextprotocol/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalApi, type InProcessLocalApi } from "../helpers/local-api.js";
import { connectHttp2, connectStdio2, type Negotiation } from "../helpers/sdk2.js";
import { INIT_BODY, call, connectClient, rawPost, startHttpStack, structured, text, type HttpStack } from "./http-helpers.js";
import { profileSize } from "../helpers/catalog.js";

const V2 = "/mcp/v2";
const RL = "/mcp/ratelimits/";
const MODERN = "2026-07-28";

interface ToolResult {
  isError?: boolean;
  structuredContent?: Record<string, unknown>;
  content?: Array<{ type: string; text?: string }>;
}

async function callTool(client: Client, name: string, args: Record<string, unknown>): Promise<ToolResult> {
  return (await client.callTool({ name, arguments: args })) as ToolResult;
}

/** A raw 2026-07-28 request: the `_meta` envelope and the Mcp-Method/Mcp-Name headers. */
function modernBody(id: number, method: string, params: Record<string, unknown> = {}, version = MODERN): string {
  return JSON.stringify({
    jsonrpc: "2.0",
    id,
    method,
    params: {
      ...params,
      _meta: {
        "io.modelcontextprotocol/protocolVersion": version,
        "io.modelcontextprotocol/clientInfo": { name: "raw", version: "1" },
        "io.modelcontextprotocol/clientCapabilities": {},
      },
    },
  });
}

function modernHeaders(method: string, name?: string, version = MODERN): Record<string, string> {
  return { "mcp-protocol-version": version, "mcp-method": method, ...(name ? { "mcp-name": name } : {}) };
}

describe("HTTP: both eras on /mcp/v2 and /mcp/ratelimits/ (stateful server)", () => {
  let stack: HttpStack;
  let url: string;
  beforeAll(async () => {
    stack = await startHttpStack();
    url = stack.http.url;
  });
  afterAll(async () => stack?.close());

  const cases: Array<{ path: string; header: string; tools: number; tool: string; args: Record<string, unknown> }> = [
    { path: V2, header: "MCP-UNKEY-BEARER-AUTH", tools: profileSize("full"), tool: "list_permissions", args: {} },
    {
      path: RL,
      header: "MCP-UNKEY-V2-ROOT-KEY",
      tools: profileSize("ratelimits"),
      tool: "check_ratelimit",
      args: { namespace: "eras", identifier: "u1", limit: 10, duration: 60_000 },
    },
  ];
  for (const c of cases) {
    for (const mode of ["auto", "legacy"] as Negotiation[]) {
      it(`${c.path}: SDK 2.x client (${mode}) negotiates ${mode === "auto" ? MODERN : "a 2025 version"}, lists and calls`, async () => {
        const before = stack.http.sessionCount();
        const client = await connectHttp2(`${url}${c.path}`, { [c.header]: stack.rootKey }, mode);
        try {
          const version = client.getNegotiatedProtocolVersion();
          if (mode === "auto") expect(version).toBe(MODERN);
          else expect(version).toMatch(/^2025-/);
          expect((await client.listTools()).tools).toHaveLength(c.tools);
          const result = await callTool(client, c.tool, c.args);
          expect(result.isError, JSON.stringify(result)).toBeFalsy();
          // The modern era leaves nothing behind on the server; the 2025 handshake opens a session.
          expect(stack.http.sessionCount()).toBe(mode === "auto" ? before : before + 1);
        } finally {
          await client.close();
        }
      });
    }
    it(`${c.path}: the 1.x client still gets a 2025 session`, async () => {
      const client = await connectClient(`${url}${c.path}`, { [c.header]: stack.rootKey });
      try {
        expect((await client.listTools()).tools).toHaveLength(c.tools);
        expect((await call(client, c.tool, c.args)).isError).toBeFalsy();
      } finally {
        await client.close();
      }
    });
  }

  it("2026-07-28: tools/list carries ttlMs and a private cacheScope, in catalog order", async () => {
    const res = await rawPost(`${url}${V2}`, modernBody(1, "tools/list"), { "MCP-UNKEY-BEARER-AUTH": stack.rootKey, ...modernHeaders("tools/list") });
    expect(res.status).toBe(200);
    const result = (JSON.parse(res.text) as { result: { ttlMs: number; cacheScope: string; tools: Array<{ name: string }> } }).result;
    expect(result.ttlMs).toBe(300_000);
    expect(result.cacheScope).toBe("private");
    const again = await rawPost(`${url}${V2}`, modernBody(2, "tools/list"), { "MCP-UNKEY-BEARER-AUTH": stack.rootKey, ...modernHeaders("tools/list") });
    const names = (JSON.parse(again.text) as { result: { tools: Array<{ name: string }> } }).result.tools.map((t) => t.name);
    expect(names).toEqual(result.tools.map((t) => t.name));
    expect(names).toEqual(stack.runtime.catalog.map((t) => t.name));
  });

  it("2026-07-28: server/discover names the modern version and our capabilities", async () => {
    const res = await rawPost(`${url}${V2}`, modernBody(1, "server/discover"), { "MCP-UNKEY-BEARER-AUTH": stack.rootKey, ...modernHeaders("server/discover") });
    expect(res.status).toBe(200);
    type Discover = {
      supportedVersions: string[];
      capabilities: Record<string, unknown>;
      instructions: string;
      ttlMs: number;
      _meta: Record<string, { name?: string }>;
    };
    const result = (JSON.parse(res.text) as { result: Discover }).result;
    expect(result.supportedVersions).toEqual([MODERN]);
    expect(result.capabilities).toHaveProperty("tools");
    expect(result.instructions).toContain(`${profileSize("full")} tools`);
    expect(result._meta["io.modelcontextprotocol/serverInfo"].name).toBe("unkey-mcp");
  });

  it("2026-07-28: every request acts with its own key (no session to remember one)", async () => {
    let current = stack.rootKey;
    const swapping: typeof fetch = (input, init) => {
      const headers = new Headers(init?.headers);
      headers.set("MCP-UNKEY-BEARER-AUTH", current);
      return fetch(input, { ...init, headers });
    };
    const client = await connectHttp2(`${url}${V2}`, {}, "auto", swapping);
    try {
      expect(client.getNegotiatedProtocolVersion()).toBe(MODERN);
      expect((await callTool(client, "list_permissions", {})).isError).toBeFalsy();
      current = "unkey_definitelyNotARealRootKey123";
      const wrong = await callTool(client, "list_permissions", {});
      expect(wrong.isError).toBe(true);
      expect((wrong.content ?? []).map((b) => b.text ?? "").join("\n")).toMatch(/401|unauthori[sz]ed|invalid/i);
      current = stack.rootKey;
      expect((await callTool(client, "list_permissions", {})).isError).toBeFalsy();
    } finally {
      await client.close();
    }
  });

  it("2026-07-28: Mcp-Method or Mcp-Name disagreeing with the body gets -32020", async () => {
    const auth = { "MCP-UNKEY-BEARER-AUTH": stack.rootKey };
    const method = await rawPost(`${url}${V2}`, modernBody(1, "tools/list"), { ...auth, ...modernHeaders("prompts/list") });
    expect(method.json?.error?.code).toBe(-32020);
    const name = await rawPost(`${url}${V2}`, modernBody(2, "tools/call", { name: "list_permissions", arguments: {} }), {
      ...auth,
      ...modernHeaders("tools/call", "delete_key"),
    });
    expect(name.json?.error?.code).toBe(-32020);
    // Control: matching headers are served.
    const ok = await rawPost(`${url}${V2}`, modernBody(3, "tools/call", { name: "list_permissions", arguments: {} }), {
      ...auth,
      ...modernHeaders("tools/call", "list_permissions"),
    });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.text).result.isError).toBeFalsy();
  });

  it("an unsupported modern version gets -32022 naming the supported ones", async () => {
    const res = await rawPost(`${url}${V2}`, modernBody(1, "tools/list", {}, "2099-01-01"), {
      "MCP-UNKEY-BEARER-AUTH": stack.rootKey,
      ...modernHeaders("tools/list", undefined, "2099-01-01"),
    });
    expect(res.json?.error?.code).toBe(-32022);
    expect(JSON.stringify(res.json?.error)).toContain(MODERN);
  });

  it("a 2025 initialize on the same URL still opens a session", async () => {
    const res = await rawPost(`${url}${V2}`, INIT_BODY, { "MCP-UNKEY-BEARER-AUTH": stack.rootKey });
    expect(res.status).toBe(200);
    expect(res.headers.get("mcp-session-id")).toMatch(/.+/);
  });

  it("helpers agree: structured and text read the same 2025 result", async () => {
    const client = await connectClient(`${url}${V2}`, { "MCP-UNKEY-BEARER-AUTH": stack.rootKey });
    try {
      const r = await call(client, "list_permissions", {});
      expect(structured(r)).toHaveProperty("data");
      expect(text(r).length).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
  });
});

describe("stdio: both eras from the built CLI", () => {
  let api: InProcessLocalApi;
  beforeAll(async () => {
    api = await startLocalApi();
  });
  afterAll(async () => api?.close());

  for (const mode of ["auto", "legacy"] as Negotiation[]) {
    it(`SDK 2.x client (${mode}) negotiates ${mode === "auto" ? MODERN : "a 2025 version"}, lists and calls`, async () => {
      const client = await connectStdio2(api.url, api.rootKey, mode);
      try {
        const version = client.getNegotiatedProtocolVersion();
        if (mode === "auto") expect(version).toBe(MODERN);
        else expect(version).toMatch(/^2025-/);
        expect((await client.listTools()).tools).toHaveLength(profileSize("full"));
        const created = await callTool(client, "create_api", { name: `eras-${mode}` });
        expect(created.isError, JSON.stringify(created)).toBeFalsy();
        const apiId = (created.structuredContent!.data as { apiId: string }).apiId;
        const got = await callTool(client, "get_api", { apiId });
        expect(got.structuredContent?.data).toMatchObject({ id: apiId, name: `eras-${mode}` });
      } finally {
        await client.close();
      }
    });
  }
});
