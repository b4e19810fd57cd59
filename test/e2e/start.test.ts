/**
 * `unkey-mcp start` as a user runs it (needs `npm run build`): one process with the local API and
 * the HTTP MCP server; the printed URL, header and root key are all a client needs.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CLI_PATH } from "../helpers/local-api.js";
import { call, connectClient, structured, text } from "./http-helpers.js";

interface Started {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});

async function start(args: string[], cwd: string): Promise<Started> {
  const child = spawn(process.execPath, [CLI_PATH, "start", ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let out = "";
  let err = "";
  child.stderr!.on("data", (c: Buffer) => (err += c.toString()));
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`start did not print its banner in 30 s\n${out}\n${err}`)), 30_000);
    child.stdout!.on("data", (c: Buffer) => {
      out += c.toString();
      if (out.includes("Press Ctrl-C to stop.")) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exit.then((code) => {
      clearTimeout(timer);
      reject(new Error(`start exited early with ${code}\n${out}\n${err}`));
    });
  });
  return { child, stdout: () => out, stderr: () => err, exit };
}

function parseBanner(out: string): {
  mcpUrl: string;
  header: string;
  rlUrl: string;
  rlHeader: string;
  rootKey?: string;
  claude: { mcpServers: { unkey: { args: string[]; env: Record<string, string> } } };
} {
  const full = /MCP \(full\)\s+(\S+)\s+header (\S+)/.exec(out);
  const rl = /MCP \(ratelimits\)\s+(\S+)\s+header (\S+)/.exec(out);
  const key = /Root key \(all permissions; shown only now[^)]*\): (\S+)/.exec(out);
  const claudeStart = out.indexOf("{", out.indexOf("Claude Desktop"));
  const claudeEnd = out.indexOf("\n}\n", claudeStart);
  expect(full && rl, out).toBeTruthy();
  return {
    mcpUrl: full![1],
    header: full![2],
    rlUrl: rl![1],
    rlHeader: rl![2],
    rootKey: key?.[1],
    claude: JSON.parse(out.slice(claudeStart, claudeEnd + 2)),
  };
}

describe("unkey-mcp start", () => {
  it("prints working connection details and stops cleanly on Ctrl-C", async () => {
    const cwd = await mkdtemp(join(tmpdir(), "unkey-start-"));
    try {
      const s = await start(["--memory", "--port", "0", "--api-port", "0"], cwd);
      const banner = parseBanner(s.stdout());
      expect(banner.header).toBe("MCP-UNKEY-BEARER-AUTH");
      expect(banner.rlHeader).toBe("MCP-UNKEY-V2-ROOT-KEY");
      expect(banner.rootKey).toMatch(/^unkey_/);
      // The Claude Desktop config is Windows-safe: no spaces inside any argument.
      const args = banner.claude.mcpServers.unkey.args;
      expect(args).toContain(banner.mcpUrl);
      expect(args.every((a) => !a.includes(" "))).toBe(true);
      expect(args).toContain("MCP-UNKEY-BEARER-AUTH:${UNKEY_ROOT_KEY}");
      expect(banner.claude.mcpServers.unkey.env.UNKEY_ROOT_KEY).toBe(banner.rootKey);

      const client = await connectClient(banner.mcpUrl, { [banner.header]: banner.rootKey! });
      const created = await call(client, "create_api", { name: "from-start" });
      expect(created.isError, text(created)).toBeFalsy();
      expect((structured(created).data as { apiId: string }).apiId).toMatch(/^api_/);
      await client.close();
      const rl = await connectClient(banner.rlUrl, { [banner.rlHeader]: banner.rootKey! });
      expect((await rl.listTools()).tools).toHaveLength(8);
      await rl.close();

      // Logs go to stderr and never carry the key.
      expect(s.stderr()).not.toContain(banner.rootKey);
      s.child.kill("SIGINT");
      expect(await s.exit).toBe(0);
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });

  it("keeps data in --data-dir and, on the next start, says where to get a root key instead of printing one", async () => {
    const cwd = await mkdtemp(join(tmpdir(), "unkey-start-"));
    try {
      const first = await start(["--port", "0", "--api-port", "0", "--data-dir", "data"], cwd);
      const key = parseBanner(first.stdout()).rootKey;
      expect(key).toMatch(/^unkey_/);
      const c1 = await connectClient(parseBanner(first.stdout()).mcpUrl, { "MCP-UNKEY-BEARER-AUTH": key! });
      const apiId = (structured(await call(c1, "create_api", { name: "kept" })).data as { apiId: string }).apiId;
      await c1.close();
      first.child.kill("SIGINT");
      expect(await first.exit).toBe(0);

      const second = await start(["--port", "0", "--api-port", "0", "--data-dir", "data"], cwd);
      const out = second.stdout();
      expect(out).not.toContain(key!);
      expect(out).toContain("local root-key create --data-dir data");
      const c2 = await connectClient(parseBanner(out).mcpUrl, { "MCP-UNKEY-BEARER-AUTH": key! });
      const got = await call(c2, "get_api", { apiId });
      expect((structured(got).data as { name: string }).name).toBe("kept");
      await c2.close();
      second.child.kill("SIGTERM");
      expect(await second.exit).toBe(0);
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });
});
