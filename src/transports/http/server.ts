/**
 * Streamable HTTP transport: `unkey-mcp http`.
 *
 *   /mcp/v2            profile full        root key from MCP-UNKEY-BEARER-AUTH
 *   /mcp/ratelimits/   profile ratelimits  root key from MCP-UNKEY-V2-ROOT-KEY
 *   (both also take Authorization: Bearer)
 *
 * Request pipeline: Host/Origin guard → JSON body (size-limited) → admission (root key,
 * narrowing) → the era the request speaks: 2026-07-28 requests are served per request (pooled
 * servers for plain calls and lists, the SDK's handler for the rest; no memory between
 * requests); 2025-era requests join their session (stateful) or get a fresh server (--stateless).
 * The hot path (hot-path.ts) runs that pipeline without express for plain read calls and lists.
 *
 * Where things are: this file wires the parts (startHttpServer), builds the express app and owns
 * the lifecycle; endpoint.ts admits and routes one endpoint's requests; web-exchange.ts carries a
 * request to the SDK's web-standard handlers and their answer back; modern-direct.ts serves plain
 * 2026-07-28 tools/call and tools/list without the web objects; instrument.ts times the upstream
 * client; tool calls are counted by the server's tools/call adapter.
 *
 * The server holds no root key. Each request's key is attached to that request (`req.auth`) and
 * reaches the tool handler as `extra.authInfo.token`, so a session shared over time, or one
 * deployment shared by many users, never acts with another request's key.
 */
import { createServer, type IncomingMessage, type Server as NodeHttpServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import express, { type Express, type NextFunction, type Request, type Response } from "express";
import { ConfigError, type HttpConfig } from "../../config.js";
import { createRuntime, type Runtime } from "../../runtime.js";
import type { ToolCallCounter } from "../../server.js";
import type { Logger } from "../../util/log.js";
import { createEndpointHandler, prepareEndpoints, type EndpointContext, type EndpointHandler, type PreparedEndpoint, type Session } from "./endpoint.js";
import { ENDPOINTS, type EndpointSpec, type McpServerFactory } from "./endpoints.js";
import {
  HostAllowList,
  JSONRPC_PARSE_ERROR,
  JSONRPC_SERVER_ERROR,
  defaultAllowedHosts,
  hostOriginGuard,
  isLoopbackHost,
  sendJsonRpcError,
  type OriginPolicy,
} from "./guards.js";
import { LaneBudget } from "./direct-pool.js";
import { createHotPathListener, endpointPaths, hotPathBodyError } from "./hot-path.js";
import { timedClient } from "./instrument.js";
import { createHttpMetrics, type HttpMetrics } from "./metrics.js";
import { SessionStore } from "./sessions.js";

export interface HttpServerOptions {
  config: HttpConfig;
  logger: Logger;
  /** Catalog, prompts, client and server factory, built once per process. */
  runtime: Runtime;
  /**
   * Test mode for harnesses that cannot send headers (the MCP conformance suite): requests
   * without a key act with this one. Refused unless the server binds a loopback address.
   */
  insecureTestRootKey?: string;
  /** Time allowed to receive one request (headers + body), default 30 s. */
  requestReceiveTimeoutMs?: number;
  /** Clock of the session TTL (tests move it instead of sleeping). */
  now?: () => number;
  /**
   * Plain read calls and lists skip the SDK's web handler and transports (default true): the
   * 2026-07-28 ones, the ones on 2025 sessions and under --stateless. False sends every request
   * through the SDK: the parity tests compare both.
   */
  directPaths?: boolean;
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

/** Starts the HTTP server; resolves once it listens. */
export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const { config, logger } = options;
  checkTestRootKey(options);
  const metrics = createHttpMetrics();
  const endpoints = selectEndpoints(options);
  const ctx = createEndpointContext(options, metrics);
  const hosts = createHostPolicy(config, logger);
  const handlers = endpoints.map((endpoint) => createEndpointHandler(ctx, endpoint));

  const jsonBody = express.json({ limit: config.bodyLimitBytes, type: () => true });
  const app = createApp({ config, logger, metrics, sessions: ctx.sessions, hosts, handlers, jsonBody });
  const listener = createHotPathListener({ handlers, ...hosts, jsonBody, app, metrics, logger });

  const httpServer = await listen(listener, config, options.requestReceiveTimeoutMs);
  const bound = boundAddress(httpServer, config);
  // The bound host:port is always acceptable as Host, also when it is not a loopback name.
  hosts.allowedHosts.add(bound.hostPort);

  return {
    url: bound.url,
    host: config.host,
    port: bound.port,
    endpoints: endpoints.map((e) => ({ ...e.spec, url: `${bound.url}${e.spec.path}`, toolCount: e.tools?.length ?? 0 })),
    metrics,
    sessionCount: () => ctx.sessions.size,
    close: closeOnce(httpServer, ctx.sessions),
  };
}

// ---------------------------------------------------------------------------------------------
// Setup

/** Test mode is loopback-only, and its key is a secret like any other. */
function checkTestRootKey(options: HttpServerOptions): void {
  const { config, logger } = options;
  if (options.insecureTestRootKey !== undefined && !isLoopbackHost(config.host)) {
    throw new ConfigError(`--insecure-test-root-key is only allowed on a loopback bind address (127.0.0.1, ::1, localhost); --host is ${config.host}`);
  }
  if (options.insecureTestRootKey) logger.addSecret(options.insecureTestRootKey);
}

/** Every endpoint with its tool selection; refuses to start when none has a tool. */
function selectEndpoints(options: HttpServerOptions): PreparedEndpoint[] {
  const { logger } = options;
  const endpoints = prepareEndpoints(ENDPOINTS, options.runtime.catalog, options.config);
  if (endpoints.every((e) => e.unavailable)) {
    throw new ConfigError(`no endpoint has any tool with these flags: ${endpoints.map((e) => `${e.spec.path}: ${e.unavailable}`).join("; ")}`);
  }
  for (const e of endpoints) {
    if (e.unavailable) logger.warn("endpoint disabled by the server's tool selection", { endpoint: e.spec.path, reason: e.unavailable });
  }
  return endpoints;
}

/** The state every endpoint handler shares: timed client, sessions, the tool-call counter. */
function createEndpointContext(options: HttpServerOptions, metrics: HttpMetrics): EndpointContext {
  const { runtime } = options;
  const knownPaths = new Set(runtime.catalog.flatMap((t) => (t.http ? [t.http.path] : [])));
  const toolNames = new Set(runtime.catalog.map((t) => t.name));
  // The one place tool calls are counted, whatever the era or path; labels stay bounded to the catalog.
  const countToolCall: ToolCallCounter = (tool, outcome) => metrics.toolCalls.inc({ tool: toolNames.has(tool) ? tool : "unknown", outcome });
  return {
    config: options.config,
    createServer: httpServerFactory(runtime, countToolCall),
    client: timedClient(runtime.client, metrics, knownPaths),
    metrics,
    sessions: createSessionStore(options, metrics),
    insecureTestRootKey: options.insecureTestRootKey,
    directPaths: options.directPaths ?? true,
    // Enough for a busy deployment's concurrency; at about what an idle session costs (~50 KB)
    // a server, ~13 MB at most.
    laneBudget: new LaneBudget(256),
    onerror: (error) => options.logger.debug("MCP request refused or failed", { message: error.message }),
  };
}

function createSessionStore(options: HttpServerOptions, metrics: HttpMetrics): SessionStore<Session> {
  const { config, logger } = options;
  return new SessionStore<Session>({
    ttlMs: config.sessionTtlSeconds * 1000,
    maxSessions: config.maxSessions,
    maxPerOwner: config.maxSessionsPerKey,
    now: options.now,
    onEvict: (entry, why) => {
      logger.debug("session closed", { endpoint: entry.endpoint, why });
      // close() on the transport ends open SSE streams; the server follows it.
      void entry.value.transport.close().catch(() => undefined);
      void entry.value.server.close().catch(() => undefined);
    },
    onSizeChange: (endpoint, delta) => metrics.activeSessions.inc({ endpoint }, delta),
  });
}

interface HostPolicy {
  allowedHosts: HostAllowList;
  originPolicy: OriginPolicy;
}

/** The Host/Origin policy (DNS-rebinding protection); the bound address is added once known. */
function createHostPolicy(config: HttpConfig, logger: Logger): HostPolicy {
  const allowedHosts = new HostAllowList([...defaultAllowedHosts(config.host), ...config.allowedHosts]);
  if ((config.host === "0.0.0.0" || config.host === "::") && config.allowedHosts.length === 0) {
    logger.warn("binding all interfaces: only loopback Host headers are accepted until you pass --allowed-hosts (DNS-rebinding protection)", {
      host: config.host,
    });
  }
  return { allowedHosts, originPolicy: { allowedOrigins: config.allowedOrigins } };
}

// ---------------------------------------------------------------------------------------------
// Routing

type JsonBodyParser = ReturnType<typeof express.json>;

interface AppParts {
  config: HttpConfig;
  logger: Logger;
  metrics: HttpMetrics;
  sessions: SessionStore<Session>;
  hosts: HostPolicy;
  handlers: EndpointHandler[];
  jsonBody: JsonBodyParser;
}

/** The express app: probes, the Host/Origin guard, the MCP endpoints, 404 and the error handler. */
function createApp(parts: AppParts): Express {
  const { config, metrics, sessions } = parts;
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

  app.use(hostOriginGuard(parts.hosts.allowedHosts, parts.hosts.originPolicy));
  app.use(hotPathBodyError);

  for (const handler of parts.handlers) mountEndpoint(app, handler, parts.jsonBody, config);

  app.use((_req: Request, res: Response) => {
    res.status(404).json({
      error: "not_found",
      message: `No such route. MCP endpoints: ${ENDPOINTS.map((e) => e.path).join(", ")}; also /healthz and /metrics.`,
    });
  });
  app.use(errorHandler(config, parts.logger));
  return app;
}

function mountEndpoint(app: Express, handler: EndpointHandler, jsonBody: JsonBodyParser, config: HttpConfig): void {
  const paths = endpointPaths(handler.endpoint.spec.path);
  const route = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    try {
      await handler.handle(req, res);
    } catch (err) {
      next(err);
    }
  };
  app.post(paths, jsonBody, route);
  app.get(paths, route);
  app.delete(paths, route);
  app.all(paths, (_req, res) => {
    sendJsonRpcError(res, 405, JSONRPC_SERVER_ERROR, "Method not allowed.", undefined, {
      Allow: config.stateless ? "POST" : "GET, POST, DELETE",
    });
  });
}

/** Body errors arrive here: too large → 413, unreadable JSON → JSON-RPC parse error. */
function errorHandler(config: HttpConfig, logger: Logger): (err: unknown, req: Request, res: Response, next: NextFunction) => void {
  return (err: unknown, _req: Request, res: Response, _next: NextFunction) => {
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

// ---------------------------------------------------------------------------------------------
// Lifecycle

async function listen(
  listener: (req: IncomingMessage, res: ServerResponse) => void,
  config: HttpConfig,
  requestReceiveTimeoutMs: number | undefined,
): Promise<NodeHttpServer> {
  const httpServer: NodeHttpServer = await new Promise((resolve, reject) => {
    const s = createServer(listener);
    s.once("error", reject);
    s.listen(config.port, config.host, () => resolve(s));
  });
  // Bounds the time to *receive* a request; long-lived SSE responses are not affected.
  httpServer.requestTimeout = requestReceiveTimeoutMs ?? 30_000;
  httpServer.headersTimeout = Math.min(httpServer.requestTimeout, 20_000);
  return httpServer;
}

/** The base URL clients use; a wildcard bind is reached through 127.0.0.1. */
function boundAddress(httpServer: NodeHttpServer, config: HttpConfig): { url: string; hostPort: string; port: number } {
  const address = httpServer.address() as AddressInfo;
  const hostForUrl = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const urlHost = config.host === "0.0.0.0" || config.host === "::" ? "127.0.0.1" : hostForUrl;
  const hostPort = `${urlHost}:${address.port}`;
  return { url: `http://${hostPort}`, hostPort, port: address.port };
}

/** Closes sessions and the listener once; later calls resolve at once. */
function closeOnce(httpServer: NodeHttpServer, sessions: SessionStore<Session>): () => Promise<void> {
  let closed = false;
  return async () => {
    if (closed) return;
    closed = true;
    sessions.closeAll();
    await new Promise<void>((resolve) => {
      httpServer.close(() => resolve());
      // Open SSE streams would hold close() forever.
      httpServer.closeAllConnections();
    });
  };
}

/**
 * The HTTP side's server factory over the shared runtime: the root key of a call is the one of
 * the request that carried it (never the session's), and the hints name the endpoint's header.
 */
function httpServerFactory(runtime: Runtime, countToolCall: ToolCallCounter): McpServerFactory {
  return ({ tools, client, endpoint, protocolVersions }) =>
    runtime.createServer({
      tools,
      client,
      protocolVersions,
      profile: endpoint.profile,
      countToolCall,
      resolveRootKey: (extra) => extra.http?.authInfo?.token,
      rootKeySource: `the ${endpoint.header} header (or Authorization: Bearer) of your MCP client config`,
    });
}

export interface LaunchedHttp {
  runtime: Runtime;
  server: RunningHttpServer;
  /** Closes the server, then the runtime (its Unkey client). */
  close(): Promise<void>;
}

/**
 * Builds the runtime and starts the server on it; if the server cannot start, the runtime is
 * closed again before the error propagates. Shared by `http` and `start`.
 */
export async function launchHttpServer(config: HttpConfig, logger: Logger, extra: Pick<HttpServerOptions, "insecureTestRootKey"> = {}): Promise<LaunchedHttp> {
  const runtime = await createRuntime(config, logger);
  let server: RunningHttpServer;
  try {
    server = await startHttpServer({ config, logger, runtime, ...extra });
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
