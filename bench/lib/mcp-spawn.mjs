// Spawn an MCP server over stdio, connect the official SDK client and time the cold start.
import { spawn } from "node:child_process";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { getDefaultEnvironment, StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { msSince, readPeakRssKb } from "./stats.mjs";

const STDERR_KEEP = 8 * 1024;

/**
 * Starts `command args` as a stdio MCP server, connects a Client and lists the tools. The timer
 * runs from just before connect() (which spawns the child) until listTools() resolves: the wait a
 * user has between starting a host and the model seeing the tools.
 *
 * The child's stderr is captured (last 8 kB) rather than inherited so server logs do not mix into
 * the benchmark's tables, and is attached to the error when the start fails.
 */
export async function spawnAndConnect({ command = process.execPath, args, env, label, timeoutMs = 20_000 }) {
  // Only the SDK's default variables (HOME, PATH, …) plus `env`: a UNKEY_* or UNKEY_MCP_* variable
  // in the caller's shell must not change what is measured.
  const transport = new StdioClientTransport({ command, args, env: { ...getDefaultEnvironment(), ...env }, stderr: "pipe" });
  let stderrTail = "";
  transport.stderr?.on("data", (chunk) => {
    stderrTail = (stderrTail + chunk.toString("utf8")).slice(-STDERR_KEEP);
  });
  const client = new Client({ name: "unkey-mcp-bench", version: "0.0.0" }, { capabilities: {} });
  const start = process.hrtime.bigint();
  let timer;
  try {
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
    });
    let initializeMs = 0;
    const tools = await Promise.race([
      (async () => {
        await client.connect(transport);
        // Split point: spawn + module loading + initialize handshake, then the first list.
        initializeMs = msSince(start);
        return (await client.listTools()).tools;
      })(),
      timeout,
    ]);
    const coldStartMs = msSince(start);
    const pid = transport.pid;
    return {
      client,
      transport,
      pid,
      tools,
      coldStartMs,
      initializeMs,
      serverVersion: client.getServerVersion(),
      protocolCapabilities: client.getServerCapabilities(),
      stderrTail: () => stderrTail,
      peakRssKb: () => (pid ? readPeakRssKb(pid) : undefined),
      close: () => stopServer(client, transport),
    };
  } catch (err) {
    await stopServer(client, transport);
    const tail = stderrTail.trim().split("\n").slice(-10).join("\n");
    throw new Error(
      `${label ?? command}: could not connect and list tools: ${err instanceof Error ? err.message : String(err)}${tail ? `\n--- server stderr (tail) ---\n${tail}` : ""}`,
    );
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Stops the child without the SDK's grace period: close() first ends stdin and then waits up to
 * 2 s for the child to exit on its own, which some servers never do; in a loop of cold starts
 * that wait would dominate the run. SIGTERM right away, then the normal close.
 */
export async function stopServer(client, transport) {
  const pid = transport.pid;
  if (pid) {
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      // already gone
    }
  }
  await client.close().catch(() => {});
}

/** Spawn → exit time of a bare `node -e 0`: the floor no Node server can beat. */
export function nodeSpawnFloorMs() {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, ["-e", "0"], { stdio: "ignore" });
    child.on("error", reject);
    child.on("exit", () => resolve(msSince(start)));
  });
}
