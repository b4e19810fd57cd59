/**
 * The `start` banner: commands a person copies into a shell must survive zsh (an unquoted `*`
 * is a glob that aborts the command when nothing matches).
 */
import { describe, expect, it } from "vitest";
import { renderBanner } from "../../src/start.js";
import type { RunningHttpServer } from "../../src/transports/http.js";

const server = {
  url: "http://127.0.0.1:3000",
  host: "127.0.0.1",
  port: 3000,
  endpoints: [
    { name: "v2", path: "/mcp/v2", profile: "full", header: "MCP-UNKEY-BEARER-AUTH", url: "http://127.0.0.1:3000/mcp/v2", toolCount: 41 },
    { name: "ratelimits", path: "/mcp/ratelimits/", profile: "ratelimits", header: "MCP-UNKEY-V2-ROOT-KEY", url: "http://127.0.0.1:3000/mcp/ratelimits/", toolCount: 7 },
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
