/**
 * A month and a half of verification and rate-limit history built through the real API
 * (apis.createApi, keys.createKey, keys.verifyKey, ratelimit.limit with X-Test-Time), plus the
 * same events as plain JS objects so tests compute expected answers independently of SQL.
 */
import type { OperationId } from "../../src/local/handlers/types.js";

/** 2024-01-20T12:00:00Z: "now" for the queries; the docs' billing-period example (Jan 2024) is inside retention. */
export const NOW = Date.UTC(2024, 0, 20, 12, 0, 0);
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

export type Post = (operationId: OperationId, body: unknown, time: number) => Promise<{ status: number; body: Record<string, unknown> }>;

export interface VerificationFact {
  time: number;
  keyId: string;
  keySpaceId: string;
  apiId: string;
  externalId: string;
  outcome: string;
  tags: string[];
  spentCredits: number;
}

export interface RatelimitFact {
  time: number;
  namespaceId: string;
  identifier: string;
  passed: boolean;
}

export interface Fixture {
  apiA: { id: string; keySpaceId: string };
  apiB: { id: string; keySpaceId: string };
  /** user_123 on API A, with credits. */
  k1: string;
  /** user_456 on API A, ratelimited to 2 per minute. */
  k2: string;
  /** No identity, API B. */
  k3: string;
  verifications: VerificationFact[];
  ratelimits: RatelimitFact[];
  namespaceId: string;
}

async function ok(post: Post, op: OperationId, body: unknown, time: number): Promise<Record<string, unknown>> {
  const r = await post(op, body, time);
  if (r.status !== 200) throw new Error(`${op} answered ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body.data as Record<string, unknown>;
}

const TAGS: string[][] = [
  ["path=/api/v1/users", "environment=production", "team=backend"],
  ["path=/api/v1/posts", "environment=production"],
  ["path=/api/v1/users"],
  [],
  ["environment=staging", "team=backend"],
];

/** Ids the public API does not return (an API's key space, a namespace's id), read from the store. */
export interface Lookup {
  keySpaceOf(apiId: string): string;
  namespaceIdOf(name: string): string;
}

/** `now` defaults to NOW; the MCP tests pass the real clock, since the MCP server has no test clock. */
export async function buildFixture(post: Post, lookup: Lookup, now = NOW): Promise<Fixture> {
  const keySpaceOf = lookup.keySpaceOf;
  const created = now - 100 * DAY;
  const a = (await ok(post, "apis.createApi", { name: "payments" }, created)).apiId as string;
  const b = (await ok(post, "apis.createApi", { name: "search" }, created)).apiId as string;
  const apiA = { id: a, keySpaceId: keySpaceOf(a) };
  const apiB = { id: b, keySpaceId: keySpaceOf(b) };
  const key1 = await ok(post, "keys.createKey", { apiId: a, externalId: "user_123", credits: { remaining: 100000 } }, created);
  const key2 = await ok(
    post,
    "keys.createKey",
    { apiId: a, externalId: "user_456", ratelimits: [{ name: "burst", limit: 2, duration: 60_000, autoApply: true }] },
    created,
  );
  const key3 = await ok(post, "keys.createKey", { apiId: b }, created);
  const keys = [
    { id: key1.keyId as string, key: key1.key as string, api: apiA, externalId: "user_123" },
    { id: key2.keyId as string, key: key2.key as string, api: apiA, externalId: "user_456" },
    { id: key3.keyId as string, key: key3.key as string, api: apiB, externalId: "" },
  ];
  const verifications: VerificationFact[] = [];
  // Days ago (with an hour offset) at which each key is verified; 95 is past retention.
  const schedule: { daysAgo: number; hour: number; key: number; times: number; cost?: number }[] = [
    { daysAgo: 95, hour: 2, key: 0, times: 2 },
    { daysAgo: 45, hour: 3, key: 0, times: 2, cost: 5 },
    { daysAgo: 35, hour: 1, key: 2, times: 1 },
    { daysAgo: 29, hour: 4, key: 1, times: 3 },
    { daysAgo: 20, hour: 5, key: 0, times: 1, cost: 7 },
    { daysAgo: 18, hour: 2, key: 2, times: 2 },
    { daysAgo: 10, hour: 6, key: 1, times: 1 },
    { daysAgo: 6, hour: 1, key: 0, times: 3, cost: 2 },
    { daysAgo: 5, hour: 7, key: 2, times: 4 },
    { daysAgo: 2, hour: 3, key: 1, times: 4 },
    { daysAgo: 1, hour: 8, key: 0, times: 1 },
    { daysAgo: 0, hour: -10, key: 2, times: 2 },
    { daysAgo: 0, hour: -3, key: 0, times: 2, cost: 3 },
    { daysAgo: 0, hour: -1, key: 1, times: 3 },
  ];
  let n = 0;
  for (const s of schedule) {
    const base = now - s.daysAgo * DAY + s.hour * HOUR;
    for (let i = 0; i < s.times; i++) {
      const k = keys[s.key]!;
      const tags = TAGS[n++ % TAGS.length]!;
      const time = base + i * 1000;
      const body: Record<string, unknown> = { key: k.key, tags };
      if (s.cost !== undefined) body.credits = { cost: s.cost };
      const data = await ok(post, "keys.verifyKey", body, time);
      const outcome = data.code as string;
      const spentCredits = outcome === "VALID" && s.key === 0 ? (s.cost ?? 1) : 0;
      verifications.push({ time, keyId: k.id, keySpaceId: k.api.keySpaceId, apiId: k.api.id, externalId: k.externalId, outcome, tags, spentCredits });
    }
  }
  // Rate-limit checks: 3 per minute against a limit of 2 for "user_a", 1 for "user_b".
  const ratelimits: RatelimitFact[] = [];
  for (const [daysAgo, identifier, times] of [
    [3, "user_a", 3],
    [1, "user_b", 1],
    [0, "user_a", 3],
  ] as const) {
    for (let i = 0; i < times; i++) {
      const time = now - daysAgo * DAY - HOUR + i * 1000;
      const data = await ok(post, "ratelimit.limit", { namespace: "api-requests", identifier, limit: 2, duration: 60_000 }, time);
      ratelimits.push({ time, namespaceId: "", identifier, passed: data.success as boolean });
    }
  }
  const namespaceId = lookup.namespaceIdOf("api-requests");
  for (const r of ratelimits) r.namespaceId = namespaceId;
  return { apiA, apiB, k1: keys[0]!.id, k2: keys[1]!.id, k3: keys[2]!.id, verifications, ratelimits, namespaceId };
}
