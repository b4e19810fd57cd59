// Child of bench/local-api.mjs (run with --expose-gc): the RSS of the local API's rate-limit
// counters before and after 1,000,000 distinct identifiers, and after their windows have passed.
// Drives the built limiter in process with clock values, as the test clock would; prints one line
// of JSON. In its own process so nothing else in the heap blurs the figures.
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [repoRoot, countArg] = process.argv.slice(2);
const { SlidingWindowLimiter } = await import(pathToFileURL(join(repoRoot, "dist", "local", "ratelimit", "sliding-window.js")).href);

const IDENTIFIERS = Number(countArg ?? 1_000_000);
const WINDOW = 60_000;
const T0 = Date.UTC(2026, 0, 1);
const heap = [];
const mb = () => {
  globalThis.gc?.();
  const m = process.memoryUsage();
  heap.push(Math.round(m.heapUsed / 1048576));
  return Math.round((m.rss / 1024 / 1024) * 10) / 10;
};

const limiter = new SlidingWindowLimiter();

/** IDENTIFIERS distinct identifiers spread over one window from `start`: all live at the end, the worst case. */
function flood(start, prefix) {
  let passed = 0;
  for (let i = 0; i < IDENTIFIERS; i++) {
    const now = start + Math.floor((i * WINDOW) / IDENTIFIERS);
    if (limiter.check({ namespace: "rlns_bench", identifier: `${prefix}_${i}`, limit: 100, duration: WINDOW, cost: 1 }, now).passed) passed++;
  }
  return passed;
}

const rssBeforeMb = mb();
const passed = flood(T0, "user");
const countersAfter = limiter.size();
const rssAfterMb = mb();
// Two windows later every counter has expired; the server's idle timer runs this sweep. V8 keeps
// the freed pages for reuse rather than returning them, so the second flood shows whether memory
// stays flat (reused) or grows.
limiter.sweep(T0 + 3 * WINDOW);
const countersAfterExpiry = limiter.size();
const rssAfterExpiryMb = mb();
flood(T0 + 4 * WINDOW, "other");
const countersAfterSecondFlood = limiter.size();
const rssAfterSecondFloodMb = mb();
process.stdout.write(
  `${JSON.stringify({ identifiers: IDENTIFIERS, passed, countersAfter, rssBeforeMb, rssAfterMb, countersAfterExpiry, rssAfterExpiryMb, countersAfterSecondFlood, rssAfterSecondFloodMb, heapUsedMb: heap })}\n`,
);
