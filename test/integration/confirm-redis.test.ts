/**
 * Single use across instances: two executors (two guards, two Redis connections) sharing a
 * secret and a real `redis-server`. A token one issues is honoured once by the other and
 * refused on replay at either; the keys it acts on are checked through the local API.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUnkeyClient, type UnkeyClient } from "../../src/client/unkey-client.js";
import { createConfirmGuard, type ConfirmGuard } from "../../src/tools/confirm/guard.js";
import { redisLedger } from "../../src/tools/confirm/ledger.js";
import { executeTool, type ExecuteContext } from "../../src/tools/execute.js";
import { createLogger } from "../../src/util/log.js";
import { text, tool } from "../helpers/catalog.js";
import { startLocalApi, type InProcessLocalApi } from "../helpers/local-api.js";
import { REDIS_AVAILABLE, startRedis, type RedisHandle } from "../helpers/redis.js";

const SECRET = Buffer.from("shared-between-instances-0123456789");
const logger = createLogger({ level: "warn", sink: () => undefined });

describe.skipIf(!REDIS_AVAILABLE && process.env.CI !== "true")("used-token ledger in Redis", () => {
  let api: InProcessLocalApi;
  let client: UnkeyClient;
  let redis: RedisHandle;
  let a: ConfirmGuard;
  let b: ConfirmGuard;

  beforeAll(async () => {
    [api, redis] = await Promise.all([startLocalApi(), startRedis()]);
    client = createUnkeyClient({ baseUrl: api.url });
    const make = async (): Promise<ConfirmGuard> =>
      createConfirmGuard({ mode: "auto", secret: SECRET, ttlMs: 60_000, ledger: await redisLedger(redis.url, (e) => logger.warn("redis", { e: e.message })) });
    [a, b] = await Promise.all([make(), make()]);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await client?.close();
    await api?.close();
    await redis?.stop();
  });

  const ctx = (confirm: ConfirmGuard): ExecuteContext => ({ rootKey: api.rootKey, client, logger, confirm });
  const direct = async (op: string, body: unknown): Promise<{ status: number; data: Record<string, unknown> }> => {
    const res = await fetch(`${api.url}/v2/${op}`, {
      method: "POST",
      headers: { authorization: `Bearer ${api.rootKey}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: res.status, data: ((await res.json()) as { data: Record<string, unknown> }).data };
  };

  it("a token issued by one instance is honoured once by the other and refused on replay at either", async () => {
    const { data: created } = await direct("apis.createApi", { name: "redis-ledger" });
    const { data: key } = await direct("keys.createKey", { apiId: created.apiId, credits: { remaining: 10 } });
    // decrement by 0: acting leaves the target as it was, so only the ledger can refuse a replay.
    const args = { keyId: key.keyId, operation: "decrement", value: 0 };
    const first = await executeTool(tool("update_key_credits"), args, ctx(a));
    const token = (first.structuredContent as { confirmation: { token: string } }).confirmation.token;

    const atB = await executeTool(tool("update_key_credits"), { ...args, confirm: token }, ctx(b));
    expect(atB.isError, text(atB)).toBeUndefined();
    expect((atB.structuredContent as { data: { remaining: number } }).data.remaining).toBe(10);

    for (const g of [b, a]) {
      const replay = await executeTool(tool("update_key_credits"), { ...args, confirm: token }, ctx(g));
      expect(replay.isError).toBe(true);
      expect(text(replay)).toContain("already used");
    }
  });

  it("concurrent use of one token at both instances acts exactly once", async () => {
    const { data: created } = await direct("apis.createApi", { name: "redis-race" });
    const { data: key } = await direct("keys.createKey", { apiId: created.apiId, credits: { remaining: 10 } });
    const args = { keyId: key.keyId, operation: "decrement", value: 0 };
    const token = ((await executeTool(tool("update_key_credits"), args, ctx(a))).structuredContent as { confirmation: { token: string } }).confirmation.token;
    const results = await Promise.all([a, b, a, b].map((g) => executeTool(tool("update_key_credits"), { ...args, confirm: token }, ctx(g))));
    expect(results.filter((r) => !r.isError)).toHaveLength(1);
    // The others lose the ledger race, or see the target already changed by the winner.
    for (const r of results.filter((x) => x.isError)) expect(text(r)).toMatch(/already used|the target changed since the preview/);
  });

  it("fails closed when Redis is gone: the call is refused, nothing changes", async () => {
    const other = await startRedis();
    const g = createConfirmGuard({ mode: "auto", secret: SECRET, ttlMs: 60_000, ledger: await redisLedger(other.url, () => undefined) });
    const { data: created } = await direct("apis.createApi", { name: "redis-down" });
    const { data: key } = await direct("keys.createKey", { apiId: created.apiId });
    const token = ((await executeTool(tool("delete_key"), { keyId: key.keyId }, ctx(g))).structuredContent as { confirmation: { token: string } }).confirmation
      .token;
    await other.stop();
    const r = await Promise.race([
      executeTool(tool("delete_key"), { keyId: key.keyId, confirm: token }, ctx(g)),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error("the call hung with Redis down")), 15_000)),
    ]);
    expect(r.isError).toBe(true);
    expect(text(r)).toContain("cannot check that the token is unused");
    expect((await direct("keys.getKey", { keyId: key.keyId })).status).toBe(200);
    await g.close();
  }, 20_000);
});
