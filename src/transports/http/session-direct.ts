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
 * Which requests take it: legacy-direct.ts (`plainLegacyRequest`) decides, for sessions and
 * `--stateless` alike; an id already in flight on the direct path also goes to the transport.
 * test/e2e/http-legacy-direct.test.ts proves both answer alike.
 */
import { WebStandardStreamableHTTPServerTransport, type AuthInfo, type JSONRPCMessage, type JSONRPCRequest } from "@modelcontextprotocol/server";
import { isAnswer } from "./direct-pool.js";

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
    if (this.direct.size === 0) return super.send(message, options);
    const answer = isAnswer(message);
    const id = answer ? message.id : options?.relatedRequestId;
    const waiter = id === undefined ? undefined : this.direct.get(id);
    if (!waiter) return super.send(message, options);
    // Only answers reach a direct caller: the requests taken here send nothing else.
    if (!answer) return;
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
