/**
 * Installable anywhere: the tarball `npm pack` makes installs into an empty prefix and every
 * command runs from there, with no clone in sight (the working directory is an empty folder):
 * `tools`, `local`, `stdio` (driven by the SDK Client), `http` and `start` (driven over
 * streamable HTTP).
 *
 * The install prefers npm's cache (`--prefer-offline`) and reaches the registry only for what the
 * cache lacks. Install scripts are skipped and the SQLite binding is taken from this checkout's
 * node_modules, built by `npm ci` for this very Node: compiling better-sqlite3 from source takes
 * minutes on a small machine and proves nothing about this package.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_PATH, randomRootKey } from "../helpers/local-api.js";
import { PROJECT_ROOT } from "../helpers/mcp-stdio.js";

let tmp = "";
let cli = "";
let work = "";
const children: ChildProcess[] = [];

/** Our environment without npm's per-run settings (npm test sets npm_config_* for its children). */
function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^npm_/i.test(k) && !k.startsWith("UNKEY_")) env[k] = v;
  return { ...env, ...extra };
}

function npm(args: string[], cwd: string): string {
  const r = spawnSync("npm", args, { cwd, env: cleanEnv(), encoding: "utf8", timeout: 240_000 });
  if (r.status !== 0) throw new Error(`npm ${args.join(" ")} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Spawns the installed CLI in the empty folder and resolves when stdout matches `ready`. */
function launch(args: string[], ready: RegExp): Promise<{ child: ChildProcess; match: RegExpExecArray; out: () => string }> {
  const child = spawn(process.execPath, [cli, ...args], { cwd: work, env: cleanEnv(), stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let out = "";
  let err = "";
  child.stderr!.on("data", (c: Buffer) => (err += c.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`unkey-mcp ${args.join(" ")} not ready in 30 s\n${out}\n${err}`)), 30_000);
    child.stdout!.on("data", (c: Buffer) => {
      out += c.toString();
      const m = ready.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, match: m, out: () => out });
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`unkey-mcp ${args.join(" ")} exited with ${code}\n${out}\n${err}`));
    });
  });
}

async function overHttp(url: string, headers: Record<string, string>): Promise<Client> {
  const client = new Client({ name: "pack-e2e", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return client;
}

beforeAll(() => {
  expect(existsSync(CLI_PATH), "dist/ is missing: run npm run build first").toBe(true);
  tmp = mkdtempSync(join(tmpdir(), "unkey-pack-"));
  const pkgDir = join(tmp, "pkg");
  const prefix = join(tmp, "prefix");
  work = join(tmp, "empty");
  for (const d of [pkgDir, prefix, work]) mkdirSync(d);
  // dist/ is built by `npm test` before vitest runs; packing must not rebuild it here.
  npm(["pack", "--ignore-scripts", "--pack-destination", pkgDir], PROJECT_ROOT);
  const tarball = join(pkgDir, readdirSync(pkgDir).find((f) => f.endsWith(".tgz")) ?? "");
  writeFileSync(join(prefix, "package.json"), JSON.stringify({ name: "pack-test", version: "1.0.0", private: true }));
  npm(["install", "--prefer-offline", "--ignore-scripts", "--no-audit", "--no-fund", tarball], prefix);
  const sqlite = "node_modules/better-sqlite3";
  const version = (dir: string): string => (JSON.parse(readFileSync(join(dir, sqlite, "package.json"), "utf8")) as { version: string }).version;
  const binding = "build/Release/better_sqlite3.node";
  if (version(prefix) === version(PROJECT_ROOT)) {
    mkdirSync(join(prefix, sqlite, "build/Release"), { recursive: true });
    copyFileSync(join(PROJECT_ROOT, sqlite, binding), join(prefix, sqlite, binding));
  } else {
    npm(["rebuild", "better-sqlite3"], prefix);
  }
  cli = join(prefix, "node_modules", "unkey-mcp", "dist", "cli.js");
  expect(existsSync(join(prefix, "node_modules", ".bin", "unkey-mcp"))).toBe(true);
}, 300_000);

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGTERM");
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe("the packed package, installed into an empty prefix", () => {
  it("contains what it runs from and nothing of the clone", () => {
    const root = join(cli, "..", "..");
    expect(readdirSync(root).sort()).toEqual(expect.arrayContaining(["README.md", "dist", "package.json", "prompts"]));
    expect(existsSync(join(root, "src"))).toBe(false);
    expect(existsSync(join(root, "test"))).toBe(false);
  });

  it("tools: prints the catalog", () => {
    const r = spawnSync(process.execPath, [cli, "tools", "--format", "openai"], { cwd: work, env: cleanEnv(), encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as unknown[]).length).toBeGreaterThanOrEqual(41);
  });

  it("local + stdio: the SDK Client lists the tools and creates and reads an API", async () => {
    const rootKey = randomRootKey();
    const local = await launch(["local", "--memory", "--port", "0", "--root-key", rootKey], /listening on (http:\/\/\S+)/);
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [cli, "stdio"],
      cwd: work,
      env: cleanEnv({ UNKEY_ROOT_KEY: rootKey, UNKEY_API_URL: local.match[1] }),
      stderr: "pipe",
    });
    const client = new Client({ name: "pack-e2e", version: "1.0.0" });
    await client.connect(transport);
    try {
      expect((await client.listTools()).tools.length).toBeGreaterThanOrEqual(41);
      const created = await client.callTool({ name: "create_api", arguments: { name: "from-the-tarball" } });
      const apiId = (created.structuredContent as { data: { apiId: string } }).data.apiId;
      const read = await client.callTool({ name: "get_api", arguments: { apiId } });
      expect((read.structuredContent as { data: { name: string } }).data.name).toBe("from-the-tarball");
    } finally {
      await client.close();
      local.child.kill("SIGTERM");
    }
  });

  it("http: serves the tools over streamable HTTP", async () => {
    const rootKey = randomRootKey();
    const local = await launch(["local", "--memory", "--port", "0", "--root-key", rootKey], /listening on (http:\/\/\S+)/);
    const http = await launch(["http", "--port", "0", "--api-url", local.match[1]], /listening on (http:\/\/\S+) \(MCP: (\S+?)[,)]/);
    const client = await overHttp(http.match[2], { authorization: `Bearer ${rootKey}` });
    try {
      const r = await client.callTool({ name: "create_api", arguments: { name: "over-http" } });
      expect(r.isError).toBeFalsy();
    } finally {
      await client.close();
      http.child.kill("SIGTERM");
      local.child.kill("SIGTERM");
    }
  });

  it("start: the local API and the HTTP server together, with working connection details", async () => {
    const s = await launch(["start", "--memory", "--port", "0", "--api-port", "0"], /Press Ctrl-C to stop\./);
    const full = /MCP \(full\)\s+(\S+)\s+header (\S+)/.exec(s.out());
    const key = /Root key \(all permissions; shown only now[^)]*\): (\S+)/.exec(s.out());
    expect(full && key, s.out()).toBeTruthy();
    const client = await overHttp(full![1], { [full![2]]: key![1] });
    try {
      expect((await client.listTools()).tools.length).toBeGreaterThanOrEqual(41);
    } finally {
      await client.close();
      s.child.kill("SIGTERM");
    }
  });
});
