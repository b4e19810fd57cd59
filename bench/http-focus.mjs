// A focused HTTP throughput loop for iterating on the MCP server's HTTP paths (not part of
// `npm run bench`): one concurrency, several rounds, every path of every build interleaved in
// each round, so a change in background load hits baseline and candidate alike.
//
//   node bench/http-focus.mjs [--c 32] [--n 2000] [--rounds 3] [--paths direct,legacy,modern,session]
//                             [--build name=path/to/cli.js ...] [--skip name:path,...] [--prof dir]
//
// Each --build names a CLI to measure (default: cand=dist/cli.js); each build gets a stateless
// server (2025 stateless and 2026-07-28 requests) and a stateful one (2025 sessions). With
// --prof, every MCP server runs under `node --cpu-prof` and writes its profile to that folder
// when it exits (summarise with bench/lib/cpuprofile-top.mjs).
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { Pool } from "undici";
import { REPO_ROOT, startLocalApiProcess, stopChild } from "./lib/local-api.mjs";

const { values } = parseArgs({
  options: {
    c: { type: "string", default: "32" },
    n: { type: "string", default: "2000" },
    rounds: { type: "string", default: "3" },
    paths: { type: "string", default: "direct,legacy,modern,session" },
    build: { type: "string", multiple: true },
    skip: { type: "string", default: "" },
    prof: { type: "string" },
  },
});
const concurrency = Number(values.c);
const total = Number(values.n);
const rounds = Number(values.rounds);
const paths = values.paths.split(",");
// `--skip old:modern,old:session` leaves out series a build cannot serve (an SDK 1.x build has no 2026-07-28).
const skipped = new Set(values.skip.split(",").filter(Boolean));
const builds = (values.build ?? [`cand=${join(REPO_ROOT, "dist", "cli.js")}`]).map((b) => {
  const [name, cli] = b.split("=");
  return { name, cli: resolve(cli) };
});

/** CPU time (user + system, ms) a process has used so far, from /proc. */
function cpuMs(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // clock ticks of 10 ms
  } catch {
    return NaN;
  }
}

const log = (m) => process.stderr.write(`[focus] ${m}\n`);

async function startServer(cli, apiUrl, extra) {
  const nodeArgs = values.prof ? ["--cpu-prof", "--cpu-prof-dir", resolve(values.prof)] : [];
  const child = spawn(process.execPath, [...nodeArgs, cli, "http", "--port", "0", "--api-url", apiUrl, "--log-level", "error", ...extra], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" },
  });
  let err = "";
  child.stderr.on("data", (c) => (err = (err + c.toString()).slice(-4000)));
  const url = await new Promise((ok, fail) => {
    let out = "";
    child.stdout.on("data", (c) => {
      out += c.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) ok(m[1]);
    });
    child.once("exit", (code) => fail(new Error(`server exited ${code}: ${err}`)));
  });
  return { url, pid: child.pid, close: () => stopChild(child) };
}

async function post(pool, headers, body, path = "/mcp/v2") {
  const res = await pool.request({ method: "POST", path, headers: { "content-type": "application/json", ...headers }, body });
  return { status: res.statusCode, text: await res.body.text(), headers: res.headers };
}

async function drive(n, workers) {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    workers.map(async (send) => {
      while (next < n) {
        next++;
        await send();
      }
    }),
  );
  return n / ((performance.now() - t0) / 1000);
}

const ok = (what) => (r) => {
  if (r.status !== 200 || !r.text.includes('"result"') || r.text.includes('"isError":true')) throw new Error(`${what}: ${r.status} ${r.text.slice(0, 300)}`);
};

const local = await startLocalApiProcess();
const cleanup = [];
try {
  const apiPool = new Pool(local.url, { connections: concurrency });
  cleanup.push(() => apiPool.close());
  const auth = { authorization: `Bearer ${local.rootKey}` };
  const apiId = JSON.parse((await post(apiPool, auth, JSON.stringify({ name: "focus" }), "/v2/apis.createApi")).text).data.apiId;
  const args = { apiId };
  let id = 0;
  const callBody = (meta) =>
    JSON.stringify({ jsonrpc: "2.0", id: ++id, method: "tools/call", params: { name: "get_api", arguments: args, ...(meta ? { _meta: meta } : {}) } });
  const base = { accept: "application/json, text/event-stream", "mcp-unkey-bearer-auth": local.rootKey };
  const envelope = {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientInfo": { name: "focus", version: "1" },
    "io.modelcontextprotocol/clientCapabilities": {},
  };
  const modernHeaders = { ...base, "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": "get_api" };
  const legacyHeaders = { ...base, "mcp-protocol-version": "2025-06-18" };

  const series = []; // { name, workers }
  if (paths.includes("direct")) {
    const check = (r) => {
      if (r.status !== 200) throw new Error(`direct ${r.status}`);
    };
    const body = JSON.stringify(args);
    series.push({
      name: "direct",
      pid: local.pid,
      workers: Array.from({ length: concurrency }, () => () => post(apiPool, auth, body, "/v2/apis.getApi").then(check)),
    });
  }
  for (const b of builds) {
    const stateless = await startServer(b.cli, local.url, ["--stateless"]);
    cleanup.push(() => stateless.close());
    const pool = new Pool(stateless.url, { connections: concurrency });
    cleanup.push(() => pool.close());
    if (paths.includes("legacy") && !skipped.has(`${b.name}:legacy`)) {
      const check = ok(`${b.name} legacy`);
      series.push({
        name: `${b.name} 2025-stateless`,
        pid: stateless.pid,
        workers: Array.from({ length: concurrency }, () => () => post(pool, legacyHeaders, callBody()).then(check)),
      });
    }
    if (paths.includes("modern") && !skipped.has(`${b.name}:modern`)) {
      const check = ok(`${b.name} modern`);
      series.push({
        name: `${b.name} 2026-07-28`,
        pid: stateless.pid,
        workers: Array.from({ length: concurrency }, () => () => post(pool, modernHeaders, callBody(envelope)).then(check)),
      });
    }
    if (paths.includes("session") && !skipped.has(`${b.name}:session`)) {
      const stateful = await startServer(b.cli, local.url, ["--max-sessions-per-key", "5000"]);
      cleanup.push(() => stateful.close());
      const sPool = new Pool(stateful.url, { connections: concurrency });
      cleanup.push(() => sPool.close());
      const init = JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "focus", version: "1" } },
      });
      const check = ok(`${b.name} session`);
      const workers = await Promise.all(
        Array.from({ length: concurrency }, async () => {
          const r = await post(sPool, base, init);
          const h = { ...legacyHeaders, "mcp-session-id": r.headers["mcp-session-id"] };
          await post(sPool, h, JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }));
          return () => post(sPool, h, callBody()).then(check);
        }),
      );
      series.push({ name: `${b.name} 2025-session`, pid: stateful.pid, workers });
    }
  }
  log(`warm-up`);
  for (const s of series) await drive(Math.min(total, 500), s.workers);
  const results = new Map(series.map((s) => [s.name, []]));
  const cpu = new Map(series.map((s) => [s.name, []]));
  for (let r = 0; r < rounds; r++) {
    for (const s of series) {
      const c0 = cpuMs(s.pid);
      results.get(s.name).push(await drive(total, s.workers));
      cpu.get(s.name).push(((cpuMs(s.pid) - c0) * 1000) / total);
    }
    log(`round ${r + 1}: ${series.map((s) => `${s.name} ${Math.round(results.get(s.name)[r])}`).join(", ")}`);
  }
  const direct = results.get("direct");
  const rows = [];
  for (const [name, rps] of results) {
    const ratios = direct ? rps.map((v, i) => (v / direct[i]).toFixed(3)) : [];
    const us = cpu.get(name).map((v) => String(Math.round(v)).padStart(5));
    rows.push(
      `${name.padEnd(28)} req/s ${rps.map((v) => String(Math.round(v)).padStart(6)).join(" ")}${ratios.length ? `   /direct ${ratios.join(" ")}` : ""}   server CPU us/req ${us.join(" ")}`,
    );
  }
  process.stdout.write(`c=${concurrency} n=${total} rounds=${rounds}\n${rows.join("\n")}\n`);
} finally {
  for (const c of cleanup.reverse()) await c();
  await local.close();
}
