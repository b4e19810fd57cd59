/**
 * The seam for hand-written tools: a tool made with defineTool is listed, snapshotted, counted,
 * exported and executed exactly like a generated one, because every one of those paths lists
 * from buildCatalog (src/tools/catalog.ts).
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { countToolListTokens } from "../../bench/tokens.mjs";
import { createUnkeyClient } from "../../src/client/unkey-client.js";
import { createMcpServer } from "../../src/server.js";
import { buildCatalog } from "../../src/tools/catalog.js";
import { defineTool } from "../../src/tools/define.js";
import { runToolsCommand, toListedTool } from "../../src/tools/export.js";
import { handWrittenTools } from "../../src/tools/hand-written/index.js";
import { createLogger } from "../../src/util/log.js";

const sample = defineTool({
  name: "sample_echo",
  title: "Sample echo",
  description: "Echoes a word back.",
  toolset: "keys",
  safety: "read",
  inputSchema: { type: "object", properties: { word: { type: "string", description: "Any word." } }, required: ["word"] },
  outputSchema: { type: "object", properties: { echoed: { type: "string" } }, required: ["echoed"] },
  handler: async (args) => ({ data: { echoed: String(args.word) }, summary: `sample_echo: echoed ${String(args.word)}` }),
});

beforeAll(() => {
  handWrittenTools.push(sample);
});
afterAll(() => {
  handWrittenTools.splice(handWrittenTools.indexOf(sample), 1);
});
afterEach(() => {
  process.exitCode = undefined;
});

describe("a defineTool tool", () => {
  it("is a ToolDefinition with the result envelope as its outputSchema", () => {
    expect(sample.outputSchema?.required).toEqual(["summary"]);
    expect((sample.outputSchema!.properties as Record<string, unknown>).data).toEqual({
      type: "object",
      properties: { echoed: { type: "string" } },
      required: ["echoed"],
    });
    expect(sample.annotations).toMatchObject({ readOnlyHint: true, title: "Sample echo" });
    expect(sample.profiles).toEqual(["full"]);
  });

  it("is in the catalog the server, the build and the tests use, strict or precompiled", async () => {
    for (const options of [{}, { strict: true }, { precompiled: true }]) {
      const { tools } = await buildCatalog(options);
      expect(tools.at(-1), JSON.stringify(options)).toBe(sample);
    }
  });

  it("is in the list the tool snapshots are taken from", async () => {
    const { tools } = await import("../helpers/catalog.js");
    expect(tools.map((t) => t.name)).toContain("sample_echo");
  });

  it("is counted by the token tests", async () => {
    const { tools } = await buildCatalog();
    const without = tools.filter((t) => t !== sample);
    expect(countToolListTokens(tools)).toBeGreaterThan(countToolListTokens(without) + countToolListTokens([sample]) - 5);
  });

  it("is exported by `unkey-mcp tools` in every format", async () => {
    for (const format of ["json", "openai", "anthropic"]) {
      let out = "";
      const code = await runToolsCommand(["--format", format], { stdout: { write: (t: string) => (out += t) }, stderr: { write: () => undefined } });
      expect(code).toBe(0);
      expect(out, format).toContain('"sample_echo"');
    }
  });

  it("is refused when its name clashes with a generated tool", async () => {
    const clash = { ...sample, name: "get_key" };
    await expect(buildCatalog({ handWritten: [clash] })).rejects.toThrow(/hand-written tool get_key has the name of a generated tool/);
  });

  it("is listed and called through a real MCP client like a generated tool", async () => {
    const { tools } = await buildCatalog();
    const server = createMcpServer({
      tools,
      client: createUnkeyClient({ baseUrl: "http://127.0.0.1:9" }),
      resolveRootKey: () => "unkey_seam_test_root",
      instructions: "test",
      logger: createLogger({ level: "silent" }),
      prompts: [],
    });
    const [a, b] = InMemoryTransport.createLinkedPair();
    const client = new Client({ name: "seam-test", version: "1" });
    await Promise.all([server.connect(a), client.connect(b)]);
    try {
      const listed = (await client.listTools()).tools.find((t) => t.name === "sample_echo");
      expect(listed).toEqual(JSON.parse(JSON.stringify(toListedTool(sample))));
      // The SDK client validates structuredContent against the outputSchema.
      const r = await client.callTool({ name: "sample_echo", arguments: { word: "hi" } });
      expect(r.structuredContent).toEqual({ summary: "sample_echo: echoed hi", data: { echoed: "hi" } });
      const bad = await client.callTool({ name: "sample_echo", arguments: {} });
      expect(bad.isError).toBe(true);
      expect((bad.content as { text: string }[])[0].text).toContain("word: is required");
    } finally {
      await client.close();
      await server.close();
    }
  });
});
