/**
 * The catalog for other agent frameworks and the `unkey-mcp tools` command.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import * as library from "../../src/index.js";
import { loadContract } from "../../src/schemas/loader.js";
import { selectTools } from "../../src/tools/catalog.js";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { ConfigError } from "../../src/config.js";
import { readSpec, runToolsCommand, toAnthropicTools, toOpenAITools } from "../../src/tools/export.js";
import { generateTools } from "../../src/tools/generate.js";

const { tools } = generateTools(loadContract());

async function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await runToolsCommand(
    args,
    {
      stdout: { write: (t: string) => (out += t) },
      stderr: { write: (t: string) => (err += t) },
    },
    env,
  );
  return { code, out, err };
}

afterEach(() => {
  // runToolsCommand sets the exit code for the CLI; do not let it leak into the test run.
  process.exitCode = undefined;
});

describe("export formats", () => {
  it("OpenAI function calling: type function with name, description and the flat parameters", () => {
    const [first] = toOpenAITools(selectTools(tools, { tools: ["create_api"] }));
    expect(first).toEqual({
      type: "function",
      function: {
        name: "create_api",
        description: "Create an API to issue keys under.",
        parameters: { type: "object", required: ["name"], properties: { name: { type: "string", minLength: 3 } } },
      },
    });
  });

  it("Anthropic tool use: name, description, input_schema", () => {
    const out = toAnthropicTools(tools);
    expect(out).toHaveLength(41);
    const t = out.find((x) => x.name === "check_ratelimits");
    expect(Object.keys(t ?? {})).toEqual(["name", "description", "input_schema"]);
    expect(t?.input_schema.required).toEqual(["checks"]);
  });

  it("is reachable from the library entry", () => {
    const { tools: fromLib } = library.generateTools(library.loadContract(), {});
    const picked = library.selectTools(fromLib, { profile: "ratelimits" });
    expect(library.toOpenAITools(picked)).toHaveLength(7);
    expect(library.toAnthropicTools(picked)).toHaveLength(7);
    expect(typeof library.narrowSelection).toBe("function");
  });
});

describe("unkey-mcp tools", () => {
  it("prints the full catalog in the MCP tools/list shape by default", async () => {
    const { code, out, err } = await run([]);
    expect(code).toBe(0);
    // Anything on stderr is a generator warning (the strict-mode contract test covers those).
    for (const line of err.split("\n").filter(Boolean)) expect(line).toMatch(/^warning: /);
    const parsed = JSON.parse(out) as { tools: Record<string, unknown>[] };
    // 41 generated from the contract, then the 4 hand-written analytics helpers.
    expect(parsed.tools).toHaveLength(45);
    expect(Object.keys(parsed.tools[0])).toEqual(["name", "title", "description", "inputSchema", "outputSchema", "annotations"]);
  });

  it("applies profile, toolsets, tools and read-only", async () => {
    const rl = JSON.parse((await run(["--profile", "ratelimits", "--format=anthropic"])).out) as { name: string }[];
    expect(rl.map((t) => t.name)).toHaveLength(8);
    expect(rl.map((t) => t.name)).toContain("analytics_ratelimits");
    const ro = JSON.parse((await run(["--toolsets", "keys,apis", "--read-only", "--format", "openai"])).out) as { function: { name: string } }[];
    expect(ro.map((t) => t.function.name)).toEqual(["get_api", "list_keys", "get_key", "whoami_key"]);
    const one = JSON.parse((await run(["--tools=verify_key", "--read-only", "--allow-consume"])).out) as { tools: { name: string }[] };
    expect(one.tools.map((t) => t.name)).toEqual(["verify_key"]);
  });

  it("rejects an unknown format, flag or toolset with exit code 2 and a message naming the choices", async () => {
    const format = await run(["--format", "yaml"]);
    expect(format).toMatchObject({ code: 2, out: "" });
    expect(format.err).toBe('unkey-mcp tools: --format: expected one of json, openai, anthropic, got "yaml"\n');
    const flag = await run(["--readonly"]);
    expect(flag.code).toBe(2);
    expect(flag.err).toMatch(
      /unknown flag --readonly for "tools"; valid flags: --format, --profile, --toolsets, --tools, --read-only, --allow-consume, --spec, --help/,
    );
    const set = await run(["--toolsets", "keys,ratelimits"]);
    expect(set.code).toBe(2);
    expect(set.err).toMatch(/toolsets: unknown toolset "ratelimits" in profile full; expected one of analytics, apis/);
    expect(process.exitCode).toBe(2);
  });

  it("parses its flags through config.ts: a missing value, a bad boolean word and server-only flags are refused", async () => {
    const missing = await run(["--profile", "--read-only"]);
    expect(missing).toMatchObject({ code: 2, out: "" });
    expect(missing.err).toContain("--profile needs a value");
    expect((await run(["--read-only=maybe"])).err).toMatch(/--read-only: expected true or false/);
    expect((await run(["--read-only=yes", "--toolsets", "apis"])).code).toBe(0);
    expect((await run(["--api-url", "http://x"])).err).toMatch(/unknown flag --api-url for "tools"/);
  });

  it("reads the same environment variables as the servers", async () => {
    const { code, out } = await run([], { UNKEY_MCP_PROFILE: "ratelimits", UNKEY_MCP_READ_ONLY: "true" });
    expect(code).toBe(0);
    const names = (JSON.parse(out) as { tools: { name: string }[] }).tools.map((t) => t.name);
    expect(names.length).toBeGreaterThan(0);
    expect(names).not.toContain("create_key");
    expect(names.every((n) => !/^(set|delete|create|update)_/.test(n))).toBe(true);
    // A variable of another command (a broken API URL) does not break `tools`.
    expect((await run([], { UNKEY_API_URL: "not a url" })).code).toBe(0);
    const bad = await run([], { UNKEY_MCP_PROFILE: "pro" });
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('UNKEY_MCP_PROFILE: expected one of full, ratelimits, got "pro"');
  });

  it("prints help", async () => {
    const { code, out } = await run(["--help"]);
    expect(code).toBe(0);
    expect(out).toMatch(/^Usage: unkey-mcp tools/);
  });

  it("builds the catalog from another document with --spec, overlaying the contract's x-mcp", async () => {
    const dir = mkdtempSync(join(tmpdir(), "unkey-mcp-spec-"));
    try {
      const spec = {
        openapi: "3.1.0",
        info: { title: "live", version: "2" },
        paths: {
          // Known to the contract: gets its x-mcp (name get_api) from the overlay.
          "/v2/apis.getApi": {
            post: {
              operationId: "apis.getApi",
              requestBody: { content: { "application/json": { schema: { type: "object", properties: { apiId: { type: "string" } } } } } },
              responses: {},
            },
          },
          // Unknown to the contract: derived, with a warning on stderr.
          "/v2/apis.listApis": {
            post: { operationId: "apis.listApis", tags: ["apis"], summary: "List APIs", responses: {} },
          },
          // Methods generated tools cannot send: skipped, each with a warning, never in silence.
          "/v2/things/{id}": {
            put: { operationId: "things.replace", responses: {} },
            delete: { operationId: "things.remove", responses: {} },
          },
        },
      };
      const file = join(dir, "openapi.json");
      writeFileSync(file, JSON.stringify(spec));
      const { code, out, err } = await run(["--spec", file]);
      expect(code).toBe(0);
      // The hand-written tools follow whatever the document generates.
      expect((JSON.parse(out) as { tools: { name: string }[] }).tools.map((t) => t.name)).toEqual([
        "get_api",
        "apis_listApis",
        "analytics_usage_summary",
        "analytics_top",
        "analytics_timeseries",
        "analytics_ratelimits",
      ]);
      expect(err).toMatch(/^warning: operation apis\.listApis .*no x-mcp/m);
      expect(err).toMatch(/^warning: operation things\.replace \(PUT \/v2\/things\/\{id\}\): PUT operations are not supported .*; skipped$/m);
      expect(err).toMatch(/^warning: operation things\.remove \(DELETE \/v2\/things\/\{id\}\): DELETE operations are not supported .*; skipped$/m);
      const missing = await run(["--spec", join(dir, "nope.yaml")]);
      expect(missing.code).toBe(2);
      expect(missing.err).toMatch(/--spec .*nope\.yaml: cannot read the file \(ENOENT\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("gives a --spec URL that never answers a bounded time (the one readSpec, shared with the servers)", async () => {
    // A deliberately faulty server: accepts the request and never answers.
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    try {
      const { port } = silent.address() as AddressInfo;
      const err = await readSpec(`http://127.0.0.1:${port}/openapi.yaml`, 200).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toMatch(/--spec http:\/\/127\.0\.0\.1:\d+\/openapi\.yaml: could not fetch the document/);
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });
});
