/**
 * MCP Inspector CLI 0.16.8 (the newest that runs on Node 20) against the built server over
 * stdio: lists the tools and calls one, with the root key passed through `-e`.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalApi, type InProcessLocalApi } from "../helpers/local-api.js";
import { CLI, expectNoSecretsInServerStderr, PROJECT_ROOT, recordStderr, rememberSecret } from "../helpers/mcp-stdio.js";

const INSPECTOR = fileURLToPath(new URL("../../node_modules/@modelcontextprotocol/inspector/cli/build/cli.js", import.meta.url));

let api: InProcessLocalApi;

function inspector(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [INSPECTOR, "--cli", "-e", `UNKEY_ROOT_KEY=${api.rootKey}`, "-e", `UNKEY_API_URL=${api.url}`, process.execPath, CLI, ...args],
      { cwd: PROJECT_ROOT, timeout: 60_000 },
      (err, stdout, stderr) => {
        recordStderr(`inspector ${args.join(" ")}`, () => stderr);
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

beforeAll(async () => {
  api = await startLocalApi();
  rememberSecret(api.rootKey);
});
afterAll(async () => {
  expectNoSecretsInServerStderr();
  await api?.close();
});

describe("MCP Inspector CLI", () => {
  it("lists the 45 tools", async () => {
    const r = await inspector(["--method", "tools/list"]);
    expect(r.code).toBe(0);
    const { tools } = JSON.parse(r.stdout) as { tools: Array<{ name: string; annotations?: Record<string, unknown> }> };
    expect(tools).toHaveLength(45);
    expect(tools.find((t) => t.name === "get_key")?.annotations).toMatchObject({ readOnlyHint: true });
  });

  it("calls create_api, and the API really has it", async () => {
    const r = await inspector(["--method", "tools/call", "--tool-name", "create_api", "--tool-arg", "name=from-inspector"]);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as { isError?: boolean; structuredContent: { data: { apiId: string } } };
    expect(result.isError).toBeFalsy();
    const res = await fetch(`${api.url}/v2/apis.getApi`, {
      method: "POST",
      headers: { authorization: `Bearer ${api.rootKey}`, "content-type": "application/json" },
      body: JSON.stringify({ apiId: result.structuredContent.data.apiId }),
    });
    expect(((await res.json()) as { data: { name: string } }).data.name).toBe("from-inspector");
  });

  it("an error result still exits 0 and carries isError with the hint", async () => {
    const r = await inspector(["--method", "tools/call", "--tool-name", "get_api", "--tool-arg", "apiId=api_doesnotexist"]);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as { isError?: boolean; content: Array<{ text: string }> };
    expect(result.isError).toBe(true);
    expect(result.content[0].text).toContain("404");
    expect(result.content[0].text).toContain('apiId="api_doesnotexist"');
  });
});
