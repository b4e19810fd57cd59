/**
 * The published shape: `npm pack` output installed into an empty folder. Installing unkey-mcp
 * pulls in no agent framework; the root and the OpenAI/Anthropic adapters import with none
 * installed; after the frameworks are installed from the registry, the AI SDK and LangChain
 * adapters import through the package's subpath exports, each without loading the other's
 * framework (a loader refuses it: test/helpers/module-guard.ts). The installed package also makes
 * a real call: a tool_use through unkey-mcp/anthropic creates an API on the local API.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, expect, it } from "vitest";
import { tools as catalog } from "../helpers/catalog.js";
import { startLocalApi } from "../helpers/local-api.js";
import { FRAMEWORKS, importWithout, runWithout } from "../helpers/module-guard.js";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "unkey-mcp-pack-"));
const devVersion = (name: string): string =>
  (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { devDependencies: Record<string, string> }).devDependencies[name];
const npm = (args: string[], cwd: string): Promise<{ stdout: string; stderr: string }> =>
  run("npm", [...args, "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"], { cwd, maxBuffer: 16 * 1024 * 1024, timeout: 240_000 });

afterAll(() => rmSync(work, { recursive: true, force: true }));

it("the packed package installs without frameworks, and each subpath imports with only its own", { timeout: 300_000 }, async () => {
  // dist/ is built by `npm test` before vitest runs; packing must not rebuild it under running tests.
  const { stdout } = await npm(["pack", "--ignore-scripts", "--pack-destination", work, "--json"], ROOT);
  const tarball = join(work, (JSON.parse(stdout) as Array<{ filename: string }>)[0].filename);
  const app = join(work, "app");
  await run("mkdir", ["-p", app]);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
  // --ignore-scripts: the optional SQLite binding (local API only) need not compile for this.
  await npm(["install", tarball, "--ignore-scripts"], app);

  const installed = (name: string): boolean => existsSync(join(app, "node_modules", name, "package.json"));
  expect(installed("unkey-mcp")).toBe(true);
  for (const framework of FRAMEWORKS) expect(installed(framework), `${framework} was installed with unkey-mcp`).toBe(false);

  for (const [specifier, exported] of [
    ["unkey-mcp", "createUnkeyToolkit"],
    ["unkey-mcp/openai", "handleToolCalls"],
    ["unkey-mcp/anthropic", "handleToolUses"],
  ]) {
    const r = await importWithout(specifier, FRAMEWORKS, app);
    expect(r.stderr, specifier).toBe("");
    expect(r.stdout.trim().split(","), specifier).toContain(exported);
  }
  const api = await startLocalApi();
  try {
    const script = `
      import { createUnkeyToolkit } from "unkey-mcp";
      import { handleToolUse } from "unkey-mcp/anthropic";
      const toolkit = await createUnkeyToolkit({ rootKey: ${JSON.stringify(api.rootKey)}, baseUrl: ${JSON.stringify(api.url)} });
      const reply = await handleToolUse(toolkit, { type: "tool_use", id: "toolu_1", name: "create_api", input: { name: "from-the-tarball" } });
      console.log(JSON.stringify({ tools: toolkit.tools.length, reply }));
      await toolkit.close();`;
    const r = await runWithout(script, FRAMEWORKS, app);
    expect(r.stderr).toBe("");
    const { tools, reply } = JSON.parse(r.stdout) as { tools: number; reply: { content: string; is_error?: boolean } };
    expect(tools).toBe(catalog.length);
    expect(reply.is_error).toBeUndefined();
    const apiId = /"apiId":"(api_\w+)"/.exec(reply.content)![1];
    const stored = await fetch(`${api.url}/v2/apis.getApi`, {
      method: "POST",
      headers: { authorization: `Bearer ${api.rootKey}`, "content-type": "application/json" },
      body: JSON.stringify({ apiId }),
    });
    expect(((await stored.json()) as { data: { name: string } }).data.name).toBe("from-the-tarball");
  } finally {
    await api.close();
  }

  const missing = await importWithout("unkey-mcp/ai-sdk", [], app);
  expect(missing.code).not.toBe(0);
  expect(missing.stderr).toMatch(/Cannot find package 'ai'/);

  await npm(["install", `ai@${devVersion("ai")}`, `@langchain/core@${devVersion("@langchain/core")}`], app);
  const aiSdk = await importWithout("unkey-mcp/ai-sdk", ["@langchain/core"], app);
  expect(aiSdk.stderr).toBe("");
  expect(aiSdk.stdout).toContain("unkeyAiSdkTools");
  const langchain = await importWithout("unkey-mcp/langchain", ["ai", "@ai-sdk/provider-utils"], app);
  expect(langchain.stderr).toBe("");
  expect(langchain.stdout).toContain("langchainTools");
});
