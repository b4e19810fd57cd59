// `npm run bench`: every benchmark, one after the other (2-core machine: never in parallel).
//
//   bench/mcp.mjs        runMcpBench()       our MCP server vs the @unkey/api@2.1.4 MCP server
//   bench/local-api.mjs  runLocalApiBench()  local API throughput vs bare node:http (if present)
//   bench/http.mjs       runHttpBench()      MCP over streamable HTTP vs direct (if present)
//   bench/analytics.mjs  runAnalyticsBench() example queries over 1M events; verifyKey with recording on/off
//   bench/confirm.mjs    runConfirmBench()   a guarded delete_key: preview + token vs --confirm off
//
// Each run*() prints its own tables on stdout (progress on stderr) and returns a JSON-serialisable
// object; if that object carries a `table` string, it is printed here instead. This script ends
// with ONE line of JSON holding every result and writes the same to bench/results/latest.json.
// A part that throws is recorded as {error} and the others still run, so one broken benchmark
// does not hide the rest; the exit code is then 1.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { REPO_ROOT } from "./lib/local-api.mjs";

const PARTS = [
  { key: "mcp", file: "mcp.mjs", fn: "runMcpBench", required: true },
  { key: "localApi", file: "local-api.mjs", fn: "runLocalApiBench", required: false },
  { key: "http", file: "http.mjs", fn: "runHttpBench", required: false },
  { key: "analytics", file: "analytics.mjs", fn: "runAnalyticsBench", required: false },
  { key: "confirm", file: "confirm.mjs", fn: "runConfirmBench", required: false },
];

function gitCommit() {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "ignore"] })
      .toString()
      .trim();
  } catch {
    return null;
  }
}

async function runPart(part) {
  const path = join(REPO_ROOT, "bench", part.file);
  if (!existsSync(path)) {
    if (part.required) return { error: `bench/${part.file} is missing` };
    process.stderr.write(`[bench] bench/${part.file} not present: skipped\n`);
    return { skipped: `bench/${part.file} not present` };
  }
  const started = Date.now();
  try {
    const mod = await import(pathToFileURL(path).href);
    if (typeof mod[part.fn] !== "function") return { error: `bench/${part.file} does not export ${part.fn}()` };
    process.stderr.write(`[bench] ${part.key}: running bench/${part.file}\n`);
    const result = await mod[part.fn]();
    if (result && typeof result === "object" && typeof result.table === "string") {
      process.stdout.write(`${result.table}\n`);
      const { table: _table, ...rest } = result;
      return { ...rest, wallMs: Date.now() - started };
    }
    return result && typeof result === "object" ? { ...result, wallMs: Date.now() - started } : { value: result ?? null, wallMs: Date.now() - started };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`[bench] ${part.key} failed: ${message}\n`);
    return { error: message, wallMs: Date.now() - started };
  }
}

/**
 * The headline numbers, lifted out of every part's `targets` ({value, target, better?, met?}) so
 * the last line is readable at a glance. `better` is "lower" (value ≤ target) or "higher"
 * (value ≥ target); a part may also decide `met` itself. Without either, `met` stays null rather
 * than guessing the direction.
 */
function headline(results) {
  const out = {};
  for (const [part, r] of Object.entries(results)) {
    if (!r || typeof r !== "object" || !r.targets || typeof r.targets !== "object") continue;
    for (const [name, t] of Object.entries(r.targets)) {
      if (!t || typeof t !== "object") continue;
      let met = typeof t.met === "boolean" ? t.met : null;
      if (met === null && typeof t.value === "number" && typeof t.target === "number") {
        if (t.better === "lower") met = t.value <= t.target;
        else if (t.better === "higher") met = t.value >= t.target;
      }
      out[`${part}.${name}`] = { value: t.value ?? null, target: t.target ?? null, met };
    }
  }
  return out;
}

export async function runAll() {
  const started = Date.now();
  const results = {};
  for (const part of PARTS) results[part.key] = await runPart(part);
  const report = {
    bench: "unkey-mcp",
    at: new Date().toISOString(),
    commit: gitCommit(),
    node: process.version,
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? null,
    durationMs: Date.now() - started,
    headline: headline(results),
    ...results,
  };
  const dir = join(REPO_ROOT, "bench", "results");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "latest.json"), `${JSON.stringify(report, null, 2)}\n`);
  return report;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const report = await runAll();
  process.stdout.write(`\n${JSON.stringify(report)}\n`);
  // Missed targets are reported, not fatal; a part that could not be measured at all is.
  const failed = PARTS.filter((p) => report[p.key]?.error || report[p.key]?.problems?.length > 0);
  for (const p of failed) {
    process.stderr.write(`[bench] ${p.key}: ${report[p.key].error ?? report[p.key].problems.join("; ")}\n`);
  }
  if (failed.length > 0) process.exitCode = 1;
}
