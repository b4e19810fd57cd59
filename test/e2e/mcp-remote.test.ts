/**
 * Through the real mcp-remote 0.15.1 bridge, launched exactly as the documented Claude Desktop /
 * Cursor / Windsurf configs launch it: `mcp-remote <url> --header NAME:${UNKEY_ROOT_KEY}` with the
 * key in the environment.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ElicitRequestSchema, type CallToolResult, type ElicitResult } from "@modelcontextprotocol/sdk/types.js";
import { startHttpStack, structured, text, type HttpStack } from "./http-helpers.js";
import { profileSize } from "../helpers/catalog.js";

const require = createRequire(import.meta.url);
const MCP_REMOTE = join(require.resolve("mcp-remote/package.json"), "..", "dist", "proxy.js");

async function viaMcpRemote(
  url: string,
  header: string,
  env: Record<string, string>,
  configDir: string,
  protocol?: "legacy" | "auto",
  /** Makes the client declare form elicitation and answer every question with this. */
  answer?: () => ElicitResult,
): Promise<{ client: Client; stderr: () => string }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [MCP_REMOTE, url, "--header", `${header}:\${UNKEY_ROOT_KEY}`, ...(protocol ? ["--protocol", protocol] : [])],
    // StdioClientTransport passes only a few variables by default; the config's env block adds to them.
    env: { ...(process.env as Record<string, string>), MCP_REMOTE_CONFIG_DIR: configDir, ...env },
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
  const client = new Client({ name: "claude-desktop-like", version: "1.0.0" }, answer ? { capabilities: { elicitation: {} } } : {});
  if (answer) client.setRequestHandler(ElicitRequestSchema, async () => answer());
  await client.connect(transport);
  return { client, stderr: () => stderr };
}

describe("mcp-remote bridge", () => {
  let stack: HttpStack;
  let configDir: string;
  beforeAll(async () => {
    stack = await startHttpStack();
    configDir = await mkdtemp(join(tmpdir(), "mcp-remote-"));
  });
  afterAll(async () => {
    await stack?.close();
    if (configDir) await rm(configDir, { recursive: true, force: true });
  });

  it("connects to /mcp/v2 with MCP-UNKEY-BEARER-AUTH:${UNKEY_ROOT_KEY}, lists 45 tools and calls them", async () => {
    const { client } = await viaMcpRemote(`${stack.http.url}/mcp/v2`, "MCP-UNKEY-BEARER-AUTH", { UNKEY_ROOT_KEY: stack.rootKey }, configDir);
    try {
      const { tools } = await client.listTools();
      expect(tools).toHaveLength(45);
      expect(tools.find((t) => t.name === "delete_api")?.annotations?.destructiveHint).toBe(true);
      const created = (await client.callTool({ name: "create_api", arguments: { name: "via-mcp-remote" } })) as CallToolResult;
      expect(created.isError, text(created)).toBeFalsy();
      const apiId = (structured(created).data as { apiId: string }).apiId;
      const got = (await client.callTool({ name: "get_api", arguments: { apiId } })) as CallToolResult;
      expect((structured(got).data as { name: string }).name).toBe("via-mcp-remote");
    } finally {
      await client.close();
    }
  });

  for (const protocol of ["legacy", "auto"] as const) {
    it(`--protocol ${protocol}: lists and calls on /mcp/v2 (${protocol === "auto" ? "2026-07-28, no session opened" : "a 2025 session"})`, async () => {
      const before = stack.http.sessionCount();
      const { client, stderr } = await viaMcpRemote(
        `${stack.http.url}/mcp/v2`,
        "MCP-UNKEY-BEARER-AUTH",
        { UNKEY_ROOT_KEY: stack.rootKey },
        configDir,
        protocol,
      );
      try {
        expect((await client.listTools()).tools).toHaveLength(profileSize("full"));
        const created = (await client.callTool({ name: "create_api", arguments: { name: `via-mcp-remote-${protocol}` } })) as CallToolResult;
        expect(created.isError, text(created)).toBeFalsy();
        const apiId = (structured(created).data as { apiId: string }).apiId;
        const got = (await client.callTool({ name: "get_api", arguments: { apiId } })) as CallToolResult;
        expect((structured(got).data as { name: string }).name).toBe(`via-mcp-remote-${protocol}`);
        // The 2026-07-28 era keeps no server memory; the 2025 bridge opens sessions.
        if (protocol === "auto") expect(stack.http.sessionCount(), stderr()).toBe(before);
        else expect(stack.http.sessionCount()).toBeGreaterThan(before);
      } finally {
        await client.close();
      }
    });
  }

  it("--protocol auto: a delete_api question (input_required) reaches the client as elicitation; decline keeps the API, the typed name deletes it", async () => {
    let reply: ElicitResult = { action: "decline" };
    const { client, stderr } = await viaMcpRemote(
      `${stack.http.url}/mcp/v2`,
      "MCP-UNKEY-BEARER-AUTH",
      { UNKEY_ROOT_KEY: stack.rootKey },
      configDir,
      "auto",
      () => reply,
    );
    const exists = async (apiId: string): Promise<number> =>
      (
        await fetch(`${stack.local.url}/v2/apis.getApi`, {
          method: "POST",
          headers: { authorization: `Bearer ${stack.rootKey}`, "content-type": "application/json" },
          body: JSON.stringify({ apiId }),
        })
      ).status;
    try {
      const name = `bridged-${Math.random().toString(36).slice(2, 8)}`;
      const created = (await client.callTool({ name: "create_api", arguments: { name } })) as CallToolResult;
      const apiId = (structured(created).data as { apiId: string }).apiId;

      const declined = (await client.callTool({ name: "delete_api", arguments: { apiId } })) as CallToolResult;
      expect(declined.isError, stderr()).toBe(true);
      expect(text(declined)).toContain("Nothing was changed");
      expect(await exists(apiId)).toBe(200);

      reply = { action: "accept", content: { name } };
      const deleted = (await client.callTool({ name: "delete_api", arguments: { apiId } })) as CallToolResult;
      expect(deleted.isError, text(deleted)).toBeFalsy();
      expect(await exists(apiId)).toBe(404);
    } finally {
      await client.close();
    }
  });

  it("connects to /mcp/ratelimits/ with MCP-UNKEY-V2-ROOT-KEY (key given as 'Bearer …') and sees only the 7 ratelimit tools", async () => {
    const { client } = await viaMcpRemote(
      `${stack.http.url}/mcp/ratelimits/`,
      "MCP-UNKEY-V2-ROOT-KEY",
      { UNKEY_ROOT_KEY: `Bearer ${stack.rootKey}` },
      configDir,
    );
    try {
      const { tools } = await client.listTools();
      expect(tools).toHaveLength(8);
      expect(tools.every((t) => t.name.includes("ratelimit"))).toBe(true);
      const res = (await client.callTool({
        name: "check_ratelimit",
        arguments: { namespace: "mcp-remote", identifier: "user-1", limit: 10, duration: 60_000 },
      })) as CallToolResult;
      expect(res.isError, text(res)).toBeFalsy();
      expect((structured(res).data as { remaining: number }).remaining).toBe(9);
    } finally {
      await client.close();
    }
  });

  it("fails fast with the server's message when UNKEY_ROOT_KEY is not set (no OAuth detour)", async () => {
    const env = { ...(process.env as Record<string, string>) };
    delete env.UNKEY_ROOT_KEY;
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [MCP_REMOTE, `${stack.http.url}/mcp/v2`, "--header", "MCP-UNKEY-BEARER-AUTH:${UNKEY_ROOT_KEY}"],
      env: { ...env, MCP_REMOTE_CONFIG_DIR: configDir },
      stderr: "pipe",
    });
    let stderr = "";
    transport.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
    const client = new Client({ name: "no-key", version: "1.0.0" });
    await expect(client.connect(transport)).rejects.toThrow();
    await client.close().catch(() => undefined);
    expect(stderr).toContain("unexpanded placeholder");
    // A 403 (not a 401) makes mcp-remote stop at once with our message instead of starting OAuth.
    expect(stderr).toMatch(/Fatal error: .*unexpanded placeholder/);
    expect(stderr).toContain("status: 403");
  });
});
