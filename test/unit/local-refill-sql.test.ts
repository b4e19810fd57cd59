/**
 * The refill UPDATE (src/local/refill.ts) against the date rule it implements (`refillsOn` in
 * refill-dates.ts, itself checked case by case in local-ratelimit-window.test.ts): for every UTC
 * midnight of a leap year and a common year, exactly the keys whose refill day matches are refilled.
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import { openStore, type Store } from "../../src/local/store/store.js";
import { applyRefillAt } from "../../src/local/refill.js";
import { refillsOn } from "../../src/local/refill-dates.js";

const DAY = 86_400_000;
const DAYS: (number | null)[] = [null, ...Array.from({ length: 31 }, (_, i) => i + 1)];
let store: Store;

beforeAll(async () => {
  store = await openStore({ memory: true });
  for (const d of DAYS) {
    store.run(
      "INSERT INTO keys (id, workspace_id, key_space_id, hash, start, remaining, refill_amount, refill_day, created_at) VALUES (?, 'ws', 'ks', ?, '', 0, 1, ?, 0)",
      `key_${d ?? "daily"}`,
      `hash_${d ?? "daily"}`,
      d,
    );
  }
});
afterAll(() => store.close());

test("the refill SQL refills exactly the keys refillsOn selects, on every midnight of 2024 and 2025", () => {
  const mismatches: string[] = [];
  for (let m = Date.UTC(2024, 0, 1); m < Date.UTC(2026, 0, 1); m += DAY) {
    store.run("UPDATE keys SET remaining = 0");
    const count = applyRefillAt(store, m);
    const refilled = new Set(store.all<{ refill_day: number | null }>("SELECT refill_day FROM keys WHERE remaining = 1").map((r) => r.refill_day));
    const expected = DAYS.filter((d) => refillsOn(d, m));
    if (count !== expected.length || expected.some((d) => !refilled.has(d))) {
      mismatches.push(`${new Date(m).toISOString().slice(0, 10)}: got ${[...refilled].join(",")}, expected ${expected.join(",")}`);
    }
  }
  expect(mismatches).toEqual([]);
});
