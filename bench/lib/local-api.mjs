// Starts the local Unkey-compatible API as a child process for a benchmark run.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { readPeakRssKb } from "./stats.mjs";

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const LOCAL_SERVER_MODULE = join(REPO_ROOT, "dist", "local", "server.js");

/** A fresh root key per run: the local API seeds it with every permission. */
export function benchRootKey() {
  return `unkey_bench${randomBytes(12).toString("hex")}`;
}

/**
 * Spawns bench/lib/local-api-child.mjs and waits for the URL it prints. Resolves to
 * { url, rootKey, pid, peakRssKb(), close() }.
 */
/** SIGTERM, then SIGKILL after 3 s; resolves once the child has exited. */
export function stopChild(child) {
  return new Promise((done) => {
    if (child.exitCode !== null) return done();
    child.once("exit", () => done());
    child.kill("SIGTERM");
    setTimeout(() => child.kill("SIGKILL"), 3000).unref();
  });
}

/**
 * For a child script: closes `api` and exits on SIGTERM, SIGINT, or when the parent closes stdin
 * (so a parent that dies does not leave the server running).
 */
export function closeOnParentExit(api) {
  let closing = false;
  const shutdown = async () => {
    if (closing) return;
    closing = true;
    await api.close().catch(() => {});
    process.exit(0);
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);
  process.stdin.on("end", shutdown);
  process.stdin.resume();
}

/**
 * `script` (in bench/lib) is the child to run with `args` after the server module and root key;
 * its first stdout line is JSON with at least `url`, returned whole as `info`.
 */
export async function startLocalApiProcess({ rootKey = benchRootKey(), timeoutMs = 20_000, script = "local-api-child.mjs", args = [] } = {}) {
  if (!existsSync(LOCAL_SERVER_MODULE)) {
    throw new Error(`${LOCAL_SERVER_MODULE} is missing: run "npm run build" first (npm run bench does).`);
  }
  const child = spawn(process.execPath, [join(REPO_ROOT, "bench", "lib", script), LOCAL_SERVER_MODULE, rootKey, ...args], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (c) => {
    stderr = (stderr + c.toString("utf8")).slice(-8192);
  });
  const info = await new Promise((resolveInfo, reject) => {
    let out = "";
    const timer = setTimeout(() => fail(new Error(`no URL after ${timeoutMs} ms`)), timeoutMs);
    const fail = (err) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`local API did not start: ${err.message}${stderr ? `\n${stderr.trim()}` : ""}`));
    };
    child.on("error", fail);
    child.on("exit", (code) => fail(new Error(`exited with code ${code}`)));
    child.stdout.on("data", (c) => {
      out += c.toString("utf8");
      const nl = out.indexOf("\n");
      if (nl === -1) return;
      clearTimeout(timer);
      child.removeAllListeners("exit");
      try {
        resolveInfo(JSON.parse(out.slice(0, nl)));
      } catch (err) {
        fail(err);
      }
    });
  });
  return {
    url: info.url,
    info,
    rootKey,
    pid: child.pid,
    peakRssKb: () => readPeakRssKb(child.pid),
    close: () => stopChild(child),
  };
}
