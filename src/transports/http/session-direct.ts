/**
 * The direct path for the commonest 2025-session traffic: one `tools/call` of a read tool, or
 * one `tools/list`, posted on an open session as a single JSON-RPC request.
 *
 * The SDK's session transport (`WebStandardStreamableHTTPServerTransport`) serves every POST
 * through a web `Request`, a schema parse of the body, a `ReadableStream` per request and the
 * web `Response` written back to Node: most of the CPU a session call cost, about twice that of
 * a 2026-07-28 call. Here the message goes to the session's own server (the same instance, the
 * same handlers, the same negotiated version) through the transport's own `onmessage`, and the
 * answer comes back as the one SSE event the transport would have streamed, in one write.
 *
 * Which requests take it: the checks the transport itself makes (Accept, Content-Type, a
 * supported `MCP-Protocol-Version`, a valid JSON-RPC request), plus conservative ones: anything
 * that could stream more than its answer (progress, any `_meta`), a tool that can ask for
 * confirmation (every non-read tool), a batch, a notification or an id already in flight goes
 * to the transport, which answers it exactly as before. test/e2e/http-session-direct.test.ts
 * proves both answer alike.
 */
import type { IncomingHttpHeaders } from "node:http";
import {
  SUPPORTED_PROTOCOL_VERSIONS,
  WebStandardStreamableHTTPServerTransport,
  isJSONRPCErrorResponse,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  isJsonContentType,
  type AuthInfo,
  type JSONRPCMessage,
  type JSONRPCRequest,
} from "@modelcontextprotocol/server";
import type { ToolDefinition } from "../../tools/types.js";

type RequestId = JSONRPCRequest["id"];
type SendOptions = Parameters<WebStandardStreamableHTTPServerTransport["send"]>[1];

/**
 * The session transport: the SDK's, plus a way in for direct requests whose answers come back
 * to the caller instead of to a stream of the transport's.
 */
export class SessionTransport extends WebStandardStreamableHTTPServerTransport {
  private readonly direct = new Map<RequestId, (answer: JSONRPCMessage) => void>();

  /** Whether a direct request with this id can be taken (none with the same id is in flight). */
  canDeliver(id: RequestId): boolean {
    return !this.direct.has(id) && this.onmessage !== undefined;
  }

  /**
   * Hands the request to the session's server and resolves with its answer, or undefined when
   * `onAbort`'s stop was called first (the client went away; the answer is then dropped, as the
   * transport drops an answer whose stream is gone).
   */
  deliver(message: JSONRPCRequest, authInfo: AuthInfo, onAbort: (stop: () => void) => void): Promise<JSONRPCMessage | undefined> {
    return new Promise((resolve) => {
      this.direct.set(message.id, resolve);
      onAbort(() => {
        if (this.direct.get(message.id) !== resolve) return;
        this.direct.delete(message.id);
        resolve(undefined);
      });
      this.onmessage?.(message, { authInfo });
    });
  }

  override async send(message: JSONRPCMessage, options?: SendOptions): Promise<void> {
    const isAnswer = isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message);
    const id = isAnswer ? message.id : options?.relatedRequestId;
    const waiter = id === undefined ? undefined : this.direct.get(id);
    if (!waiter) return super.send(message, options);
    // Only answers reach a direct caller: the requests taken here send nothing else.
    if (!isAnswer) return;
    this.direct.delete(id!);
    waiter(message);
  }
}

/** The headers the session transport answers a POST with, when its answer is an SSE stream. */
export function sessionStreamHeaders(sessionId: string): Record<string, string> {
  return {
    "content-type": "text/event-stream",
    "cache-control": "no-cache, no-transform",
    connection: "keep-alive",
    "x-accel-buffering": "no",
    "mcp-session-id": sessionId,
  };
}

/** One SSE event carrying a message, framed as the session transport frames it (no event store). */
export function sseEvent(message: JSONRPCMessage): string {
  return `event: message\ndata: ${JSON.stringify(message)}\n\n`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * The request, when it is a single `tools/call` of a read tool of the session, or `tools/list`,
 * that the session transport would answer with one SSE event; undefined sends it to the transport.
 */
export function directSessionRequest(headers: IncomingHttpHeaders, body: unknown, tools: ReadonlyMap<string, ToolDefinition>): JSONRPCRequest | undefined {
  if (!isPlainObject(body)) return undefined;
  const method = body.method;
  if (method !== "tools/call" && method !== "tools/list") return undefined;
  const accept = headers.accept;
  if (typeof accept !== "string" || !accept.includes("application/json") || !accept.includes("text/event-stream")) return undefined;
  if (!isJsonContentType(headers["content-type"])) return undefined;
  const version = headers["mcp-protocol-version"];
  if (typeof version !== "string" || !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) return undefined;
  const params = body.params;
  if (params !== undefined && !isPlainObject(params)) return undefined;
  // No `_meta` at all: progress tokens and the like make the transport stream more than the answer.
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
