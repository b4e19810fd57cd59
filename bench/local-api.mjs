// Local API throughput: keys.verifyKey and ratelimit.limit on the built local API, against a bare
// node:http server that answers a fixed small JSON body — the ceiling any Node HTTP server on this
// machine can reach with the same client. The ratio (ours / bare) is the number to quote.
//
//   npm run build && node bench/local-api.mjs     (or as part of `npm run bench`)
//
// Both servers run in their own child process (bench/lib/local-api.mjs for ours), so on a 2-core
// machine the server gets one core and the load generator the other, and neither measures the
// other's CPU time. The client is an undici Pool with 32 connections and 32 workers issuing
// requests back to back for a fixed duration after a warm-up. Every response is checked (status
// 200 and, for ours, `valid: true` / `success: true`): an error path is never timed by mistake.
import { execFileSync, spawn } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Pool } from "undici";
import { REPO_ROOT, startLocalApiProcess } from "./lib/local-api.mjs";
import { percentile, ratio, round } from "./lib/stats.mjs";
import { formatTable } from "./lib/table.mjs";

const CONCURRENCY = 32;
const WARMUP_MS = 1_000;
const DURATION_MS = 5_000;
const TARGET_RATIO = 0.35;

// The bare server: node:http, a fixed body, keep-alive, nothing else.
const BARE_SERVER = `
import { createServer } from "node:http";
const body = JSON.stringify({ meta: { requestId: "req_bench" }, data: { valid: true, code: "VALID" } });
const server = createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, "127.0.0.1", () => process.stdout.write(JSON.stringify({ url: "http://127.0.0.1:" + server.address().port }) + "\\n"));
process.on("SIGTERM", () => process.exit(0));
`;

function startBareServer() {
  const child = spawn(process.execPath, ["--input-type=module", "-e", BARE_SERVER], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    child.on("error", reject);
    child.on("exit", (code) => reject(new Error(`bare server exited with code ${code}`)));
    child.stdout.on("data", (c) => {
      out += c.toString("utf8");
      const nl = out.indexOf("\n");
      if (nl === -1) return;
      child.removeAllListeners("exit");
      resolve({
        url: JSON.parse(out.slice(0, nl)).url,
        close: () =>
          new Promise((done) => {
            if (child.exitCode !== null) return done();
            child.once("exit", () => done());
            child.kill("SIGTERM");
          }),
      });
    });
  });
}

/** One JSON POST; returns the parsed body, throwing on a non-200 status. */
export async function post(pool, path, headers, body) {
  const res = await pool.request({ method: "POST", path, headers, body: JSON.stringify(body) });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`POST ${path} → ${res.statusCode}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/**
 * Drives `makeRequest(i)` from CONCURRENCY workers: a warm-up, then DURATION_MS of timed requests.
 * `check(body)` must return true for every response, else the run fails.
 */
export async function drive(url, { path, headers, makeBody, check }) {
  const pool = new Pool(url, { connections: CONCURRENCY, pipelining: 1, keepAliveTimeout: 60_000 });
  const latencies = [];
  let failures = 0;
  let firstFailure;
  let counter = 0;
  const runFor = async (ms, record) => {
    const end = performance.now() + ms;
    const worker = async () => {
      while (performance.now() < end) {
        const i = counter++;
        const t = performance.now();
        try {
          const body = await post(pool, path, headers, makeBody(i));
          if (!check(body)) throw new Error(`unexpected response: ${JSON.stringify(body).slice(0, 300)}`);
          if (record) latencies.push(performance.now() - t);
        } catch (err) {
          failures++;
          firstFailure ??= err;
        }
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    return performance.now() - started;
  };
  try {
    await runFor(WARMUP_MS, false);
    const elapsed = await runFor(DURATION_MS, true);
    if (failures > 0) throw new Error(`${failures} failed requests; first: ${firstFailure?.message}`);
    return {
      requests: latencies.length,
      rps: round((latencies.length / elapsed) * 1000, 0),
      p50: round(percentile(latencies, 50), 3),
      p99: round(percentile(latencies, 99), 3),
    };
  } finally {
    await pool.close();
  }
}

/** RSS of the rate-limit counters around 1,000,000 distinct identifiers (bench/lib/ratelimit-memory-child.mjs). */
function measureCounterMemory(identifiers = 1_000_000) {
  const out = execFileSync(process.execPath, ["--expose-gc", join(REPO_ROOT, "bench", "lib", "ratelimit-memory-child.mjs"), REPO_ROOT, String(identifiers)], {
    encoding: "utf8",
  });
  return JSON.parse(out.trim().split("\n").pop());
}

export async function runLocalApiBench() {
  const bare = await startBareServer();
  const api = await startLocalApiProcess();
  try {
    const headers = { "content-type": "application/json", authorization: `Bearer ${api.rootKey}` };
    const setup = new Pool(api.url, { connections: 1 });
    const { data: apiData } = await post(setup, "/v2/apis.createApi", headers, { name: "bench-api" });
    // A valid key with no credit limit and no rate limits: the plain verification path.
    const { data: keyData } = await post(setup, "/v2/keys.createKey", headers, { apiId: apiData.apiId, prefix: "bench" });
    await setup.close();

    process.stderr.write(`[bench] localApi: bare node:http (${DURATION_MS / 1000} s, c=${CONCURRENCY})\n`);
    const bareResult = await drive(bare.url, {
      path: "/v2/keys.verifyKey",
      headers,
      makeBody: () => ({ key: keyData.key }),
      check: (b) => b.data?.valid === true,
    });
    process.stderr.write(`[bench] localApi: keys.verifyKey\n`);
    const verify = await drive(api.url, {
      path: "/v2/keys.verifyKey",
      headers,
      makeBody: () => ({ key: keyData.key }),
      check: (b) => b.data?.valid === true && b.data?.code === "VALID",
    });
    process.stderr.write(`[bench] localApi: ratelimit.limit\n`);
    const limit = await drive(api.url, {
      path: "/v2/ratelimit.limit",
      headers,
      // 1000 identifiers under a limit no run can reach: every call passes and is counted.
      makeBody: (i) => ({ namespace: "bench", identifier: `user_${i % 1000}`, limit: 1_000_000_000, duration: 60_000 }),
      check: (b) => b.data?.success === true,
    });
    const peakRssKb = api.peakRssKb();
    process.stderr.write(`[bench] localApi: rate-limit counters, 1,000,000 identifiers\n`);
    const counters = measureCounterMemory();

    const result = {
      concurrency: CONCURRENCY,
      durationMs: DURATION_MS,
      bare: bareResult,
      verifyKey: { ...verify, ratioToBare: ratio(verify.rps, bareResult.rps) },
      ratelimitLimit: { ...limit, ratioToBare: ratio(limit.rps, bareResult.rps) },
      localApiPeakRssKb: peakRssKb ?? null,
      ratelimitCounterMemory: counters,
      targets: {
        verifyKeyRatio: { value: ratio(verify.rps, bareResult.rps), target: TARGET_RATIO, better: "higher" },
        ratelimitRatio: { value: ratio(limit.rps, bareResult.rps), target: TARGET_RATIO, better: "higher" },
      },
    };
    const mark = (r) => (r === null ? "–" : r >= TARGET_RATIO ? `${r}` : `${r} MISSED`);
    result.table = [
      `\n## Local API throughput (c=${CONCURRENCY}, ${DURATION_MS / 1000} s each, target ratio ≥ ${TARGET_RATIO})\n`,
      formatTable(
        ["server / operation", "requests", "req/s", "ratio to bare", "p50 ms", "p99 ms"],
        [
          ["bare node:http (fixed body)", bareResult.requests, bareResult.rps, "1", bareResult.p50, bareResult.p99],
          ["local API keys.verifyKey", verify.requests, verify.rps, mark(result.verifyKey.ratioToBare), verify.p50, verify.p99],
          ["local API ratelimit.limit", limit.requests, limit.rps, mark(result.ratelimitLimit.ratioToBare), limit.p50, limit.p99],
        ],
      ),
      "",
      `Rate-limit counters: RSS ${counters.rssBeforeMb} MB before, ${counters.rssAfterMb} MB with ${counters.countersAfter.toLocaleString("en-US")} live counters ` +
        `after ${counters.identifiers.toLocaleString("en-US")} identifiers in one window, ${counters.rssAfterExpiryMb} MB once their windows passed ` +
        `(${counters.countersAfterExpiry} counters left), ${counters.rssAfterSecondFloodMb} MB after a second flood of as many new identifiers.`,
      "",
    ].join("\n");
    return result;
  } finally {
    await api.close();
    await bare.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { table, ...result } = await runLocalApiBench();
  process.stdout.write(`${table}\n`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
