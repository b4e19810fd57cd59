/**
 * A stdio client that closes the server's stdout (the read end of the pipe) has gone away: the
 * server's next write fails with EPIPE, and it ends cleanly (exit 0, no stack trace) instead of
 * crashing with exit 1.
 */
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { CLI_PATH } from "../helpers/local-api.js";

describe("stdio: the client closes stdout", () => {
  it("exits 0 without a stack trace when a reply meets a closed pipe (EPIPE)", async () => {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("UNKEY_")) env[k] = v;
    const child = spawn(process.execPath, [CLI_PATH], {
      env: { ...env, UNKEY_ROOT_KEY: "unkey_epipeTestKey000000", UNKEY_MCP_LOG_LEVEL: "info" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once("exit", (code, signal) => resolve({ code, signal })),
    );

    // A working exchange first, so the server is up and has written to stdout.
    const first = new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
    child.stdin.write(
      `${JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "epipe", version: "1" } } })}\n`,
    );
    await first;
    child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" })}\n`);

    // The client stops reading: the pipe's read end is closed. Then it asks for a large answer.
    child.stdout.destroy();
    for (let i = 2; i < 6; i++) child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id: i, method: "tools/list" })}\n`);

    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    const { code, signal } = await exited;
    clearTimeout(timer);
    expect(signal, stderr).toBeNull();
    expect(code, stderr).toBe(0);
    expect(stderr).not.toMatch(/at .*\(node:|Error: write EPIPE|Unhandled|uncaught/i);
  });
});
