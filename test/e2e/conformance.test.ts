/**
 * @modelcontextprotocol/conformance 0.1.13 (offline, from node_modules) against `unkey-mcp http`
 * in its test mode: the harness cannot send headers, so `--insecure-test-root-key` supplies the
 * key. Fixture-specific scenarios are listed in test/conformance-baseline.yml with reasons.
 * Needs `npm run build`.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnLocalApi, type SpawnedLocalApi } from "../helpers/local-api.js";
import { spawnHttpServer, type SpawnedHttpServer } from "../helpers/mcp-http.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CONFORMANCE = join(ROOT, "node_modules", ".bin", "conformance");
const BASELINE = join(ROOT, "test", "conformance-baseline.yml");

/** The scenarios that test this server's protocol behaviour; each must pass every check. */
const MUST_PASS = ["server-initialize", "logging-set-level", "ping", "tools-list", "prompts-list", "server-sse-multiple-streams", "dns-rebinding-protection"];

describe("MCP conformance suite", () => {
  let local: SpawnedLocalApi;
  let http: SpawnedHttpServer;
  let outDir: string;
  beforeAll(async () => {
    local = await spawnLocalApi();
    http = await spawnHttpServer(local.url, ["--insecure-test-root-key", local.rootKey, "--log-level", "warn"]);
    outDir = await mkdtemp(join(tmpdir(), "conformance-"));
  });
  afterAll(async () => {
    await http?.close();
    await local?.close();
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  it("passes every scenario that applies; only the baseline's fixture scenarios fail", { timeout: 180_000 }, async () => {
    const result = await new Promise<{ code: number; output: string }>((resolve) => {
      execFile(
        CONFORMANCE,
        ["server", "--url", `${http.url}/mcp/v2`, "-o", outDir, "--expected-failures", BASELINE],
        { timeout: 150_000, maxBuffer: 16 * 1024 * 1024 },
        (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output: `${stdout}\n${stderr}` }),
      );
    });
    // Exit 0 means: no failure outside the baseline and no stale baseline entry.
    expect(result.code, result.output.slice(-4000)).toBe(0);

    const dirs = await readdir(outDir);
    for (const scenario of MUST_PASS) {
      const dir = dirs.find((d) => d.startsWith(`server-${scenario}-`));
      expect(dir, `${scenario} ran`).toBeDefined();
      const checks = JSON.parse(await readFile(join(outDir, dir!, "checks.json"), "utf8")) as Array<{ status: string; name?: string }>;
      expect(checks.length, scenario).toBeGreaterThan(0);
      expect(
        checks.filter((c) => c.status !== "SUCCESS" && c.status !== "INFO"),
        scenario,
      ).toEqual([]);
    }
  });
});
