/**
 * The direct paths for 2025-era requests: which ones may take them, and (for `--stateless`) the
 * pooled servers that answer them. Sessions answer on their own server (session-direct.ts).
 *
 * For a single read call or list, the SDK's 2025 transports spend most of their CPU on web
 * objects, a schema parse of the body and, without a session, building and connecting a server
 * per request. Only requests those transports would answer with exactly one message take a direct
 * path; the checks below are the transports' own (Accept, Content-Type, a supported
 * `MCP-Protocol-Version` if one is sent, a valid JSON-RPC request) plus conservative ones:
 * anything that could bring more than its answer (progress or any `_meta`), a tool that can ask
 * for confirmation (every non-read tool), a batch or a notification goes to the transport, which
 * answers it exactly as before.
 */
import type { IncomingHttpHeaders } from "node:http";
import {
  SUPPORTED_PROTOCOL_VERSIONS,
  isJSONRPCRequest,
  isJsonContentType,
  type JSONRPCMessage,
  type JSONRPCRequest,
  type MessageExtraInfo,
  type Server as McpServer,
} from "@modelcontextprotocol/server";
import type { ToolDefinition } from "../../tools/types.js";
import { DirectServerPool, LaneChannel, isPlainObject, type LaneBudget, type LaneTransport } from "./direct-pool.js";

/**
 * The request, when it is a single 2025-era `tools/call` of a read tool in `tools`, or a
 * `tools/list`, that a 2025 transport would answer with its answer alone; undefined otherwise.
 */
export function plainLegacyRequest(headers: IncomingHttpHeaders, body: unknown, tools: ReadonlyMap<string, ToolDefinition>): JSONRPCRequest | undefined {
  if (!isPlainObject(body)) return undefined;
  const method = body.method;
  if (method !== "tools/call" && method !== "tools/list") return undefined;
  const accept = headers.accept;
  if (typeof accept !== "string" || !accept.includes("application/json") || !accept.includes("text/event-stream")) return undefined;
  if (!isJsonContentType(headers["content-type"])) return undefined;
  const version = headers["mcp-protocol-version"];
  if (version !== undefined && (typeof version !== "string" || !SUPPORTED_PROTOCOL_VERSIONS.includes(version))) return undefined;
  const params = body.params;
  if (params !== undefined && !isPlainObject(params)) return undefined;
  // No `_meta` at all: progress tokens and the like make a transport send more than the answer.
  if (params && "_meta" in params) return undefined;
  if (method === "tools/call") {
    if (!params || Object.keys(params).some((k) => k !== "name" && k !== "arguments")) return undefined;
    const name = params.name;
    if (typeof name !== "string" || tools.get(name)?.safety !== "read") return undefined;
    if (params.arguments !== undefined && !isPlainObject(params.arguments)) return undefined;
  } else if (params && Object.keys(params).length > 0) {
    return undefined;
  }
  return isJSONRPCRequest(body) ? body : undefined;
}

/** A plain transport (so the server serves the 2025 era, as on a fresh stateless server) for one lane. */
class LegacyLaneTransport implements LaneTransport {
  onmessage?: LaneTransport["onmessage"];
  onclose?: () => void;
  onerror?: (error: Error) => void;
  private readonly lane = new LaneChannel();

  async start(): Promise<void> {}

  dispatch(message: JSONRPCRequest, extra: MessageExtraInfo): Promise<JSONRPCMessage | undefined> {
    return this.lane.dispatch(message, (m) => this.onmessage?.(m, extra));
  }

  async send(message: JSONRPCMessage): Promise<void> {
    this.lane.settle(message);
  }

  async close(): Promise<void> {
    if (this.lane.end()) this.onclose?.();
  }
}

/** A 2025 `--stateless` request the direct path serves. */
export interface DirectStatelessRequest {
  message: JSONRPCRequest;
}

/** Servers for the direct 2025 `--stateless` path over one tool list (see {@link DirectServerPool}). */
export function statelessDirectPool(create: () => McpServer, budget: LaneBudget): DirectServerPool<DirectStatelessRequest> {
  return new DirectServerPool(
    async () => {
      const server = create();
      const transport = new LegacyLaneTransport();
      await server.connect(transport);
      return { server, transport };
    },
    () => ({}),
    budget,
  );
}
