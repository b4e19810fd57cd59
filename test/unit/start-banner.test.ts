/**
 * The `start` banner: commands a person copies into a shell must survive zsh (an unquoted `*`
 * is a glob that aborts the command when nothing matches), and the client configs it prints (and
 * the README shows) are the shapes Claude Desktop, Cursor and Windsurf read.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { clientConfigs, renderBanner } from "../../src/commands/start.js";
import type { RunningHttpServer } from "../../src/transports/http/server.js";

const server = {
  url: "http://127.0.0.1:3000",
  host: "127.0.0.1",
  port: 3000,
  endpoints: [
    { name: "v2", path: "/mcp/v2", profile: "full", header: "MCP-UNKEY-BEARER-AUTH", url: "http://127.0.0.1:3000/mcp/v2", toolCount: 41 },
    {
      name: "ratelimits",
      path: "/mcp/ratelimits/",
      profile: "ratelimits",
      header: "MCP-UNKEY-V2-ROOT-KEY",
      url: "http://127.0.0.1:3000/mcp/ratelimits/",
      toolCount: 7,
    },
  ],
} as unknown as RunningHttpServer;

describe("renderBanner", () => {
  it("quotes permissions in the root-key command and names UNKEY_LOCAL_ROOT_KEY", () => {
    const text = renderBanner({ server, apiUrl: "http://127.0.0.1:8787", dataDir: "data", rootKeyCreated: false });
    expect(text).toContain("--permission 'api.*.read_key' --permission 'api.*.create_key'");
    expect(text).not.toMatch(/--permission api\./);
    expect(text).toContain("UNKEY_LOCAL_ROOT_KEY=");
  });
});

const KEY = "unkey_startConfigsTestKey123456";

/** The JSON block printed under the line that starts with `title`. */
function blockAfter(banner: string, title: string): unknown {
  const lines = banner.split("\n");
  const at = lines.findIndex((l) => l.startsWith(title));
  expect(at, `no "${title}" line in the banner`).toBeGreaterThanOrEqual(0);
  const end = lines.indexOf("", at + 1);
  return JSON.parse(lines.slice(at + 1, end).join("\n"));
}

describe("start banner client configs", () => {
  const banner = renderBanner({ server, apiUrl: "http://127.0.0.1:8787", rootKey: KEY, rootKeyCreated: true });

  it("prints Cursor's config as JSON with url and the MCP-UNKEY-BEARER-AUTH header carrying the key", () => {
    expect(blockAfter(banner, "Cursor")).toEqual({
      mcpServers: { unkey: { url: "http://127.0.0.1:3000/mcp/v2", headers: { "MCP-UNKEY-BEARER-AUTH": KEY } } },
    });
  });

  it("prints Windsurf's config as JSON with serverUrl (not url) and the same header", () => {
    expect(blockAfter(banner, "Windsurf")).toEqual({
      mcpServers: { unkey: { serverUrl: "http://127.0.0.1:3000/mcp/v2", headers: { "MCP-UNKEY-BEARER-AUTH": KEY } } },
    });
  });

  it("keeps Claude Desktop's args free of spaces even when no key is known (the placeholder goes in env)", () => {
    const noKey = renderBanner({ server, apiUrl: "http://127.0.0.1:8787", dataDir: ".unkey-local", rootKeyCreated: false });
    const claude = blockAfter(noKey, "Claude Desktop") as { mcpServers: { unkey: { args: string[]; env: Record<string, string> } } };
    const args = claude.mcpServers.unkey.args;
    expect(args.length).toBeGreaterThan(0);
    for (const a of args) expect(a, `argument "${a}"`).not.toMatch(/\s/);
    expect(claude.mcpServers.unkey.env.UNKEY_ROOT_KEY).toBe("<your root key>");
  });

  it("matches the Cursor and Windsurf examples in the README", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8").split("\n");
    const example = (comment: string): unknown => JSON.parse(readme[readme.findIndex((l) => l.startsWith(`// ${comment}`)) + 1]);
    const configs = clientConfigs({
      mcpUrl: "http://127.0.0.1:3000/mcp/v2",
      ratelimitsUrl: "http://127.0.0.1:3000/mcp/ratelimits/",
      header: "MCP-UNKEY-BEARER-AUTH",
      ratelimitsHeader: "MCP-UNKEY-V2-ROOT-KEY",
      rootKey: "unkey_…",
    });
    expect(example("Cursor")).toEqual(configs.cursor);
    expect(example("Windsurf")).toEqual(configs.windsurf);
  });
});
