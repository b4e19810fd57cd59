/**
 * Query parameters of the MCP endpoints: only toolsets, tools and read_only (with its aliases)
 * exist; anything else is a 400 naming the valid ones, never silently ignored.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHttpStack, type HttpStack } from "./http-helpers.js";

let stack: HttpStack;
beforeAll(async () => {
  stack = await startHttpStack(["--stateless"]);
});
afterAll(async () => {
  await stack?.close();
});

const listTools = { jsonrpc: "2.0", id: 1, method: "tools/list", params: {} };

async function post(
  path: string,
  header: string,
): Promise<{
  status: number;
  body: { result?: { tools: { name: string }[] }; error?: { code: number; message: string; data?: { given?: string[]; valid?: string[] } } };
}> {
  const res = await fetch(`${stack.http.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", [header]: stack.rootKey },
    body: JSON.stringify(listTools),
  });
  return { status: res.status, body: (await res.json()) as never };
}

describe("query parameters", () => {
  it.each([
    ["/mcp/v2?read_onyl=true", "MCP-UNKEY-BEARER-AUTH", "read_onyl"],
    ["/mcp/v2/?toolset=keys", "MCP-UNKEY-BEARER-AUTH", "toolset"],
    ["/mcp/ratelimits/?readOnly=1", "MCP-UNKEY-V2-ROOT-KEY", "readOnly"],
  ])("%s is refused with a 400 naming the valid parameters", async (path, header, bad) => {
    const { status, body } = await post(path, header);
    expect(status).toBe(400);
    expect(body.error?.code).toBe(-32602);
    expect(body.error?.message).toContain(`"${bad}"`);
    expect(body.error?.message).toContain("toolsets, tools, read_only, readonly, read-only");
    expect(body.error?.data).toEqual({ given: [bad], valid: ["toolsets", "tools", "read_only", "readonly", "read-only"] });
  });

  it("the known parameters still narrow the list; an empty ?read_only switches read-only on", async () => {
    const all = await post("/mcp/v2", "MCP-UNKEY-BEARER-AUTH");
    const ro = await post("/mcp/v2?read_only", "MCP-UNKEY-BEARER-AUTH");
    expect(ro.status).toBe(200);
    const names = ro.body.result?.tools.map((t) => t.name) ?? [];
    expect(names.length).toBeGreaterThan(0);
    expect(names.length).toBeLessThan(all.body.result?.tools.length ?? 0);
    expect(names).not.toContain("create_key");
    const some = await post("/mcp/v2?toolsets=apis&read-only=false", "MCP-UNKEY-BEARER-AUTH");
    expect(some.body.result?.tools.map((t) => t.name)).toContain("create_api");
  });

  it("counts /mcp/v2/ (trailing slash) under the /mcp/v2 route in the metrics", async () => {
    await post("/mcp/v2/", "MCP-UNKEY-BEARER-AUTH");
    const metrics = await (await fetch(`${stack.http.url}/metrics`)).text();
    expect(metrics).not.toMatch(/route="other",method="POST",status="200"/);
    expect(metrics).toMatch(/route="\/mcp\/v2",method="POST",status="200"/);
  });
});
