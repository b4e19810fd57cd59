/**
 * MCP Inspector CLI 0.16.8 (the newest that runs on Node 20) over streamable HTTP with --header.
 */
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHttpStack, type HttpStack } from "./http-helpers.js";

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const INSPECTOR = join(require.resolve("@modelcontextprotocol/inspector/package.json"), "..", "cli", "build", "cli.js");

async function inspector(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [INSPECTOR, "--cli", ...args], { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : 1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

describe("MCP Inspector CLI over HTTP", () => {
  let stack: HttpStack;
  beforeAll(async () => {
    stack = await startHttpStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it("lists tools and calls one with --header", async () => {
    const url = `${stack.http.url}/mcp/v2`;
    const header = `MCP-UNKEY-BEARER-AUTH: ${stack.rootKey}`;
    const list = await inspector([url, "--transport", "http", "--header", header, "--method", "tools/list"]);
    expect(list.code, list.stderr).toBe(0);
    expect((JSON.parse(list.stdout) as { tools: unknown[] }).tools).toHaveLength(45);

    const created = await inspector([
      url,
      "--transport",
      "http",
      "--header",
      header,
      "--method",
      "tools/call",
      "--tool-name",
      "create_api",
      "--tool-arg",
      "name=from-inspector",
    ]);
    expect(created.code, created.stderr).toBe(0);
    const result = JSON.parse(created.stdout) as { isError?: boolean; structuredContent: { data: { apiId: string } } };
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent.data.apiId).toMatch(/^api_/);
  });

  it("fails to connect without the header and shows the server's message", async () => {
    const res = await inspector([`${stack.http.url}/mcp/ratelimits/`, "--transport", "http", "--method", "tools/list"]);
    expect(res.code).not.toBe(0);
    expect(`${res.stdout}${res.stderr}`).toContain("MCP-UNKEY-V2-ROOT-KEY");
  });
});
