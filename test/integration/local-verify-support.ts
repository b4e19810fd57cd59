/**
 * Support for the verify / ratelimit / refill integration tests: an in-process
 * local API with the test clock on and response validation against the
 * contract, the official SDK wired to send `X-Test-Time`, raw HTTP for what the
 * SDK hides (status codes, error bodies), and least-privilege root keys.
 */
import { Unkey } from "@unkey/api";
import { HTTPClient } from "@unkey/api/lib/http.js";
import { createLocalApi, type LocalApi, type LocalApiOptions } from "../../src/local/server.js";
import { createRootKey } from "../../src/local/root-keys.js";
import type { OperationId } from "../../src/local/handlers/types.js";
import type { ApiBody } from "../helpers/local-api.js";

export interface TestClock {
  /** Unix ms sent as X-Test-Time on every request. */
  now: number;
}

export interface RawResponse<Op extends OperationId = OperationId> {
  status: number;
  contentType: string;
  body: ApiBody<Op>;
}

export interface Harness {
  api: LocalApi;
  url: string;
  rootKey: string;
  clock: TestClock;
  /** The official SDK, every request stamped with the test clock. */
  unkey: Unkey;
  /** An SDK client authenticated with another root key. */
  sdkWith(rootKey: string): Unkey;
  /** A root key in the same workspace holding exactly `permissions`. */
  rootKeyWith(...permissions: string[]): string;
  /** POST /v2/<operationId> with the test clock; never throws on 4xx/5xx. */
  post<Op extends OperationId>(operationId: Op, body: unknown, opts?: { rootKey?: string; time?: number }): Promise<RawResponse<Op>>;
  close(): Promise<void>;
}

/** 2025-01-15T12:00:00Z: a fixed start so windows, expiry and refills are deterministic. */
export const START = Date.UTC(2025, 0, 15, 12, 0, 0);

export interface HarnessOptions {
  start?: number;
  /** Check every 2xx body against the contract (default true). */
  validateResponses?: boolean;
  /** Analytics engine limits (to reach the 422s with small data). */
  analyticsLimits?: LocalApiOptions["analyticsLimits"];
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const start = opts.start ?? START;
  const api = await createLocalApi({
    memory: true,
    port: 0,
    testClock: true,
    validateResponses: opts.validateResponses ?? true,
    analyticsLimits: opts.analyticsLimits,
  });
  const clock: TestClock = { now: start };
  const rootKey = api.rootKey!;
  const sdkWith = (key: string): Unkey => {
    const httpClient = new HTTPClient();
    httpClient.addHook("beforeRequest", (req) => {
      req.headers.set("X-Test-Time", String(clock.now));
      return req;
    });
    return new Unkey({ rootKey: key, serverURL: api.url, retryConfig: { strategy: "none" }, httpClient });
  };
  return {
    api,
    url: api.url,
    rootKey,
    clock,
    unkey: sdkWith(rootKey),
    sdkWith,
    rootKeyWith: (...permissions) => createRootKey(api.store, { permissions, now: clock.now }).key,
    async post(operationId, body, opts = {}) {
      const res = await fetch(`${api.url}/v2/${operationId}`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: `Bearer ${opts.rootKey ?? rootKey}`,
          "x-test-time": String(opts.time ?? clock.now),
        },
        body: JSON.stringify(body),
      });
      return { status: res.status, contentType: res.headers.get("content-type") ?? "", body: (await res.json()) as ApiBody<typeof operationId> };
    },
    close: () => api.close(),
  };
}
