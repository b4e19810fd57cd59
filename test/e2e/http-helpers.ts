/**
 * Shared set-up for the HTTP e2e tests: the local API and the HTTP MCP server in this process,
 * talking over real HTTP, plus an SDK client factory.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { parseConfig } from "../../src/config.js";
import { createLocalApi, type LocalApi } from "../../src/local/server.js";
import { createRootKey } from "../../src/local/root-keys.js";
import { createRuntime, type Runtime } from "../../src/runtime.js";
import { startHttpServer, type RunningHttpServer } from "../../src/transports/http/server.js";
import { createLogger, type Logger } from "../../src/util/log.js";
import { randomRootKey } from "../helpers/local-api.js";

export interface HttpStack {
  local: LocalApi;
  rootKey: string;
  http: RunningHttpServer;
  runtime: Runtime;
  logLines: string[];
  /** A least-privilege root key in the same workspace. */
  createRootKey(permissions: string[]): string;
  close(): Promise<void>;
}

export async function startHttpStack(flags: string[] = [], extra: { testMode?: boolean; now?: () => number } = {}): Promise<HttpStack> {
  const rootKey = randomRootKey();
  const local = await createLocalApi({ memory: true, rootKey, port: 0, validateResponses: true });
  const config = parseConfig("http", ["--port", "0", "--api-url", local.url, "--log-level", "debug", ...flags], {});
  const logLines: string[] = [];
  const logger: Logger = createLogger({ level: "debug", format: "json", sink: (l) => void logLines.push(l) });
  const runtime = await createRuntime(config, logger);
  let http: RunningHttpServer;
  try {
    http = await startHttpServer({
      config,
      logger,
      runtime,
      insecureTestRootKey: extra.testMode ? rootKey : undefined,
      now: extra.now,
    });
  } catch (err) {
    await runtime.close();
    await local.close();
    throw err;
  }
  return {
    local,
    rootKey,
    http,
    runtime,
    logLines,
    createRootKey: (permissions) => createRootKey(local.store, { permissions, now: Date.now() }).key,
    async close() {
      await http.close();
      await runtime.close();
      await local.close();
    },
  };
}

export async function connectClient(url: string, headers: Record<string, string>, opts: { fetch?: typeof fetch; name?: string } = {}): Promise<Client> {
  const client = new Client({ name: opts.name ?? "http-e2e", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers }, ...(opts.fetch ? { fetch: opts.fetch } : {}) });
  await client.connect(transport);
  return client;
}

export async function call(client: Client, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

export function structured(result: CallToolResult): Record<string, unknown> {
  return (result.structuredContent ?? {}) as Record<string, unknown>;
}

export function text(result: CallToolResult): string {
  return result.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");
}

/** The parts of a JSON-RPC answer the raw-POST tests read. */
type RawRpcBody = { error?: { code: number; message: string; data?: unknown } };

/** A raw JSON-RPC POST, as a client without the SDK would send it. */
export async function rawPost(
  url: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; text: string; json?: RawRpcBody }> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
    body,
  });
  const t = await res.text();
  let json: RawRpcBody | undefined;
  try {
    json = JSON.parse(t);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text: t, json };
}

export const INIT_BODY = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
});
