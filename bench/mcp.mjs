// The MCP-server benchmark: our stdio server side by side with the baseline (the MCP server of
// @unkey/api@2.1.4, installed as unkey-mcp-baseline), both against the same local API of this run.
//
//   1. model-visible size of tools/list (o200k tokens of {name, description, inputSchema})
//   2. cold start: spawn → first tools/list over stdio (SDK Client + StdioClientTransport)
//   3. one read tool call, c=1, vs the same request sent straight to the local API
//   4. peak RSS (VmHWM) of each server process
//   5. tokens of one result, each half alone (structuredContent, text): list_keys of 100 keys and
//      get_key, because clients show a model one half or the other
//
// Everything is sequential (2-core machine) and bounded in count and time; traffic is loopback only.
// Run alone with `node bench/mcp.mjs` (after `npm run build`) or through `npm run bench`.
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { request } from "undici";
import { REPO_ROOT, startLocalApiProcess } from "./lib/local-api.mjs";
import { nodeSpawnFloorMs, spawnAndConnect } from "./lib/mcp-spawn.mjs";
import { median, msSince, ratio, round, summarize } from "./lib/stats.mjs";
import { section } from "./lib/table.mjs";
import { countModelVisibleTokens, countTokens, modelVisible, schemaStats } from "./lib/tool-stats.mjs";

const OUR_CLI = join(REPO_ROOT, "dist", "cli.js");
const BASELINE_CLI = join(REPO_ROOT, "node_modules", "unkey-mcp-baseline", "bin", "mcp-server.js");

export const TARGETS = {
  tokensRatio: 0.6,
  coldStartRatio: 0.6,
  addedP50Ms: 1,
  rssRatio: 0.8,
};

const DEFAULTS = {
  coldStarts: 10,
  calls: 300,
  warmup: 30,
  /** Upper bound for each timed loop; a loop that hits it reports the samples it has. */
  loopBudgetMs: 45_000,
  print: true,
};

const log = (msg) => process.stderr.write(`[bench:mcp] ${msg}\n`);

/** The shared token counter (bench/tokens.mjs) when it exists, so every table counts alike. */
async function tokenCounter() {
  const shared = join(REPO_ROOT, "bench", "tokens.mjs");
  if (existsSync(shared)) {
    try {
      const mod = await import(pathToFileURL(shared).href);
      if (typeof mod.countToolListTokens === "function") {
        return { count: (tools) => mod.countToolListTokens(tools), source: "bench/tokens.mjs" };
      }
    } catch (err) {
      log(`bench/tokens.mjs did not load (${err instanceof Error ? err.message : err}); using bench/lib/tool-stats.mjs`);
    }
  }
  return { count: countModelVisibleTokens, source: "bench/lib/tool-stats.mjs" };
}

function serverSpecs(api) {
  // Without a build of our server there is nothing to spawn; say so once instead of collecting
  // a MODULE_NOT_FOUND stack per attempt.
  const skip = existsSync(OUR_CLI) ? undefined : `${OUR_CLI} is missing (run "npm run build")`;
  const ours = (label, extra) => ({
    label,
    skip,
    args: [OUR_CLI, "stdio", ...extra],
    env: { UNKEY_ROOT_KEY: api.rootKey, UNKEY_API_URL: api.url },
  });
  return {
    oursFull: ours("ours (full)", ["--profile", "full"]),
    oursRatelimits: ours("ours (ratelimits)", ["--profile", "ratelimits"]),
    oursReadOnly: ours("ours (full --read-only)", ["--profile", "full", "--read-only"]),
    baseline: {
      label: "baseline @unkey/api@2.1.4",
      args: [BASELINE_CLI, "start", "--transport", "stdio", "--root-key", api.rootKey, "--server-url", api.url],
      env: {},
    },
  };
}

async function unkeyPost(api, path, body) {
  const res = await request(`${api.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${api.rootKey}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const json = await res.body.json();
  return { status: res.statusCode, json };
}

function errorText(err) {
  return err instanceof Error ? err.message : String(err);
}

// ---------------------------------------------------------------- 1. tools/list size

function toolListFigures(tools, count) {
  const visible = JSON.stringify(modelVisible(tools));
  const full = JSON.stringify(tools);
  const perTool = tools.map((t) => ({ name: t.name, tokens: count([t]) })).sort((a, b) => b.tokens - a.tokens);
  const tokens = count(tools);
  return {
    tools: tools.length,
    visibleBytes: Buffer.byteLength(visible),
    visibleTokens: tokens,
    tokensPerTool: tools.length ? round(tokens / tools.length, 0) : null,
    // What the baseline doc measured: the whole tools/list JSON (titles, annotations, outputSchema).
    fullBytes: Buffer.byteLength(full),
    fullTokens: countTokens(full),
    largest: perTool.slice(0, 3),
    schema: schemaStats(tools),
  };
}

async function measureToolLists(specs, count) {
  const out = {};
  for (const [key, spec] of Object.entries(specs)) {
    if (spec.skip) {
      out[key] = { label: spec.label, error: spec.skip };
      continue;
    }
    try {
      const s = await spawnAndConnect(spec);
      try {
        out[key] = { label: spec.label, ...toolListFigures(s.tools, count) };
      } finally {
        await s.close();
      }
    } catch (err) {
      out[key] = { label: spec.label, error: errorText(err) };
      log(`tools/list ${spec.label}: ${errorText(err)}`);
    }
  }
  return out;
}

// ---------------------------------------------------------------- 2. cold start

async function measureColdStarts(specs, n, budgetMs) {
  const samples = { oursFull: [], baseline: [], nodeFloor: [] };
  const initialize = { oursFull: [], baseline: [] };
  const idleRss = { oursFull: [], baseline: [] };
  const errors = {};
  for (const key of ["oursFull", "baseline"]) if (specs[key].skip) errors[key] = specs[key].skip;
  const deadline = Date.now() + budgetMs;
  // Interleaved, so drift in machine load hits every series alike.
  for (let i = 0; i < n && Date.now() < deadline; i++) {
    for (const key of ["oursFull", "baseline"]) {
      if (errors[key]) continue;
      try {
        const s = await spawnAndConnect(specs[key]);
        samples[key].push(s.coldStartMs);
        initialize[key].push(s.initializeMs);
        const kb = s.peakRssKb();
        if (kb) idleRss[key].push(kb);
        await s.close();
      } catch (err) {
        errors[key] = errorText(err);
        log(`cold start ${specs[key].label}: ${errors[key]}`);
      }
    }
    samples.nodeFloor.push(await nodeSpawnFloorMs());
  }
  const fig = (xs) => (xs.length ? { n: xs.length, median: round(median(xs), 1), min: round(Math.min(...xs), 1), max: round(Math.max(...xs), 1) } : null);
  const withInit = (key) => {
    const f = fig(samples[key]);
    return f ? { ...f, initializeMedian: round(median(initialize[key]), 1) } : null;
  };
  return {
    oursFull: errors.oursFull ? { error: errors.oursFull } : withInit("oursFull"),
    baseline: errors.baseline ? { error: errors.baseline } : withInit("baseline"),
    nodeFloor: fig(samples.nodeFloor),
    idlePeakRssKb: {
      oursFull: idleRss.oursFull.length ? Math.round(median(idleRss.oursFull)) : null,
      baseline: idleRss.baseline.length ? Math.round(median(idleRss.baseline)) : null,
    },
  };
}

// ---------------------------------------------------------------- 3. one tool call

/** Our tools take the request body's fields at the top level; fall back to `request` nesting. */
function getApiArgs(tool, apiId) {
  const props = tool?.inputSchema?.properties ?? {};
  if ("apiId" in props) return { apiId };
  if ("request" in props) return { request: { apiId } };
  return { apiId };
}

function checkToolResult(label, result, apiId) {
  if (result.isError) {
    const text = (result.content ?? [])
      .map((c) => c.text ?? "")
      .join(" ")
      .slice(0, 300);
    throw new Error(`${label}: the call returned isError: ${text}`);
  }
  const blob = JSON.stringify(result.structuredContent ?? result.content ?? result);
  if (!blob.includes(apiId)) throw new Error(`${label}: the result does not mention ${apiId}: ${blob.slice(0, 300)}`);
}

async function measureCalls(api, apiId, sessions, cfg) {
  const runners = {
    direct: async () => {
      const r = await unkeyPost(api, "/v2/apis.getApi", { apiId });
      if (r.status !== 200 || r.json?.data?.id !== apiId) throw new Error(`direct: HTTP ${r.status} ${JSON.stringify(r.json).slice(0, 200)}`);
    },
  };
  const errors = {};
  for (const [key, s] of Object.entries(sessions)) {
    if (!s) continue;
    const name = key === "baseline" ? "apis-get-api" : "get_api";
    const tool = s.tools.find((t) => t.name === name);
    if (!tool) {
      errors[key] = `no tool named ${name} in tools/list`;
      continue;
    }
    const args = getApiArgs(tool, apiId);
    const call = () => s.client.callTool({ name, arguments: args });
    try {
      checkToolResult(key, await call(), apiId);
      runners[key] = async () => {
        const res = await call();
        if (res.isError) throw new Error(`${key}: isError during the timed loop`);
      };
    } catch (err) {
      errors[key] = errorText(err);
      log(errors[key]);
    }
  }

  // A path that fails mid-run (a server that crashed, say) leaves the rotation with its error;
  // the other paths keep going so one failure does not void the whole comparison.
  const active = new Set(Object.keys(runners));
  const samples = Object.fromEntries([...active].map((k) => [k, []]));
  const step = async (k, record) => {
    const t0 = process.hrtime.bigint();
    try {
      await runners[k]();
    } catch (err) {
      errors[k] = `failed after ${samples[k].length} timed calls: ${errorText(err)}`;
      active.delete(k);
      log(`call ${k}: ${errors[k]}`);
      return;
    }
    if (record) samples[k].push(msSince(t0));
  };
  for (let i = 0; i < cfg.warmup; i++) for (const k of [...active]) await step(k, false);
  const deadline = Date.now() + cfg.loopBudgetMs;
  // Round-robin, one request at a time: every path sees the same machine state.
  for (let i = 0; i < cfg.calls && Date.now() < deadline && active.size > 0; i++) {
    for (const k of [...active]) await step(k, true);
  }
  const out = { warmup: cfg.warmup };
  for (const k of ["direct", "oursFull", "baseline"]) {
    out[k] = errors[k] ? { error: errors[k] } : samples[k]?.length ? summarize(samples[k]) : null;
  }
  const added = (k) => (out[k]?.p50 !== undefined && out.direct?.p50 !== undefined ? round(out[k].p50 - out.direct.p50, 3) : null);
  const addedP99 = (k) => (out[k]?.p99 !== undefined && out.direct?.p99 !== undefined ? round(out[k].p99 - out.direct.p99, 3) : null);
  out.addedP50Ms = { oursFull: added("oursFull"), baseline: added("baseline") };
  out.addedP99Ms = { oursFull: addedP99("oursFull"), baseline: addedP99("baseline") };
  return out;
}

// ---------------------------------------------------------------- report

/** Every part that could not be measured, one line each (run.mjs turns these into exit code 1). */
// ---------------------------------------------------------------- 5. result tokens

/**
 * o200k tokens of each half of two typical results, from our server over stdio: list_keys with
 * 100 keys (the largest page) and get_key. Each half must carry every fact on its own and stay
 * within the result budget (RESULT_TOKEN_BUDGET in src/tools/results.ts, 10,000 tokens).
 */
export async function measureResultTokens(api, apiId, session) {
  const made = [];
  for (let i = 0; i < 100; i++) {
    const r = await unkeyPost(api, "/v2/keys.createKey", {
      apiId,
      name: `bench-key-${i}`,
      meta: { plan: "pro", seat: i },
      expires: Date.now() + 90 * 86_400_000,
    });
    if (r.status !== 200) throw new Error(`setup: keys.createKey answered ${r.status}`);
    made.push(r.json.data.keyId);
  }
  const halves = async (name, args) => {
    const r = await session.client.callTool({ name, arguments: args });
    if (r.isError) throw new Error(`${name}: ${JSON.stringify(r.content).slice(0, 300)}`);
    const text = (r.content ?? [])
      .filter((c) => c.type === "text")
      .map((c) => c.text)
      .join("\n");
    return {
      structuredTokens: countTokens(JSON.stringify(r.structuredContent)),
      textTokens: countTokens(text),
      items: Array.isArray(r.structuredContent?.data) ? r.structuredContent.data.length : undefined,
    };
  };
  return {
    listKeys100: await halves("list_keys", { apiId, limit: 100 }),
    getKey: await halves("get_key", { keyId: made[0] }),
  };
}

function collectProblems(toolsList, coldStart, call) {
  const problems = [];
  const first = (e) => String(e).split("\n")[0];
  for (const [k, v] of Object.entries(toolsList)) if (v?.error) problems.push(`tools/list ${k}: ${first(v.error)}`);
  for (const k of ["oursFull", "baseline"]) if (coldStart[k]?.error) problems.push(`cold start ${k}: ${first(coldStart[k].error)}`);
  for (const k of ["direct", "oursFull", "baseline"]) {
    if (call[k]?.error) problems.push(`call ${k}: ${first(call[k].error)}`);
    else if (!call[k]) problems.push(`call ${k}: not measured`);
  }
  return problems;
}

function verdict(value, target) {
  if (value === null || value === undefined) return "n/a";
  return value <= target ? "ok" : "MISSED";
}

function render(r) {
  const t = r.toolsList;
  const listRows = ["oursFull", "oursRatelimits", "oursReadOnly", "baseline"].map((k) => {
    const x = t[k];
    if (!x || x.error) return [x?.label ?? k, "error", null, null, null, null, null, null];
    return [
      x.label,
      x.tools,
      x.visibleBytes,
      x.visibleTokens,
      x.tokensPerTool,
      x.fullTokens,
      `${x.schema.described}/${x.schema.properties}`,
      `${x.schema.limited}/${x.schema.properties}`,
    ];
  });
  const meta = ["oursFull", "baseline"].map((k) => {
    const x = t[k];
    if (!x || x.error) return [x?.label ?? k, null, null, null, null, null];
    return [
      x.label,
      `${x.schema.toolsWithTitle}/${x.tools}`,
      `${x.schema.toolsWithAnnotations}/${x.tools}`,
      `${x.schema.toolsWithOutputSchema}/${x.tools}`,
      `${x.schema.enumerated}/${x.schema.properties}`,
      x.largest.map((l) => `${l.name} ${l.tokens}`).join(", "),
    ];
  });
  const cs = r.coldStart;
  const c = r.call;
  const callRow = (k, label) => {
    const x = c[k];
    if (!x || x.error) return [label, "error", null, null, null, null];
    return [label, x.n, x.p50, x.p99, x.max, k === "direct" ? 0 : c.addedP50Ms[k]];
  };
  const kb = (v) => (typeof v === "number" ? round(v / 1024, 1) : null);
  const g = r.targets;
  return [
    section(
      `MCP: tools/list as the model sees it (o200k tokens via ${r.tokenCounter})`,
      ["server", "tools", "bytes", "tokens", "tokens/tool", "tokens (whole JSON)", "props described", "props with limits"],
      listRows,
    ),
    section("MCP: tool metadata", ["server", "titles", "annotations", "outputSchema", "props enum/const", "largest tools (tokens)"], meta),
    section(
      `MCP: cold start, spawn → first tools/list over stdio (ms, ${cs.oursFull?.n ?? cs.baseline?.n ?? 0} runs each)`,
      ["process", "median", "min", "max", "of which until initialized (median)"],
      [
        ["ours (full)", cs.oursFull?.median, cs.oursFull?.min, cs.oursFull?.max, cs.oursFull?.initializeMedian],
        ["baseline", cs.baseline?.median, cs.baseline?.min, cs.baseline?.max, cs.baseline?.initializeMedian],
        ["node -e 0 (spawn → exit)", cs.nodeFloor?.median, cs.nodeFloor?.min, cs.nodeFloor?.max, null],
      ],
    ),
    section(
      `MCP: one read call (get_api), c=1, after ${c.warmup} warm-up calls (ms)`,
      ["path", "n", "p50", "p99", "max", "added p50"],
      [
        callRow("direct", "direct POST /v2/apis.getApi (undici)"),
        callRow("oursFull", "ours get_api over stdio"),
        callRow("baseline", "baseline apis-get-api over stdio"),
      ],
    ),
    section(
      "MCP: peak RSS (VmHWM, MB)",
      ["process", "after tools/list", "after the call loop"],
      [
        ["ours (full)", kb(r.rss.idle.oursFull), kb(r.rss.afterCalls.oursFull)],
        ["baseline", kb(r.rss.idle.baseline), kb(r.rss.afterCalls.baseline)],
        ["local API (shared)", null, kb(r.rss.afterCalls.localApi)],
      ],
    ),
    section(
      "MCP: one result, each half alone (o200k tokens; budget 10,000 per half)",
      ["result", "structuredContent", "text", "items"],
      [
        [
          "list_keys, 100 keys",
          r.resultTokens?.listKeys100?.structuredTokens ?? r.resultTokens?.error ?? null,
          r.resultTokens?.listKeys100?.textTokens ?? null,
          r.resultTokens?.listKeys100?.items ?? null,
        ],
        ["get_key", r.resultTokens?.getKey?.structuredTokens ?? null, r.resultTokens?.getKey?.textTokens ?? null, null],
      ],
    ),
    section(
      "MCP: targets (ours vs baseline)",
      ["measure", "value", "target", "verdict"],
      [
        ["tokens ours-full / baseline", g.tokensRatio.value, `≤ ${g.tokensRatio.target}`, verdict(g.tokensRatio.value, g.tokensRatio.target)],
        ["cold start ours / baseline", g.coldStartRatio.value, `≤ ${g.coldStartRatio.target}`, verdict(g.coldStartRatio.value, g.coldStartRatio.target)],
        ["added p50 per call (ms)", g.addedP50Ms.value, `≤ ${g.addedP50Ms.target}`, verdict(g.addedP50Ms.value, g.addedP50Ms.target)],
        ["peak RSS ours / baseline", g.rssRatio.value, `≤ ${g.rssRatio.target}`, verdict(g.rssRatio.value, g.rssRatio.target)],
      ],
    ),
  ].join("");
}

/**
 * Runs the whole MCP benchmark and returns a JSON-serialisable result. Prints its tables on
 * stdout when `print` is true (progress goes to stderr).
 */
export async function runMcpBench(options = {}) {
  const cfg = { ...DEFAULTS, ...options };
  const started = Date.now();
  if (!existsSync(BASELINE_CLI)) throw new Error(`${BASELINE_CLI} is missing (devDependency unkey-mcp-baseline)`);
  if (!existsSync(OUR_CLI)) log(`${OUR_CLI} is missing: only the baseline is measured (run "npm run build")`);

  const counter = await tokenCounter();
  log("starting the local API");
  const api = await startLocalApiProcess();
  const sessions = {};
  try {
    const created = await unkeyPost(api, "/v2/apis.createApi", { name: "bench-api" });
    const apiId = created.json?.data?.apiId;
    if (created.status !== 200 || !apiId) throw new Error(`setup: apis.createApi answered ${created.status} ${JSON.stringify(created.json).slice(0, 300)}`);

    const specs = serverSpecs(api);
    log("1/5 tools/list sizes");
    const toolsList = await measureToolLists(specs, counter.count);

    log(`2/5 cold starts (${cfg.coldStarts} each)`);
    const coldStart = await measureColdStarts(specs, cfg.coldStarts, cfg.loopBudgetMs);

    log(`3/5 tool calls (${cfg.warmup} warm-up + ${cfg.calls} each, round-robin)`);
    for (const key of ["oursFull", "baseline"]) {
      if (specs[key].skip) continue;
      try {
        sessions[key] = await spawnAndConnect(specs[key]);
      } catch (err) {
        log(`call session ${specs[key].label}: ${errorText(err)}`);
      }
    }
    const call = await measureCalls(api, apiId, sessions, cfg);

    log("4/5 peak RSS");
    const rss = {
      idle: coldStart.idlePeakRssKb,
      afterCalls: {
        oursFull: sessions.oursFull?.peakRssKb() ?? null,
        baseline: sessions.baseline?.peakRssKb() ?? null,
        localApi: api.peakRssKb() ?? null,
      },
    };

    log("5/5 result tokens (list_keys of 100 keys, get_key)");
    let resultTokens = null;
    if (sessions.oursFull) {
      try {
        resultTokens = await measureResultTokens(api, apiId, sessions.oursFull);
      } catch (err) {
        resultTokens = { error: errorText(err) };
      }
    }

    const result = {
      name: "mcp",
      node: process.version,
      cpus: availableParallelism(),
      tokenCounter: counter.source,
      toolsList,
      coldStart,
      call,
      rss,
      resultTokens,
      targets: {
        tokensRatio: { value: ratio(toolsList.oursFull?.visibleTokens, toolsList.baseline?.visibleTokens), target: TARGETS.tokensRatio, better: "lower" },
        coldStartRatio: { value: ratio(coldStart.oursFull?.median, coldStart.baseline?.median), target: TARGETS.coldStartRatio, better: "lower" },
        addedP50Ms: { value: call.addedP50Ms.oursFull, target: TARGETS.addedP50Ms, better: "lower" },
        rssRatio: { value: ratio(rss.afterCalls.oursFull ?? undefined, rss.afterCalls.baseline ?? undefined), target: TARGETS.rssRatio, better: "lower" },
      },
      problems: collectProblems(toolsList, coldStart, call),
      durationMs: Date.now() - started,
    };
    if (cfg.print) process.stdout.write(render(result));
    return result;
  } finally {
    for (const s of Object.values(sessions)) await s?.close();
    await api.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await runMcpBench();
  process.stdout.write(`\n${JSON.stringify(result)}\n`);
}
