/**
 * 2025-era session elicitation through the 1.x SDK client: a client that declared form
 * elicitation is asked in the call itself. Accept acts; decline, cancel and a wrong typed name
 * change nothing; a client that never answers gets the token result within --confirm-wait;
 * `--confirm token` never asks. Effects are checked through the local API.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ElicitRequestSchema, type ElicitRequest, type ElicitResult } from "@modelcontextprotocol/sdk/types.js";
import { spawnHttpServer } from "../helpers/mcp-http.js";
import { startLocalApi, type InProcessLocalApi } from "../helpers/local-api.js";
import { call, expectNoSecretsInServerStderr, rememberSecret, startStdioServer, type StdioServer } from "../helpers/mcp-stdio.js";
import type { OperationId, ResponseData } from "../../src/local/handlers/types.js";

let api: InProcessLocalApi;
const servers: StdioServer[] = [];
const asked: Array<ElicitRequest["params"]> = [];
let answer: (p: ElicitRequest["params"]) => Promise<ElicitResult> = async () => ({ action: "accept", content: { confirm: true } });

async function raw<Op extends OperationId>(op: Op, body: unknown): Promise<{ status: number; data: ResponseData<Op> }> {
  const res = await fetch(`${api.url}/v2/${op}`, {
    method: "POST",
    headers: { authorization: `Bearer ${api.rootKey}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, data: ((await res.json()) as { data: ResponseData<Op> }).data };
}

async function server(args: string[] = []): Promise<StdioServer> {
  const s = await startStdioServer({
    rootKey: api.rootKey,
    apiUrl: api.url,
    args,
    onElicit: (p) => {
      asked.push(p);
      return answer(p);
    },
  });
  servers.push(s);
  return s;
}

async function newKey(): Promise<string> {
  const { apiId } = (await raw("apis.createApi", { name: `elicit-${Math.random().toString(36).slice(2, 8)}` })).data;
  const created = (await raw("keys.createKey", { apiId, name: "elicited" })).data;
  rememberSecret(created.key);
  return created.keyId;
}

let s: StdioServer;
beforeAll(async () => {
  api = await startLocalApi();
  rememberSecret(api.rootKey);
  s = await server(["--confirm-wait", "1"]);
});
afterAll(async () => {
  for (const x of servers) await x.close();
  expectNoSecretsInServerStderr();
  await api?.close();
});

describe("elicitation in a 2025 session (stdio, 1.x client)", () => {
  it("accept: the person is asked with the preview and the call acts", async () => {
    asked.length = 0;
    answer = async () => ({ action: "accept", content: { confirm: true } });
    const keyId = await newKey();
    const r = await call(s.client, "delete_key", { keyId });
    expect(r.isError, r.text).toBeFalsy();
    expect(asked).toHaveLength(1);
    expect(asked[0].message).toContain(`delete_key: Deletes key ${keyId} "elicited"`);
    expect(r.text).toContain("Changed: Deletes key");
    expect((await raw("keys.getKey", { keyId })).status).toBe(404);
  });

  it("decline: nothing changes and the result says the person declined", async () => {
    answer = async () => ({ action: "decline" });
    const keyId = await newKey();
    const r = await call(s.client, "delete_key", { keyId });
    expect(r.isError).toBe(true);
    expect(r.text).toContain("the person declined");
    expect((await raw("keys.getKey", { keyId })).status).toBe(200);
  });

  it("accept with the box unticked counts as declined", async () => {
    answer = async () => ({ action: "accept", content: { confirm: false } });
    const keyId = await newKey();
    const r = await call(s.client, "delete_key", { keyId });
    expect(r.text).toContain("the person declined");
    expect((await raw("keys.getKey", { keyId })).status).toBe(200);
  });

  it("an answer that does not fit the form is refused by the server's schema check: the token result; nothing changes", async () => {
    // The 1.x client sends the content as given; the server checks it against the form with the
    // argument validator's ajv (the bundle carries no other). Were it taken, "accept" would act.
    answer = async () => ({ action: "accept", content: { confirm: "yes" } });
    const keyId = await newKey();
    const r = await call(s.client, "delete_key", { keyId });
    expect(r.isError).toBeFalsy();
    expect((r.structuredContent as { confirmation: { token: string } }).confirmation.token).toMatch(/^uc1\./);
    expect((await raw("keys.getKey", { keyId })).status).toBe(200);
  });

  it("cancel: not asked, so the token result; nothing changes", async () => {
    answer = async () => ({ action: "cancel" });
    const keyId = await newKey();
    const r = await call(s.client, "delete_key", { keyId });
    expect(r.isError).toBeFalsy();
    expect((r.structuredContent as { confirmation: { token: string } }).confirmation.token).toMatch(/^uc1\./);
    expect((await raw("keys.getKey", { keyId })).status).toBe(200);
  });

  it("a client that declared elicitation but never answers gets the token result within --confirm-wait", async () => {
    answer = () => new Promise<ElicitResult>(() => undefined);
    const keyId = await newKey();
    const started = Date.now();
    const r = await call(s.client, "delete_key", { keyId });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(r.isError).toBeFalsy();
    expect(r.text).toContain("needs confirmation. Nothing was changed.");
    expect((await raw("keys.getKey", { keyId })).status).toBe(200);
    // The token still works afterwards.
    answer = async () => ({ action: "cancel" });
    const done = await call(s.client, "delete_key", { keyId, confirm: (r.structuredContent as { confirmation: { token: string } }).confirmation.token });
    expect(done.isError, done.text).toBeFalsy();
    expect((await raw("keys.getKey", { keyId })).status).toBe(404);
  });

  it("delete_api needs the API's name typed; a wrong name changes nothing, the right one deletes", async () => {
    const name = `typed-${Math.random().toString(36).slice(2, 8)}`;
    const { apiId } = (await raw("apis.createApi", { name })).data;
    asked.length = 0;
    answer = async () => ({ action: "accept", content: { name: "something-else" } });
    const wrong = await call(s.client, "delete_api", { apiId });
    expect(wrong.isError).toBe(true);
    expect(wrong.text).toContain(`the typed name did not match "${name}"`);
    expect((asked[0] as { requestedSchema: { required?: string[] } }).requestedSchema.required).toEqual(["name"]);
    expect((await raw("apis.getApi", { apiId })).status).toBe(200);

    answer = async () => ({ action: "accept", content: { name } });
    const right = await call(s.client, "delete_api", { apiId });
    expect(right.isError, right.text).toBeFalsy();
    expect((await raw("apis.getApi", { apiId })).status).toBe(404);
  });

  it("a name cannot draw lines of its own into the question (line breaks and bidi controls are shown as escapes)", async () => {
    const name = "billing-prod (test copy)\n- 0 keys of this API stop verifying\u202e";
    const { apiId } = (await raw("apis.createApi", { name })).data;
    asked.length = 0;
    answer = async () => ({ action: "decline" });
    await call(s.client, "delete_api", { apiId });
    const message = (asked[0] as { message: string }).message;
    expect(message.split("\n")).toEqual([
      `delete_api: Deletes API billing-prod (test copy)\\u000a- 0 keys of this API stop verifying\\u202e (${apiId}) and its keys.`,
      "- 0 keys of this API stop verifying at once.",
      "This cannot be undone.",
    ]);
    const title = (asked[0] as unknown as { requestedSchema: { properties: { name: { title: string } } } }).requestedSchema.properties.name.title;
    expect(title).not.toMatch(/[\n\u202e]/);
    expect((await raw("apis.getApi", { apiId })).status).toBe(200);
  });

  it("--confirm token never asks, even a client that could answer", async () => {
    const t = await server(["--confirm", "token"]);
    asked.length = 0;
    answer = async () => ({ action: "accept", content: { confirm: true } });
    const keyId = await newKey();
    const r = await call(t.client, "delete_key", { keyId });
    expect(asked).toHaveLength(0);
    expect((r.structuredContent as { confirmation?: unknown }).confirmation).toBeDefined();
    expect((await raw("keys.getKey", { keyId })).status).toBe(200);
  });
});

describe("elicitation over HTTP (1.x client)", () => {
  async function httpClient(url: string): Promise<Client> {
    const c = new Client({ name: "elicit-http", version: "1.0.0" }, { capabilities: { elicitation: { form: {} } } });
    c.setRequestHandler(ElicitRequestSchema, (req) => {
      asked.push(req.params);
      return answer(req.params);
    });
    await c.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp/v2`), { requestInit: { headers: { "MCP-UNKEY-BEARER-AUTH": api.rootKey } } }));
    return c;
  }

  it("a stateful session is asked: accept acts, decline changes nothing", async () => {
    const h = await spawnHttpServer(api.url, ["--confirm-wait", "5"]);
    try {
      const c = await httpClient(h.url);
      answer = async () => ({ action: "accept", content: { confirm: true } });
      const k1 = await newKey();
      const ok = await call(c, "delete_key", { keyId: k1 });
      expect(ok.isError, ok.text).toBeFalsy();
      expect((await raw("keys.getKey", { keyId: k1 })).status).toBe(404);
      answer = async () => ({ action: "decline" });
      const k2 = await newKey();
      const no = await call(c, "delete_key", { keyId: k2 });
      expect(no.text).toContain("the person declined");
      expect((await raw("keys.getKey", { keyId: k2 })).status).toBe(200);
      await c.close();
    } finally {
      await h.close();
    }
  });

  it("a stateless server cannot ask (no back-channel): the token result", async () => {
    const h = await spawnHttpServer(api.url, ["--stateless"]);
    try {
      const c = await httpClient(h.url);
      asked.length = 0;
      answer = async () => ({ action: "accept", content: { confirm: true } });
      const keyId = await newKey();
      const r = await call(c, "delete_key", { keyId });
      expect(asked).toHaveLength(0);
      expect((r.structuredContent as { confirmation?: unknown }).confirmation).toBeDefined();
      expect((await raw("keys.getKey", { keyId })).status).toBe(200);
      await c.close();
    } finally {
      await h.close();
    }
  });
});
