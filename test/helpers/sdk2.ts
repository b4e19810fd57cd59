/**
 * The SDK 2.x client (the 2026-07-28-capable one) connected to the built server over stdio or
 * streamable HTTP, in `auto` negotiation (probes server/discover) or pinned to the 2025 handshake.
 */
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { CLI_PATH } from "./local-api.js";

export type Negotiation = "auto" | "legacy";

export function newClient(mode: Negotiation): Client {
  return new Client({ name: "eras-e2e", version: "1.0.0" }, { versionNegotiation: { mode } });
}

/** An SDK 2.x client over streamable HTTP with these request headers. */
export async function connectHttp2(url: string, headers: Record<string, string>, mode: Negotiation, fetchImpl?: typeof fetch): Promise<Client> {
  const client = newClient(mode);
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers }, ...(fetchImpl ? { fetch: fetchImpl } : {}) }));
  return client;
}

/** An SDK 2.x client over stdio to `node dist/cli.js` with UNKEY_ROOT_KEY and UNKEY_API_URL. */
export async function connectStdio2(apiUrl: string, rootKey: string, mode: Negotiation): Promise<Client> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("UNKEY_")) env[k] = v;
  const client = newClient(mode);
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [CLI_PATH],
      env: { ...env, UNKEY_ROOT_KEY: rootKey, UNKEY_API_URL: apiUrl, UNKEY_MCP_LOG_LEVEL: "warn" },
    }),
  );
  return client;
}
