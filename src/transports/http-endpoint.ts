/**
 * One MCP endpoint of the HTTP server: which tools it offers, and how it handles a request.
 *
 *   handle      the express route: endpoint enabled? → root key → narrowing → stateful session
 *               or stateless server
 *   admit       the hot path's version of the same checks, as a verdict only (no answer)
 *   handleFast  one plain request answered by a pooled server over a DirectTransport
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Request, Response } from "express";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { Server as McpServer } from "@modelcontextprotocol/sdk/server/index.js";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import { isInitializeRequest, type JSONRPCRequest } from "@modelcontextprotocol/sdk/types.js";
import type { HttpConfig } from "../config.js";
import type { UnkeyClient } from "../client/unkey-client.js";
import { CatalogSelectionError, narrowSelection, selectTools } from "../tools/catalog.js";
import type { ToolDefinition } from "../tools/types.js";
import { resolveRootKeyFromHeaders } from "./http-auth.js";
import { DirectTransport, STATELESS_SAFE_METHODS, fastPathRequest, type Admission, type HotRequest } from "./http-fast.js";
import { JSONRPC_AUTH_ERROR, JSONRPC_INVALID_PARAMS, JSONRPC_SERVER_ERROR, sendJsonRpcError } from "./http-guards.js";
import { instrumentTransport } from "./http-instrument.js";
import type { HttpMetrics } from "./http-metrics.js";
import { NarrowingSyntaxError, isEmptyNarrowing, narrowingKey, parseRequestNarrowing, type RequestNarrowing } from "./http-selection.js";
import type { SessionStore } from "./http-sessions.js";
import type { EndpointSpec, McpServerFactory } from "./http.js";

export interface PreparedEndpoint {
  spec: EndpointSpec;
  /** The server-flag selection for this endpoint: the upper bound of every request. */
  tools?: ToolDefinition[];
  /** Why the endpoint is unavailable with the server's flags. */
  unavailable?: string;
  /** Narrowed tool lists by request narrowing, so repeated headers cost nothing. */
  narrowed: Map<string, ToolDefinition[]>;
}

export interface Session {
  transport: StreamableHTTPServerTransport;
  server: McpServer;
}

/** A fast-path server and the transport it stays connected to between requests. */
export interface DirectServer {
  server: McpServer;
  transport: DirectTransport;
}

/** What every endpoint's handlers share for the life of the HTTP server. */
export interface EndpointContext {
  config: HttpConfig;
  createServer: McpServerFactory;
  /** The shared Unkey client (timed). */
  client: UnkeyClient;
  metrics: HttpMetrics;
  /** Every tool name of the catalog: the bounded label set of the tool-call metrics. */
  toolNames: Set<string>;
  sessions: SessionStore<Session>;
  /** Idle stateless servers (SDK transport path). */
  serverPool: ServerPool<McpServer>;
  /** Idle fast-path servers, still connected to their own transport. */
  directPool: ServerPool<DirectServer>;
  insecureTestRootKey?: string;
}

export interface EndpointHandler {
  endpoint: PreparedEndpoint;
  /** The express route of every method on the endpoint's paths. */
  handle(req: Request, res: Response): Promise<void>;
  /**
   * The hot path's admission: the checks of `handle` that need no body, as a verdict only. A
   * request refused here is served by the express route, which refuses it with its own words.
   */
  admit(req: IncomingMessage): Admission | undefined;
  /** Answers one admitted, plain JSON-RPC request without the SDK transport. */
  handleFast(req: HotRequest, res: ServerResponse, tools: ToolDefinition[], request: JSONRPCRequest): Promise<void>;
}

const MAX_NARROWING_CACHE = 256;

/** The server-flag tool selection of every endpoint; an endpoint left with no tool is unavailable. */
export function prepareEndpoints(endpoints: readonly EndpointSpec[], catalog: readonly ToolDefinition[], config: HttpConfig): PreparedEndpoint[] {
  const flags = config.catalog;
  return endpoints.map((spec) => {
    try {
      const tools = selectTools(catalog, {
        profile: spec.profile,
        toolsets: flags.toolsets,
        tools: flags.tools,
        readOnly: flags.readOnly,
        allowConsume: flags.allowConsume,
      });
      return { spec, tools, narrowed: new Map() };
    } catch (err) {
      if (err instanceof CatalogSelectionError) return { spec, unavailable: err.message, narrowed: new Map() };
      throw err;
    }
  });
}

export function createEndpointHandler(ctx: EndpointContext, endpoint: PreparedEndpoint): EndpointHandler {
  const { spec } = endpoint;
  return {
    endpoint,
    async handle(req, res) {
      if (endpoint.unavailable || !endpoint.tools) {
        sendJsonRpcError(res, 404, JSONRPC_SERVER_ERROR, `${spec.path} is disabled on this server: ${endpoint.unavailable ?? "no tools"}`);
        return;
      }
      // 1. The root key of this request.
      const rootKey = authenticate(req, res, spec, ctx.insecureTestRootKey);
      if (rootKey === undefined) return;
      (req as Request & { auth?: AuthInfo }).auth = { token: rootKey, clientId: "unkey-mcp-http", scopes: [] };
      // 2. What this request may see (only ever narrower than the server's flags).
      const tools = narrowForRequest(req, res, endpoint);
      if (tools === undefined) return;
      // 3. The MCP exchange.
      if (ctx.config.stateless) await handleStateless(ctx, spec, req, res, tools);
      else await handleStateful(ctx, spec, req, res, tools);
    },
    admit(req) {
      if (endpoint.unavailable || !endpoint.tools) return undefined;
      const auth = resolveRootKeyFromHeaders(req.headers, spec.header);
      const rootKey = auth.ok ? auth.rootKey : auth.reason === "missing" ? ctx.insecureTestRootKey : undefined;
      if (!rootKey) return undefined;
      try {
        return { tools: toolsFor(endpoint, parseRequestNarrowing(req.headers, {})), rootKey };
      } catch {
        return undefined;
      }
    },
    handleFast: (req, res, tools, request) => handleFast(ctx, spec, req, res, tools, request),
  };
}

/** The request's root key, or undefined once the request has been refused. */
function authenticate(req: Request, res: Response, spec: EndpointSpec, insecureTestRootKey: string | undefined): string | undefined {
  const auth = resolveRootKeyFromHeaders(req.headers, spec.header);
  if (auth.ok) return auth.rootKey;
  if (auth.reason === "missing" && insecureTestRootKey) return insecureTestRootKey;
  // 403, not 401: a 401 sends mcp-remote into OAuth discovery and hides this message.
  sendJsonRpcError(res, 403, JSONRPC_AUTH_ERROR, auth.message, { header: spec.header, reason: auth.reason });
  return undefined;
}

/** The tools this request may see (headers and query), or undefined once the request has been refused. */
function narrowForRequest(req: Request, res: Response, endpoint: PreparedEndpoint): ToolDefinition[] | undefined {
  try {
    return toolsFor(endpoint, parseRequestNarrowing(req.headers, req.query as Record<string, string | string[] | undefined>));
  } catch (err) {
    if (err instanceof CatalogSelectionError || err instanceof NarrowingSyntaxError) {
      sendJsonRpcError(
        res,
        400,
        JSONRPC_INVALID_PARAMS,
        err.message,
        err instanceof CatalogSelectionError ? { field: err.field, given: err.given, valid: err.valid } : err.data,
      );
      return undefined;
    }
    throw err;
  }
}

function toolsFor(endpoint: PreparedEndpoint, narrowing: RequestNarrowing): ToolDefinition[] {
  const base = endpoint.tools ?? [];
  if (isEmptyNarrowing(narrowing)) return base;
  const key = narrowingKey(narrowing);
  const cached = endpoint.narrowed.get(key);
  if (cached) return cached;
  const tools = narrowSelection(base, { toolsets: narrowing.toolsets, tools: narrowing.tools, readOnly: narrowing.readOnly });
  if (endpoint.narrowed.size >= MAX_NARROWING_CACHE) endpoint.narrowed.clear();
  endpoint.narrowed.set(key, tools);
  return tools;
}

/** Stateful mode: a request joins its session, or an initialize opens one. */
async function handleStateful(ctx: EndpointContext, spec: EndpointSpec, req: Request, res: Response, tools: ToolDefinition[]): Promise<void> {
  const { sessions } = ctx;
  const sessionId = req.headers["mcp-session-id"];
  if (typeof sessionId === "string" && sessionId !== "") {
    const session = sessions.touch(sessionId, spec.path);
    if (!session) {
      sendJsonRpcError(res, 404, JSONRPC_AUTH_ERROR, "Session not found (it expired or was closed); start a new session with initialize.");
      return;
    }
    await session.transport.handleRequest(req, res, req.body);
    return;
  }
  if (req.method !== "POST" || !isInitializeBody(req.body)) {
    sendJsonRpcError(res, 400, JSONRPC_SERVER_ERROR, "Bad Request: send initialize first, then the Mcp-Session-Id header it returns.");
    return;
  }
  // The session's tool list is fixed at initialize; keys are not: each request brings its own.
  const server = ctx.createServer({ tools, client: ctx.client, endpoint: spec });
  const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
    sessionIdGenerator: () => randomUUID(),
    onsessioninitialized: (id) => {
      sessions.add(id, spec.path, { transport, server });
    },
    onsessionclosed: (id) => {
      sessions.forget(id);
    },
  });
  transport.onclose = () => {
    if (transport.sessionId) sessions.forget(transport.sessionId);
  };
  await server.connect(transport);
  instrumentTransport(transport, ctx.metrics, ctx.toolNames);
  await transport.handleRequest(req, res, req.body);
}

/** Stateless mode: each POST is served on its own, by a pooled or a fresh server. */
async function handleStateless(ctx: EndpointContext, spec: EndpointSpec, req: Request, res: Response, tools: ToolDefinition[]): Promise<void> {
  if (req.method !== "POST") {
    // 405 (not 404) keeps mcp-remote quiet about the SSE stream it tries to open.
    sendJsonRpcError(res, 405, JSONRPC_SERVER_ERROR, "Method not allowed: this server is stateless; use POST.", undefined, { Allow: "POST" });
    return;
  }
  // The common case — one request answered with one JSON body — skips the SDK transport.
  const fast = fastPathRequest(req.headers, req.body, STATELESS_SAFE_METHODS);
  if (fast) {
    await handleFast(ctx, spec, req, res, tools, fast);
    return;
  }
  const { serverPool } = ctx;
  // Servers are reused across stateless requests only for methods that leave no per-client
  // state on them (an initialize records client capabilities, logging/setLevel a level).
  const reusable = isStatelessSafe(req.body);
  const server = (reusable ? serverPool.take(tools) : undefined) ?? ctx.createServer({ tools, client: ctx.client, endpoint: spec });
  // A plain JSON answer is one write instead of an SSE stream; a stateless request can only
  // receive notifications about itself, so SSE is kept for calls that ask for progress.
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: !wantsProgress(req.body) });
  res.on("close", () => {
    // Closing the transport detaches it from the server (and aborts a handler still running).
    void transport.close().then(
      () => {
        if (reusable) serverPool.give(tools, server);
        else void server.close().catch(() => undefined);
      },
      () => undefined,
    );
  });
  await server.connect(transport);
  instrumentTransport(transport, ctx.metrics, ctx.toolNames);
  await transport.handleRequest(req, res, req.body);
}

/** One plain request answered with one 200 JSON body by a pooled server over its DirectTransport. */
async function handleFast(
  ctx: EndpointContext,
  spec: EndpointSpec,
  req: HotRequest,
  res: ServerResponse,
  tools: ToolDefinition[],
  request: JSONRPCRequest,
): Promise<void> {
  const { directPool, metrics, toolNames } = ctx;
  let entry = directPool.take(tools);
  if (!entry) {
    const server = ctx.createServer({ tools, client: ctx.client, endpoint: spec });
    const transport = new DirectTransport();
    await server.connect(transport);
    entry = { server, transport };
  }
  const { server, transport } = entry;
  let answered = false;
  res.on("close", () => {
    if (answered) return;
    // The client left before the answer: abort the call and retire this server (its handler
    // may still be unwinding), exactly as closing the SDK transport did.
    void transport.close().then(() => server.close().catch(() => undefined));
  });
  const response = await transport.dispatch(request, {
    authInfo: req.auth,
    // What the SDK transport passes; the URL is only built if a handler asks for it.
    requestInfo: {
      headers: req.headers,
      get url(): URL {
        return new URL(req.url ?? "/", `http://${req.headers.host ?? "localhost"}`);
      },
    },
  });
  if (response === undefined || res.destroyed || res.writableEnded) return;
  answered = true;
  if (request.method === "tools/call") {
    const name = (request.params as { name?: unknown } | undefined)?.name;
    const tool = typeof name === "string" && toolNames.has(name) ? name : "unknown";
    const outcome = "error" in response ? "protocol_error" : (response as { result?: { isError?: boolean } }).result?.isError ? "tool_error" : "ok";
    metrics.toolCalls.inc({ tool, outcome });
  }
  const text = JSON.stringify(response);
  res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
  if (!directPool.give(tools, entry)) void transport.close().then(() => server.close().catch(() => undefined));
}

/** Idle stateless servers by tool list: building one (SDK Server + validator) costs more than the call it serves. */
export class ServerPool<T> {
  private readonly idle = new WeakMap<ToolDefinition[], T[]>();
  constructor(private readonly maxPerList = 64) {}

  take(tools: ToolDefinition[]): T | undefined {
    return this.idle.get(tools)?.pop();
  }

  /** False when the pool is full: the caller disposes of the server. */
  give(tools: ToolDefinition[], server: T): boolean {
    let list = this.idle.get(tools);
    if (!list) {
      list = [];
      this.idle.set(tools, list);
    }
    if (list.length >= this.maxPerList) return false;
    list.push(server);
    return true;
  }
}

function isStatelessSafe(body: unknown): boolean {
  const messages = Array.isArray(body) ? body : [body];
  return messages.length > 0 && messages.every((m) => STATELESS_SAFE_METHODS.has((m as { method?: unknown } | null)?.method as string));
}

function wantsProgress(body: unknown): boolean {
  const messages = Array.isArray(body) ? body : [body];
  return messages.some((m) => {
    const meta = (m as { params?: { _meta?: { progressToken?: unknown } } } | null)?.params?._meta;
    return meta?.progressToken !== undefined;
  });
}

function isInitializeBody(body: unknown): boolean {
  if (Array.isArray(body)) return body.some((m) => isInitializeRequest(m));
  return isInitializeRequest(body);
}
