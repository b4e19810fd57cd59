/**
 * Memory of the rate-limit counters stays bounded under a flood of distinct identifiers: 300,000
 * identifiers pushed through the local API's own limiter (in process, driven by test-clock times)
 * never hold more counters than the windows can see, and the counters decay once windows pass.
 * Entry counts, not bytes: memory itself is measured by `npm run bench`.
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import { startLocalApi, type InProcessLocalApi } from "../helpers/local-api.js";
import { limiterFor } from "../../src/local/ratelimit/limiters.js";
import { SlidingWindowLimiter, type LimitCheck } from "../../src/local/ratelimit/sliding-window.js";

const WINDOW = 60_000;
const T0 = Date.UTC(2026, 0, 1);
const check = (identifier: string, limit = 10): LimitCheck => ({ namespace: "rlns_flood", identifier, limit, duration: WINDOW, cost: 1 });

let api: InProcessLocalApi;
beforeAll(async () => {
  api = await startLocalApi();
});
afterAll(() => api.close());

test("300,000 identifiers over ten windows: counters stay within what the windows can see, then decay", async () => {
  // The limiter the API's handlers use (the test clock feeds it request times; here we feed them directly).
  const limiter = limiterFor(api.store);
  const perWindow = 30_000;
  let maxSize = 0;
  let passed = 0;
  for (let w = 0; w < 10; w++) {
    for (let i = 0; i < perWindow; i++) {
      const now = T0 + w * WINDOW + Math.floor((i * WINDOW) / perWindow);
      if (limiter.check(check(`user-${w}-${i}`), now).passed) passed++;
    }
    maxSize = Math.max(maxSize, limiter.size());
  }
  expect(passed).toBe(10 * perWindow);
  // Live: this window's and the previous one's identifiers; the incremental sweep keeps the
  // expired remainder below one more window's worth.
  expect(maxSize).toBeLessThanOrEqual(3 * perWindow);
  expect(maxSize).toBeGreaterThanOrEqual(perWindow);

  // Once the windows have passed, traffic alone drains them (two per check)…
  const later = T0 + 20 * WINDOW;
  const before = limiter.size();
  for (let i = 0; i < 1_000; i++) limiter.check(check("late-user"), later);
  // Two counters examined per check; only the odd one is the live "late-user".
  expect(limiter.size()).toBeLessThan(before - 1_900);
  // …and the idle sweep (the server's timer) releases all of them.
  limiter.sweep(later);
  expect(limiter.size()).toBe(1);

  // The API still answers and counts after the flood.
  const res = await fetch(`${api.url}/v2/ratelimit.limit`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${api.rootKey}`, "x-test-time": String(later) },
    body: JSON.stringify({ namespace: "after-flood", identifier: "u", limit: 1, duration: WINDOW }),
  });
  expect(((await res.json()) as { data: unknown }).data).toMatchObject({ success: true, remaining: 0 });
});

test("at the cap a flood of 300,000 new identifiers cannot evict a live window, and the cap holds", () => {
  const limiter = new SlidingWindowLimiter({ maxCounters: 50_000 });
  // A user who has used up their window, and one half-way through it.
  for (let i = 0; i < 10; i++) limiter.check(check("exhausted"), T0);
  for (let i = 0; i < 5; i++) limiter.check(check("halfway"), T0);

  let admitted = 0;
  for (let i = 0; i < 300_000; i++) {
    if (limiter.check(check(`flood-${i}`), T0 + 1 + (i % 1000)).passed) admitted++;
    if (i % 50_000 === 0) expect(limiter.size()).toBeLessThanOrEqual(50_000);
  }
  expect(limiter.size()).toBe(50_000);
  expect(admitted).toBe(50_000 - 2);

  // Inside the window, both live users get exactly what they had left.
  expect(limiter.check(check("exhausted"), T0 + 2_000).passed).toBe(false);
  const halfway = [1, 2, 3, 4, 5, 6].map(() => limiter.check(check("halfway"), T0 + 2_000).passed);
  expect(halfway).toEqual([true, true, true, true, true, false]);

  // Two windows later every counter has expired: new identifiers are admitted again.
  expect(limiter.check(check("newcomer"), T0 + 2 * WINDOW).passed).toBe(true);
  expect(limiter.size()).toBeLessThan(50_000);
});
