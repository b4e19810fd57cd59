/**
 * The local Unkey-compatible API: node:http, one SQLite store, the contract's validators, and the
 * handler table (handlers/table.ts). Pipeline per request (Unkey's order): route → parse body →
 * validate against the contract (and FREE_FORM_LIMITS) → authenticate the root key → handler (one
 * transaction) → respond. Errors use Unkey's envelope with the content type the contract declares
 * for that operation and status.
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
import { createAjv, freeFormErrors, freeFormPaths, redactedPaths, toValidationErrors, type Validator } from "./validation.js";
import { getHandler } from "./handlers/table.js";
import type { Handler, HandlerResult } from "./handlers/types.js";
import { runDueRefills, startRefillScheduler } from "./refill.js";
import { startCounterSweeps } from "./ratelimit/limiters.js";
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
  /**
   * Where routine notices go, one line each and never a stack (default: stderr): a request whose
   * client went away before its body arrived. Anyone can cause these, so they stay short.
   */
  onNotice?: (line: string) => void;
  /** Connection timeouts; see DEFAULT_TIMEOUTS. */
  timeouts?: Partial<LocalApiTimeouts>;
  /** Analytics engine limits (tests shrink them to reach the 422s). */
  analyticsLimits?: Partial<AnalyticsLimits>;
  /** false: no analytics engine; events are dropped and queries answer 412 (the benchmark's baseline). */
  analytics?: boolean;
}

export interface LocalApiTimeouts {
  /** The whole request (headers and body) must arrive within this many ms, or the connection is closed (408). */
  requestMs: number;
  /** The headers must arrive within this many ms. */
  headersMs: number;
  /** An idle keep-alive connection is closed after this many ms. */
  keepAliveMs: number;
}

/**
 * Generous for any real client (a 4 MB body at 1 Mbit/s takes ~32 s), short enough that slow or
 * stalled connections cannot pile up: Node's own request timeout is 5 minutes. Keep-alive stays
 * above the 4 s idle time of undici/fetch clients so a reused connection is not closed under them.
 */
export const DEFAULT_TIMEOUTS: Readonly<LocalApiTimeouts> = { requestMs: 60_000, headersMs: 15_000, keepAliveMs: 10_000 };

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
  /** Free-form objects (`meta`) of the request, checked against FREE_FORM_LIMITS. */
  freeForm: string[][];
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
      freeForm: freeFormPaths(op.requestSchema),
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

/** The request ended before its body was read: the client went away or the request timed out. */
class ClientAbortError extends Error {
  constructor() {
    super("request closed before its body was read");
    this.name = "ClientAbortError";
  }
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
    // Node reports a vanished client (or a request timeout) as an "aborted" error on the request.
    req.on("error", () => reject(new ClientAbortError()));
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
  let boot: ReturnType<typeof bootstrap>;
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
  const onNotice =
    opts.onNotice ??
    ((line: string): void => {
      process.stderr.write(`[unkey-local] ${line}\n`);
    });
  const timeouts: LocalApiTimeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
  // Node refuses a headers timeout longer than the request timeout.
  timeouts.headersMs = Math.min(timeouts.headersMs, timeouts.requestMs);
  // Beside the SQLite file, or in memory with it; loaded only now, and optional (412 without it).
  const analytics =
    opts.analytics === false
      ? disabledAnalytics()
      : await openAnalytics({
          file: opts.memory ? undefined : join(opts.dataDir ?? ".unkey-local", ANALYTICS_FILE_NAME),
          limits: opts.analyticsLimits,
          onError,
        });
  const operations = compileOperations(opts.validateResponses === true);
  // Real-time midnights; under the test clock time only moves with X-Test-Time, so no timer.
  const stopRefills = testClock ? (): void => {} : startRefillScheduler(store);
  const stopCounterSweeps = testClock ? (): void => {} : startCounterSweeps(store);
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
    const tooDeepOrLarge = freeFormErrors(body, compiled.freeForm);
    if (tooDeepOrLarge.length > 0) {
      throw new ApiError(400, "unkey/application/invalid_input", tooDeepOrLarge[0].message, tooDeepOrLarge);
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

  const server = createServer(
    {
      requestTimeout: timeouts.requestMs,
      headersTimeout: timeouts.headersMs,
      keepAliveTimeout: timeouts.keepAliveMs,
      // How often Node checks the two timeouts above (its default, 30 s, would let a 1 s timeout run 30 s).
      connectionsCheckingInterval: Math.max(100, Math.min(timeouts.headersMs, timeouts.requestMs) / 4),
    },
    (req, res) => {
      const requestId = newId("req");
      const url = req.url ?? "/";
      const q = url.indexOf("?");
      const path = q === -1 ? url : url.slice(0, q);
      const compiled = operations.get(path);
      if (compiled && req.method === "POST") {
        handlePost(req, res, compiled, requestId).catch((err: unknown) => {
          if (err instanceof ClientAbortError) {
            // Nothing was done and there is no one to answer. One short line: unauthenticated
            // clients can cause any number of these.
            onNotice(`${requestId} ${compiled.op.operationId}: connection closed before the body arrived (client abort or request timeout); nothing done`);
            return;
          }
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
    },
  );

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
        stopCounterSweeps();
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
