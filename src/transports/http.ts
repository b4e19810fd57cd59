/**
 * Streamable HTTP transport: `unkey-mcp http`.
 *
 *   /mcp/v2            profile full        root key from MCP-UNKEY-BEARER-AUTH
 *   /mcp/ratelimits/   profile ratelimits  root key from MCP-UNKEY-V2-ROOT-KEY
 *   (both also take Authorization: Bearer)
 *
 * Request pipeline: Host/Origin guard → JSON body (size-limited) → root key → per-request
 * narrowing → session (stateful) or a fresh server (stateless) → the SDK transport.
 *
 * Stateless tool calls take a hot path with the same checks (see `listener` and http-fast.ts):
 * no express, no SDK transport, a pooled server that stays connected; every request that path
 * cannot answer with a plain 200 JSON body goes through the pipeline above.
 *
 * The server holds no root key. Each request's key is attached to that request (`req.auth`) and
 * reaches the tool handler as `extra.authInfo.token`, so a session shared over time, or one
 * deployment shared by many users, never acts with another request's key.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server as NodeHttpServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import express, { type NextFunction, type Request, type Response } from "express";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { Server as McpServer } from "@modelcontextprotocol/sdk/server/index.js";
import { isInitializeRequest, type JSONRPCMessage, type JSONRPCRequest } from "@modelcontextprotocol/sdk/types.js";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { ConfigError, parseConfig, type HttpConfig } from "../config.js";
import type { UnkeyClient } from "../client/unkey-client.js";
import { buildInstructions, createMcpServer, loadServerParts, packageVersion } from "../server.js";
import { CatalogSelectionError, listToolsets, narrowSelection, selectTools } from "../tools/catalog.js";
import type { ToolDefinition } from "../tools/types.js";
import { createLogger, type Logger } from "../util/log.js";
import { BEARER_AUTH_HEADER, V2_ROOT_KEY_HEADER, resolveRootKeyFromHeaders } from "./http-auth.js";
import {
  HostAllowList,
  JSONRPC_AUTH_ERROR,
  JSONRPC_INVALID_PARAMS,
  JSONRPC_PARSE_ERROR,
  JSONRPC_SERVER_ERROR,
  defaultAllowedHosts,
  hostAndOriginAllowed,
  hostOriginGuard,
  isLoopbackHost,
  sendJsonRpcError,
} from "./http-guards.js";
import { DirectTransport, fastPathRequest } from "./http-fast.js";
import { createHttpMetrics, type HttpMetrics } from "./http-metrics.js";
import { NarrowingSyntaxError, isEmptyNarrowing, narrowingKey, parseRequestNarrowing, type RequestNarrowing } from "./http-selection.js";
import { SessionStore } from "./http-sessions.js";

export interface EndpointSpec {
  /** Route name used in metrics and logs. */
  name: string;
  path: string;
  profile: string;
  /** The documented root-key header of this endpoint. */
  header: string;
}

export const ENDPOINTS: readonly EndpointSpec[] = [
  { name: "v2", path: "/mcp/v2", profile: "full", header: BEARER_AUTH_HEADER },
  { name: "ratelimits", path: "/mcp/ratelimits/", profile: "ratelimits", header: V2_ROOT_KEY_HEADER },
];

/** Builds one MCP server over a tool list; called per session (stateful) or per POST (stateless). */
export type McpServerFactory = (input: { tools: ToolDefinition[]; client: UnkeyClient; endpoint: EndpointSpec }) => McpServer;

export interface HttpServerOptions {
  config: HttpConfig;
  logger: Logger;
  /** The whole catalog, generated once per process. */
  catalog: readonly ToolDefinition[];
  client: UnkeyClient;
  createServer: McpServerFactory;
  /**
   * Test mode for harnesses that cannot send headers (the MCP conformance suite): requests
   * without a key act with this one. Refused unless the server binds a loopback address.
   */
  insecureTestRootKey?: string;
  /** Cap on open sessions (default 10 000); the least recently used is closed beyond it. */
  maxSessions?: number;
  /** Time allowed to receive one request (headers + body), default 30 s. */
  requestReceiveTimeoutMs?: number;
  /** Clock of the session TTL (tests move it instead of sleeping). */
  now?: () => number;
}

export interface RunningHttpServer {
  /** Base URL, e.g. http://127.0.0.1:3000 */
  url: string;
  host: string;
  port: number;
  endpoints: Array<EndpointSpec & { url: string; toolCount: number }>;
  metrics: HttpMetrics;
  /** Open stateful sessions. */
  sessionCount(): number;
  close(): Promise<void>;
}

interface PreparedEndpoint {
  spec: EndpointSpec;
  /** The server-flag selection for this endpoint: the upper bound of every request. */
  tools?: ToolDefinition[];
  /** Why the endpoint is unavailable with the server's flags. */
  unavailable?: string;
  /** Narrowed tool lists by request narrowing, so repeated headers cost nothing. */
  narrowed: Map<string, ToolDefinition[]>;
}

interface Session {
  transport: StreamableHTTPServerTransport;
  server: McpServer;
}

const MAX_NARROWING_CACHE = 256;

const HANDED_OVER_ERROR = Symbol("unkey-mcp.handedOverError");

/** A request on the hot path: body-parser's result, the request's key, a hand-over error. */
type HotRequest = IncomingMessage & { body?: unknown; auth?: AuthInfo; [HANDED_OVER_ERROR]?: unknown };

interface HotRoute {
  /** The route label of the request metrics. */
  route: string;
  admit(req: IncomingMessage): { tools: ToolDefinition[]; rootKey: string } | undefined;
  handleFast(req: HotRequest, res: ServerResponse, tools: ToolDefinition[], request: JSONRPCRequest): Promise<void>;
}

function prepareEndpoints(options: HttpServerOptions): PreparedEndpoint[] {
  const { catalog } = options.config;
  return ENDPOINTS.map((spec) => {
    try {
      const tools = selectTools(options.catalog, {
        profile: spec.profile,
        toolsets: catalog.toolsets,
        tools: catalog.tools,
        readOnly: catalog.readOnly,
        allowConsume: catalog.allowConsume,
      });
      return { spec, tools, narrowed: new Map() };
    } catch (err) {
      if (err instanceof CatalogSelectionError) return { spec, unavailable: err.message, narrowed: new Map() };
      throw err;
    }
  });
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

/** An upstream-latency timer around the shared client; labels are bounded to contract paths. */
function timedClient(client: UnkeyClient, metrics: HttpMetrics, knownPaths: Set<string>): UnkeyClient {
  const operations = new Map([...knownPaths].map((p) => [p, p.replace(/^\/v2\//, "")]));
  return {
    baseUrl: client.baseUrl,
    async request(req) {
      const operation = operations.get(req.path) ?? "other";
      const end = metrics.upstreamLatency.startTimer({ operation });
      try {
        const res = await client.request(req);
        end({ status: String(res.status) });
        return res;
      } catch (err) {
        end({ status: "network_error" });
        throw err;
      }
    },
    close: () => client.close(),
  };
}

/**
 * Counts tools/call outcomes by watching the JSON-RPC traffic of one transport: the request
 * names the tool, the response with the same id tells the outcome.
 */
function instrumentTransport(transport: Transport, metrics: HttpMetrics, toolNames: Set<string>): void {
  const pending = new Map<string | number, string>();
  const onmessage = transport.onmessage;
  transport.onmessage = (message: JSONRPCMessage, extra) => {
    const m = message as { method?: string; id?: string | number; params?: { name?: unknown } };
    if (m.method === "tools/call" && m.id !== undefined) {
      const name = typeof m.params?.name === "string" && toolNames.has(m.params.name) ? m.params.name : "unknown";
      pending.set(m.id, name);
    }
    onmessage?.(message, extra);
  };
  const send = transport.send.bind(transport);
  transport.send = async (message, opts) => {
    const m = message as { id?: string | number; result?: { isError?: boolean }; error?: unknown };
    if (m.id !== undefined && (m.result !== undefined || m.error !== undefined)) {
      const tool = pending.get(m.id);
      if (tool !== undefined) {
        pending.delete(m.id);
        const outcome = m.error !== undefined ? "protocol_error" : m.result?.isError ? "tool_error" : "ok";
        metrics.toolCalls.inc({ tool, outcome });
      }
    }
    return send(message, opts);
  };
}

function routeOf(p: string): string {
  // Both spellings of an endpoint (with and without the trailing slash) count under its route.
  const bare = p.replace(/\/+$/, "");
  for (const e of ENDPOINTS) if (bare === e.path.replace(/\/$/, "")) return e.path;
  if (p === "/healthz" || p === "/metrics") return p;
  if (p.startsWith("/.well-known/")) return "/.well-known/*";
  return "other";
}

/** Starts the HTTP server; resolves once it listens. */
export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const { config, logger } = options;
  if (options.insecureTestRootKey !== undefined && !isLoopbackHost(config.host)) {
    throw new ConfigError(
      `--insecure-test-root-key is only allowed on a loopback bind address (127.0.0.1, ::1, localhost); --host is ${config.host}`,
    );
  }
  if (options.insecureTestRootKey) logger.addSecret(options.insecureTestRootKey);

  const metrics = createHttpMetrics();
  const endpoints = prepareEndpoints(options);
  if (endpoints.every((e) => e.unavailable)) {
    throw new ConfigError(`no endpoint has any tool with these flags: ${endpoints.map((e) => `${e.spec.path}: ${e.unavailable}`).join("; ")}`);
  }
  for (const e of endpoints) {
    if (e.unavailable) logger.warn("endpoint disabled by the server's tool selection", { endpoint: e.spec.path, reason: e.unavailable });
  }
  const knownPaths = new Set(options.catalog.flatMap((t) => (t.http ? [t.http.path] : [])));
  const toolNames = new Set(options.catalog.map((t) => t.name));
  const client = timedClient(options.client, metrics, knownPaths);

  const sessions = new SessionStore<Session>({
    ttlMs: config.sessionTtlSeconds * 1000,
    maxSessions: options.maxSessions ?? 10_000,
    now: options.now,
    onEvict: (entry, why) => {
      logger.debug("session closed", { endpoint: entry.endpoint, why });
      // close() on the transport ends open SSE streams; the server follows it.
      void entry.value.transport.close().catch(() => undefined);
      void entry.value.server.close().catch(() => undefined);
    },
    onSizeChange: (endpoint, delta) => metrics.activeSessions.inc({ endpoint }, delta),
  });

  const allowedHosts = new HostAllowList([...defaultAllowedHosts(config.host), ...config.allowedHosts]);
  const originPolicy = { allowedOrigins: config.allowedOrigins };
  const hostGuard = hostOriginGuard(allowedHosts, originPolicy);
  if ((config.host === "0.0.0.0" || config.host === "::") && config.allowedHosts.length === 0) {
    logger.warn("binding all interfaces: only loopback Host headers are accepted until you pass --allowed-hosts (DNS-rebinding protection)", {
      host: config.host,
    });
  }

  const serverPool = new ServerPool<McpServer>();
  // Servers of the fast path stay connected to their own transport between requests.
  const directPool = new ServerPool<{ server: McpServer; transport: DirectTransport }>();

  const app = express();
  app.disable("x-powered-by");
  app.set("query parser", "simple");

  // Metrics per answered request, labelled by route pattern only (bounded cardinality).
  app.use((req, res, next) => {
    res.on("finish", () => metrics.requests.inc({ route: routeOf(req.path), method: req.method, status: String(res.statusCode) }));
    next();
  });

  // Health and metrics skip the Host check: probes and scrapers address pods by IP.
  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok", sessions: sessions.size, mode: config.stateless ? "stateless" : "stateful" });
  });
  app.get("/metrics", async (_req, res) => {
    const { contentType, body } = await metrics.render();
    res.setHeader("content-type", contentType);
    res.send(body);
  });
  // OAuth discovery probes (mcp-remote sends six, without our headers): a plain 404, never a
  // 401, which would start an OAuth flow the user can only see as "Connection closed".
  app.all("/.well-known/{*rest}", (_req, res) => {
    res.status(404).json({ error: "not_found", message: "This server uses root-key headers, not OAuth." });
  });

  app.use(hostGuard);
  // A request the hot path (below) admitted and then handed over with an error — a body it could
  // not read, an unexpected fault — meets the same error handler as on the express route.
  app.use((req, _res, next) => next((req as HotRequest)[HANDED_OVER_ERROR]));

  const jsonBody = express.json({ limit: config.bodyLimitBytes, type: () => true });
  const hotRoutes = new Map<string, HotRoute>();

  for (const endpoint of endpoints) {
    const { spec } = endpoint;
    const paths = [spec.path, spec.path.endsWith("/") ? spec.path.slice(0, -1) : `${spec.path}/`];

    const handle = async (req: Request, res: Response): Promise<void> => {
      if (endpoint.unavailable || !endpoint.tools) {
        sendJsonRpcError(res, 404, JSONRPC_SERVER_ERROR, `${spec.path} is disabled on this server: ${endpoint.unavailable ?? "no tools"}`);
        return;
      }
      // 1. The root key of this request.
      const auth = resolveRootKeyFromHeaders(req.headers, spec.header);
      let rootKey: string;
      if (auth.ok) rootKey = auth.rootKey;
      else if (auth.reason === "missing" && options.insecureTestRootKey) rootKey = options.insecureTestRootKey;
      else {
        // 403, not 401: a 401 sends mcp-remote into OAuth discovery and hides this message.
        sendJsonRpcError(res, 403, JSONRPC_AUTH_ERROR, auth.message, { header: spec.header, reason: auth.reason });
        return;
      }
      (req as Request & { auth?: AuthInfo }).auth = { token: rootKey, clientId: "unkey-mcp-http", scopes: [] };

      // 2. What this request may see (only ever narrower than the server's flags).
      let tools: ToolDefinition[];
      try {
        tools = toolsFor(endpoint, parseRequestNarrowing(req.headers, req.query as Record<string, string | string[] | undefined>));
      } catch (err) {
        if (err instanceof CatalogSelectionError || err instanceof NarrowingSyntaxError) {
          sendJsonRpcError(
            res,
            400,
            JSONRPC_INVALID_PARAMS,
            err.message,
            err instanceof CatalogSelectionError ? { field: err.field, given: err.given, valid: err.valid } : err.data,
          );
          return;
        }
        throw err;
      }

      if (config.stateless) await handleStateless(req, res, tools);
      else await handleStateful(req, res, tools);
    };

    const handleStateless = async (req: Request, res: Response, tools: ToolDefinition[]): Promise<void> => {
      if (req.method !== "POST") {
        // 405 (not 404) keeps mcp-remote quiet about the SSE stream it tries to open.
        sendJsonRpcError(res, 405, JSONRPC_SERVER_ERROR, "Method not allowed: this server is stateless; use POST.", undefined, { Allow: "POST" });
        return;
      }
      // The common case — one request answered with one JSON body — skips the SDK transport.
      const fast = fastPathRequest(req.headers, req.body, STATELESS_SAFE_METHODS);
      if (fast) {
        await handleFast(req, res, tools, fast);
        return;
      }
      // Servers are reused across stateless requests only for methods that leave no per-client
      // state on them (an initialize records client capabilities, logging/setLevel a level).
      const reusable = isStatelessSafe(req.body);
      const server = (reusable ? serverPool.take(tools) : undefined) ?? options.createServer({ tools, client, endpoint: spec });
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
      instrumentTransport(transport, metrics, toolNames);
      await transport.handleRequest(req, res, req.body);
    };

    const handleFast = async (req: HotRequest, res: ServerResponse, tools: ToolDefinition[], request: JSONRPCRequest): Promise<void> => {
      let entry = directPool.take(tools);
      if (!entry) {
        const server = options.createServer({ tools, client, endpoint: spec });
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
    };

    const handleStateful = async (req: Request, res: Response, tools: ToolDefinition[]): Promise<void> => {
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
      const server = options.createServer({ tools, client, endpoint: spec });
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
      instrumentTransport(transport, metrics, toolNames);
      await transport.handleRequest(req, res, req.body);
    };

    const route = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
      try {
        await handle(req, res);
      } catch (err) {
        next(err);
      }
    };
    // The hot path's admission: the checks of `handle` that need no body, as a verdict only. A
    // request refused here is served by the express route, which refuses it with its own words.
    const admit = (req: IncomingMessage): { tools: ToolDefinition[]; rootKey: string } | undefined => {
      if (endpoint.unavailable || !endpoint.tools) return undefined;
      const auth = resolveRootKeyFromHeaders(req.headers, spec.header);
      const rootKey = auth.ok ? auth.rootKey : auth.reason === "missing" ? options.insecureTestRootKey : undefined;
      if (!rootKey) return undefined;
      try {
        return { tools: toolsFor(endpoint, parseRequestNarrowing(req.headers, {})), rootKey };
      } catch {
        return undefined;
      }
    };
    // The request-metrics label is computed as the express middleware computes it.
    for (const p of paths) hotRoutes.set(p, { route: routeOf(p), admit, handleFast });

    app.post(paths, jsonBody, route);
    app.get(paths, route);
    app.delete(paths, route);
    app.all(paths, (_req, res) => {
      sendJsonRpcError(res, 405, JSONRPC_SERVER_ERROR, "Method not allowed.", undefined, {
        Allow: config.stateless ? "POST" : "GET, POST, DELETE",
      });
    });
  }

  app.use((_req: Request, res: Response) => {
    res.status(404).json({
      error: "not_found",
      message: `No such route. MCP endpoints: ${ENDPOINTS.map((e) => e.path).join(", ")}; also /healthz and /metrics.`,
    });
  });

  // Body errors arrive here: too large → 413, unreadable JSON → JSON-RPC parse error.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const e = err as { type?: string; status?: number; message?: string };
    if (e.type === "entity.too.large") {
      sendJsonRpcError(res, 413, JSONRPC_SERVER_ERROR, `Request body too large: the limit is ${config.bodyLimitBytes} bytes.`);
      return;
    }
    if (e.type === "entity.parse.failed") {
      sendJsonRpcError(res, 400, JSONRPC_PARSE_ERROR, "Parse error: the request body is not valid JSON.");
      return;
    }
    if (typeof e.status === "number" && e.status >= 400 && e.status < 500) {
      sendJsonRpcError(res, e.status, JSONRPC_SERVER_ERROR, `Bad request: ${e.type ?? "unreadable request"}.`);
      return;
    }
    logger.error("unhandled error in HTTP request", { error: err instanceof Error ? err.message : String(err) });
    sendJsonRpcError(res, 500, JSONRPC_SERVER_ERROR, "Internal server error.");
  });

  /**
   * The hot path: a stateless POST to an endpoint's exact path (no query string) whose headers
   * pass every check of the express route is served without express, whose per-request setup
   * (re-prototyping req/res, the router walk) cost more CPU than the MCP handling itself. The body
   * is read by the same body-parser instance. Anything else, and anything the admission cannot
   * vouch for, goes to express untouched, so every refusal keeps its exact status and wording.
   */
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const hot = config.stateless && req.method === "POST" ? hotRoutes.get(req.url ?? "") : undefined;
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

  const httpServer: NodeHttpServer = await new Promise((resolve, reject) => {
    const s = createServer(listener);
    s.once("error", reject);
    s.listen(config.port, config.host, () => resolve(s));
  });
  // Bounds the time to *receive* a request; long-lived SSE responses are not affected.
  httpServer.requestTimeout = options.requestReceiveTimeoutMs ?? 30_000;
  httpServer.headersTimeout = Math.min(httpServer.requestTimeout, 20_000);

  const address = httpServer.address() as AddressInfo;
  const hostForUrl = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const urlHost = config.host === "0.0.0.0" || config.host === "::" ? "127.0.0.1" : hostForUrl;
  const url = `http://${urlHost}:${address.port}`;
  // The bound host:port is always acceptable as Host, also when it is not a loopback name.
  allowedHosts.add(`${urlHost}:${address.port}`);

  let closed = false;
  return {
    url,
    host: config.host,
    port: address.port,
    endpoints: endpoints.map((e) => ({ ...e.spec, url: `${url}${e.spec.path}`, toolCount: e.tools?.length ?? 0 })),
    metrics,
    sessionCount: () => sessions.size,
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      sessions.closeAll();
      await new Promise<void>((resolve) => {
        httpServer.close(() => resolve());
        // Open SSE streams would hold close() forever.
        httpServer.closeAllConnections();
      });
    },
  };
}

/** Idle stateless servers by tool list: building one (SDK Server + validator) costs more than the call it serves. */
class ServerPool<T> {
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

const STATELESS_SAFE_METHODS = new Set(["tools/call", "tools/list", "prompts/list", "prompts/get", "ping"]);

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

export interface HttpRuntime {
  catalog: ToolDefinition[];
  client: UnkeyClient;
  createServer: McpServerFactory;
  close(): Promise<void>;
}

/**
 * Everything built once per process: the catalog (generated from the contract or --spec), the
 * prompts, the pooled Unkey client, and a cheap factory for per-session/per-request servers.
 */
export async function buildHttpRuntime(config: HttpConfig, logger: Logger): Promise<HttpRuntime> {
  const { catalog, prompts, client } = await loadServerParts(config, logger);
  // One instructions text per distinct tool list (lists are cached per endpoint and narrowing).
  const instructionsFor = new WeakMap<ToolDefinition[], string>();
  const createServer: McpServerFactory = ({ tools, client: c, endpoint }) => {
    let instructions = instructionsFor.get(tools);
    if (instructions === undefined) {
      instructions = buildInstructions({
        profile: endpoint.profile,
        toolsets: listToolsets(tools),
        toolCount: tools.length,
        readOnly: config.catalog.readOnly || tools.every((t) => t.safety === "read" || t.safety === "consume"),
        allowConsume: config.catalog.allowConsume,
        hideSecrets: config.hideSecrets,
        apiUrl: config.apiUrl,
      });
      instructionsFor.set(tools, instructions);
    }
    return createMcpServer({
      tools,
      client: c,
      // Read from the request that carried this very call, never from the session.
      resolveRootKey: (extra) => extra.authInfo?.token,
      instructions,
      logger,
      prompts,
      policy: { readOnly: config.catalog.readOnly, allowConsume: config.catalog.allowConsume },
      hideSecrets: config.hideSecrets,
      rootKeySource: `the ${endpoint.header} header (or Authorization: Bearer) of your MCP client config`,
    });
  };
  return { catalog, client, createServer, close: () => client.close() };
}

export interface LaunchedHttp {
  runtime: HttpRuntime;
  server: RunningHttpServer;
  /** Closes the server, then the runtime (its Unkey client). */
  close(): Promise<void>;
}

/**
 * Builds the runtime and starts the server on it; if the server cannot start, the runtime is
 * closed again before the error propagates. Shared by `http` and `start`.
 */
export async function launchHttpServer(
  config: HttpConfig,
  logger: Logger,
  extra: Pick<HttpServerOptions, "insecureTestRootKey"> = {},
): Promise<LaunchedHttp> {
  const runtime = await buildHttpRuntime(config, logger);
  let server: RunningHttpServer;
  try {
    server = await startHttpServer({ config, logger, catalog: runtime.catalog, client: runtime.client, createServer: runtime.createServer, ...extra });
  } catch (err) {
    await runtime.close();
    throw err;
  }
  return {
    runtime,
    server,
    async close() {
      await server.close();
      await runtime.close();
    },
  };
}

/** Stops on SIGINT/SIGTERM; resolves once everything is closed. */
export function waitForShutdown(logger: Logger, stop: () => Promise<void>): Promise<void> {
  return new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) return;
      stopping = true;
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      logger.info("shutting down", { reason: signal });
      void stop()
        .catch((err: unknown) => logger.error("error while shutting down", { error: err instanceof Error ? err.message : String(err) }))
        .finally(resolve);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}

/** `unkey-mcp http [flags]` */
export async function runHttpCommand(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const config = parseConfig("http", argv, env) as HttpConfig;
  const testRootKey = config.insecureTestRootKey;
  const logger = createLogger({ level: config.logLevel, format: config.logFormat, secrets: [testRootKey] });
  const launched = await launchHttpServer(config, logger, { insecureTestRootKey: testRootKey });
  const { server } = launched;
  if (testRootKey) {
    logger.warn("TEST MODE: requests without a root key act with --insecure-test-root-key; never use this outside a test harness");
  }
  for (const e of server.endpoints) {
    logger.info("MCP endpoint ready", { url: e.url, profile: e.profile, header: e.header, tools: e.toolCount });
  }
  // A plain line on stdout for scripts and tests that need the address (port 0 picks one).
  process.stdout.write(`unkey-mcp HTTP server listening on ${server.url} (MCP: ${server.endpoints.filter((e) => e.toolCount > 0).map((e) => e.url).join(", ")})\n`);
  logger.info("unkey-mcp ready on HTTP", {
    version: packageVersion(),
    url: server.url,
    apiUrl: config.apiUrl,
    mode: config.stateless ? "stateless" : "stateful",
    sessionTtlSeconds: config.sessionTtlSeconds,
  });
  await waitForShutdown(logger, () => launched.close());
}
