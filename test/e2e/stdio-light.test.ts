/**
 * `npx unkey-mcp` against the real Unkey must stay light: the modules loaded on the stdio path
 * (everything reachable through static imports from the CLI and the stdio transport) never pull
 * in express, the local API or its SQLite binding. Checked on the built output, which is what
 * users run.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";

const DIST = fileURLToPath(new URL("../../dist/", import.meta.url));

/**
 * Static (non-dynamic) import specifiers of a compiled ES module, tsc's or the minified bundle's
 * (`import{a as b}from"./chunk-X.js"`, `import"./chunk-Y.js"`); `import("…")` is not one.
 */
function staticImports(file: string): string[] {
  const src = readFileSync(file, "utf8");
  return [...src.matchAll(/\b(?:import|export)\s*(?:[\w$*{][^'"();]*?\bfrom\s*)?["']([^"']+)["']/g)].map((m) => m[1]);
}

/** Every file and package reachable from `entry` through static imports. */
function reachable(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const queue = [entry];
  while (queue.length) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const spec of staticImports(file)) {
      if (spec.startsWith(".")) queue.push(resolve(dirname(file), spec));
      else packages.add(spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]);
    }
  }
  return { files, packages };
}

describe("stdio startup path", () => {
  it("loads neither express, the local API, SQLite, the metrics client, undici nor yaml at startup", () => {
    // The module graph of the stdio server (tsc output, the library's view of the same code).
    const stdio = reachable(resolve(DIST, "commands/stdio.js"));
    const files = [...stdio.files].map((f) => f.slice(DIST.length));
    // The walk really covers the server: executor, client, results.
    expect(files).toEqual(
      expect.arrayContaining(["commands/stdio.js", "runtime.js", "server.js", "tools/execute.js", "client/unkey-client.js", "tools/results.js"]),
    );
    expect(files.filter((f) => f.startsWith("local/"))).toEqual([]);
    expect(files.filter((f) => f.startsWith("transports/http/"))).toEqual([]);
    // undici and yaml load on first use (a tool call, a --spec document), not at startup.
    // node:crypto and node:os too: only confirmation tokens and withheld keys need them (util/lazy-node.ts).
    const heavy = ["express", "better-sqlite3", "prom-client", "undici", "yaml", "node:crypto", "node:os"];
    for (const pkg of heavy) expect(stdio.packages.has(pkg), pkg).toBe(false);
    // The server runs on the SDK 2.x packages; the 1.x SDK is a test client only.
    expect(stdio.packages.has("@modelcontextprotocol/server")).toBe(true);
    expect(stdio.packages.has("@modelcontextprotocol/sdk")).toBe(false);

    // The bundled CLI (what `npx unkey-mcp` runs): its static graph imports none of them either;
    // the local API, HTTP and --spec code sit in chunks reached only by dynamic import.
    const entry = resolve(DIST, "cli.js");
    expect(existsSync(entry), "run npm run build first").toBe(true);
    const bundle = reachable(entry);
    expect(bundle.files.size).toBeGreaterThan(1);
    for (const pkg of heavy) expect(bundle.packages.has(pkg), pkg).toBe(false);
    const staticCode = [...bundle.files].map((f) => readFileSync(f, "utf8")).join("\n");
    expect(staticCode).not.toContain("better_sqlite3");
    // One ajv in the whole bundle, loaded on the first call: the SDK's validator is pointed at it
    // (scripts/sdk-shims.mjs) instead of bringing the copy of ajv it bundles.
    const chunks = readdirSync(DIST).filter((f) => f.startsWith("chunk-") && f.endsWith(".js"));
    const ajvCopies = chunks.filter((f) => readFileSync(resolve(DIST, f), "utf8").includes("CodeGen: name must be a valid identifier"));
    expect(ajvCopies).toHaveLength(1);
    expect(bundle.files.has(resolve(DIST, ajvCopies[0]))).toBe(false);
  });

  it("answers initialize and tools/list without loading node:crypto or node:os (they load on first use)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "stdio-light-"));
    try {
      // Prints, at exit, which of the two built-ins the process loaded.
      const hook = join(dir, "hook.mjs");
      writeFileSync(
        hook,
        `import { writeSync } from "node:fs";\nprocess.on("exit", () => writeSync(2, "\\nLOADED " + JSON.stringify(process.moduleLoadList.filter((m) => /^NativeModule (crypto|os)$/.test(m))) + "\\n"));\n`,
      );
      const loaded = (args: string[], input: string): { stdout: string; loaded: string[] } => {
        const r = spawnSync(process.execPath, ["--import", pathToFileURL(hook).href, ...args], {
          input,
          encoding: "utf8",
          env: { PATH: process.env.PATH ?? "", UNKEY_ROOT_KEY: "unkey_light0000000000", UNKEY_API_URL: "http://127.0.0.1:9" },
          timeout: 20_000,
        });
        const line = /LOADED (\[.*\])/.exec(r.stderr);
        expect(line, r.stderr).not.toBeNull();
        return { stdout: r.stdout, loaded: JSON.parse(line![1]) as string[] };
      };
      // What this Node loads by itself (Node 24 loads node:os at startup), and the probe seeing a load.
      const bare = loaded(["-e", ""], "").loaded;
      expect(bare).not.toContain("NativeModule crypto");
      expect(loaded(["-e", "require('node:crypto')"], "").loaded).toContain("NativeModule crypto");
      const messages = [
        {
          jsonrpc: "2.0",
          id: 1,
          method: "initialize",
          params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "light", version: "1" } },
        },
        { jsonrpc: "2.0", method: "notifications/initialized" },
        { jsonrpc: "2.0", id: 2, method: "tools/list" },
      ];
      const server = loaded([resolve(DIST, "cli.js"), "stdio"], `${messages.map((m) => JSON.stringify(m)).join("\n")}\n`);
      const answers = server.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { id: number; result?: { tools?: unknown[] } });
      expect(answers.find((a) => a.id === 2)?.result?.tools?.length).toBeGreaterThan(40);
      expect(server.loaded.filter((m) => !bare.includes(m))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("starts from a precompiled catalog and prompts that equal what the contract and prompts/ produce", async () => {
    const { generateTools } = await import("../../src/tools/generate.js");
    const { loadContract } = await import("../../src/schemas/loader.js");
    const { loadPrompts } = await import("../../src/prompts.js");
    const catalog = JSON.parse(readFileSync(resolve(DIST, "tools/catalog.json"), "utf8"));
    expect(catalog).toEqual(JSON.parse(JSON.stringify(generateTools(loadContract()).tools)));
    const prompts = JSON.parse(readFileSync(resolve(DIST, "prompts.json"), "utf8"));
    expect(prompts).toEqual(JSON.parse(JSON.stringify(await loadPrompts())));
    expect(catalog).toHaveLength(41);
  });
});
