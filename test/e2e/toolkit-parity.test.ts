/**
 * The toolkit and the MCP server are one catalog and one executor: with the same selection they
 * offer the same tools, and a call through either gives the same result. The server is the built
 * CLI over stdio with the SDK client; both act on one local API.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, startStdioServer, type StdioServer } from "../helpers/mcp-stdio.js";
import { startToolkitHarness, type ToolkitHarness } from "../helpers/toolkit.js";

let h: ToolkitHarness;
const servers: StdioServer[] = [];

beforeAll(async () => {
  h = await startToolkitHarness();
});
afterAll(async () => {
  for (const s of servers) await s.close();
  h.expectNoSecretsLogged();
  await h.close();
});

async function serverTools(args: string[]): Promise<{ server: StdioServer; names: string[] }> {
  const server = await startStdioServer({ rootKey: h.api.rootKey, apiUrl: h.url, args });
  servers.push(server);
  const { tools } = await server.client.listTools();
  return { server, names: tools.map((t) => t.name) };
}

describe("toolkit and MCP server parity", () => {
  it("readOnly offers exactly the tools the server offers with --read-only, and both refuse the others", async () => {
    const { server, names } = await serverTools(["--read-only"]);
    const toolkit = await h.toolkit({ readOnly: true });
    expect(toolkit.tools.map((t) => t.name)).toEqual(names);
    expect(names).not.toContain("delete_key");
    expect(names).not.toContain("verify_key");

    const before = h.requests.length;
    const refused = await toolkit.call("delete_key", { keyId: "key_123456" });
    expect(refused.isError).toBe(true);
    expect(refused.text).toContain('Unknown tool "delete_key"; nothing was sent to Unkey');
    await expect(server.client.callTool({ name: "delete_key", arguments: { keyId: "key_123456" } })).rejects.toThrow(/Unknown tool/);
    expect(h.requests.length).toBe(before);
  });

  it("readOnly with allowConsume matches --read-only --allow-consume", async () => {
    const { names } = await serverTools(["--read-only", "--allow-consume"]);
    const toolkit = await h.toolkit({ readOnly: true, allowConsume: true });
    expect(toolkit.tools.map((t) => t.name)).toEqual(names);
    expect(names).toContain("verify_key");
  });

  it("profile and toolsets select what the server's flags select", async () => {
    const { names } = await serverTools(["--profile", "ratelimits"]);
    expect((await h.toolkit({ profile: "ratelimits" })).tools.map((t) => t.name)).toEqual(names);
    const narrowed = await serverTools(["--toolsets", "apis", "--tools", "get_key"]);
    expect((await h.toolkit({ toolsets: ["apis"], tools: ["get_key"] })).tools.map((t) => t.name)).toEqual(narrowed.names);
  });

  it("the same call gives the same result text through either (errors included)", async () => {
    const { server } = await serverTools([]);
    const toolkit = await h.toolkit();
    const viaServer = await call(server.client, "get_api", { apiId: "api_doesnotexist1" });
    const viaToolkit = await toolkit.call("get_api", { apiId: "api_doesnotexist1" });
    expect(viaToolkit.isError).toBe(true);
    const withoutRequestId = (t: string): string => t.replace(/req_\w+/g, "req_…");
    expect(withoutRequestId(viaToolkit.text).replace("the rootKey option of createUnkeyToolkit", "the UNKEY_ROOT_KEY environment variable")).toBe(
      withoutRequestId(viaServer.text),
    );

    const invalidServer = await call(server.client, "create_key", { apiId: 42 });
    const invalidToolkit = await toolkit.call("create_key", { apiId: 42 });
    expect(invalidToolkit.text).toBe(invalidServer.text);
  });
});
