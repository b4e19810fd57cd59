/**
 * The stateless hot path: one JSON-RPC request in, one JSON answer out, without the SDK's
 * Streamable HTTP transport.
 *
 * The SDK transport converts every Node request into a web `Request` and its answer back from a
 * web `Response` (through @hono/node-server), and a stateless server must be connected to a new
 * transport and closed again for each request. For a `tools/call` that was most of the CPU the
 * HTTP server spent per call. Here a pooled server stays connected to a {@link DirectTransport}
 * of its own; a request hands the parsed message to it and gets the server's answer back.
 *
 * Only requests the SDK transport would answer with a plain 200 JSON body take this path: the
 * checks below are the SDK's own (same functions, same order of concern), and anything that
 * fails one of them — or is a batch, a notification, an initialize, or asks for progress — goes
 * to the SDK transport, which answers it exactly as before.
 *
 * `createHotPathListener` is the Node request listener in front of express that picks these
 * requests out; the endpoint's `handleFast` (http-endpoint.ts) answers them.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import { isJsonContentType } from "@modelcontextprotocol/sdk/shared/mediaType.js";
import type { Transport, TransportSendOptions } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  JSONRPCMessageSchema,
  SUPPORTED_PROTOCOL_VERSIONS,
  isJSONRPCRequest,
  type JSONRPCMessage,
  type JSONRPCRequest,
  type MessageExtraInfo,
} from "@modelcontextprotocol/sdk/types.js";
import type { ToolDefinition } from "../tools/types.js";
import type { Logger } from "../util/log.js";
import { hostAndOriginAllowed, type HostAllowList, type OriginPolicy } from "./http-guards.js";
import type { HttpMetrics } from "./http-metrics.js";

/**
 * Methods that leave no per-client state on a server (an initialize records client capabilities,
 * logging/setLevel a level): only these take the hot path, and only these reuse pooled servers.
 */
export const STATELESS_SAFE_METHODS: ReadonlySet<string> = new Set(["tools/call", "tools/list", "prompts/list", "prompts/get", "ping"]);

export const HANDED_OVER_ERROR = Symbol("unkey-mcp.handedOverError");

/** A request on the hot path: body-parser's result, the request's key, a hand-over error. */
export type HotRequest = IncomingMessage & { body?: unknown; auth?: AuthInfo; [HANDED_OVER_ERROR]?: unknown };

/** What the hot path may serve a request with: the tools it may see and the key it acts with. */
export interface Admission {
  tools: ToolDefinition[];
  rootKey: string;
}

/** One endpoint path as the hot path sees it. */
export interface HotRoute {
  /** The route label of the request metrics. */
  route: string;
  admit(req: IncomingMessage): Admission | undefined;
  handleFast(req: HotRequest, res: ServerResponse, tools: ToolDefinition[], request: JSONRPCRequest): Promise<void>;
}

export interface HotPathOptions {
  /** Hot routes by exact request URL (no query string). */
  routes: ReadonlyMap<string, HotRoute>;
  allowedHosts: HostAllowList;
  originPolicy: OriginPolicy;
  /** The express route's body parser (same instance: same limit, same errors). */
  jsonBody: (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;
  /** The express app: serves everything the hot path does not. */
  fallback: (req: IncomingMessage, res: ServerResponse) => void;
  metrics: HttpMetrics;
  logger: Logger;
}

/**
 * The hot path: a stateless POST to an endpoint's exact path (no query string) whose headers
 * pass every check of the express route is served without express, whose per-request setup
 * (re-prototyping req/res, the router walk) cost more CPU than the MCP handling itself. The body
 * is read by the same body-parser instance. Anything else, and anything the admission cannot
 * vouch for, goes to express untouched, so every refusal keeps its exact status and wording.
 */
export function createHotPathListener(options: HotPathOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { routes, allowedHosts, originPolicy, jsonBody, fallback: app, metrics, logger } = options;
  return (req, res) => {
    const hot = req.method === "POST" ? routes.get(req.url ?? "") : undefined;
    const admitted = hot && hostAndOriginAllowed(allowedHosts, originPolicy, req.headers) ? hot.admit(req) : undefined;
    if (!hot || !admitted) {
      app(req, res);
      return;
    }
    let counted = true;
    const handOver = (err: unknown): void => {
      if (res.headersSent) {
        logger.error("unhandled error in HTTP request", { error: err instanceof Error ? err.message : String(err) });
        res.destroy();
        return;
      }
      counted = false; // express counts it from here on
      (req as HotRequest)[HANDED_OVER_ERROR] = err;
      app(req, res);
    };
    jsonBody(req, res, (err?: unknown) => {
      if (err) {
        handOver(err);
        return;
      }
      const hreq = req as HotRequest;
      const fast = fastPathRequest(req.headers, hreq.body, STATELESS_SAFE_METHODS);
      if (!fast) {
        // initialize, batches, notifications, progress: the express route (the body is already
        // read; body-parser leaves a finished request alone) and the SDK transport, as before.
        app(req, res);
        return;
      }
      hreq.auth = { token: admitted.rootKey, clientId: "unkey-mcp-http", scopes: [] };
      res.on("finish", () => {
        if (counted) metrics.requests.inc({ route: hot.route, method: "POST", status: String(res.statusCode) });
      });
      hot.handleFast(hreq, res, admitted.tools, fast).catch(handOver);
    });
  };
}

/**
 * The request's single JSON-RPC message when the SDK transport would treat it as an ordinary
 * JSON-answered request (stateless, `enableJsonResponse`); undefined sends it down the SDK path.
 */
export function fastPathRequest(headers: IncomingHttpHeaders, body: unknown, methods: ReadonlySet<string>): JSONRPCRequest | undefined {
  // Cheap shape checks first: most traffic that fails them is not worth a schema parse.
  if (body === null || typeof body !== "object" || Array.isArray(body)) return undefined;
  const method = (body as { method?: unknown }).method;
  if (typeof method !== "string" || !methods.has(method)) return undefined;
  const meta = (body as { params?: { _meta?: { progressToken?: unknown } } }).params?._meta;
  if (meta?.progressToken !== undefined) return undefined;
  // The SDK's header checks (406, 415, 400 on an unsupported protocol version).
  const accept = headers.accept;
  if (typeof accept !== "string" || !accept.includes("application/json") || !accept.includes("text/event-stream")) return undefined;
  if (!isJsonContentType(headers["content-type"])) return undefined;
  const version = headers["mcp-protocol-version"];
  if (version !== undefined && (typeof version !== "string" || !SUPPORTED_PROTOCOL_VERSIONS.includes(version))) return undefined;
  const parsed = JSONRPCMessageSchema.safeParse(body);
  if (!parsed.success || !isJSONRPCRequest(parsed.data)) return undefined;
  return parsed.data;
}

/**
 * A transport that carries one request at a time from the HTTP layer to a connected server and
 * its answer back. What the SDK's JSON mode drops (notifications and requests a handler sends
 * during a call; there is no stream to put them on) is dropped here too.
 */
export class DirectTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void;
  sessionId?: string = undefined;

  private pending: { id: JSONRPCRequest["id"]; resolve: (message: JSONRPCMessage | undefined) => void } | undefined;
  private closed = false;

  async start(): Promise<void> {
    // Nothing to open: requests arrive through dispatch().
  }

  /** Hands one request to the server; resolves with its answer, or undefined once closed. */
  dispatch(request: JSONRPCRequest, extra: MessageExtraInfo): Promise<JSONRPCMessage | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    if (this.pending) return Promise.reject(new Error("DirectTransport carries one request at a time"));
    return new Promise((resolve) => {
      this.pending = { id: request.id, resolve };
      this.onmessage?.(request, extra);
    });
  }

  async send(message: JSONRPCMessage, _options?: TransportSendOptions): Promise<void> {
    const p = this.pending;
    if (!p || !("id" in message) || message.id !== p.id || !("result" in message || "error" in message)) return;
    this.pending = undefined;
    p.resolve(message);
  }

  /** Aborts a call still running (the server's handlers see their signal fire) and detaches the server. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const p = this.pending;
    this.pending = undefined;
    p?.resolve(undefined);
    this.onclose?.();
  }
}
