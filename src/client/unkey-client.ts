/**
 * The Unkey API client: one keep-alive undici Pool per origin, JSON over POST, bounded retries.
 *
 * Retry rules follow the safety class, because every Unkey call is a POST and the method says
 * nothing about side effects:
 *  - read: retried on connection errors and 5xx (max 2 retries, exponential backoff) and on 429
 *    when Retry-After is short; otherwise the 429 is returned with its Retry-After. A timeout is
 *    never retried, so one call waits at most one request timeout.
 *  - consume / write / destructive: never retried once the request may have reached the server;
 *    only a connection that was never established (refused, connect timeout) is retried.
 */
import { EventEmitter } from "node:events";
import type { Pool } from "undici";
import type { SafetyClass } from "../schemas/x-mcp.js";

export interface UnkeyRequest {
  method?: "post" | "get";
  /** Path below the base URL, e.g. `/v2/keys.getKey`. */
  path: string;
  body?: unknown;
  /** Sent as `Authorization: Bearer …`; omitted when undefined. */
  rootKey?: string;
  /** Decides whether a failed request may be retried. */
  safety: SafetyClass;
  signal?: AbortSignal;
}

export interface UnkeyResponse {
  status: number;
  /** Parsed JSON, or the raw text when the body is not JSON. */
  body: unknown;
  requestId?: string;
  headers: Record<string, string>;
  /** How many HTTP attempts were made (1 = no retry). */
  attempts: number;
}

export type UnkeyNetworkErrorKind = "connect" | "timeout" | "aborted" | "network";

/** The request got no HTTP response: the API is unreachable, too slow, or the call was cancelled. */
export class UnkeyNetworkError extends Error {
  override readonly name = "UnkeyNetworkError";
  constructor(
    message: string,
    readonly kind: UnkeyNetworkErrorKind,
    readonly url: string,
    readonly attempts: number,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** A non-2xx answer, thrown where a caller wants data or an exception (a hand-written tool's `call`). */
export class UnkeyApiError extends Error {
  override readonly name = "UnkeyApiError";
  constructor(
    readonly operationId: string,
    readonly response: UnkeyResponse,
  ) {
    super(`${operationId} answered ${response.status}`);
  }
}

/**
 * The request body cannot be serialised as JSON (a cycle, a BigInt): nothing was sent. Distinct
 * from UnkeyNetworkError, whose "may or may not have been applied" would be wrong here.
 */
export class UnkeyRequestBodyError extends Error {
  override readonly name = "UnkeyRequestBodyError";
  constructor(message: string) {
    super(message);
  }
}

export interface UnkeyClient {
  readonly baseUrl: string;
  request(req: UnkeyRequest): Promise<UnkeyResponse>;
  close(): Promise<void>;
}

export interface UnkeyClientOptions {
  baseUrl: string;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Retries for read operations (default 2). */
  maxRetries?: number;
  /** Longest Retry-After a read waits for before giving up and returning the 429 (default 5 s). */
  maxRetryAfterMs?: number;
  /** First backoff step; doubled per retry (default 200 ms). */
  backoffMs?: number;
  userAgent?: string;
  connections?: number;
}

const RETRYABLE_STATUS = new Set([500, 502, 503, 504]);
// Errors raised before a single byte of the request left this process.
const NOT_SENT_CODES = new Set(["ECONNREFUSED", "UND_ERR_CONNECT_TIMEOUT", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);
const TIMEOUT_CODES = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]);

// undici is loaded on the first request, not at startup: listing tools never needs it, and its
// import is a large share of a stdio server's cold start.
let undici: Promise<typeof import("undici")> | undefined;

export function createUnkeyClient(options: UnkeyClientOptions): UnkeyClient {
  const base = new URL(options.baseUrl);
  const origin = base.origin;
  const basePath = base.pathname.replace(/\/+$/, "");
  const connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  const maxRetries = options.maxRetries ?? 2;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 5_000;
  const backoffMs = options.backoffMs ?? 200;
  const userAgent = options.userAgent ?? "unkey-mcp";
  const pools = new Map<string, Pool>();

  const poolFor = async (o: string): Promise<Pool> => {
    let pool = pools.get(o);
    if (!pool) {
      undici ??= import("undici");
      const { Pool } = await undici;
      if (pools.has(o)) return pools.get(o)!;
      pool = new Pool(o, {
        connections: options.connections ?? 32,
        keepAliveTimeout: 30_000,
        connect: { timeout: connectTimeoutMs },
        headersTimeout: requestTimeoutMs,
        bodyTimeout: requestTimeoutMs,
      });
      pools.set(o, pool);
    }
    return pool;
  };

  const once = async (req: UnkeyRequest, url: string, payload: string | undefined): Promise<Omit<UnkeyResponse, "attempts">> => {
    // One plain timer and one AbortEmitter per attempt. undici takes an EventEmitter as its
    // signal: an AbortController's signal would cost a second EventTarget listener per request
    // (about 5 µs each on Node 20), and AbortSignal.timeout() + any() two signals and a weak timer.
    const abort = new AbortEmitter();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      abort.abort();
    }, requestTimeoutMs);
    const callerSignal = req.signal;
    const onCallerAbort = (): void => abort.abort();
    if (callerSignal) {
      if (callerSignal.aborted) abort.abort();
      else callerSignal.addEventListener("abort", onCallerAbort, { once: true });
    }
    const headers: Record<string, string> = {
      accept: "application/json",
      "user-agent": userAgent,
    };
    const method = (req.method ?? "post").toUpperCase() as "POST" | "GET";
    if (method === "POST") headers["content-type"] = "application/json";
    if (req.rootKey !== undefined) headers.authorization = `Bearer ${req.rootKey}`;
    try {
      const res = await (await poolFor(origin)).request({ method, path: basePath + req.path, headers, body: payload, signal: abort });
      const text = await res.body.text();
      // undici already gives lower-case header names.
      const flatHeaders: Record<string, string> = {};
      for (const k in res.headers) {
        const v = res.headers[k];
        if (v !== undefined) flatHeaders[k] = Array.isArray(v) ? v.join(", ") : v;
      }
      let body: unknown = text;
      if (text.length > 0) {
        try {
          body = JSON.parse(text);
        } catch {
          body = text;
        }
      }
      return { status: res.statusCode, body, headers: flatHeaders, requestId: requestIdOf(body, flatHeaders) };
    } catch (err) {
      throw toNetworkError(err, url, callerSignal, timedOut, requestTimeoutMs);
    } finally {
      clearTimeout(timer);
      callerSignal?.removeEventListener("abort", onCallerAbort);
    }
  };

  return {
    baseUrl: origin + basePath,
    async request(req: UnkeyRequest): Promise<UnkeyResponse> {
      const url = origin + basePath + req.path;
      const isRead = req.safety === "read";
      // Serialised once, before any timer or socket: a body JSON cannot carry fails right here.
      const payload = (req.method ?? "post") === "post" ? serialiseBody(req.body) : undefined;
      for (let attempt = 1; ; attempt++) {
        const retriesLeft = attempt <= maxRetries;
        let res: Omit<UnkeyResponse, "attempts">;
        try {
          res = await once(req, url, payload);
        } catch (err) {
          if (!(err instanceof UnkeyNetworkError)) throw err;
          const e = err;
          // A timeout is never retried: the caller allowed one --request-timeout in total, and an
          // MCP client gives up on its own (60 s) long before three timeouts have passed.
          const mayRetry = e.kind !== "aborted" && e.kind !== "timeout" && (isRead ? true : e.code !== undefined && NOT_SENT_CODES.has(e.code));
          if (!retriesLeft || !mayRetry) throw new UnkeyNetworkError(e.message, e.kind, url, attempt, e.code);
          await sleep(backoff(backoffMs, attempt), req.signal);
          continue;
        }
        if (isRead && retriesLeft && RETRYABLE_STATUS.has(res.status)) {
          await sleep(backoff(backoffMs, attempt), req.signal);
          continue;
        }
        if (isRead && retriesLeft && res.status === 429) {
          const wait = retryAfterMs(res.headers);
          if (wait !== undefined && wait <= maxRetryAfterMs) {
            await sleep(wait, req.signal);
            continue;
          }
        }
        return { ...res, attempts: attempt };
      }
    },
    async close(): Promise<void> {
      const all = [...pools.values()];
      pools.clear();
      await Promise.all(all.map((p) => p.close().catch(() => undefined)));
    },
  };
}

/** The JSON of a request body; UnkeyRequestBodyError when JSON cannot carry it. */
function serialiseBody(body: unknown): string {
  try {
    return JSON.stringify(body ?? {});
  } catch (err) {
    throw new UnkeyRequestBodyError(`the request body cannot be serialised as JSON (${err instanceof Error ? err.message : String(err)}); nothing was sent`);
  }
}

/** Milliseconds from `Retry-After` (seconds or HTTP date) or `retry-after-ms`; undefined if absent. */
export function retryAfterMs(headers: Record<string, string>): number | undefined {
  const ms = headers["retry-after-ms"];
  if (ms !== undefined && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.ceil(Number(ms));
  const ra = headers["retry-after"];
  if (ra === undefined) return undefined;
  const v = ra.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.ceil(Number(v) * 1000);
  const date = Date.parse(v);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - Date.now());
}

function requestIdOf(body: unknown, headers: Record<string, string>): string | undefined {
  if (body && typeof body === "object") {
    const meta = (body as { meta?: unknown }).meta;
    if (meta && typeof meta === "object") {
      const id = (meta as { requestId?: unknown }).requestId;
      if (typeof id === "string") return id;
    }
  }
  return headers["unkey-request-id"] ?? headers["x-request-id"];
}

function backoff(base: number, attempt: number): number {
  const step = Math.min(base * 2 ** (attempt - 1), 2_000);
  // Jitter keeps many clients from retrying in lock-step.
  return Math.round(step / 2 + Math.random() * (step / 2));
}

/**
 * What undici listens to for aborting one request (`aborted` is read before it sends): an
 * EventEmitter, which undici accepts in place of an AbortSignal, fires once.
 */
class AbortEmitter extends EventEmitter {
  aborted = false;

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.emit("abort");
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new UnkeyNetworkError("the request was cancelled", "aborted", "", 0));
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new UnkeyNetworkError("the request was cancelled", "aborted", "", 0));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function toNetworkError(err: unknown, url: string, callerSignal: AbortSignal | undefined, timedOut: boolean, timeoutMs: number): UnkeyNetworkError {
  const e = err as { code?: string; message?: string; cause?: { code?: string } };
  if (callerSignal?.aborted) return new UnkeyNetworkError("the request was cancelled", "aborted", url, 1);
  const code = e.code ?? e.cause?.code;
  if (timedOut || (code !== undefined && TIMEOUT_CODES.has(code))) {
    return new UnkeyNetworkError(`no response from ${url} within ${Math.round(timeoutMs / 1000)} s`, "timeout", url, 1, "TIMEOUT");
  }
  if (code === "UND_ERR_CONNECT_TIMEOUT") return new UnkeyNetworkError(`could not connect to ${url}: connect timeout`, "connect", url, 1, code);
  if (code !== undefined && NOT_SENT_CODES.has(code)) return new UnkeyNetworkError(`could not connect to ${url} (${code})`, "connect", url, 1, code);
  return new UnkeyNetworkError(`request to ${url} failed: ${e.message ?? String(err)}${code ? ` (${code})` : ""}`, "network", url, 1, code);
}
