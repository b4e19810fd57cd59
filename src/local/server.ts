/**
 * The local Unkey-compatible API: node:http, one SQLite store, the contract's validators, and the
 * registered handlers. Pipeline per request (Unkey's order): route → parse body → validate against
 * the contract → authenticate the root key → handler (one transaction) → respond. Errors use
 * Unkey's envelope with the content type the contract declares for that operation and status.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { contractYamlPath, listOperations, loadContract, type ContractOperation } from "../schemas/loader.js";
import type { RequestContext } from "./context.js";
import { ApiError } from "./errors.js";
import { newId } from "./ids.js";
import { authenticate, bootstrap } from "./root-keys.js";
import { openStore, type Store } from "./store/store.js";
import { createAjv, redactedPaths, toValidationErrors, type Validator } from "./validation.js";
import { getHandler, type Handler, type HandlerResult } from "./handlers/registry.js";
import "./handlers/index.js";
import { runDueRefills, startRefillScheduler } from "./refill.js";
import { ANALYTICS_FILE_NAME, disabledAnalytics, openAnalytics, type Analytics, type AnalyticsLimits } from "./analytics/index.js";
import { join } from "node:path";

export interface LocalApiOptions {
  /** Directory for the SQLite database (default `.unkey-local`). */
  dataDir?: string;
  /** Keep everything in memory; nothing touches the disk. */
  memory?: boolean;
  /** Seed this exact string as a root key holding every permission. */
  rootKey?: string;
  /** Honour `X-Test-Time: <unix ms>` as the request's clock. */
  testClock?: boolean;
  host?: string;
  /** 0 picks a free port. Default 8787. */
  port?: number;
  /** Check every 2xx body against the contract's response schema; a mismatch becomes a 500 (tests). */
  validateResponses?: boolean;
  /** Where unexpected failures are reported (default: a line on stderr). Never receives secrets. */
  onError?: (message: string, err: unknown) => void;
  /** Analytics engine limits (tests shrink them to reach the 422s). */
  analyticsLimits?: Partial<AnalyticsLimits>;
  /** false: no analytics engine; events are dropped and queries answer 412 (the benchmark's baseline). */
  analytics?: boolean;
}

export interface LocalApi {
  url: string;
  /** The plaintext root key, only when this start created it or it was seeded with `rootKey`. */
  rootKey?: string;
  workspaceId: string;
  /** The open store (tests and the CLI may inspect it). */
  store: Store;
  /** The analytics engine (tests and the benchmark bulk-seed through it). */
  analytics: Analytics;
  close(): Promise<void>;
}

interface CompiledOperation {
  op: ContractOperation;
  validate?: Validator;
  validateResponse?: Validator;
  handler?: Handler;
  /** `x-unkey-redact` fields of the request / response: never echoed in error messages. */
  redactRequest: string[][];
  redactResponse: string[][];
  errorContentTypes: Map<number, string>;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024; // identity meta may be up to 1 MB
/** How much of an over-limit body is read (and discarded) before the connection is cut. */
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;
const REGION = "local";
const JSON_TYPE = "application/json";

function compileOperations(validateResponses: boolean): Map<string, CompiledOperation> {
  const requestAjv = createAjv({ useDefaults: true });
  const responseAjv = validateResponses ? createAjv({ useDefaults: false }) : undefined;
  const byPath = new Map<string, CompiledOperation>();
  for (const op of listOperations(loadContract())) {
    if (op.method !== "post") continue;
    byPath.set(op.path, {
      op,
      validate: op.requestSchema ? requestAjv.compile(op.requestSchema) : undefined,
      validateResponse: responseAjv && op.responseSchema ? responseAjv.compile(op.responseSchema) : undefined,
      handler: getHandler(op.operationId),
      redactRequest: redactedPaths(op.requestSchema),
      redactResponse: redactedPaths(op.responseSchema),
      errorContentTypes: new Map(op.errors.map((e) => [e.status, e.contentType])),
    });
  }
  return byPath;
}

function send(res: ServerResponse, status: number, contentType: string, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: ServerResponse, err: ApiError, requestId: string, compiled?: CompiledOperation): void {
  const contentType = compiled?.errorContentTypes.get(err.status) ?? JSON_TYPE;
  send(res, err.status, contentType, err.toBody(requestId));
}

/** Thrown by readBody once the whole over-limit body has been drained; answered 413 with `Connection: close`. */
class BodyTooLargeError extends ApiError {
  constructor() {
    super(413, "user/bad_request/request_body_too_large", `The request body exceeds the limit of ${MAX_BODY_BYTES} bytes.`, []);
  }
}

/**
 * Buffers the body up to MAX_BODY_BYTES. Past the limit it stops buffering but keeps reading (so the
 * client finishes sending and can read the 413 instead of a connection reset); a client that goes on
 * past MAX_DRAIN_BYTES is cut off.
 */
function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const declared = Number(req.headers["content-length"]);
    let tooLarge = Number.isFinite(declared) && declared > MAX_BODY_BYTES;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (tooLarge || size > MAX_BODY_BYTES) {
        tooLarge = true;
        chunks.length = 0;
        if (size > MAX_DRAIN_BYTES) req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => {
      if (tooLarge) reject(new BodyTooLargeError());
      else resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    });
    req.on("error", reject);
  });
}

/** "body is not valid JSON (at position N)", never the parser's message, which may quote the input. */
function unreadableDetail(parserMessage: string, length: number): string {
  const m = /at position (\d+)/.exec(parserMessage);
  if (m) return `body is not valid JSON (at position ${m[1]})`;
  if (/Unexpected end of JSON input/.test(parserMessage)) return `body is not valid JSON (at position ${length})`;
  return "body is not valid JSON";
}

function requestTime(req: IncomingMessage, testClock: boolean): number {
  if (testClock) {
    const h = req.headers["x-test-time"];
    if (typeof h === "string" && /^\d+$/.test(h.trim())) return Number(h.trim());
  }
  return Date.now();
}

export async function createLocalApi(opts: LocalApiOptions = {}): Promise<LocalApi> {
  const store = await openStore({ dataDir: opts.dataDir, memory: opts.memory });
  let boot;
  try {
    boot = bootstrap(store, Date.now(), opts.rootKey);
  } catch (err) {
    store.close();
    throw err;
  }
  const testClock = opts.testClock === true;
  const onError =
    opts.onError ??
    ((message: string, err: unknown): void => {
      process.stderr.write(`[unkey-local] ${message}: ${(err as Error)?.stack ?? String(err)}\n`);
    });
  // Beside the SQLite file, or in memory with it; loaded only now, and optional (412 without it).
  const analytics = opts.analytics === false ? disabledAnalytics() : await openAnalytics({
    file: opts.memory ? undefined : join(opts.dataDir ?? ".unkey-local", ANALYTICS_FILE_NAME),
    limits: opts.analyticsLimits,
    onError,
  });
  const operations = compileOperations(opts.validateResponses === true);
  // Real-time midnights; under the test clock time only moves with X-Test-Time, so no timer.
  const stopRefills = testClock ? (): void => {} : startRefillScheduler(store);
  const openapiYaml = readFileSync(contractYamlPath());

  async function handlePost(req: IncomingMessage, res: ServerResponse, compiled: CompiledOperation, requestId: string): Promise<void> {
    const now = requestTime(req, testClock);
    const raw = await readBody(req);
    let body: unknown;
    try {
      body = raw.length === 0 ? undefined : JSON.parse(raw.toString("utf8"));
    } catch (err) {
      // V8's message can quote the body (which may hold a key): report only where parsing stopped.
      const detail = unreadableDetail((err as Error).message, raw.length);
      throw new ApiError(400, "user/bad_request/request_body_unreadable", detail, [
        { location: "body", message: detail, fix: "Send a JSON body with Content-Type: application/json." },
      ]);
    }
    if (body === undefined) {
      throw new ApiError(400, "unkey/application/invalid_input", "body is required", [
        { location: "body", message: "body is required", fix: "Send a JSON body with Content-Type: application/json." },
      ]);
    }
    if (compiled.validate && !compiled.validate(body)) {
      const errors = toValidationErrors(compiled.validate.errors, body, compiled.redactRequest);
      throw new ApiError(400, "unkey/application/invalid_input", errors[0]?.message ?? "invalid input", errors);
    }
    const auth = authenticate(store, req.headers.authorization, now);
    if (!compiled.handler) {
      throw new ApiError(500, "unkey/application/unexpected_error", `${compiled.op.operationId} is not implemented by the local API yet.`);
    }
    // Refills due by this request's clock land first, so every operation sees them (cheap: no query
    // unless a UTC midnight was crossed since the last request).
    runDueRefills(store, now);
    const remote = req.socket.remoteAddress;
    const clientIp = remote?.startsWith("::ffff:") ? remote.slice(7) : remote;
    const ctx: RequestContext = { db: store, now, requestId, workspaceId: auth.workspaceId, rootKey: auth.rootKey, region: REGION, clientIp, analytics };
    let result = compiled.handler(ctx, body);
    if (result instanceof Promise) result = await result;
    const out = { meta: { requestId }, ...(result as HandlerResult) };
    if (compiled.validateResponse && !compiled.validateResponse(out)) {
      const problems = toValidationErrors(compiled.validateResponse.errors, out, compiled.redactResponse).map((e) => e.message.replace(/^body/, "response"));
      throw new ApiError(500, "unkey/application/unexpected_error", `response does not match the contract: ${problems.join("; ")}`);
    }
    send(res, 200, JSON_TYPE, out);
  }

  const server = createServer((req, res) => {
    const requestId = newId("req");
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q === -1 ? url : url.slice(0, q);
    const compiled = operations.get(path);
    if (compiled && req.method === "POST") {
      handlePost(req, res, compiled, requestId).catch((err: unknown) => {
        if (err instanceof BodyTooLargeError) {
          // Unkey answers 413; the connection is not reused after a body this size.
          res.setHeader("connection", "close");
          res.once("finish", () => req.socket.destroy());
          sendError(res, err, requestId, compiled);
          return;
        }
        if (err instanceof ApiError) {
          sendError(res, err, requestId, compiled);
          return;
        }
        onError(`${compiled.op.operationId} failed`, err);
        if (!res.headersSent) {
          sendError(res, new ApiError(500, "unkey/application/unexpected_error", "An unexpected error occurred."), requestId, compiled);
        }
      });
      return;
    }
    if (req.method === "GET" && path === "/v2/liveness") {
      send(res, 200, JSON_TYPE, { meta: { requestId }, data: { message: "OK" } });
      return;
    }
    if (req.method === "GET" && path === "/openapi.yaml") {
      res.writeHead(200, { "content-type": "application/yaml", "content-length": openapiYaml.length });
      res.end(openapiYaml);
      return;
    }
    // Drain any body so keep-alive connections stay usable.
    req.resume();
    if (compiled) {
      res.setHeader("allow", "POST");
      sendError(res, new ApiError(405, "unkey/application/method_not_allowed", `${path} accepts POST only.`), requestId);
      return;
    }
    sendError(res, new ApiError(404, "unkey/application/route_not_found", `No route ${req.method} ${path}.`), requestId);
  });
  server.keepAliveTimeout = 65_000;

  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 8787, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;

  let closing: Promise<void> | undefined;
  return {
    url,
    rootKey: boot.createdRootKey ?? opts.rootKey,
    workspaceId: boot.workspaceId,
    store,
    analytics,
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        stopRefills();
        server.close(() => {
          store.close();
          analytics.close().then(resolve, (err: unknown) => {
            onError("analytics close failed", err);
            resolve();
          });
        });
        server.closeIdleConnections();
        // In-flight requests finish (their writes are committed synchronously); idle sockets go now.
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      });
      return closing;
    },
  };
}
