/**
 * One log line per tool call: at info for writes, destructive and consume calls and for every
 * failure, at debug for successful reads (README, "Logs"). executeTool runs against the in-process
 * local API over real HTTP; the logger writes into an array instead of stderr.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUnkeyClient, type UnkeyClient } from "../../src/client/unkey-client.js";
import { executeTool } from "../../src/tools/execute.js";
import { createLogger, type LogLevel } from "../../src/util/log.js";
import { tool } from "../helpers/catalog.js";
import { startLocalApi, type InProcessLocalApi } from "../helpers/local-api.js";

interface Line {
  level: string;
  msg: string;
  tool?: string;
  outcome?: string;
  safety?: string;
  status?: number;
}

let api: InProcessLocalApi;
let client: UnkeyClient;
let apiId: string;

beforeAll(async () => {
  api = await startLocalApi();
  client = createUnkeyClient({ baseUrl: api.url, backoffMs: 1 });
  const res = await fetch(`${api.url}/v2/apis.createApi`, {
    method: "POST",
    headers: { authorization: `Bearer ${api.rootKey}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "log-levels" }),
  });
  apiId = ((await res.json()) as { data: { apiId: string } }).data.apiId;
});
afterAll(async () => {
  await client?.close();
  await api?.close();
});

/** Runs one tool call with a fresh capturing logger at `level`; returns the result and every line written. */
async function run(level: LogLevel, name: string, args: Record<string, unknown>): Promise<{ isError: boolean; data: unknown; lines: Line[] }> {
  const raw: string[] = [];
  const logger = createLogger({ level, format: "json", sink: (l) => void raw.push(l) });
  const r = await executeTool(tool(name), args, { rootKey: api.rootKey, client, logger });
  return {
    isError: r.isError === true,
    data: (r.structuredContent as { data?: unknown } | undefined)?.data,
    lines: raw.map((l) => JSON.parse(l) as Line),
  };
}

const toolCallLines = (lines: Line[]): Line[] => lines.filter((l) => l.msg === "tool call");

describe("tool-call log levels", () => {
  it("a successful read logs one debug line, and nothing at all at info", async () => {
    const atDebug = await run("debug", "get_api", { apiId });
    expect(atDebug.isError).toBe(false);
    const calls = toolCallLines(atDebug.lines);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ level: "debug", tool: "get_api", outcome: "ok", safety: "read" });
    expect(atDebug.lines.filter((l) => l.level !== "debug")).toEqual([]);

    const atInfo = await run("info", "get_api", { apiId });
    expect(atInfo.isError).toBe(false);
    expect(atInfo.lines).toEqual([]);
  });

  it("a successful write logs one info line", async () => {
    const r = await run("info", "create_api", { name: "log-levels-write" });
    expect(r.isError).toBe(false);
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]).toMatchObject({ level: "info", msg: "tool call", tool: "create_api", outcome: "ok", safety: "write" });
  });

  it("a successful destructive call and a successful consume call each log one info line", async () => {
    const created = await run("info", "create_key", { apiId });
    expect(created.isError).toBe(false);
    const { key, keyId } = created.data as { key: string; keyId: string };

    const verified = await run("info", "verify_key", { key });
    expect(verified.isError).toBe(false);
    expect((verified.data as { valid: boolean }).valid).toBe(true);
    expect(verified.lines).toHaveLength(1);
    expect(verified.lines[0]).toMatchObject({ level: "info", tool: "verify_key", outcome: "ok", safety: "consume" });

    const deleted = await run("info", "delete_key", { keyId });
    expect(deleted.isError).toBe(false);
    expect(deleted.lines).toHaveLength(1);
    expect(deleted.lines[0]).toMatchObject({ level: "info", tool: "delete_key", outcome: "ok", safety: "destructive" });
  });

  it("a failed read logs one info line: an Unkey 404 and arguments rejected before any request", async () => {
    const missing = await run("info", "get_api", { apiId: "api_doesNotExist1234" });
    expect(missing.isError).toBe(true);
    expect(missing.lines).toHaveLength(1);
    expect(missing.lines[0]).toMatchObject({ level: "info", tool: "get_api", outcome: "api_error", status: 404, safety: "read" });

    const invalid = await run("info", "get_api", {});
    expect(invalid.isError).toBe(true);
    expect(invalid.lines).toHaveLength(1);
    expect(invalid.lines[0]).toMatchObject({ level: "info", tool: "get_api", outcome: "invalid_arguments" });
  });
});
