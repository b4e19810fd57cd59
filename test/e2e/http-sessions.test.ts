/**
 * 2025-era sessions cannot be borrowed or evicted: a session answers only the root key that
 * opened it (POST, GET stream, DELETE), and the caps refuse newcomers instead of closing live
 * sessions, so a flood of `initialize` requests with garbage keys leaves real users working.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { INIT_BODY, rawPost, startHttpStack, type HttpStack } from "./http-helpers.js";

const V2 = "/mcp/v2";
const VERSION = "2025-06-18";

interface Opened {
  id: string;
}

/** Opens a session with raw requests (initialize + initialized), as any 2025 client does. */
async function openSession(url: string, key: string): Promise<Opened> {
  const init = await rawPost(url, INIT_BODY, { "MCP-UNKEY-BEARER-AUTH": key });
  expect(init.status, init.text).toBe(200);
  const id = init.headers.get("mcp-session-id");
  expect(id).toBeTruthy();
  const done = await rawPost(url, JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }), sessionHeaders(key, id!));
  expect(done.status).toBe(202);
  return { id: id! };
}

function sessionHeaders(key: string, id: string): Record<string, string> {
  return { "MCP-UNKEY-BEARER-AUTH": key, "mcp-session-id": id, "mcp-protocol-version": VERSION };
}

/** The JSON-RPC answer of a POST (JSON body or SSE `data:` lines). */
function answerOf(text: string): { result?: { isError?: boolean; structuredContent?: { data?: unknown } }; error?: { code: number; message: string } } {
  const line = text.split("\n").find((l) => l.startsWith("data:"));
  return JSON.parse(line ? line.slice(5) : text);
}

const listPermissions = (id: number): string =>
  JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "list_permissions", arguments: {} } });

describe("a session answers only the key that opened it", () => {
  let stack: HttpStack;
  let url: string;
  let other: string;
  beforeAll(async () => {
    stack = await startHttpStack();
    url = `${stack.http.url}${V2}`;
    other = stack.createRootKey(["rbac.*.read_permission"]);
  });
  afterAll(async () => stack?.close());

  it("POST with another (valid) key: 403 with nothing of the session, while the owner's concurrent call completes", async () => {
    const { id } = await openSession(url, stack.rootKey);
    const [owner, borrower] = await Promise.all([
      rawPost(url, listPermissions(2), sessionHeaders(stack.rootKey, id)),
      rawPost(url, listPermissions(3), sessionHeaders(other, id)),
    ]);
    expect(borrower.status).toBe(403);
    expect(borrower.json?.error?.message).toMatch(/another root key/);
    expect(borrower.text).not.toContain("permissions");
    expect(borrower.text).not.toContain(id);
    expect(owner.status).toBe(200);
    expect(answerOf(owner.text).result?.isError).toBeFalsy();
  });

  it("GET stream and DELETE with another key: 403; the session keeps working for its owner", async () => {
    const { id } = await openSession(url, stack.rootKey);
    const stream = await fetch(url, { method: "GET", headers: { ...sessionHeaders(other, id), accept: "text/event-stream" } });
    expect(stream.status).toBe(403);
    await stream.body?.cancel();
    const del = await fetch(url, { method: "DELETE", headers: sessionHeaders(other, id) });
    expect(del.status).toBe(403);
    const after = await rawPost(url, listPermissions(4), sessionHeaders(stack.rootKey, id));
    expect(after.status).toBe(200);
    expect(answerOf(after.text).result?.isError).toBeFalsy();
    // Control: the owner can close it, and then it is gone for everyone.
    const ownDelete = await fetch(url, { method: "DELETE", headers: sessionHeaders(stack.rootKey, id) });
    expect(ownDelete.status).toBe(200);
    const gone = await rawPost(url, listPermissions(5), sessionHeaders(stack.rootKey, id));
    expect(gone.status).toBe(404);
  });

  it("an unknown session id: 404 whatever the key", async () => {
    const res = await rawPost(url, listPermissions(6), sessionHeaders(stack.rootKey, "00000000-0000-4000-8000-000000000000"));
    expect(res.status).toBe(404);
  });
});

describe("session caps refuse newcomers and never evict live sessions", () => {
  let stack: HttpStack;
  let url: string;
  beforeAll(async () => {
    stack = await startHttpStack(["--max-sessions", "5", "--max-sessions-per-key", "2"]);
    url = `${stack.http.url}${V2}`;
  });
  afterAll(async () => stack?.close());

  it("per key: the third session of one key gets 429; the first two keep working", async () => {
    const a = await openSession(url, stack.rootKey);
    const b = await openSession(url, stack.rootKey);
    const third = await rawPost(url, INIT_BODY, { "MCP-UNKEY-BEARER-AUTH": stack.rootKey });
    expect(third.status).toBe(429);
    expect(third.json?.error?.message).toMatch(/Too many open sessions for this root key \(limit 2\)/);
    for (const s of [a, b]) {
      const r = await rawPost(url, listPermissions(7), sessionHeaders(stack.rootKey, s.id));
      expect(answerOf(r.text).result?.isError).toBeFalsy();
    }
    // Closing one frees a slot for the same key.
    expect((await fetch(url, { method: "DELETE", headers: sessionHeaders(stack.rootKey, b.id) })).status).toBe(200);
    await openSession(url, stack.rootKey);
  });

  it("a flood of initialize requests with garbage keys is refused with 503 once full, and leaves existing sessions working", async () => {
    const flood = await startHttpStack(["--max-sessions", "5", "--max-sessions-per-key", "2"]);
    try {
      const floodUrl = `${flood.http.url}${V2}`;
      const mine = [await openSession(floodUrl, flood.rootKey), await openSession(floodUrl, flood.rootKey)];
      const statuses: number[] = [];
      for (let i = 0; i < 40; i++) {
        const res = await rawPost(floodUrl, INIT_BODY, { "MCP-UNKEY-BEARER-AUTH": `unkey_garbage${String(i).padStart(4, "0")}xxxxxxxx` });
        statuses.push(res.status);
      }
      // Three garbage sessions fit; the other 37 are refused, none of ours was closed for them.
      expect(statuses.filter((st) => st === 200)).toHaveLength(3);
      expect(statuses.filter((st) => st === 503)).toHaveLength(37);
      expect(flood.http.sessionCount()).toBe(5);
      for (const m of mine) {
        const r = await rawPost(floodUrl, listPermissions(9), sessionHeaders(flood.rootKey, m.id));
        expect(r.status).toBe(200);
        expect(answerOf(r.text).result?.isError).toBeFalsy();
      }
    } finally {
      await flood.close();
    }
  });
});
