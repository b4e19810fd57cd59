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
import { parseToolsArgs, runToolsCommand, toAnthropicTools, toOpenAITools, UsageError } from "../../src/tools/export.js";
import { generateTools } from "../../src/tools/generate.js";

const { tools } = generateTools(loadContract());

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await runToolsCommand(args, {
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: (t: string) => (err += t) },
  });
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
        parameters: { type: "object", required: ["name"], properties: { name: { type: "string", minLength: 3, maxLength: 256 } } },
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
    expect(parsed.tools).toHaveLength(41);
    expect(Object.keys(parsed.tools[0])).toEqual(["name", "title", "description", "inputSchema", "outputSchema", "annotations"]);
  });

  it("applies profile, toolsets, tools and read-only", async () => {
    const rl = JSON.parse((await run(["--profile", "ratelimits", "--format=anthropic"])).out) as { name: string }[];
    expect(rl.map((t) => t.name)).toHaveLength(7);
    const ro = JSON.parse((await run(["--toolsets", "keys,apis", "--read-only", "--format", "openai"])).out) as { function: { name: string } }[];
    expect(ro.map((t) => t.function.name)).toEqual(["get_api", "list_keys", "get_key", "whoami_key"]);
    const one = JSON.parse((await run(["--tools=verify_key", "--read-only", "--allow-consume"])).out) as { tools: { name: string }[] };
    expect(one.tools.map((t) => t.name)).toEqual(["verify_key"]);
  });

  it("rejects an unknown format, flag or toolset with exit code 2 and a message naming the choices", async () => {
    const format = await run(["--format", "yaml"]);
    expect(format).toMatchObject({ code: 2, out: "" });
    expect(format.err).toBe('unkey-mcp tools: --format: expected one of json, openai, anthropic, given "yaml"\n');
    const flag = await run(["--readonly"]);
    expect(flag.code).toBe(2);
    expect(flag.err).toMatch(/unknown option "--readonly"; expected --format, --profile/);
    const set = await run(["--toolsets", "keys,ratelimits"]);
    expect(set.code).toBe(2);
    expect(set.err).toMatch(/toolsets: unknown toolset "ratelimits" in profile full; expected one of analytics, apis/);
    expect(process.exitCode).toBe(2);
  });

  it("reports a missing value instead of taking the next flag as one", () => {
    expect(() => parseToolsArgs(["--profile", "--read-only"])).toThrow(UsageError);
    expect(() => parseToolsArgs(["--profile", "--read-only"])).toThrow("--profile: expected a value, given none");
    expect(() => parseToolsArgs(["--read-only=yes"])).toThrow('--read-only: takes no value, given "yes"');
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
        },
      };
      const file = join(dir, "openapi.json");
      writeFileSync(file, JSON.stringify(spec));
      const { code, out, err } = await run(["--spec", file]);
      expect(code).toBe(0);
      expect((JSON.parse(out) as { tools: { name: string }[] }).tools.map((t) => t.name)).toEqual(["get_api", "apis_listApis"]);
      expect(err).toMatch(/^warning: operation apis\.listApis .*no x-mcp/);
      const missing = await run(["--spec", join(dir, "nope.yaml")]);
      expect(missing.code).toBe(2);
      expect(missing.err).toMatch(/--spec: cannot read .*nope\.yaml: ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
