// Child process for bench/analytics.mjs: the built local API in memory, with or without the
// analytics engine, optionally bulk-seeded with N verification events before it reports its URL.
//   node bench/lib/analytics-child.mjs <dist/local/server.js> <root key> <analytics on|off> <seed count>
// Prints one JSON line {url, workspaceId, seedMs}; runs until stdin closes or SIGTERM.
// Started through startLocalApiProcess({ script: "analytics-child.mjs", args: [mode, seed] }).
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";
import { closeOnParentExit } from "./local-api.mjs";

const [serverModule, rootKey, mode, seedArg] = process.argv.slice(2);
const { createLocalApi } = await import(pathToFileURL(resolve(serverModule)).href);
const api = await createLocalApi({ memory: true, rootKey, port: 0, host: "127.0.0.1", analytics: mode !== "off" });

const DAY = 86_400_000;
const OUTCOMES = ["VALID", "VALID", "VALID", "VALID", "VALID", "VALID", "RATE_LIMITED", "USAGE_EXCEEDED", "DISABLED", "INSUFFICIENT_PERMISSIONS"];
const TAGS = [["path=/api/v1/users", "environment=production"], ["path=/api/v1/posts"], [], ["team=backend", "environment=production"]];

/** 60 days of history ending now: 500 keys in 4 key spaces, 200 users, a few tag sets. */
async function seed(n) {
  const now = Date.now();
  const chunk = 100_000;
  for (let start = 0; start < n; start += chunk) {
    const events = [];
    for (let i = start; i < Math.min(n, start + chunk); i++) {
      const h = (i * 2654435761) >>> 0;
      // Each key belongs to one key space and one user (as keys do), a fifth have no user.
      const key = h % 500;
      events.push({
        requestId: `req_seed_${i}`,
        time: now - (h % (60 * DAY)),
        workspaceId: api.workspaceId,
        keySpaceId: `ks_bench_${key % 4}`,
        identityId: "",
        externalId: key % 5 === 0 ? "" : `user_${key % 200}`,
        keyId: `key_bench_${key}`,
        region: "local",
        outcome: OUTCOMES[(h >>> 9) % OUTCOMES.length],
        tags: TAGS[(h >>> 13) % TAGS.length],
        spentCredits: h % 3,
        latency: 1,
      });
    }
    await api.analytics.insertVerifications(events);
  }
}

const started = performance.now();
const n = Number(seedArg ?? 0);
if (n > 0) await seed(n);
process.stdout.write(`${JSON.stringify({ url: api.url, workspaceId: api.workspaceId, seedMs: Math.round(performance.now() - started) })}\n`);

closeOnParentExit(api);
