/**
 * The built server over stdio with the SDK Client, against the local API over real HTTP:
 * catalog selection, configuration errors, missing/invalid/under-privileged root keys,
 * argument validation (counted at the wire), prompts, protocol errors and secret hygiene.
 */
import { readFileSync } from "node:fs";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalApi, type InProcessLocalApi } from "../helpers/local-api.js";
import {
  call,
  expectNoSecretsInServerStderr,
  ok,
  rememberSecret,
  runCli,
  secretCheckCoverage,
  startStdioServer,
  type StdioServer,
} from "../helpers/mcp-stdio.js";

let api: InProcessLocalApi;
const servers: StdioServer[] = [];

async function server(opts: Parameters<typeof startStdioServer>[0] = {}): Promise<StdioServer> {
  const s = await startStdioServer({ rootKey: api.rootKey, apiUrl: api.url, ...opts });
  servers.push(s);
  return s;
}

/** A pass-through proxy in front of the local API that counts the requests it forwards. */
interface CountingProxy {
  url: string;
  count(): number;
  close(): Promise<void>;
}
async function countingProxy(target: string): Promise<CountingProxy> {
  let n = 0;
  const t = new URL(target);
  const proxy: Server = createServer((req, res) => {
    n++;
    const fwd = httpRequest({ host: t.hostname, port: t.port, path: req.url, method: req.method, headers: { ...req.headers, host: t.host } }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    fwd.on("error", () => res.destroy());
    req.pipe(fwd);
  });
  await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    count: () => n,
    close: () =>
      new Promise<void>((r) => {
        proxy.closeAllConnections();
        proxy.close(() => r());
      }),
  };
}

beforeAll(async () => {
  api = await startLocalApi();
  rememberSecret(api.rootKey);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  // Runs after every server in this file has stopped: none may have logged a secret.
  expectNoSecretsInServerStderr();
  expect(secretCheckCoverage().secrets).toBeGreaterThan(2);
  expect(secretCheckCoverage().bytes).toBeGreaterThan(0);
  await api?.close();
});

const names = async (s: StdioServer): Promise<string[]> => (await s.client.listTools()).tools.map((t) => t.name).sort();

describe("tool catalog over stdio", () => {
  it("lists 45 tools for the full profile (41 from the contract, 4 analytics helpers), with schemas and annotations", async () => {
    const s = await server();
    const { tools } = await s.client.listTools();
    expect(tools).toHaveLength(45);
    const byName = new Map(tools.map((t) => [t.name, t]));
    expect(byName.get("get_key")?.annotations).toMatchObject({ readOnlyHint: true, idempotentHint: true });
    expect(byName.get("verify_key")?.annotations).toMatchObject({ readOnlyHint: false, idempotentHint: false });
    expect(byName.get("delete_api")?.annotations).toMatchObject({ destructiveHint: true });
    expect(byName.get("check_ratelimits")?.inputSchema).toMatchObject({ type: "object", required: ["checks"] });
    expect(byName.get("list_keys")?.outputSchema).toMatchObject({ type: "object", properties: { data: { type: "array" } } });
    for (const t of tools) expect(t.name).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
  });

  it("narrows by profile, toolsets, tools and read-only", async () => {
    const [rl, keys, picked, ro, roConsume, envSel] = await Promise.all([
      server({ args: ["--profile", "ratelimits"] }),
      server({ args: ["--toolsets", "keys"] }),
      server({ args: ["--tools", "get_key,create_api"] }),
      server({ args: ["--read-only"] }),
      server({ args: ["--read-only", "--allow-consume"] }),
      server({ env: { UNKEY_MCP_TOOLSETS: "identities", UNKEY_MCP_READ_ONLY: "true" } }),
    ]);
    expect(await names(rl)).toEqual(
      [
        "analytics_ratelimits",
        "check_ratelimit",
        "check_ratelimits",
        "delete_ratelimit_override",
        "get_ratelimit_override",
        "list_ratelimit_overrides",
        "query_ratelimit_analytics",
        "set_ratelimit_override",
      ].sort(),
    );
    const keyTools = await names(keys);
    expect(keyTools).toHaveLength(15);
    expect(keyTools).toContain("reroll_key");
    expect(keyTools).not.toContain("create_api");
    expect(await names(picked)).toEqual(["create_api", "get_key"]);
    const roTools = await names(ro);
    // 14 read tools from the contract and the 4 analytics helpers.
    expect(roTools).toHaveLength(18);
    expect(roTools).not.toContain("verify_key");
    expect(roTools).not.toContain("delete_key");
    const consumeTools = await names(roConsume);
    expect(consumeTools).toHaveLength(21);
    expect(consumeTools).toEqual(expect.arrayContaining(["verify_key", "check_ratelimit", "check_ratelimits"]));
    expect(await names(envSel)).toEqual(["get_identity", "list_identities"]);
  });

  it("states the effective configuration in its instructions", async () => {
    const s = await server({ args: ["--profile", "ratelimits", "--read-only"] });
    const instructions = s.client.getInstructions() ?? "";
    expect(instructions).toContain("profile ratelimits");
    expect(instructions).toContain("read-only");
    expect(instructions).toContain("toolsets analytics, ratelimit");
  });
});

describe("configuration errors", () => {
  it.each([
    [["--toolsets", "keys,billing"], /toolsets: unknown toolset "billing".*expected one of analytics, apis, identities, keys, permissions, ratelimit/],
    [["--tools", "get_keys"], /tools: unknown tool "get_keys".*expected one of .*get_key/],
    [["--profile", "everything"], /--profile: expected one of full, ratelimits, got "everything"/],
    [["--readonly"], /unknown flag --readonly/],
    [["--read-only", "--tools", "delete_key"], /read-only mode excludes delete_key/],
  ])("%j exits 2 with one line naming the valid choices", async (args, message) => {
    const r = await runCli(args, { UNKEY_ROOT_KEY: api.rootKey, UNKEY_API_URL: api.url });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stdout).toBe("");
  });

  it("rejects a misspelt read-only environment value instead of running read-write", async () => {
    const r = await runCli([], { UNKEY_MCP_READ_ONLY: "read_only-true", UNKEY_ROOT_KEY: api.rootKey });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("UNKEY_MCP_READ_ONLY");
  });

  it("--help prints usage and exits 0", async () => {
    const r = await runCli(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("--read-only");
    expect(r.stdout).toContain("UNKEY_ROOT_KEY");
  });
});

describe("root keys", () => {
  it("without a root key: starts, lists tools, says so on stderr, and every call explains how to set it", async () => {
    const proxy = await countingProxy(api.url);
    try {
      const s = await startStdioServer({ apiUrl: proxy.url });
      servers.push(s);
      expect((await s.client.listTools()).tools).toHaveLength(45);
      const r = await call(s.client, "get_api", { apiId: "api_12345678" });
      expect(r.isError).toBe(true);
      expect(r.text).toContain("Hint: set the UNKEY_ROOT_KEY environment variable");
      expect(s.stderr()).toContain("UNKEY_ROOT_KEY is not set");
      expect(proxy.count()).toBe(0);
    } finally {
      await proxy.close();
    }
  });

  it("a least-privilege root key gets a 403 result naming the missing permission", async () => {
    const reader = api.createRootKey(["api.*.read_api"], "reader");
    rememberSecret(reader);
    const s = await server({ rootKey: reader });
    const r = await call(s.client, "create_api", { name: "forbidden-api" });
    expect(r.isError).toBe(true);
    expect(r.text).toContain("403");
    expect(r.text).toContain("api.*.create_api");
    // Quoted for the shell: an unquoted * is a glob (zsh aborts on no match).
    expect(r.text).toContain("unkey-mcp local root-key create --permission 'api.*.create_api'");
    expect(r.text).not.toContain(reader);
    // And the key does what it may: the API list was not changed, a read works.
    const admin = await server();
    const created = await ok<{ apiId: string }>(admin.client, "create_api", { name: "readable-api" });
    const got = await ok<{ id: string; name: string }>(s.client, "get_api", { apiId: created.apiId });
    expect(got.name).toBe("readable-api");
  });

  it("a revoked root key gets the 401 hint", async () => {
    const doomed = api.createRootKey(["api.*.read_api"], "doomed");
    rememberSecret(doomed);
    const s = await server({ rootKey: doomed });
    api.revokeRootKey(doomed);
    const r = await call(s.client, "get_api", { apiId: "api_12345678" });
    expect(r.isError).toBe(true);
    expect(r.text).toContain("401");
    expect(r.text).toMatch(/invalid, revoked or deleted/);
    expect(r.text).toContain("UNKEY_ROOT_KEY");
  });
});

describe("arguments and protocol faults", () => {
  it("invalid arguments give field-level messages and send zero requests to the API", async () => {
    const proxy = await countingProxy(api.url);
    try {
      const s = await server({ apiUrl: proxy.url });
      const bad: Array<[string, Record<string, unknown>, RegExp]> = [
        ["create_api", { name: "ab" }, /name: is too short \(expected at least 3 characters; given 2 characters\)/],
        ["create_api", {}, /name: is required/],
        ["create_key", { apiId: "api_12345678", byteLength: "sixteen" }, /byteLength: has the wrong type \(expected integer; given string "sixteen"\)/],
        [
          "update_key_credits",
          { keyId: "key_12345678", operation: "double" },
          /operation: is not an allowed value \(expected one of "set", "increment", "decrement"/,
        ],
        ["check_ratelimits", { checks: [{ namespace: "n", identifier: "i", limit: 1 }] }, /checks\[0\]\.duration: is required/],
        ["get_key", { keyId: "key_12345678", colour: "red" }, /colour: is not a known argument/],
      ];
      for (const [tool, args, message] of bad) {
        const r = await call(s.client, tool, args);
        expect(r.isError, tool).toBe(true);
        expect(r.text).toMatch(message);
        expect(r.text).toContain("nothing was sent to Unkey");
      }
      expect(proxy.count()).toBe(0);
      // The proxy does count: one valid call goes through it.
      await call(s.client, "get_api", { apiId: "api_12345678" });
      expect(proxy.count()).toBe(1);
    } finally {
      await proxy.close();
    }
  });

  it("an unknown tool is a JSON-RPC error, not a tool result", async () => {
    const s = await server({ args: ["--toolsets", "apis"] });
    const err = await s.client.callTool({ name: "delete_key", arguments: { keyId: "key_12345678" } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(McpError);
    expect((err as McpError).code).toBe(-32602);
    expect((err as McpError).message).toContain("Unknown tool");
  });

  it("with --hide-secrets a new key's plaintext never reaches the client", async () => {
    const s = await server({ args: ["--hide-secrets"] });
    const { apiId } = await ok<{ apiId: string }>(s.client, "create_api", { name: "hidden-secrets" });
    const r = await call(s.client, "create_key", { apiId, name: "hidden" });
    expect(r.isError).toBeFalsy();
    const data = (r.structuredContent as { data: { keyId: string; key: string } }).data;
    // Over stdio the plaintext goes to a file only the operator's user can read.
    expect(data.key).toMatch(/^\[not shown: saved to \S+\]$/);
    expect(r.text).toContain("Secret not shown (--secrets mask)");
    const plaintext = readFileSync(/saved to (\S+)\]/.exec(data.key)![1], "utf8").trim();
    rememberSecret(plaintext);
    expect(JSON.stringify(r)).not.toContain(plaintext);
    // The key exists and works, only its secret was kept out of the conversation.
    const key = await ok<{ keyId: string }>(s.client, "get_key", { keyId: data.keyId });
    expect(key.keyId).toBe(data.keyId);
  });
});

describe("prompts", () => {
  it("lists the workflows and renders one with its arguments", async () => {
    const s = await server();
    const { prompts } = await s.client.listPrompts();
    expect(prompts.map((p) => p.name).sort()).toEqual(["debug_key", "onboard_customer", "ratelimit_tiers", "rotate_leaked_key", "weekly_usage_report"]);
    const rotate = prompts.find((p) => p.name === "rotate_leaked_key");
    expect(rotate?.arguments).toEqual(expect.arrayContaining([expect.objectContaining({ name: "keyId", required: true })]));
    const got = await s.client.getPrompt({ name: "rotate_leaked_key", arguments: { keyId: "key_leaked123", graceMinutes: "30" } });
    const text = (got.messages[0].content as { text: string }).text;
    expect(text).toContain("key_leaked123");
    expect(text).toContain("30 minutes");
    expect(text).not.toContain("{{");
  });

  it("a missing required argument is a JSON-RPC InvalidParams error naming it", async () => {
    const s = await server();
    const err = await s.client.getPrompt({ name: "debug_key", arguments: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(McpError);
    expect((err as McpError).code).toBe(-32602);
    expect((err as McpError).message).toContain("missing required argument keyId");
  });
});

describe("--spec", () => {
  it("builds the catalog from the local API's live /openapi.yaml", async () => {
    const s = await server({ args: ["--spec", `${api.url}/openapi.yaml`, "--toolsets", "apis"] });
    expect(await names(s)).toEqual(["create_api", "delete_api", "get_api", "list_keys"]);
    const made = await ok<{ apiId: string }>(s.client, "create_api", { name: "from-live-spec" });
    expect(made.apiId).toMatch(/^api_/);
  });

  it("an unreadable spec exits with a message naming it", async () => {
    const r = await runCli(["--spec", "/nonexistent/openapi.yaml"], { UNKEY_ROOT_KEY: api.rootKey });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("/nonexistent/openapi.yaml");
  });
});
