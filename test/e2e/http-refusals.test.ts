/**
 * Every refusal the README lists, on both protocol eras: a 2025-era request (no envelope) and a
 * 2026-07-28 request (the `_meta` envelope and its headers) are refused alike, with the same
 * status and a JSON-RPC error saying what to fix. Also the malformed inputs of issue 12: empty
 * narrowing values and tools/call params of the wrong type.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { INIT_BODY, rawPost, startHttpStack, type HttpStack } from "./http-helpers.js";

const V2 = "/mcp/v2";
const MODERN = "2026-07-28";
const KEY_HEADER = "MCP-UNKEY-BEARER-AUTH";

type Era = "2025" | "2026";

/** A request body in the given era: the 2025 one without an envelope, the 2026 one with it. */
function body(era: Era, id: number, method: string, params: Record<string, unknown> = {}): string {
  if (era === "2025") return JSON.stringify({ jsonrpc: "2.0", id, method, params });
  const meta = {
    "io.modelcontextprotocol/protocolVersion": MODERN,
    "io.modelcontextprotocol/clientInfo": { name: "refusals", version: "1" },
    "io.modelcontextprotocol/clientCapabilities": {},
  };
  return JSON.stringify({ jsonrpc: "2.0", id, method, params: { ...params, _meta: meta } });
}

function eraHeaders(era: Era, method: string, name?: string): Record<string, string> {
  if (era === "2025") return {};
  return { "mcp-protocol-version": MODERN, "mcp-method": method, ...(name ? { "mcp-name": name } : {}) };
}

/** The JSON-RPC error of an answer (JSON body or one SSE event). */
function errorOf(text: string): { code: number; message: string } | undefined {
  const line = text.split("\n").find((l) => l.startsWith("data:"));
  return (JSON.parse(line ? line.slice(5) : text) as { error?: { code: number; message: string } }).error;
}

describe.each(["2025", "2026"] as Era[])("refusals, era %s", (era) => {
  let stack: HttpStack;
  let url: string;
  // The request that would be served: a tools/list (2026) or an initialize (2025).
  let served: { body: string; headers: Record<string, string> };
  beforeAll(async () => {
    stack = await startHttpStack(["--body-limit", "2048"]);
    url = `${stack.http.url}${V2}`;
    served = era === "2025" ? { body: INIT_BODY, headers: {} } : { body: body(era, 1, "tools/list"), headers: eraHeaders(era, "tools/list") };
  });
  afterAll(async () => stack?.close());

  it("control: the same request with a key is served", async () => {
    const res = await rawPost(url, served.body, { [KEY_HEADER]: stack.rootKey, ...served.headers });
    expect(res.status).toBe(200);
  });

  it("missing key: 403 naming the header", async () => {
    const res = await rawPost(url, served.body, served.headers);
    expect(res.status).toBe(403);
    expect(res.json?.error?.message).toContain(KEY_HEADER);
  });

  it("forged Host: 403", async () => {
    const res = await fetch(url, {
      method: "POST",
      headers: {
        host: "evil.example",
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        [KEY_HEADER]: stack.rootKey,
        ...served.headers,
      },
      body: served.body,
    }).catch((err: Error) => err);
    // fetch may not let a test forge Host; fall back to node:http for that header.
    if (res instanceof Error || res.status !== 403) {
      const { request } = await import("node:http");
      const status = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const u = new URL(url);
        const req = request(
          {
            host: u.hostname,
            port: u.port,
            path: u.pathname,
            method: "POST",
            headers: {
              host: "evil.example",
              "content-type": "application/json",
              accept: "application/json, text/event-stream",
              [KEY_HEADER]: stack.rootKey,
              ...served.headers,
            },
          },
          (r) => {
            let t = "";
            r.on("data", (c: Buffer) => (t += c.toString()));
            r.on("end", () => resolve({ status: r.statusCode ?? 0, text: t }));
          },
        );
        req.on("error", reject);
        req.end(served.body);
      });
      expect(status.status).toBe(403);
      expect(status.text).toContain("Invalid Host header");
      return;
    }
    expect(res.status).toBe(403);
  });

  it("bad Origin: 403", async () => {
    const res = await rawPost(url, served.body, { [KEY_HEADER]: stack.rootKey, origin: "https://evil.example", ...served.headers });
    expect(res.status).toBe(403);
    expect(res.json?.error?.message).toContain("Invalid Origin header");
  });

  it("oversize body: 413 naming the limit", async () => {
    const big =
      era === "2025"
        ? JSON.stringify({
            jsonrpc: "2.0",
            id: 1,
            method: "initialize",
            params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "x".repeat(4000), version: "1" } },
          })
        : body(era, 1, "tools/list", { padding: "x".repeat(4000) });
    const res = await rawPost(url, big, { [KEY_HEADER]: stack.rootKey, ...served.headers });
    expect(res.status).toBe(413);
    expect(res.json?.error?.message).toContain("2048 bytes");
  });

  it("malformed JSON: 400 with -32700", async () => {
    const res = await rawPost(url, "{not json", { [KEY_HEADER]: stack.rootKey, ...served.headers });
    expect(res.status).toBe(400);
    expect(res.json?.error?.code).toBe(-32700);
  });

  it("empty narrowing values (?tools=, X-MCP-Tools: , ,): 400 like an unknown name", async () => {
    for (const [path, headers] of [
      [`${url}?tools=`, {}],
      [url, { "X-MCP-Tools": " , ," }],
      [url, { "X-MCP-Toolsets": "" }],
    ] as Array<[string, Record<string, string>]>) {
      const res = await rawPost(path, served.body, { [KEY_HEADER]: stack.rootKey, ...served.headers, ...headers });
      expect(res.status, `${path} ${JSON.stringify(headers)}`).toBe(400);
      expect(res.json?.error?.code).toBe(-32602);
      expect(res.json?.error?.message).toMatch(/names no entry/);
    }
  });

  it("tools/call with a non-string name or non-object arguments: -32602 with a clear message", async () => {
    const headers: Record<string, string> = { [KEY_HEADER]: stack.rootKey };
    let sessionId: string | undefined;
    if (era === "2025") {
      const init = await rawPost(url, INIT_BODY, headers);
      sessionId = init.headers.get("mcp-session-id") ?? undefined;
      headers["mcp-session-id"] = sessionId!;
      headers["mcp-protocol-version"] = "2025-06-18";
    }
    const cases: Array<{ params: Record<string, unknown>; name?: string; expected: RegExp }> = [
      { params: { name: 42, arguments: {} }, expected: /params\.name.*string/ },
      { params: { name: "list_permissions", arguments: "all" }, name: "list_permissions", expected: /params\.arguments.*object/ },
      { params: { name: "list_permissions", arguments: [1, 2] }, name: "list_permissions", expected: /params\.arguments.*object/ },
    ];
    for (const [i, c] of cases.entries()) {
      const res = await rawPost(url, body(era, 10 + i, "tools/call", c.params), { ...headers, ...eraHeaders(era, "tools/call", c.name) });
      const error = errorOf(res.text);
      expect(error?.code, res.text).toBe(-32602);
      expect(error?.message).toMatch(c.expected);
      expect(error?.message.length).toBeLessThan(300);
    }
  });

  if (era === "2025") {
    it("unknown session: 404", async () => {
      const res = await rawPost(url, body(era, 1, "tools/list"), {
        [KEY_HEADER]: stack.rootKey,
        "mcp-session-id": "no-such-session",
        "mcp-protocol-version": "2025-06-18",
      });
      expect(res.status).toBe(404);
      expect(res.json?.error?.message).toMatch(/Session not found/);
    });
    it("unsupported MCP-Protocol-Version on a session: 400 naming the supported versions", async () => {
      const init = await rawPost(url, INIT_BODY, { [KEY_HEADER]: stack.rootKey });
      const id = init.headers.get("mcp-session-id")!;
      const res = await rawPost(url, body(era, 2, "tools/list"), { [KEY_HEADER]: stack.rootKey, "mcp-session-id": id, "mcp-protocol-version": "1999-01-01" });
      expect(res.status).toBe(400);
      expect(res.text).toMatch(/2025-06-18/);
    });
  } else {
    it("a session id on a 2026-07-28 request is not needed and not honoured: the request stands alone", async () => {
      const res = await rawPost(url, served.body, { [KEY_HEADER]: stack.rootKey, "mcp-session-id": "no-such-session", ...served.headers });
      expect(res.status).toBe(200);
    });
    it("Mcp-Method disagreeing with the body: -32020", async () => {
      const res = await rawPost(url, served.body, { [KEY_HEADER]: stack.rootKey, ...eraHeaders(era, "prompts/list") });
      expect(errorOf(res.text)?.code).toBe(-32020);
    });
    it("an unsupported version: -32022 naming 2026-07-28", async () => {
      const res = await rawPost(url, served.body.replace(MODERN, "2030-01-01"), {
        [KEY_HEADER]: stack.rootKey,
        ...served.headers,
        "mcp-protocol-version": "2030-01-01",
      });
      const error = errorOf(res.text);
      expect(error?.code).toBe(-32022);
      expect(res.text).toContain(MODERN);
    });
  }
});
