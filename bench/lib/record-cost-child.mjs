// Child process for bench/analytics.mjs: the CPU one recorded verification costs, per thread, with
// no HTTP and no load generator around it (on this 2-core machine those swing the throughput ratio
// by more than the recording costs).
//   node bench/lib/record-cost-child.mjs <dist/local/analytics/index.js> <on|off> [events]
// Records 40,000 warm-up events, then `events` more (flushing as the server would), each built like
// the verifyKey handler builds it (fresh id strings, a tag list parsed from JSON, a measured
// latency), and prints {mainUs, otherUs}: CPU per event on the main thread and on all other threads
// (DuckDB's worker, V8's GC helpers), from /proc/self/task. "off" records into the stand-in that
// drops events, which is the cost of building them.
import { readFileSync, readdirSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";

const [modulePath, mode, eventsArg] = process.argv.slice(2);
const { openAnalytics, disabledAnalytics } = await import(pathToFileURL(resolve(modulePath)).href);
const N = Number(eventsArg ?? 200_000);
const TICK_MS = 1000 / 100; // USER_HZ

function threadCpuMs() {
  let main = 0;
  let other = 0;
  for (const tid of readdirSync("/proc/self/task")) {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ms = (Number(fields[11]) + Number(fields[12])) * TICK_MS;
    if (tid === String(process.pid)) main += ms;
    else other += ms;
  }
  return { main, other };
}

const analytics = mode === "off" ? disabledAnalytics() : await openAnalytics({});
const tagSets = ['["path=/v1/users"]', '["path=/v1/posts","environment=production"]', "[]"];
async function record(n) {
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    analytics.recordVerification({
      requestId: `req_${(Math.random() * 1e16).toString(36)}`,
      time: Date.now(),
      workspaceId: `ws_${1234567890 + (i & 0)}`,
      keySpaceId: `ks_${1234567890 + (i & 0)}`,
      keyId: `key_${1234567890 + (i % 50)}`,
      identityId: "",
      externalId: i % 3 === 0 ? "" : `user_${i % 200}`,
      outcome: "VALID",
      region: "local",
      tags: JSON.parse(tagSets[i % 3]),
      spentCredits: i % 2,
      latency: performance.now() - started,
    });
    // Let flushes run between requests' worth of events, as they would in the server.
    if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
  }
  await analytics.flush();
}

await record(40_000);
const before = threadCpuMs();
await record(N);
const after = threadCpuMs();
await analytics.close();
process.stdout.write(`${JSON.stringify({ mainUs: ((after.main - before.main) * 1000) / N, otherUs: ((after.other - before.other) * 1000) / N })}\n`);
