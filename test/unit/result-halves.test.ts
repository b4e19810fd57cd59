/**
 * Results every client reads whole: some clients show a model only `structuredContent`, others
 * only the text. For success, error, paginated, created-key and cut-to-budget results, every fact
 * a model needs is found in each half on its own, the text does not carry the JSON twice, and
 * each half stays within the token budget. Calls run through the executor against the local API.
 */
import type { CallToolResult } from "@modelcontextprotocol/server";
import { getEncoding } from "js-tiktoken";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUnkeyClient, type UnkeyClient } from "../../src/client/unkey-client.js";
import { executeTool, type ExecuteContext } from "../../src/tools/execute.js";
import { RESULT_TOKEN_BUDGET, WITHHELD } from "../../src/tools/results.js";
import { createLogger } from "../../src/util/log.js";
import { text, tool } from "../helpers/catalog.js";
import { startLocalApi, type InProcessLocalApi } from "../helpers/local-api.js";

let api: InProcessLocalApi;
let client: UnkeyClient;
let apiId = "";
const encoder = getEncoding("o200k_base");

beforeAll(async () => {
  api = await startLocalApi();
  client = createUnkeyClient({ baseUrl: api.url });
  apiId = ((await run("create_api", { name: "halves" })).structuredContent as { data: { apiId: string } }).data.apiId;
});
afterAll(async () => {
  await client.close();
  await api.close();
});

function run(name: string, args: Record<string, unknown>, extra: Partial<ExecuteContext> = {}): Promise<CallToolResult> {
  return executeTool(tool(name), args, { rootKey: api.rootKey, client, logger: createLogger({ level: "silent" }), ...extra });
}

/** Every leaf value of structuredContent, one per line: what a model reading only it can see. */
function structuredOnly(r: CallToolResult): string {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        out.push(k);
        walk(x);
      }
    } else out.push(String(v));
  };
  walk(r.structuredContent);
  return out.join("\n");
}

/** Asserts that each fact is in the text alone and in structuredContent alone. */
function expectInBothHalves(r: CallToolResult, facts: string[]): void {
  expect(r.structuredContent, "structuredContent").toBeDefined();
  const s = structuredOnly(r);
  const t = text(r);
  for (const fact of facts) {
    expect(t, `text lacks ${JSON.stringify(fact)}`).toContain(fact);
    expect(s, `structuredContent lacks ${JSON.stringify(fact)}`).toContain(fact);
  }
}

function expectJsonOnce(r: CallToolResult): void {
  const data = (r.structuredContent as { data?: unknown }).data;
  if (data === undefined) return;
  const json = JSON.stringify(data);
  expect(text(r).split(json).length - 1, "the text carries data as JSON exactly once").toBe(1);
  expect(text(r)).not.toContain('"summary"');
}

async function newKey(body: Record<string, unknown> = {}): Promise<{ keyId: string; key: string }> {
  const r = await fetch(`${api.url}/v2/keys.createKey`, {
    method: "POST",
    headers: { authorization: `Bearer ${api.rootKey}`, "content-type": "application/json" },
    body: JSON.stringify({ apiId, ...body }),
  });
  return ((await r.json()) as { data: { keyId: string; key: string } }).data;
}

describe("each half of a result carries every fact", () => {
  it("success: get_key with an expiry", async () => {
    const expires = Date.parse("2030-06-01T00:00:00Z");
    const { keyId } = await newKey({ name: "billing", expires });
    const r = await run("get_key", { keyId });
    const requestId = (r.structuredContent as { requestId: string }).requestId;
    expect(requestId).toMatch(/^req_/);
    expectInBothHalves(r, [keyId, "billing", "2030-06-01T00:00:00Z", "expiresPast", "false", requestId, "get_key: done"]);
    expectJsonOnce(r);
  });

  it("paginated: list_keys says how to get the next page", async () => {
    for (let i = 0; i < 3; i++) await newKey({ name: `page-${i}` });
    const r = await run("list_keys", { apiId, limit: 2 });
    const cursor = (r.structuredContent as { pagination: { cursor: string } }).pagination.cursor;
    expect(cursor).toBeTruthy();
    expectInBothHalves(r, ["list_keys: 2 items, more pages available", `call list_keys again with cursor="${cursor}" and the same other arguments`]);
    expectJsonOnce(r);
  });

  it("created key: the plaintext and that it is shown once", async () => {
    const r = await run("create_key", { apiId, name: "fresh" });
    const { key, keyId } = (r.structuredContent as { data: { key: string; keyId: string } }).data;
    expectInBothHalves(r, [key, keyId, "Shown once — store it now"]);
    expectJsonOnce(r);
  });

  it("created key with --hide-secrets: the notice that the secret was withheld, and no secret", async () => {
    const r = await run("create_key", { apiId, name: "hidden" }, { hideSecrets: true });
    expectInBothHalves(r, [WITHHELD, "Secret withheld: the server operator keeps plaintext keys out of this conversation"]);
    expect(JSON.stringify(r)).not.toMatch(/"key":"(?!\[withheld)/);
  });

  it("Unkey error: status, Unkey's words, the hint and the request id", async () => {
    const r = await run("get_key", { keyId: "key_doesnotexist1" });
    expect(r.isError).toBe(true);
    const requestId = (r.structuredContent as { error: { requestId: string } }).error.requestId;
    expectInBothHalves(r, ["404", "The specified key was not found", "list_keys with the key's apiId shows existing keys", requestId]);
  });

  it("invalid arguments: the field, the problem, and that nothing was sent", async () => {
    const r = await run("create_key", { apiId, expires: 1803944371 });
    expect(r.isError).toBe(true);
    expectInBothHalves(r, ["expires: looks like seconds", "1803944371000", "nothing was sent to Unkey"]);
  });

  it("no root key: how to set one", async () => {
    const r = await run("get_api", { apiId }, { rootKey: undefined });
    expectInBothHalves(r, ["no Unkey root key is configured", "UNKEY_ROOT_KEY", "unkey-mcp local root-key create --permission 'api.*.read_api'"]);
  });
});

describe("the token budget", () => {
  it("a list too long for the budget keeps its first items, says how many, and gives the call that gets the rest", async () => {
    for (let i = 0; i < 40; i++) await newKey({ name: `budget-${i}`, meta: { plan: "enterprise", note: "x".repeat(200) } });
    const budget = 2_000;
    const r = await run("list_keys", { apiId, limit: 100 }, { resultTokenBudget: budget });
    const shown = (r.structuredContent as { data: unknown[] }).data.length;
    expect(shown).toBeGreaterThan(0);
    expect(shown).toBeLessThan(40);
    expectInBothHalves(r, [`showing the first ${shown} of`, `call list_keys again with limit=${shown} and the same other arguments`]);
    for (const half of [JSON.stringify(r.structuredContent), text(r)]) expect(encoder.encode(half).length).toBeLessThanOrEqual(budget * 1.1);
  });

  it("defaults to about 10,000 tokens per half", () => {
    expect(RESULT_TOKEN_BUDGET).toBe(10_000);
  });
});
