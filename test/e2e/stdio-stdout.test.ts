/**
 * In stdio mode stdout is the protocol channel: every byte the server writes there must be a
 * JSON-RPC 2.0 message, one per line, or the client's parser breaks. Logs go to stderr.
 *
 * The server is spawned raw (no SDK client, which would hide stray output) and driven through a
 * session with a successful call, a failing call, a protocol error and shutdown, at the chattiest
 * log level.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalApi, type InProcessLocalApi } from "../helpers/local-api.js";
import { CLI, PROJECT_ROOT } from "../helpers/mcp-stdio.js";

interface JsonRpcMessage {
  jsonrpc: string;
  id?: number | string | null;
  method?: string;
  result?: Record<string, unknown>;
  error?: { code: number; message: string };
}

let api: InProcessLocalApi;
beforeAll(async () => {
  api = await startLocalApi();
});
afterAll(async () => {
  await api?.close();
});

/** Spawns `node dist/cli.js --log-level debug` with the local API and collects both streams. */
function spawnServer(): { child: ChildProcessWithoutNullStreams; stdout: () => string; stderr: () => string; exited: Promise<number | null> } {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("UNKEY_")) env[k] = v;
  env.UNKEY_ROOT_KEY = api.rootKey;
  env.UNKEY_API_URL = api.url;
  const child = spawn(process.execPath, [CLI, "--log-level", "debug"], { env, cwd: PROJECT_ROOT, stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr.on("data", (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Parses stdout strictly: every line, including a trailing partial one, must be a JSON-RPC 2.0 message. */
function parseStdout(stdout: string): JsonRpcMessage[] {
  const lines = stdout.split("\n");
  // Messages are newline-terminated: whatever follows the last newline is an unterminated line.
  expect(lines.pop(), "stdout ends with an unterminated line").toBe("");
  return lines.map((line, i) => {
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      throw new Error(`stdout line ${i + 1} is not JSON: ${JSON.stringify(line.slice(0, 200))}`);
    }
    expect(msg, `stdout line ${i + 1}`).toMatchObject({ jsonrpc: "2.0" });
    const m = msg as JsonRpcMessage;
    const isResponse = m.id !== undefined && (m.result !== undefined) !== (m.error !== undefined) && m.method === undefined;
    const isRequestOrNotification = typeof m.method === "string" && m.result === undefined && m.error === undefined;
    expect(isResponse || isRequestOrNotification, `stdout line ${i + 1} is neither a response nor a request: ${line.slice(0, 200)}`).toBe(true);
    return m;
  });
}

describe("stdio: stdout carries only JSON-RPC", () => {
  it("initialize, tools/list, successful and failing tool calls, a protocol error and shutdown write only JSON-RPC lines to stdout", async () => {
    const server = spawnServer();
    const send = (msg: object): void => void server.child.stdin.write(`${JSON.stringify(msg)}\n`);
    const waitFor = (id: number): Promise<JsonRpcMessage> =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          for (const line of server.stdout().split("\n")) {
            if (!line.includes(`"id":${id}`)) continue;
            try {
              const m = JSON.parse(line) as JsonRpcMessage;
              if (m.id === id) {
                server.child.stdout.off("data", check);
                server.child.off("exit", gone);
                resolve(m);
                return;
              }
            } catch {
              // a stray line: the strict parse at the end reports it
            }
          }
        };
        const gone = (): void => reject(new Error(`server exited before answering ${id}; stderr:\n${server.stderr()}`));
        server.child.stdout.on("data", check);
        server.child.once("exit", gone);
        check();
      });

    send({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw-stdio", version: "1" } },
    });
    expect((await waitFor(1)).result).toMatchObject({ serverInfo: expect.any(Object) });
    send({ jsonrpc: "2.0", method: "notifications/initialized" });
    send({ jsonrpc: "2.0", id: 2, method: "tools/list" });
    expect(((await waitFor(2)).result!.tools as unknown[]).length).toBe(45);
    send({ jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "create_api", arguments: { name: "stdout-check" } } });
    const created = await waitFor(3);
    expect(created.result?.isError).toBeFalsy();
    expect(JSON.stringify(created.result)).toMatch(/api_/);
    send({ jsonrpc: "2.0", id: 4, method: "tools/call", params: { name: "get_api", arguments: { apiId: "api_doesNotExist1234" } } });
    expect((await waitFor(4)).result?.isError).toBe(true);
    send({ jsonrpc: "2.0", id: 5, method: "no/such/method" });
    expect((await waitFor(5)).error?.code).toBe(-32601);
    send({ jsonrpc: "2.0", id: 6, method: "prompts/get", params: { name: "debug_key", arguments: { keyId: "key_123" } } });
    expect((await waitFor(6)).result?.messages).toBeDefined();

    // Shutdown is part of the session: nothing may be printed on the way out either.
    server.child.stdin.end();
    await server.exited;

    const messages = parseStdout(server.stdout());
    expect(messages.filter((m) => m.id !== undefined).map((m) => m.id)).toEqual([1, 2, 3, 4, 5, 6]);
    // The server did log (to stderr), at debug, including the calls: the logs had somewhere to go.
    expect(server.stderr()).toContain("create_api");
    expect(server.stderr()).toContain('"arguments"');
  });
});
