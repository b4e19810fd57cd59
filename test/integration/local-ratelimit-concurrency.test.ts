/**
 * Rate limits never overspend under concurrency: many requests fired at once over real HTTP at the
 * local API pass exactly `limit` times. The test clock pins every request to one instant
 * (X-Test-Time), so the window cannot roll over mid-test and the counts are exact.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startLocalApi, type InProcessLocalApi } from "../helpers/local-api.js";

const DURATION = 60_000;
/** One second into a 60 s window, far from either edge. */
const NOW = 60_000 * 30_000_000 + 1_000;

let api: InProcessLocalApi;

beforeAll(async () => {
  api = await startLocalApi({ testClock: true });
});
afterAll(async () => {
  await api?.close();
});

async function post<T>(operationId: string, body: unknown): Promise<{ status: number; data: T }> {
  const res = await fetch(`${api.url}/v2/${operationId}`, {
    method: "POST",
    headers: { authorization: `Bearer ${api.rootKey}`, "content-type": "application/json", "x-test-time": String(NOW) },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as { data: T };
  if (res.status !== 200) throw new Error(`${operationId} → ${res.status} ${JSON.stringify(json)}`);
  return { status: res.status, data: json.data };
}

/** Fires `n` copies of a call at once and waits for all of them. */
function concurrently<T>(n: number, fn: () => Promise<T>): Promise<T[]> {
  return Promise.all(Array.from({ length: n }, fn));
}

const unique = (prefix: string): string => `${prefix}_${randomBytes(4).toString("hex")}`;

interface LimitData {
  limit: number;
  remaining: number;
  reset: number;
  success: boolean;
}

describe("ratelimit under concurrency", () => {
  test("100 concurrent ratelimit.limit calls with limit 10 let exactly 10 through", async () => {
    const namespace = unique("conc");
    const body = { namespace, identifier: "same-user", limit: 10, duration: DURATION };
    const results = (await concurrently(100, () => post<LimitData>("ratelimit.limit", body))).map((r) => r.data);
    const passed = results.filter((r) => r.success);
    expect(passed).toHaveLength(10);
    // Each pass saw the counter one lower than the one before: the checks were serialised.
    expect(passed.map((r) => r.remaining).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(results.filter((r) => !r.success).every((r) => r.remaining === 0)).toBe(true);
    // Nothing left over: a cost-0 read reports the window as full.
    const after = (await post<LimitData>("ratelimit.limit", { ...body, cost: 0 })).data;
    expect(after).toMatchObject({ success: true, remaining: 0 });
    expect((await post<LimitData>("ratelimit.limit", body)).data.success).toBe(false);
  });

  test("concurrent multiLimit is all-or-nothing: the tight check caps both counters", async () => {
    const tight = { namespace: unique("tight"), identifier: "u", limit: 5, duration: DURATION };
    const loose = { namespace: unique("loose"), identifier: "u", limit: 100, duration: DURATION };
    type Multi = { passed: boolean; limits: { namespace: string; passed: boolean; remaining: number }[] };
    const results = (await concurrently(50, () => post<Multi>("ratelimit.multiLimit", [tight, loose]))).map((r) => r.data);
    const passed = results.filter((r) => r.passed);
    expect(passed).toHaveLength(5);
    for (const r of passed) expect(r.limits.map((l) => l.passed)).toEqual([true, true]);
    // A rejected request was rejected by the tight check; the loose one passed on its own.
    for (const r of results.filter((x) => !x.passed)) expect(r.limits.map((l) => l.passed)).toEqual([false, true]);
    // The loose counter advanced only for the 5 requests that passed as a whole (cost 0 only reads).
    const looseAfter = (await post<LimitData>("ratelimit.limit", { ...loose, cost: 0 })).data;
    expect(looseAfter).toMatchObject({ success: true, remaining: 95 });
    const tightAfter = (await post<LimitData>("ratelimit.limit", { ...tight, cost: 0 })).data;
    expect(tightAfter).toMatchObject({ success: true, remaining: 0 });
  });

  test("a key's autoApply ratelimit (limit 7) verified 60 times at once passes exactly 7", async () => {
    const { apiId } = (await post<{ apiId: string }>("apis.createApi", { name: unique("conc-api") })).data;
    const { key } = (
      await post<{ key: string }>("keys.createKey", {
        apiId,
        ratelimits: [{ name: "requests", limit: 7, duration: DURATION, autoApply: true }],
      })
    ).data;
    type Verify = { valid: boolean; code: string; ratelimits?: { name: string; remaining: number; exceeded: boolean }[] };
    const results = (await concurrently(60, () => post<Verify>("keys.verifyKey", { key }))).map((r) => r.data);
    const codes = results.map((r) => r.code);
    expect(codes.filter((c) => c === "VALID")).toHaveLength(7);
    expect(codes.filter((c) => c === "RATE_LIMITED")).toHaveLength(53);
    const remaining = results
      .filter((r) => r.valid)
      .map((r) => r.ratelimits?.find((l) => l.name === "requests")?.remaining)
      .sort((a, b) => (a ?? -1) - (b ?? -1));
    expect(remaining).toEqual([0, 1, 2, 3, 4, 5, 6]);
    // Still limited afterwards: no request slipped through uncounted.
    expect((await post<Verify>("keys.verifyKey", { key })).data.code).toBe("RATE_LIMITED");
  });
});
