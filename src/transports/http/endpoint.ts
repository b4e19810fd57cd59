/**
 * One MCP endpoint of the HTTP server: which tools it offers, and how it handles a request.
 *
 *   admit   the one admission of every request: endpoint enabled? → root key → narrowing
 *   handle  admission, then the protocol era the request speaks:
 *           2026-07-28, plain tools/call or list   → modern-direct.ts (pooled servers, no web objects;
 *                                                    hot-path.ts brings these here before express)
 *           2026-07-28 (a `_meta` envelope claim)  → the SDK's per-request handler, no memory
 *           2025-era, stateful                     → the request's session (or a new one); plain
 *                                                    read calls and lists in it → session-direct.ts
 *           2025-era, --stateless                  → a fresh server for this request
 *
 * The era is decided by the SDK's own classifier (`isLegacyRequest`), so this routing can never
 * disagree with the modern handler about which requests are its own (it owns -32020, -32022 and
 * malformed envelopes too).
 */
import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import type { Request, Response } from "express";
import { NodeStreamableHTTPServerTransport } from "@modelcontextprotocol/node";
import {
  createMcpHandler,
  isInitializeRequest,
  isLegacyRequest,
  type AuthInfo,
  type JSONRPCRequest,
  type Server as McpServer,
} from "@modelcontextprotocol/server";
import type { HttpConfig } from "../../config.js";
import type { UnkeyClient } from "../../client/unkey-client.js";
import { CatalogSelectionError, narrowSelection, selectTools } from "../../tools/catalog.js";
import type { ToolDefinition } from "../../tools/types.js";
import { resolveRootKeyFromHeaders } from "./auth.js";
import type { DirectServerPool, LaneBudget } from "./direct-pool.js";
import { DIRECT_PROTOCOL_VERSIONS, directModernRequest, modernDirectPool } from "./modern-direct.js";
import { JSONRPC_AUTH_ERROR, JSONRPC_INVALID_PARAMS, JSONRPC_SERVER_ERROR, sendJsonRpcError } from "./guards.js";
import type { HttpMetrics } from "./metrics.js";
import { NarrowingSyntaxError, isEmptyNarrowing, narrowingKey, parseRequestNarrowing, type RequestNarrowing } from "./selection.js";
import { ownerOf, type SessionStore } from "./sessions.js";
import type { EndpointSpec, McpServerFactory } from "./endpoints.js";
import { plainLegacyRequest, statelessDirectPool } from "./legacy-direct.js";
import { SessionTransport, sessionStreamHeaders, sseEvent } from "./session-direct.js";
import { openWebExchange, type WebExchange } from "./web-exchange.js";

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
  transport: SessionTransport;
  server: McpServer;
  /** The session's tools by name (its list is fixed at initialize). */
  tools: ReadonlyMap<string, ToolDefinition>;
}

/** What every endpoint's handlers share for the life of the HTTP server. */
export interface EndpointContext {
  config: HttpConfig;
  createServer: McpServerFactory;
  /** The shared Unkey client (timed). */
  client: UnkeyClient;
  metrics: HttpMetrics;
  sessions: SessionStore<Session>;
  insecureTestRootKey?: string;
  /**
   * Serve plain read calls and lists on the direct paths (modern-direct.ts, session-direct.ts,
   * legacy-direct.ts) instead of the SDK's web handler and transports; off only to compare.
   */
  directPaths: boolean;
  /** The idle servers all direct-path pools may keep between them. */
  laneBudget: LaneBudget;
  onerror: (error: Error) => void;
}

export interface EndpointHandler {
  endpoint: PreparedEndpoint;
  /** The express route of every method on the endpoint's paths. */
  handle(req: Request, res: Response): Promise<void>;
  /**
   * The hot path's entry (hot-path.ts), for a POST whose body is read: serves it when it is a
   * plain 2026-07-28 call the direct path takes and its admission passes; false leaves the
   * request untouched for the express route, which answers everything else (refusals included).
   */
  tryDirect(req: IncomingMessage & { body?: unknown }, res: ServerResponse): Promise<boolean>;
}

/** An admitted request: the key it acts with and the tools it may see. */
export interface Admission {
  rootKey: string;
  tools: ToolDefinition[];
}

const MAX_NARROWING_CACHE = 256;
/** Tool lists per endpoint and direct path whose pooled servers are kept. */
const MAX_POOLS = 16;

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
  // Everything below is built once per distinct tool list (the narrowing cache hands out the
  // same array for the same selection). The modern handler's factory closes over the list, so
  // every per-request server it builds serves exactly what the request was admitted to see.
  const modernFor = perToolList((tools) =>
    createMcpHandler(() => ctx.createServer({ tools, client: ctx.client, endpoint: spec }), {
      // 2025-era traffic never reaches this handler (routed below), so it is strict.
      legacy: "reject",
      onerror: ctx.onerror,
      maxRequestBodySize: ctx.config.bodyLimitBytes,
    }),
  );
  // Connected servers for the direct paths (2026-07-28, and 2025 under --stateless): pools for the
  // most recent tool lists only, their idle servers within the shared budget.
  const pools = { max: MAX_POOLS, dispose: (pool: { close(): void }) => pool.close() };
  const directFor = perToolList(
    (tools) =>
      modernDirectPool(() => ctx.createServer({ tools, client: ctx.client, endpoint: spec, protocolVersions: [...DIRECT_PROTOCOL_VERSIONS] }), ctx.laneBudget),
    pools,
  );
  const statelessFor = perToolList(
    (tools) => statelessDirectPool(() => ctx.createServer({ tools, client: ctx.client, endpoint: spec }), ctx.laneBudget),
    pools,
  );
  const byName = perToolList((tools) => new Map(tools.map((t) => [t.name, t])));

  /** Serves the request on the direct path when it is one; false when it is not. */
  const serveDirect = async (headers: IncomingHttpHeaders, body: unknown, admitted: Admission, res: ServerResponse): Promise<boolean> => {
    if (!ctx.directPaths) return false;
    const tools = byName(admitted.tools);
    const modern = directModernRequest(headers, body, tools);
    if (modern) {
      await answerDirect(directFor(admitted.tools), modern, authInfoOf(admitted), res);
      return true;
    }
    const legacy = ctx.config.stateless && headers["mcp-session-id"] === undefined ? plainLegacyRequest(headers, body, tools) : undefined;
    if (!legacy) return false;
    await answerDirect(statelessFor(admitted.tools), { message: legacy }, authInfoOf(admitted), res);
    return true;
  };

  return {
    endpoint,
    async tryDirect(req, res) {
      // The hot path only sees URLs without a query string: the query narrows nothing here.
      const verdict = examine(req.headers, {}, endpoint, ctx.insecureTestRootKey);
      if ("refusal" in verdict) return false;
      const sessionId = req.headers["mcp-session-id"];
      if (sessionId === undefined) return serveDirect(req.headers, req.body, verdict, res);
      if (ctx.config.stateless || typeof sessionId !== "string") return false;
      // Unknown, expired or someone else's: the express route refuses it with the usual answer.
      const found = ctx.sessions.touch(sessionId, spec.path, ownerOf(verdict.rootKey));
      return found.found && answerInSession(ctx, found.value, sessionId, req.headers, req.body, verdict, res);
    },
    async handle(req, res) {
      const admitted = admit(req, res, endpoint, ctx.insecureTestRootKey);
      if (!admitted) return;
      const authInfo = authInfoOf(admitted);
      if (req.method !== "POST") {
        if (ctx.config.stateless) await handleStateless(ctx, spec, req, res, admitted.tools, authInfo);
        else await handleStateful(ctx, spec, req, res, admitted, authInfo);
        return;
      }
      if (await serveDirect(req.headers, req.body, admitted, res)) return;
      // One web exchange per POST: its Request serves the era classifier and the handler both.
      const exchange = openWebExchange(req, res, ctx.onerror);
      if (!(await isLegacyRequest(exchange.request, req.body))) {
        await exchange.answer(await modernFor(admitted.tools).fetch(exchange.request, { authInfo, parsedBody: req.body }));
        return;
      }
      if (ctx.config.stateless) await handleStateless(ctx, spec, req, res, admitted.tools, authInfo);
      else await handleStateful(ctx, spec, req, res, admitted, authInfo, exchange);
    },
  };
}

/**
 * `make`, memoised per tool list (by identity). With `bound`, only the `max` most recently built
 * are kept, and `dispose` gets each one dropped; without, entries live as long as their list.
 */
function perToolList<T>(make: (tools: ToolDefinition[]) => T, bound?: { max: number; dispose: (value: T) => void }): (tools: ToolDefinition[]) => T {
  const recent = new Map<ToolDefinition[], T>();
  const weak = new WeakMap<ToolDefinition[], T>();
  return (tools) => {
    let value = bound ? recent.get(tools) : weak.get(tools);
    if (value !== undefined) return value;
    value = make(tools);
    if (!bound) {
      weak.set(tools, value);
      return value;
    }
    if (recent.size >= bound.max) {
      const [oldest, dropped] = recent.entries().next().value as [ToolDefinition[], T];
      recent.delete(oldest);
      bound.dispose(dropped);
    }
    recent.set(tools, value);
    return value;
  };
}

/** The request's key as the SDK hands it to handlers (`ctx.http.authInfo`). */
function authInfoOf(admitted: Admission): AuthInfo {
  return { token: admitted.rootKey, clientId: "unkey-mcp-http", scopes: [] };
}

/** A plain call or list (2026-07-28, or 2025 `--stateless`) on a pooled server, answered in one write. */
async function answerDirect<R extends { message: JSONRPCRequest }>(
  pool: DirectServerPool<R>,
  direct: R,
  authInfo: AuthInfo,
  res: ServerResponse,
): Promise<void> {
  const answer = await pool.serve(direct, authInfo, (stop) => {
    // A client that goes away mid-call aborts the handler (and its upstream request).
    res.on("close", stop);
    if (res.destroyed) stop();
  });
  if (!answer || res.destroyed) return;
  res.writeHead(answer.status, { "content-type": "application/json", "content-length": String(Buffer.byteLength(answer.body)) });
  res.end(answer.body);
}

/** Why a request is not admitted, as the answer it gets. */
interface Refusal {
  status: number;
  code: number;
  message: string;
  data?: unknown;
}

/**
 * The admission of every request, whatever its era or path: the endpoint is enabled, the request
 * carries a usable root key, and its narrowing names real tools. Refuses (and answers) otherwise.
 */
export function admit(req: Request, res: Response, endpoint: PreparedEndpoint, insecureTestRootKey: string | undefined): Admission | undefined {
  const verdict = examine(req.headers, req.query as Record<string, string | string[] | undefined>, endpoint, insecureTestRootKey);
  if ("refusal" in verdict) {
    const r = verdict.refusal;
    sendJsonRpcError(res, r.status, r.code, r.message, r.data);
    return undefined;
  }
  return verdict;
}

/** The admission verdict, without answering: the hot path (hot-path.ts) and admit() share it. */
export function examine(
  headers: IncomingHttpHeaders,
  query: Record<string, string | string[] | undefined>,
  endpoint: PreparedEndpoint,
  insecureTestRootKey: string | undefined,
): Admission | { refusal: Refusal } {
  const { spec } = endpoint;
  if (endpoint.unavailable || !endpoint.tools) {
    return { refusal: { status: 404, code: JSONRPC_SERVER_ERROR, message: `${spec.path} is disabled on this server: ${endpoint.unavailable ?? "no tools"}` } };
  }
  const auth = resolveRootKeyFromHeaders(headers, spec.header);
  let rootKey: string;
  if (auth.ok) rootKey = auth.rootKey;
  else if (auth.reason === "missing" && insecureTestRootKey) rootKey = insecureTestRootKey;
  // 403, not 401: a 401 sends mcp-remote into OAuth discovery and hides this message.
  else return { refusal: { status: 403, code: JSONRPC_AUTH_ERROR, message: auth.message, data: { header: spec.header, reason: auth.reason } } };
  try {
    return { rootKey, tools: toolsFor(endpoint, parseRequestNarrowing(headers, query)) };
  } catch (err) {
    if (err instanceof CatalogSelectionError || err instanceof NarrowingSyntaxError) {
      const data = err instanceof CatalogSelectionError ? { field: err.field, given: err.given, valid: err.valid } : err.data;
      return { refusal: { status: 400, code: JSONRPC_INVALID_PARAMS, message: err.message, data } };
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

/**
 * A plain read call or list on the session (session-direct.ts): answered by the session's server
 * as the one SSE event its transport would have streamed. False leaves it to the transport.
 */
async function answerInSession(
  ctx: EndpointContext,
  session: Session,
  sessionId: string,
  headers: IncomingHttpHeaders,
  body: unknown,
  admitted: Admission,
  res: ServerResponse,
): Promise<boolean> {
  if (!ctx.directPaths) return false;
  const message = plainLegacyRequest(headers, body, session.tools);
  if (!message || !session.transport.canDeliver(message.id)) return false;
  const answer = await session.transport.deliver(message, authInfoOf(admitted), (stop) => {
    res.on("close", stop);
    if (res.destroyed) stop();
  });
  if (!answer || res.destroyed) return true;
  const event = sseEvent(answer);
  res.writeHead(200, { ...sessionStreamHeaders(sessionId), "content-length": String(Buffer.byteLength(event)) });
  res.end(event);
  return true;
}

/**
 * Stateful 2025-era mode: a request joins its session, or an initialize opens one. A session
 * answers only requests carrying the root key that opened it (POST, GET stream and DELETE alike).
 */
async function handleStateful(
  ctx: EndpointContext,
  spec: EndpointSpec,
  req: Request,
  res: Response,
  admitted: Admission,
  authInfo: AuthInfo,
  exchange?: WebExchange,
): Promise<void> {
  const { sessions } = ctx;
  const owner = ownerOf(admitted.rootKey);
  const sessionId = req.headers["mcp-session-id"];
  if (typeof sessionId === "string" && sessionId !== "") {
    const found = sessions.touch(sessionId, spec.path, owner);
    if (!found.found) {
      if (found.reason === "not_owner") {
        // Nothing about the session is disclosed, and the session itself is left alone.
        sendJsonRpcError(res, 403, JSONRPC_AUTH_ERROR, "This session belongs to another root key. Start your own session with initialize.");
        return;
      }
      sendJsonRpcError(res, 404, JSONRPC_AUTH_ERROR, "Session not found (it expired or was closed); start a new session with initialize.");
      return;
    }
    if (req.method === "POST" && (await answerInSession(ctx, found.value, sessionId, req.headers, req.body, admitted, res))) return;
    const ex = exchange ?? openWebExchange(req, res, ctx.onerror);
    await ex.answer(await found.value.transport.handleRequest(ex.request, { authInfo, parsedBody: req.body }));
    return;
  }
  if (req.method !== "POST" || !isInitializeBody(req.body)) {
    sendJsonRpcError(res, 400, JSONRPC_SERVER_ERROR, "Bad Request: send initialize first, then the Mcp-Session-Id header it returns.");
    return;
  }
  const refusal = sessions.reserve(owner);
  if (refusal) {
    // Refuse the newcomer rather than evict a live session: a flood of initialize requests
    // must not be able to close anyone's session.
    const message =
      refusal === "per_key"
        ? `Too many open sessions for this root key (limit ${ctx.config.maxSessionsPerKey}); close one (DELETE) or wait for idle ones to expire.`
        : `The server has reached its limit of ${ctx.config.maxSessions} open sessions; retry later.`;
    sendJsonRpcError(res, refusal === "per_key" ? 429 : 503, JSONRPC_SERVER_ERROR, message, undefined, { "Retry-After": "30" });
    return;
  }
  let opened = false;
  // The session's tool list is fixed at initialize; keys are not: each request brings its own.
  const server = ctx.createServer({ tools: admitted.tools, client: ctx.client, endpoint: spec });
  const tools = new Map(admitted.tools.map((t) => [t.name, t]));
  const transport: SessionTransport = new SessionTransport({
    sessionIdGenerator: () => randomUUID(),
    onsessioninitialized: (id) => {
      opened = true;
      sessions.add(id, spec.path, owner, { transport, server, tools });
    },
    onsessionclosed: (id) => {
      sessions.forget(id);
    },
  });
  transport.onclose = () => {
    if (transport.sessionId) sessions.forget(transport.sessionId);
  };
  try {
    await server.connect(transport);
    const ex = exchange ?? openWebExchange(req, res, ctx.onerror);
    await ex.answer(await transport.handleRequest(ex.request, { authInfo, parsedBody: req.body }));
  } finally {
    if (!opened) {
      sessions.release(owner);
      void server.close().catch(() => undefined);
    }
  }
}

/** Stateless 2025-era mode: each POST is served on its own by a fresh server. */
async function handleStateless(
  ctx: EndpointContext,
  spec: EndpointSpec,
  req: Request,
  res: Response,
  tools: ToolDefinition[],
  authInfo: AuthInfo,
): Promise<void> {
  if (req.method !== "POST") {
    // 405 (not 404) keeps mcp-remote quiet about the SSE stream it tries to open.
    sendJsonRpcError(res, 405, JSONRPC_SERVER_ERROR, "Method not allowed: this server is stateless; use POST.", undefined, { Allow: "POST" });
    return;
  }
  const server = ctx.createServer({ tools, client: ctx.client, endpoint: spec });
  // A plain JSON answer is one write instead of an SSE stream; a stateless request can only
  // receive notifications about itself, so SSE is kept for calls that ask for progress.
  // The SDK's Node transport here (not the web exchange): for one JSON answer per request its
  // adapter measured faster than a web Response read back as text.
  const transport = new NodeStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: !wantsProgress(req.body) });
  res.on("close", () => {
    // Closing the transport detaches it from the server (and aborts a handler still running).
    void transport.close().then(
      () => server.close().catch(() => undefined),
      () => undefined,
    );
  });
  await server.connect(transport);
  await transport.handleRequest(Object.assign(req, { auth: authInfo }), res, req.body);
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
