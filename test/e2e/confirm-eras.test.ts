/**
 * Confirmation through the SDK 2.x client on both protocol eras, over stdio and streamable HTTP,
 * against the built server and the local API. On 2026-07-28 the question is an `input_required`
 * form whose requestState is the signed token, answered by the client's elicitation handler and
 * retried; in a 2025 session it is `elicitation/create`. Accept acts; decline, a wrong typed
 * name and an accept that does not carry the form's answer change nothing; a client without
 * elicitation gets the token result.
 */
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_PATH, startLocalApi, type InProcessLocalApi } from "../helpers/local-api.js";
import { spawnHttpServer, type SpawnedHttpServer } from "../helpers/mcp-http.js";
import { rememberSecret } from "../helpers/mcp-stdio.js";
import type { OperationId, ResponseData } from "../../src/local/handlers/types.js";

type Answer = { action: "accept" | "decline" | "cancel"; content?: Record<string, string | boolean> };
type Mode = "auto" | "legacy";

let api: InProcessLocalApi;
let http: SpawnedHttpServer;
const clients: Client[] = [];
let answer: () => Answer = () => ({ action: "accept", content: { confirm: true } });
const asked: string[] = [];

async function raw<Op extends OperationId>(op: Op, body: unknown): Promise<{ status: number; data: ResponseData<Op> }> {
  const res = await fetch(`${api.url}/v2/${op}`, {
    method: "POST",
    headers: { authorization: `Bearer ${api.rootKey}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, data: ((await res.json()) as { data: ResponseData<Op> }).data };
}

function newClient(mode: Mode, elicit: boolean): Client {
  const c = new Client(
    { name: "confirm-eras", version: "1.0.0" },
    { versionNegotiation: { mode }, ...(elicit ? { capabilities: { elicitation: { form: {} } } } : {}) },
  );
  if (elicit) {
    c.setRequestHandler("elicitation/create", async (request) => {
      asked.push(request.params.message);
      return answer();
    });
  }
  clients.push(c);
  return c;
}

async function connect(transport: "stdio" | "http", mode: Mode, elicit = true): Promise<Client> {
  const c = newClient(mode, elicit);
  if (transport === "http") {
    await c.connect(new StreamableHTTPClientTransport(new URL(`${http.url}/mcp/v2`), { requestInit: { headers: { "MCP-UNKEY-BEARER-AUTH": api.rootKey } } }));
  } else {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("UNKEY_")) env[k] = v;
    await c.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [CLI_PATH, "--confirm-wait", "5"],
        env: { ...env, UNKEY_ROOT_KEY: api.rootKey, UNKEY_API_URL: api.url, UNKEY_MCP_LOG_LEVEL: "warn" },
      }),
    );
  }
  return c;
}

async function newKey(): Promise<string> {
  const { apiId } = (await raw("apis.createApi", { name: `eras-${Math.random().toString(36).slice(2, 8)}` })).data;
  const created = (await raw("keys.createKey", { apiId, name: "eras" })).data;
  rememberSecret(created.key);
  return created.keyId;
}

interface ToolResult {
  isError?: boolean;
  content: Array<{ type: string; text?: string }>;
  structuredContent?: Record<string, unknown>;
}
const textOf = (r: ToolResult): string => r.content.map((c) => c.text ?? "").join("\n");

beforeAll(async () => {
  api = await startLocalApi();
  http = await spawnHttpServer(api.url, ["--confirm-wait", "5"]);
});
afterAll(async () => {
  for (const c of clients) await c.close().catch(() => undefined);
  await http?.close();
  await api?.close();
});

describe.each([
  ["stdio", "auto"],
  ["http", "auto"],
  ["stdio", "legacy"],
  ["http", "legacy"],
] as const)("SDK 2.x client over %s, negotiation %s", (transport, mode) => {
  let c: Client;
  beforeAll(async () => {
    c = await connect(transport, mode);
    if (mode === "auto") expect(c.getNegotiatedProtocolVersion()).toBe("2026-07-28");
    else expect(c.getNegotiatedProtocolVersion()).toMatch(/^2025-/);
  });

  it("accept acts", async () => {
    answer = () => ({ action: "accept", content: { confirm: true } });
    asked.length = 0;
    const keyId = await newKey();
    const r = (await c.callTool({ name: "delete_key", arguments: { keyId } })) as ToolResult;
    expect(r.isError, textOf(r)).toBeFalsy();
    expect(asked).toHaveLength(1);
    expect(asked[0]).toContain(`Deletes key ${keyId}`);
    expect((await raw("keys.getKey", { keyId })).status).toBe(404);
  });

  it("decline changes nothing", async () => {
    answer = () => ({ action: "decline" });
    const keyId = await newKey();
    const r = (await c.callTool({ name: "delete_key", arguments: { keyId } })) as ToolResult;
    expect(r.isError).toBe(true);
    expect(textOf(r)).toContain("the person declined");
    expect((await raw("keys.getKey", { keyId })).status).toBe(200);
  });

  it.each([
    ["no content", { action: "accept" }],
    ["a confirm that is not a boolean", { action: "accept", content: { confirm: "yes" } }],
  ] as const)("an accept with %s confirms nothing: the token result; nothing changes", async (_label, given) => {
    answer = () => given as Answer;
    const keyId = await newKey();
    const r = (await c.callTool({ name: "delete_key", arguments: { keyId } })) as ToolResult;
    expect(r.isError, textOf(r)).toBeFalsy();
    expect((r.structuredContent as { confirmation?: { token?: string } }).confirmation?.token).toMatch(/^uc1\./);
    expect((await raw("keys.getKey", { keyId })).status).toBe(200);
  });

  it("delete_api: a wrong typed name changes nothing; the right one deletes", async () => {
    const name = `eras-typed-${Math.random().toString(36).slice(2, 8)}`;
    const { apiId } = (await raw("apis.createApi", { name })).data;
    answer = () => ({ action: "accept" });
    const blank = (await c.callTool({ name: "delete_api", arguments: { apiId } })) as ToolResult;
    expect((blank.structuredContent as { confirmation?: { token?: string } }).confirmation?.token, textOf(blank)).toMatch(/^uc1\./);
    expect((await raw("apis.getApi", { apiId })).status).toBe(200);
    answer = () => ({ action: "accept", content: { name: "wrong" } });
    const wrong = (await c.callTool({ name: "delete_api", arguments: { apiId } })) as ToolResult;
    expect(textOf(wrong)).toContain("the typed name did not match");
    expect((await raw("apis.getApi", { apiId })).status).toBe(200);
    answer = () => ({ action: "accept", content: { name } });
    const right = (await c.callTool({ name: "delete_api", arguments: { apiId } })) as ToolResult;
    expect(right.isError, textOf(right)).toBeFalsy();
    expect((await raw("apis.getApi", { apiId })).status).toBe(404);
  });
});

describe("a 2026-07-28 client without elicitation", () => {
  it("gets the token result, and the token acts", async () => {
    const c = await connect("http", "auto", false);
    const keyId = await newKey();
    const first = (await c.callTool({ name: "delete_key", arguments: { keyId } })) as ToolResult;
    const token = (first.structuredContent as { confirmation: { token: string } }).confirmation.token;
    expect((await raw("keys.getKey", { keyId })).status).toBe(200);
    const done = (await c.callTool({ name: "delete_key", arguments: { keyId, confirm: token } })) as ToolResult;
    expect(done.isError, textOf(done)).toBeFalsy();
    expect((await raw("keys.getKey", { keyId })).status).toBe(404);
  });
});
