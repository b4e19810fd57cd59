// MCP over streamable HTTP vs the same request sent straight to the local API.
//
//   node bench/http.mjs          (after npm run build; npm run bench runs it too)
//
// Setup: the local API (child process) and `node dist/cli.js http --stateless` (child process)
// pointed at it. The driver (this process) sends raw JSON-RPC tools/call POSTs for get_api to
// /mcp/v2 with the root key header — exactly what a stateless 2025 client sends — then the same
// call as a 2026-07-28 request (the `_meta` envelope and Mcp-Method/Mcp-Name headers, served per
// request with no session), and, in the same run, the equivalent POST /v2/apis.getApi straight
// to the local API, and the 2025 session path of a stateful server (one session per worker, as
// mcp-remote's default uses it): the four back to back at each concurrency, so background load
// on the machine falls on all of them alike. All over keep-alive undici pools with as many
// connections as the concurrency. Then 1,000 sessions are opened on the stateful server and left
// idle, to measure the resident memory they cost.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Pool } from "undici";
import { REPO_ROOT, startLocalApiProcess, stopChild } from "./lib/local-api.mjs";
import { median, round, summarize } from "./lib/stats.mjs";
import { section } from "./lib/table.mjs";

const CLI = join(REPO_ROOT, "dist", "cli.js");
const LEVELS = [
  { concurrency: 1, requests: 600 },
  { concurrency: 8, requests: 2400 },
  { concurrency: 32, requests: 3200 },
];
const WARMUP = 300;
/** Rounds per concurrency level: the machine's background load varies from second to second. */
const ROUNDS = 3;
const IDLE_SESSIONS = 1000;
const TARGET_RATIO_C32 = 0.6;

function log(msg) {
  process.stderr.write(`[bench:http] ${msg}\n`);
}

function rssKb(pid) {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

async function startHttpServer(apiUrl, extraArgs) {
  const child = spawn(process.execPath, [CLI, "http", "--port", "0", "--api-url", apiUrl, "--log-level", "error", ...extraArgs], {
    stdio: ["ignore", "pipe", "pipe"],
    // Only what the server needs: UNKEY_MCP_* in the caller's shell must not change the measurement.
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" },
  });
  let err = "";
  child.stderr.on("data", (c) => (err = (err + c.toString()).slice(-4000)));
  const url = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`HTTP server did not start: ${err}`)), 20_000);
    child.stdout.on("data", (c) => {
      out += c.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`HTTP server exited with ${code}: ${err}`));
    });
  });
  return {
    url,
    pid: child.pid,
    close: () => stopChild(child),
  };
}

async function postJson(pool, path, headers, body) {
  const res = await pool.request({ method: "POST", path, headers: { "content-type": "application/json", ...headers }, body });
  const text = await res.body.text();
  return { status: res.statusCode, text, headers: res.headers };
}

/** Runs `total` requests with `concurrency` workers; returns per-request latencies (ms) and wall time. */
async function drive(total, concurrency, send) {
  const latencies = [];
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < total) {
      next++;
      const t0 = performance.now();
      await send();
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { latencies, wallMs: performance.now() - started };
}

export async function runHttpBench() {
  const local = await startLocalApiProcess();
  let http;
  let stateful;
  const pools = [];
  try {
    http = await startHttpServer(local.url, ["--stateless"]);
    log(`local API ${local.url}, MCP ${http.url}/mcp/v2 (stateless)`);

    const apiPool = new Pool(local.url, { connections: 32 });
    pools.push(apiPool);
    const auth = { authorization: `Bearer ${local.rootKey}` };
    const created = await postJson(apiPool, "/v2/apis.createApi", auth, JSON.stringify({ name: "bench-http" }));
    if (created.status !== 200) throw new Error(`createApi answered ${created.status}: ${created.text}`);
    const apiId = JSON.parse(created.text).data.apiId;

    const directBody = JSON.stringify({ apiId });
    const direct = async () => {
      const r = await postJson(apiPool, "/v2/apis.getApi", auth, directBody);
      if (r.status !== 200) throw new Error(`direct getApi answered ${r.status}`);
    };

    const mcpPool = new Pool(http.url, { connections: 32 });
    pools.push(mcpPool);
    const mcpHeaders = { accept: "application/json, text/event-stream", "mcp-unkey-bearer-auth": local.rootKey, "mcp-protocol-version": "2025-06-18" };
    let id = 0;
    const viaMcp = async () => {
      const body = JSON.stringify({ jsonrpc: "2.0", id: ++id, method: "tools/call", params: { name: "get_api", arguments: { apiId } } });
      const r = await postJson(mcpPool, "/mcp/v2", mcpHeaders, body);
      if (r.status !== 200 || !r.text.includes('"result"') || r.text.includes('"isError":true')) {
        throw new Error(`MCP tools/call answered ${r.status}: ${r.text.slice(0, 300)}`);
      }
    };

    const modernHeaders = {
      accept: "application/json, text/event-stream",
      "mcp-unkey-bearer-auth": local.rootKey,
      "mcp-protocol-version": "2026-07-28",
      "mcp-method": "tools/call",
      "mcp-name": "get_api",
    };
    const envelope = {
      "io.modelcontextprotocol/protocolVersion": "2026-07-28",
      "io.modelcontextprotocol/clientInfo": { name: "bench", version: "1" },
      "io.modelcontextprotocol/clientCapabilities": {},
    };
    const viaModern = async () => {
      const body = JSON.stringify({ jsonrpc: "2.0", id: ++id, method: "tools/call", params: { name: "get_api", arguments: { apiId }, _meta: envelope } });
      const r = await postJson(mcpPool, "/mcp/v2", modernHeaders, body);
      if (r.status !== 200 || !r.text.includes('"result"') || r.text.includes('"isError":true')) {
        throw new Error(`MCP 2026-07-28 tools/call answered ${r.status}: ${r.text.slice(0, 300)}`);
      }
    };

    // The stateful 2025 path (one session per worker, as mcp-remote's default uses it) is driven
    // in the same rounds as the others, and then holds 1,000 idle sessions nobody closes. One key
    // opens them all here, so the per-key cap is raised for the bench.
    stateful = await startHttpServer(local.url, ["--max-sessions-per-key", "5000"]);
    const sPool = new Pool(stateful.url, { connections: 32 });
    pools.push(sPool);
    const init = JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "bench", version: "1" } },
    });
    const initHeaders = { accept: "application/json, text/event-stream", "mcp-unkey-bearer-auth": local.rootKey };
    // One session per worker, reused for every call (initialize + initialized, then tools/call).
    const sessionFor = async () => {
      const r = await postJson(sPool, "/mcp/v2", initHeaders, init);
      const sid = r.headers["mcp-session-id"];
      if (r.status !== 200 || !sid) throw new Error(`initialize answered ${r.status}: ${r.text.slice(0, 200)}`);
      const h = { ...initHeaders, "mcp-session-id": sid, "mcp-protocol-version": "2025-06-18" };
      await postJson(sPool, "/mcp/v2", h, JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }));
      return h;
    };
    /** `total` calls spread over the given sessions (one worker each). */
    const statefulDriver = async (total, headers) => {
      let next = 0;
      const latencies = [];
      const started = performance.now();
      await Promise.all(
        headers.map(async (h) => {
          while (next < total) {
            next++;
            const t0 = performance.now();
            const body = JSON.stringify({ jsonrpc: "2.0", id: ++id, method: "tools/call", params: { name: "get_api", arguments: { apiId } } });
            const r = await postJson(sPool, "/mcp/v2", h, body);
            if (r.status !== 200 || !r.text.includes('"result"') || r.text.includes('"isError":true')) {
              throw new Error(`MCP stateful tools/call answered ${r.status}: ${r.text.slice(0, 300)}`);
            }
            latencies.push(performance.now() - t0);
          }
        }),
      );
      return { latencies, wallMs: performance.now() - started };
    };
    log(`warm-up (${WARMUP} each)`);
    await drive(WARMUP, 8, direct);
    await drive(WARMUP, 8, viaMcp);
    await drive(WARMUP, 8, viaModern);
    await statefulDriver(WARMUP, await Promise.all(Array.from({ length: 8 }, sessionFor)));

    const levels = [];
    for (const { concurrency, requests } of LEVELS) {
      log(`c=${concurrency}: ${ROUNDS} rounds of ${requests} each direct, via MCP 2025 stateless, 2026-07-28 and 2025 sessions`);
      const sessions = await Promise.all(Array.from({ length: concurrency }, sessionFor));
      const runs = { d: [], m: [], n: [], s: [] };
      // Rounds of the four back to back: each ratio is the median of the per-round ratios.
      for (let r = 0; r < ROUNDS; r++) {
        runs.d.push(await drive(requests, concurrency, direct));
        runs.m.push(await drive(requests, concurrency, viaMcp));
        runs.n.push(await drive(requests, concurrency, viaModern));
        runs.s.push(await statefulDriver(requests, sessions));
      }
      const rps = (run) => requests / (run.wallMs / 1000);
      const series = (list) => ({ rps: round(median(list.map(rps)), 0), ...pick(summarize(list.flatMap((run) => run.latencies))) });
      const medianRatio = (a, b) => round(median(a.map((run, i) => rps(run) / rps(b[i]))));
      levels.push({
        concurrency,
        requests,
        rounds: ROUNDS,
        direct: series(runs.d),
        mcp: series(runs.m),
        ratio: medianRatio(runs.m, runs.d),
        modern: series(runs.n),
        modernRatio: medianRatio(runs.n, runs.d),
        stateful: series(runs.s),
        statefulRatio: medianRatio(runs.s, runs.d),
        statefulVsModern: medianRatio(runs.s, runs.n),
      });
    }
    await http.close();
    http = undefined;
    // Idle sessions on a fresh stateful server: the one above has just been under load, and its
    // garbage would be collected while sessions open, hiding what they cost.
    await stateful.close();
    stateful = await startHttpServer(local.url, ["--max-sessions-per-key", "5000"]);
    const idlePool = new Pool(stateful.url, { connections: 16 });
    pools.push(idlePool);
    const openIdleSession = async () => {
      const r = await postJson(idlePool, "/mcp/v2", initHeaders, init);
      if (r.status !== 200 || !r.headers["mcp-session-id"]) throw new Error(`initialize answered ${r.status}: ${r.text.slice(0, 200)}`);
    };

    await drive(50, 8, openIdleSession); // warm the code paths before the baseline reading
    global.gc?.();
    await new Promise((r) => setTimeout(r, 500));
    const rssBefore = rssKb(stateful.pid);
    log(`opening ${IDLE_SESSIONS} idle sessions`);
    await drive(IDLE_SESSIONS, 16, openIdleSession);
    await new Promise((r) => setTimeout(r, 500));
    const rssAfter = rssKb(stateful.pid);
    const health = JSON.parse((await postHealth(stateful.url)) ?? "{}");
    const sessions = {
      opened: IDLE_SESSIONS,
      open: health.sessions ?? null,
      rssBeforeKb: rssBefore ?? null,
      rssAfterKb: rssAfter ?? null,
      rssDeltaKb: rssBefore !== undefined && rssAfter !== undefined ? rssAfter - rssBefore : null,
      perSessionKb: rssBefore !== undefined && rssAfter !== undefined ? round((rssAfter - rssBefore) / IDLE_SESSIONS, 1) : null,
    };

    const c32 = levels.find((l) => l.concurrency === 32);
    const table = [
      section(
        "MCP over streamable HTTP (tools/call get_api) vs direct POST /v2/apis.getApi: 2025 stateless, 2026-07-28, 2025 stateful session (req/s and ratios: medians of 3 interleaved rounds)",
        [
          "concurrency",
          "requests",
          "direct req/s",
          "direct p50 ms",
          "2025 stateless req/s",
          "p50 ms",
          "/direct",
          "2026-07-28 req/s",
          "p50 ms",
          "/direct",
          "2025 session req/s",
          "p50 ms",
          "/direct",
          "session/2026",
        ],
        levels.map((l) => [
          l.concurrency,
          l.requests,
          l.direct.rps,
          l.direct.p50,
          l.mcp.rps,
          l.mcp.p50,
          l.ratio,
          l.modern.rps,
          l.modern.p50,
          l.modernRatio,
          l.stateful.rps,
          l.stateful.p50,
          l.statefulRatio,
          l.statefulVsModern,
        ]),
      ),
      section(
        `Idle stateful sessions (${IDLE_SESSIONS}, never closed, as mcp-remote leaves them)`,
        ["open sessions", "RSS before (kB)", "RSS after (kB)", "delta (kB)", "per session (kB)"],
        [[sessions.open, sessions.rssBeforeKb, sessions.rssAfterKb, sessions.rssDeltaKb, sessions.perSessionKb]],
      ),
    ].join("\n");
    return {
      levels,
      sessions,
      targets: {
        throughputRatioC32: { value: c32?.ratio ?? null, target: TARGET_RATIO_C32, better: "higher" },
        // Issue 8: the 2026-07-28 path at least as fast as the old stateless fast path (0.25 of
        // direct), and the 2025 session path at least 0.8 of the 2026-07-28 one.
        modernRatioC32: { value: c32?.modernRatio ?? null, target: 0.25, better: "higher" },
        statefulVsModernC32: { value: c32?.statefulVsModern ?? null, target: 0.8, better: "higher" },
      },
      table,
    };
  } finally {
    for (const p of pools) await p.close().catch(() => undefined);
    await http?.close();
    await stateful?.close();
    await local.close();
  }
}

function pick(s) {
  return { p50: s.p50, p99: s.p99 };
}

async function postHealth(url) {
  try {
    const res = await fetch(`${url}/healthz`);
    return await res.text();
  } catch {
    return undefined;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  runHttpBench()
    .then((result) => {
      const { table, ...rest } = result;
      process.stdout.write(`${table}\n`);
      process.stdout.write(`${JSON.stringify(rest)}\n`);
    })
    .catch((err) => {
      process.stderr.write(`[bench:http] failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    });
}
