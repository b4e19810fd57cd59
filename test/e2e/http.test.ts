/**
 * The streamable HTTP transport against the local API, through the SDK's HTTP client and raw
 * requests: endpoints and profiles, root keys per request, narrowing, guards and limits.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { startLocalApi, type InProcessLocalApi } from "../helpers/local-api.js";
import { connectHttpClient, spawnHttpServer, type SpawnedHttpServer } from "../helpers/mcp-http.js";
import { INIT_BODY, call, connectClient, rawPost, startHttpStack, structured, text, type HttpStack } from "./http-helpers.js";

const V2 = "/mcp/v2";
const RL = "/mcp/ratelimits/";

describe("HTTP transport (stateful, default flags)", () => {
  let stack: HttpStack;
  let url: string;
  beforeAll(async () => {
    stack = await startHttpStack();
    url = stack.http.url;
  });
  afterAll(async () => {
    await stack?.close();
  });

  it("serves the full profile on /mcp/v2 with the MCP-UNKEY-BEARER-AUTH header, and acts with that key", async () => {
    const client = await connectClient(`${url}${V2}`, { "MCP-UNKEY-BEARER-AUTH": stack.rootKey });
    const { tools } = await client.listTools();
    expect(tools).toHaveLength(45);
    const created = await call(client, "create_api", { name: "http-e2e" });
    expect(created.isError, text(created)).toBeFalsy();
    const apiId = (structured(created).data as { apiId: string }).apiId;
    const got = await call(client, "get_api", { apiId });
    expect((structured(got).data as { name: string }).name).toBe("http-e2e");
    await client.close();
  });

  it("serves only the ratelimits profile on /mcp/ratelimits/ and /mcp/ratelimits, keyed by MCP-UNKEY-V2-ROOT-KEY", async () => {
    for (const path of [RL, "/mcp/ratelimits"]) {
      const client = await connectClient(`${url}${path}`, { "MCP-UNKEY-V2-ROOT-KEY": stack.rootKey });
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual([
        "analytics_ratelimits",
        "check_ratelimit",
        "check_ratelimits",
        "delete_ratelimit_override",
        "get_ratelimit_override",
        "list_ratelimit_overrides",
        "query_ratelimit_analytics",
        "set_ratelimit_override",
      ]);
      const limited = await call(client, "check_ratelimit", { namespace: "http-e2e", identifier: "u1", limit: 1, duration: 60_000 });
      expect(limited.isError, text(limited)).toBeFalsy();
      expect((structured(limited).data as { success: boolean }).success).toBe(path === RL);
      await client.close();
    }
  });

  it("accepts Authorization: Bearer, lower-case header names, a Bearer prefix and surrounding spaces", async () => {
    const variants: Record<string, string>[] = [
      { Authorization: `Bearer ${stack.rootKey}` },
      { "mcp-unkey-bearer-auth": `  ${stack.rootKey}  ` },
      { "MCP-UNKEY-BEARER-AUTH": `Bearer ${stack.rootKey}` },
      { "MCP-UNKEY-V2-ROOT-KEY": stack.rootKey },
    ];
    for (const headers of variants) {
      const client = await connectClient(`${url}${V2}`, headers);
      const res = await call(client, "list_permissions", {});
      expect(res.isError, `${Object.keys(headers)[0]}: ${text(res)}`).toBeFalsy();
      await client.close();
    }
  });

  it("answers a request without a key with 403 and a JSON-RPC error naming the endpoint's header", async () => {
    const v2 = await rawPost(`${url}${V2}`, INIT_BODY);
    expect(v2.status).toBe(403);
    expect(v2.json?.error?.message).toContain("MCP-UNKEY-BEARER-AUTH");
    const rl = await rawPost(`${url}${RL}`, INIT_BODY);
    expect(rl.status).toBe(403);
    expect(rl.json?.error?.message).toContain("MCP-UNKEY-V2-ROOT-KEY");
  });

  it("reports an unexpanded ${VAR} placeholder as such instead of sending it to Unkey", async () => {
    const res = await rawPost(`${url}${V2}`, INIT_BODY, { "MCP-UNKEY-BEARER-AUTH": "${UNKEY_ROOT_KEY}" });
    expect(res.status).toBe(403);
    expect(res.json?.error?.message).toMatch(/unexpanded placeholder.*UNKEY_ROOT_KEY/);
  });

  it("answers /.well-known/* with 404 without asking for a key", async () => {
    for (const p of ["/.well-known/oauth-protected-resource/mcp/v2", "/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"]) {
      const res = await fetch(`${url}${p}`);
      expect(res.status, p).toBe(404);
    }
  });

  it("refuses a forged Host and a foreign Origin with 403, and accepts loopback origins", async () => {
    // fetch() cannot override Host; node:http can.
    const { request } = await import("node:http");
    const port = stack.http.port;
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: "127.0.0.1",
          port,
          path: V2,
          method: "POST",
          headers: { host: "evil.example", "content-type": "application/json", "MCP-UNKEY-BEARER-AUTH": stack.rootKey },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.end(INIT_BODY);
    });
    expect(status).toBe(403);
    const foreign = await rawPost(`${url}${V2}`, INIT_BODY, { origin: "https://evil.example", "MCP-UNKEY-BEARER-AUTH": stack.rootKey });
    expect(foreign.status).toBe(403);
    expect(foreign.json?.error?.message).toContain("Origin");
    const loopback = await rawPost(`${url}${V2}`, INIT_BODY, { origin: "http://localhost:6274", "MCP-UNKEY-BEARER-AUTH": stack.rootKey });
    expect(loopback.status).toBe(200);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it("answers an oversize body with 413 and malformed JSON with a -32700 parse error, and stays healthy", async () => {
    const big = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping", params: { pad: "x".repeat(1024 * 1024 + 10) } });
    const tooBig = await rawPost(`${url}${V2}`, big, { "MCP-UNKEY-BEARER-AUTH": stack.rootKey });
    expect(tooBig.status).toBe(413);
    expect(tooBig.json?.error?.message).toContain("1048576");
    const broken = await rawPost(`${url}${V2}`, '{"jsonrpc":"2.0","id":1,"method":', { "MCP-UNKEY-BEARER-AUTH": stack.rootKey });
    expect(broken.status).toBe(400);
    expect(broken.json?.error?.code).toBe(-32700);
    const health = await fetch(`${url}/healthz`);
    expect(await health.json()).toMatchObject({ status: "ok" });
    const client = await connectClient(`${url}${V2}`, { "MCP-UNKEY-BEARER-AUTH": stack.rootKey });
    expect((await call(client, "list_roles", {})).isError).toBeFalsy();
    await client.close();
  });

  it("answers an unknown Mcp-Session-Id with 404, and a session id of the other endpoint too", async () => {
    const unknown = await rawPost(`${url}${V2}`, JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }), {
      "MCP-UNKEY-BEARER-AUTH": stack.rootKey,
      "mcp-session-id": "00000000-0000-0000-0000-000000000000",
    });
    expect(unknown.status).toBe(404);
    const init = await rawPost(`${url}${V2}`, INIT_BODY, { "MCP-UNKEY-BEARER-AUTH": stack.rootKey });
    const sid = init.headers.get("mcp-session-id");
    expect(sid).toBeTruthy();
    const elsewhere = await rawPost(`${url}${RL}`, JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }), {
      "MCP-UNKEY-V2-ROOT-KEY": stack.rootKey,
      "mcp-session-id": sid!,
    });
    expect(elsewhere.status).toBe(404);
  });

  it("reads the root key from every request, and a session answers only the key that opened it", async () => {
    // One session whose requests carry whatever key `current` holds at that moment.
    let current: string | undefined = stack.rootKey;
    const swapping: typeof fetch = (input, init) => {
      const headers = new Headers(init?.headers);
      headers.delete("MCP-UNKEY-BEARER-AUTH");
      if (current !== undefined) headers.set("MCP-UNKEY-BEARER-AUTH", current);
      return fetch(input, { ...init, headers });
    };
    const client = await connectClient(`${url}${V2}`, {}, { fetch: swapping });
    expect((await call(client, "list_permissions", {})).isError).toBeFalsy();
    // Another key cannot borrow the session: 403, and nothing about the session in the answer.
    current = "unkey_definitelyNotARealRootKey123";
    const borrowed = call(client, "list_permissions", {});
    await expect(borrowed).rejects.toThrow(/403|another root key/);
    await expect(borrowed).rejects.not.toThrow(/permission|data|rootKey/i);
    current = undefined;
    await expect(call(client, "list_permissions", {})).rejects.toThrow(/403|MCP-UNKEY-BEARER-AUTH/);
    // The owner's session is untouched by either refusal.
    current = stack.rootKey;
    expect((await call(client, "list_permissions", {})).isError).toBeFalsy();
    await client.close();
  });

  it("narrows per request with X-MCP-* headers or query parameters, and rejects unknown names with the valid ones", async () => {
    const byHeader = await connectClient(`${url}${V2}`, { "MCP-UNKEY-BEARER-AUTH": stack.rootKey, "X-MCP-Toolsets": "apis" });
    expect((await byHeader.listTools()).tools.map((t) => t.name).sort()).toEqual(["create_api", "delete_api", "get_api", "list_keys"]);
    await byHeader.close();

    const byQuery = await connectClient(`${url}${V2}?toolsets=apis&read_only=true`, { "MCP-UNKEY-BEARER-AUTH": stack.rootKey });
    expect((await byQuery.listTools()).tools.map((t) => t.name).sort()).toEqual(["get_api", "list_keys"]);
    await byQuery.close();

    const tools = await connectClient(`${url}${RL}`, { "MCP-UNKEY-V2-ROOT-KEY": stack.rootKey, "X-MCP-Tools": "get_ratelimit_override" });
    expect((await tools.listTools()).tools.map((t) => t.name)).toEqual(["get_ratelimit_override"]);
    await tools.close();

    const bad = await rawPost(`${url}${V2}`, INIT_BODY, { "MCP-UNKEY-BEARER-AUTH": stack.rootKey, "X-MCP-Toolsets": "keys,nope" });
    expect(bad.status).toBe(400);
    expect(bad.json?.error?.message).toContain('"nope"');
    expect(bad.json?.error?.message).toContain("ratelimit");
    // The ratelimits endpoint cannot be widened to the keys toolset.
    const wider = await rawPost(`${url}${RL}?toolsets=keys`, INIT_BODY, { "MCP-UNKEY-V2-ROOT-KEY": stack.rootKey });
    expect(wider.status).toBe(400);
    expect(wider.json?.error?.message).toContain("not available on this server");
    const badBool = await rawPost(`${url}${V2}`, INIT_BODY, { "MCP-UNKEY-BEARER-AUTH": stack.rootKey, "X-MCP-Readonly": "perhaps" });
    expect(badBool.status).toBe(400);
    expect(badBool.json?.error?.message).toContain("perhaps");
  });

  it("exports Prometheus metrics: requests by route and status, tool calls by outcome, upstream latency, sessions", async () => {
    const client = await connectClient(`${url}${V2}`, { "MCP-UNKEY-BEARER-AUTH": stack.rootKey });
    await call(client, "get_api", { apiId: "api_doesNotExist1234" });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/unkey_mcp_http_requests_total\{route="\/mcp\/v2",method="POST",status="200"\} \d+/);
    expect(metrics).toMatch(/unkey_mcp_http_requests_total\{route="\/mcp\/v2",method="POST",status="403"\} \d+/);
    expect(metrics).toMatch(/unkey_mcp_tool_calls_total\{tool="create_api",outcome="ok"\} \d+/);
    expect(metrics).toMatch(/unkey_mcp_tool_calls_total\{tool="get_api",outcome="tool_error"\} \d+/);
    expect(metrics).toMatch(/unkey_mcp_upstream_request_duration_seconds_count\{operation="apis.getApi",status="404"\} \d+/);
    expect(metrics).toMatch(/unkey_mcp_active_sessions\{endpoint="\/mcp\/v2"\} [1-9]/);
    await client.close();
  });
});

describe.each([
  ["stateful", []],
  // Stateless servers are pooled and reused across requests: the key must still come from each request.
  ["stateless", ["--stateless"]],
])("HTTP transport: isolation between root keys (%s)", (_mode, flags) => {
  let stack: HttpStack;
  beforeAll(async () => {
    stack = await startHttpStack(flags as string[]);
  });
  afterAll(async () => {
    await stack?.close();
  });

  it("keeps two clients with different keys apart over 100 interleaved concurrent calls", async () => {
    const admin = await connectClient(`${stack.http.url}${V2}`, { "MCP-UNKEY-BEARER-AUTH": stack.rootKey }, { name: "admin" });
    const apiA = (structured(await call(admin, "create_api", { name: "api-a" })).data as { apiId: string }).apiId;
    const apiB = (structured(await call(admin, "create_api", { name: "api-b" })).data as { apiId: string }).apiId;
    // The least-privilege key may read api-b and nothing else.
    const narrowKey = stack.createRootKey([`api.${apiB}.read_api`]);
    const narrow = await connectClient(`${stack.http.url}${V2}`, { "MCP-UNKEY-BEARER-AUTH": narrowKey }, { name: "narrow" });

    const calls: Array<Promise<{ who: string; apiId: string; isError: boolean; name?: string }>> = [];
    for (let i = 0; i < 100; i++) {
      const who = i % 2 === 0 ? "admin" : "narrow";
      const apiId = i % 4 < 2 ? apiA : apiB;
      const client = who === "admin" ? admin : narrow;
      calls.push(
        call(client, "get_api", { apiId }).then((r) => ({
          who,
          apiId,
          isError: r.isError === true,
          name: (structured(r).data as { name?: string } | undefined)?.name,
        })),
      );
    }
    const results = await Promise.all(calls);
    for (const r of results) {
      if (r.who === "admin") expect(r, JSON.stringify(r)).toMatchObject({ isError: false, name: r.apiId === apiA ? "api-a" : "api-b" });
      else if (r.apiId === apiB) expect(r, JSON.stringify(r)).toMatchObject({ isError: false, name: "api-b" });
      else expect(r.isError, JSON.stringify(r)).toBe(true);
    }
    expect(results.filter((r) => r.who === "narrow" && r.isError)).toHaveLength(25);
    await admin.close();
    await narrow.close();
  });
});

describe("HTTP transport: sessions", () => {
  it("closes sessions idle for longer than --session-ttl (mcp-remote never deletes them)", async () => {
    let clock = Date.now();
    const stack = await startHttpStack(["--session-ttl", "60"], { now: () => clock });
    try {
      const init = await rawPost(`${stack.http.url}${V2}`, INIT_BODY, { "MCP-UNKEY-BEARER-AUTH": stack.rootKey });
      const sid = init.headers.get("mcp-session-id")!;
      expect(stack.http.sessionCount()).toBe(1);
      const listBody = JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" });
      const headers = { "MCP-UNKEY-BEARER-AUTH": stack.rootKey, "mcp-session-id": sid, "mcp-protocol-version": "2025-06-18" };
      clock += 59_000;
      expect((await rawPost(`${stack.http.url}${V2}`, listBody, headers)).status).toBe(200);
      clock += 59_000; // used 59 s ago: still alive
      expect((await rawPost(`${stack.http.url}${V2}`, listBody, headers)).status).toBe(200);
      clock += 61_000;
      expect((await rawPost(`${stack.http.url}${V2}`, listBody, headers)).status).toBe(404);
      expect(stack.http.sessionCount()).toBe(0);
    } finally {
      await stack.close();
    }
  });

  it("ends a session on DELETE", async () => {
    const stack = await startHttpStack();
    try {
      const client = new Client({ name: "deleter", version: "1" });
      const transport = new StreamableHTTPClientTransport(new URL(`${stack.http.url}${V2}`), {
        requestInit: { headers: { "MCP-UNKEY-BEARER-AUTH": stack.rootKey } },
      });
      await client.connect(transport);
      expect(stack.http.sessionCount()).toBe(1);
      await transport.terminateSession();
      expect(stack.http.sessionCount()).toBe(0);
      await client.close();
    } finally {
      await stack.close();
    }
  });
});

describe("HTTP transport (--stateless)", () => {
  let stack: HttpStack;
  beforeAll(async () => {
    stack = await startHttpStack(["--stateless"]);
  });
  afterAll(async () => {
    await stack?.close();
  });

  it("serves tool calls without sessions and answers GET and DELETE with 405 Allow: POST", async () => {
    const client = await connectClient(`${stack.http.url}${V2}`, { "MCP-UNKEY-BEARER-AUTH": stack.rootKey });
    expect((await client.listTools()).tools).toHaveLength(45);
    expect((await call(client, "list_identities", {})).isError).toBeFalsy();
    await client.close();
    expect(stack.http.sessionCount()).toBe(0);
    for (const method of ["GET", "DELETE"]) {
      const res = await fetch(`${stack.http.url}${V2}`, { method, headers: { "MCP-UNKEY-BEARER-AUTH": stack.rootKey, accept: "text/event-stream" } });
      expect(res.status, method).toBe(405);
      expect(res.headers.get("allow")).toBe("POST");
    }
  });

  it("tolerates a stale Mcp-Session-Id (a load balancer may send it to any instance)", async () => {
    const res = await rawPost(
      `${stack.http.url}${V2}`,
      JSON.stringify({ jsonrpc: "2.0", id: 5, method: "tools/call", params: { name: "list_roles", arguments: {} } }),
      {
        "MCP-UNKEY-BEARER-AUTH": stack.rootKey,
        "mcp-session-id": "stale-session-from-another-instance",
      },
    );
    expect(res.status).toBe(200);
    expect(res.text).toContain('"result"');
  });
});

describe("HTTP transport: test mode", () => {
  it("acts with --insecure-test-root-key when a request carries no key", async () => {
    const stack = await startHttpStack([], { testMode: true });
    try {
      const client = await connectClient(`${stack.http.url}${V2}`, {});
      expect((await call(client, "list_roles", {})).isError).toBeFalsy();
      await client.close();
      // A key that is sent still wins over the test key.
      const wrong = await connectClient(`${stack.http.url}${V2}`, { "MCP-UNKEY-BEARER-AUTH": "unkey_definitelyNotARealRootKey123" });
      expect((await call(wrong, "list_roles", {})).isError).toBe(true);
      await wrong.close();
    } finally {
      await stack.close();
    }
  });

  it("refuses --insecure-test-root-key on a non-loopback bind address", async () => {
    await expect(startHttpStack(["--host", "0.0.0.0"], { testMode: true })).rejects.toThrow(/loopback/);
  });
});

describe("HTTP transport: the built CLI (node dist/cli.js http) against the local API", () => {
  // Not shaped like an Unkey root key (no `unkey_` prefix): redaction that only recognises the
  // usual shape would let it through, so the log check below tests redaction of the key itself.
  const ROOT = `rk-http-e2e-${randomBytes(12).toString("hex")}`;
  let api: InProcessLocalApi;
  let debug: SpawnedHttpServer;
  let hiding: SpawnedHttpServer;
  beforeAll(async () => {
    api = await startLocalApi({ rootKey: ROOT });
    [debug, hiding] = await Promise.all([spawnHttpServer(api.url, ["--log-level", "debug"]), spawnHttpServer(api.url, ["--hide-secrets"])]);
  });
  afterAll(async () => {
    await Promise.all([debug?.close(), hiding?.close()]);
    await api?.close();
  });

  it("never writes a root key into the logs or error bodies, whichever header carries it (--log-level debug)", async () => {
    const variants: Array<Record<string, string>> = [
      { Authorization: `Bearer ${ROOT}` },
      { "MCP-UNKEY-BEARER-AUTH": ROOT },
      { "MCP-UNKEY-BEARER-AUTH": `Bearer ${ROOT}` },
    ];
    for (const headers of variants) {
      const label = Object.keys(headers)[0];
      const client = await connectHttpClient(`${debug.url}${V2}`, headers);
      // The key acts (the call reaches the API and succeeds), so it went through every layer that logs.
      const created = await call(client, "create_api", { name: "log-check" });
      expect(created.isError, `${label}: ${text(created)}`).toBeFalsy();
      const failed = await call(client, "get_api", { apiId: "api_doesNotExist1234" });
      expect(failed.isError, label).toBe(true);
      expect(text(failed)).not.toContain(ROOT);
      await client.close();
    }
    const wrongScheme = await rawPost(`${debug.url}${V2}`, INIT_BODY, { Authorization: `Basic ${ROOT}` });
    expect(wrongScheme.status).toBe(403);
    expect(wrongScheme.text).not.toContain(ROOT);

    const logs = debug.stderr();
    // Debug logging wrote the calls and their arguments: there was something to leak.
    expect(logs).toContain('"arguments"');
    expect(logs).toContain("create_api");
    expect(logs).toContain("api_doesNotExist1234");
    expect(logs.includes(ROOT), "the root key appeared in the server's stderr").toBe(false);
    // Nor a recognisable part of it (a truncated or re-encoded copy).
    expect(logs).not.toContain(ROOT.slice(-16));
    expect(debug.stdout()).not.toContain(ROOT);
  });

  it("with --hide-secrets, create_key never returns the plaintext, yet the key exists", async () => {
    const client = await connectHttpClient(`${hiding.url}${V2}`, { "MCP-UNKEY-BEARER-AUTH": ROOT });
    const apiId = (structured(await call(client, "create_api", { name: "hidden-http" })).data as { apiId: string }).apiId;
    const r = await call(client, "create_key", { apiId, name: "hidden", prefix: "hsx" });
    expect(r.isError, text(r)).toBeFalsy();
    const data = structured(r).data as { keyId: string; key: string };
    expect(data.keyId).toMatch(/^key_/);
    expect(data.key).toMatch(/withheld/);
    expect(text(r)).toContain("Secret withheld");
    expect(text(r)).toContain(data.keyId);
    // No key-shaped string anywhere in the result: `hsx_` followed by the base58 secret.
    const whole = JSON.stringify(r);
    expect(whole).not.toMatch(/hsx_[1-9A-HJ-NP-Za-km-z]{8,}/);
    // The key was created all the same: the tool and the API both find it, with its prefix.
    const got = await call(client, "get_key", { keyId: data.keyId });
    expect(got.isError, text(got)).toBeFalsy();
    expect(structured(got).data).toMatchObject({ keyId: data.keyId, name: "hidden" });
    const direct = await fetch(`${api.url}/v2/keys.getKey`, {
      method: "POST",
      headers: { authorization: `Bearer ${ROOT}`, "content-type": "application/json" },
      body: JSON.stringify({ keyId: data.keyId }),
    });
    expect(direct.status).toBe(200);
    expect(((await direct.json()) as { data: { start: string } }).data.start).toMatch(/^hsx_/);
    await client.close();
  });
});
