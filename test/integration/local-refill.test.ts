/**
 * Credit refills through the local API's test clock: daily at 00:00 UTC,
 * monthly on refillDay clamped to the month's end, setting (not adding) the
 * balance, caught up when the clock jumps.
 */
import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startHarness, type Harness } from "./local-verify-support.js";
import { startLocalApi } from "../helpers/local-api.js";
import type { OperationId, ResponseData } from "../../src/local/handlers/types.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const DAY = 86_400_000;

async function setup(start: number): Promise<{ h: Harness; apiId: string }> {
  h = await startHarness({ start });
  const apiId = (await h.unkey.apis.createApi({ name: "refills" })).data.apiId;
  return { h, apiId };
}

async function credits(h: Harness, key: string, cost = 1): Promise<number | undefined> {
  return (await h.unkey.keys.verifyKey({ key, credits: { cost } })).data.credits;
}

describe("refills", () => {
  it("refills a daily key at 00:00 UTC, setting the balance back to the amount", async () => {
    const { h, apiId } = await setup(Date.UTC(2025, 0, 15, 12));
    const { key, keyId } = (await h.unkey.keys.createKey({ apiId, credits: { remaining: 10, refill: { interval: "daily", amount: 10 } } })).data;
    expect(await credits(h, key, 3)).toBe(7);
    h.clock.now = Date.UTC(2025, 0, 15, 23, 59, 59, 999);
    expect(await credits(h, key)).toBe(6);
    h.clock.now = Date.UTC(2025, 0, 16, 0, 0, 0, 0);
    expect(await credits(h, key, 0)).toBe(10);
    const got = (await h.unkey.keys.getKey({ keyId })).data.credits;
    expect(got).toMatchObject({ remaining: 10, refill: { interval: "daily", amount: 10 } });
  });

  it("never raises a balance that is already at or above the amount", async () => {
    const { h, apiId } = await setup(Date.UTC(2025, 0, 15, 12));
    const { key, keyId } = (await h.unkey.keys.createKey({ apiId, credits: { remaining: 50, refill: { interval: "daily", amount: 10 } } })).data;
    expect(await credits(h, key)).toBe(49);
    h.clock.now += DAY;
    expect(await credits(h, key, 0)).toBe(49);
    expect(h.api.store.get<{ last_refill_at: number | null }>("SELECT last_refill_at FROM keys WHERE id = ?", keyId)?.last_refill_at).toBeNull();
  });

  it("catches up once over several missed days (the balance is set, not added)", async () => {
    const { h, apiId } = await setup(Date.UTC(2025, 0, 15, 12));
    const { key } = (await h.unkey.keys.createKey({ apiId, credits: { remaining: 5, refill: { interval: "daily", amount: 5 } } })).data;
    expect(await credits(h, key, 5)).toBe(0);
    h.clock.now += 3 * DAY;
    expect(await credits(h, key, 0)).toBe(5);
  });

  it("refills a monthly key on its refillDay and not before", async () => {
    const { h, apiId } = await setup(Date.UTC(2025, 0, 15, 12));
    const { key } = (await h.unkey.keys.createKey({ apiId, credits: { remaining: 3, refill: { interval: "monthly", amount: 3, refillDay: 20 } } })).data;
    expect(await credits(h, key, 3)).toBe(0);
    h.clock.now = Date.UTC(2025, 0, 19, 23, 0);
    expect((await h.unkey.keys.verifyKey({ key })).data).toMatchObject({ code: "USAGE_EXCEEDED", credits: 0 });
    h.clock.now = Date.UTC(2025, 0, 20, 0, 30);
    expect(await credits(h, key)).toBe(2);
    // Not again until the 20th of the next month.
    expect(await credits(h, key, 2)).toBe(0);
    h.clock.now = Date.UTC(2025, 1, 19, 12);
    expect(await credits(h, key, 0)).toBe(0);
    h.clock.now = Date.UTC(2025, 1, 20, 12);
    expect(await credits(h, key, 0)).toBe(3);
  });

  it("clamps refillDay 31 to the last day of February (28 in 2025)", async () => {
    const { h, apiId } = await setup(Date.UTC(2025, 1, 27, 12));
    const { key } = (await h.unkey.keys.createKey({ apiId, credits: { remaining: 4, refill: { interval: "monthly", amount: 4, refillDay: 31 } } })).data;
    expect(await credits(h, key, 4)).toBe(0);
    h.clock.now = Date.UTC(2025, 1, 28, 0, 0, 1);
    expect(await credits(h, key, 0)).toBe(4);
    expect(await credits(h, key, 4)).toBe(0);
    // 1 March is not a refill day for refillDay 31.
    h.clock.now = Date.UTC(2025, 2, 1, 12);
    expect(await credits(h, key, 0)).toBe(0);
  });

  it("clamps refillDay 31 to 29 February in a leap year, not the 28th", async () => {
    const { h, apiId } = await setup(Date.UTC(2024, 1, 27, 12));
    const { key } = (await h.unkey.keys.createKey({ apiId, credits: { remaining: 4, refill: { interval: "monthly", amount: 4, refillDay: 31 } } })).data;
    expect(await credits(h, key, 4)).toBe(0);
    h.clock.now = Date.UTC(2024, 1, 28, 12);
    expect(await credits(h, key, 0)).toBe(0);
    h.clock.now = Date.UTC(2024, 1, 29, 12);
    expect(await credits(h, key, 0)).toBe(4);
  });

  it("follows the test clock backwards without refilling, and refills on the next midnight from there", async () => {
    const { h, apiId } = await setup(Date.UTC(2025, 5, 10, 12));
    const { key } = (await h.unkey.keys.createKey({ apiId, credits: { remaining: 2, refill: { interval: "daily", amount: 2 } } })).data;
    expect(await credits(h, key, 2)).toBe(0);
    h.clock.now = Date.UTC(2025, 5, 1, 12);
    expect(await credits(h, key, 0)).toBe(0);
    h.clock.now = Date.UTC(2025, 5, 2, 0, 0);
    expect(await credits(h, key, 0)).toBe(2);
  });

  it("does not refill deleted keys or keys without a refill", async () => {
    const { h, apiId } = await setup(Date.UTC(2025, 0, 15, 12));
    const plain = (await h.unkey.keys.createKey({ apiId, credits: { remaining: 1 } })).data;
    const deleted = (await h.unkey.keys.createKey({ apiId, credits: { remaining: 1, refill: { interval: "daily", amount: 9 } } })).data;
    await credits(h, plain.key);
    await h.unkey.keys.deleteKey({ keyId: deleted.keyId });
    h.clock.now += DAY;
    expect(await credits(h, plain.key, 0)).toBe(0);
    expect(h.api.store.get<{ remaining: number }>("SELECT remaining FROM keys WHERE id = ?", deleted.keyId)?.remaining).toBe(1);
  });

  it("two servers on one data dir refill a midnight once (the position is claimed in the database)", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "unkey-refill-"));
    const a = await startLocalApi({ dataDir });
    const b = await startLocalApi({ dataDir, rootKey: a.rootKey });
    try {
      const call = async <Op extends OperationId>(server: typeof a, op: Op, body: unknown, time: number): Promise<ResponseData<Op>> => {
        const res = await fetch(`${server.url}/v2/${op}`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${a.rootKey}`, "x-test-time": String(time) },
          body: JSON.stringify(body),
        });
        return ((await res.json()) as { data: ResponseData<Op> }).data;
      };
      const day1 = Date.UTC(2025, 0, 15, 12);
      const day2 = Date.UTC(2025, 0, 16, 0, 30);
      const { apiId } = await call(a, "apis.createApi", { name: "shared" }, day1);
      const { key } = await call(a, "keys.createKey", { apiId, credits: { remaining: 10, refill: { interval: "daily", amount: 10 } } }, day1);
      expect((await call(a, "keys.verifyKey", { key, credits: { cost: 1 } }, day1)).credits).toBe(9);
      expect((await call(b, "keys.verifyKey", { key, credits: { cost: 0 } }, day1)).credits).toBe(9);
      // A crosses midnight first and refills; credits spent after that stay spent when B crosses it too.
      expect((await call(a, "keys.verifyKey", { key, credits: { cost: 0 } }, day2)).credits).toBe(10);
      expect((await call(a, "keys.verifyKey", { key, credits: { cost: 4 } }, day2)).credits).toBe(6);
      expect((await call(b, "keys.verifyKey", { key, credits: { cost: 0 } }, day2)).credits).toBe(6);
    } finally {
      await b.close();
      await a.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
