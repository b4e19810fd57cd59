/**
 * Confirmation, secrets and audit through the built server and real SDK clients: stdio (the
 * operator's key) and HTTP (the caller's key), against the local API. The SDK client validates
 * every structuredContent against the tool's outputSchema, so a preview that broke the schema
 * would fail here as a client error.
 */
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalApi, type InProcessLocalApi } from "../helpers/local-api.js";
import { connectHttpClient, spawnHttpServer } from "../helpers/mcp-http.js";
import { call, expectNoSecretsInServerStderr, ok, rememberSecret, runCli, startStdioServer, type StdioServer } from "../helpers/mcp-stdio.js";
import { REDIS_AVAILABLE, startRedis } from "../helpers/redis.js";
import type { OperationId, ResponseData } from "../../src/local/handlers/types.js";

let api: InProcessLocalApi;
const servers: StdioServer[] = [];

async function raw<Op extends OperationId>(op: Op, body: unknown): Promise<{ status: number; data: ResponseData<Op> }> {
  const res = await fetch(`${api.url}/v2/${op}`, {
    method: "POST",
    headers: { authorization: `Bearer ${api.rootKey}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, data: ((await res.json()) as { data: ResponseData<Op> }).data };
}

async function server(args: string[] = []): Promise<StdioServer> {
  const s = await startStdioServer({ rootKey: api.rootKey, apiUrl: api.url, args });
  servers.push(s);
  return s;
}

async function freshApiWithKeys(n: number): Promise<{ apiId: string; name: string }> {
  const name = `confirm-e2e-${Math.random().toString(36).slice(2, 8)}`;
  const { apiId } = (await raw("apis.createApi", { name })).data;
  for (let i = 0; i < n; i++) rememberSecret((await raw("keys.createKey", { apiId })).data.key);
  return { apiId, name };
}

const tokenOf = (r: { structuredContent?: unknown }): string => (r.structuredContent as { confirmation: { token: string } }).confirmation.token;

beforeAll(async () => {
  api = await startLocalApi();
  rememberSecret(api.rootKey);
});
afterAll(async () => {
  for (const s of servers) await s.close();
  expectNoSecretsInServerStderr();
  await api?.close();
});

describe("over stdio", () => {
  it("delete_api: the first call previews (the API still has it), the token call deletes it", async () => {
    const s = await server();
    const instructions = s.client.getInstructions() ?? "";
    expect(instructions).toContain("first return a preview and a token and change nothing");
    const tools = (await s.client.listTools()).tools;
    const del = tools.find((t) => t.name === "delete_api");
    expect(del?.description).toMatch(/Previews first; repeat with confirm\.$/);
    expect(Object.keys(del?.inputSchema.properties ?? {})).toContain("confirm");

    const { apiId, name } = await freshApiWithKeys(3);
    const first = await call(s.client, "delete_api", { apiId });
    expect(first.isError).toBeFalsy();
    expect(first.text).toContain(`Deletes API ${name}`);
    expect(first.text).toContain("3 keys of this API stop verifying at once");
    expect(first.text).toContain(`have the person type the name "${name}"`);
    expect((await raw("apis.getApi", { apiId })).status).toBe(200);

    const second = await call(s.client, "delete_api", { apiId, confirm: tokenOf(first) });
    expect(second.isError, second.text).toBeFalsy();
    expect(second.text).toContain("Changed: Deletes API");
    expect((await raw("apis.getApi", { apiId })).status).toBe(404);
  });

  it("--confirm-ttl 1: a token used after it expired is refused and changes nothing", async () => {
    const s = await server(["--confirm-ttl", "1"]);
    const { keyId } = (await raw("keys.createKey", { apiId: (await freshApiWithKeys(0)).apiId })).data;
    const first = await call(s.client, "delete_key", { keyId });
    await new Promise((r) => setTimeout(r, 1_100));
    const late = await call(s.client, "delete_key", { keyId, confirm: tokenOf(first) });
    expect(late.isError).toBe(true);
    expect(late.text).toContain("the token expired at");
    expect((await raw("keys.getKey", { keyId })).status).toBe(200);
  });

  it("--confirm off acts at once, says so in instructions, and warns loudly at startup", async () => {
    const s = await server(["--confirm", "off"]);
    expect(s.client.getInstructions()).toContain("Confirmation is OFF");
    expect(s.stderr()).toContain("CONFIRMATION IS OFF");
    // No tool promises a preview it will not give, nor offers a confirm argument.
    const listed = (await s.client.listTools()).tools.find((t) => t.name === "delete_key");
    expect(listed?.description).not.toContain("confirm");
    expect(Object.keys(listed?.inputSchema.properties ?? {})).not.toContain("confirm");
    const { keyId } = (await raw("keys.createKey", { apiId: (await freshApiWithKeys(0)).apiId })).data;
    const r = await call(s.client, "delete_key", { keyId });
    expect(r.isError, r.text).toBeFalsy();
    expect((await raw("keys.getKey", { keyId })).status).toBe(404);
  });

  it("--secrets mask: the model sees keyId and start only; the plaintext is in a 0600 file; the audit log has a line and no secret", async () => {
    const audit = join(mkdtempSync(join(tmpdir(), "unkey-mcp-e2e-audit-")), "audit.jsonl");
    const s = await server(["--secrets", "mask", "--audit-log", audit, "--log-level", "debug"]);
    expect(s.client.getInstructions()).toContain("never enter this conversation");
    const { apiId } = await freshApiWithKeys(0);
    const r = await call(s.client, "create_key", { apiId, name: "masked" });
    expect(r.isError, r.text).toBeFalsy();
    const data = (r.structuredContent as { data: { keyId: string; key: string } }).data;
    const file = /saved to (\S+)\]/.exec(data.key)?.[1] ?? "";
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const plaintext = readFileSync(file, "utf8").trim();
    rememberSecret(plaintext);
    expect(JSON.stringify(r)).not.toContain(plaintext);
    expect((await raw("keys.verifyKey", { key: plaintext })).data.valid).toBe(true);
    const lines = readFileSync(audit, "utf8").trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({ tool: "create_key", confirmation: "not_required", apiCalled: true, status: 200 });
    expect(lines[0]).not.toContain(plaintext);
  });

  it("--hide-secrets is still accepted as --secrets mask", async () => {
    const s = await server(["--hide-secrets"]);
    const { apiId } = await freshApiWithKeys(0);
    const data = await ok<{ key: string }>(s.client, "create_key", { apiId });
    expect(data.key).toMatch(/^\[not shown: saved to /);
  });

  it("an audit log that cannot be written stops the server at startup", async () => {
    const r = await runCli(["--audit-log", "/proc/no-such-dir/audit.jsonl"], { UNKEY_ROOT_KEY: api.rootKey, UNKEY_API_URL: api.url });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("--audit-log /proc/no-such-dir/audit.jsonl: cannot open for appending");
  });
});

describe("over HTTP", () => {
  it("--secrets mask withholds the plaintext with an explanation (no file on a shared server)", async () => {
    const h = await spawnHttpServer(api.url, ["--secrets", "mask"]);
    try {
      const c = await connectHttpClient(`${h.url}/mcp/v2`, { "MCP-UNKEY-BEARER-AUTH": api.rootKey });
      const { apiId } = await freshApiWithKeys(0);
      const r = await call(c, "create_key", { apiId });
      expect((r.structuredContent as { data: { key: string } }).data.key).toMatch(/withheld/);
      expect(r.text).toContain("Secret withheld");
      await c.close();
    } finally {
      await h.close();
    }
  });

  it.skipIf(!REDIS_AVAILABLE && process.env.CI !== "true")(
    "two instances sharing a secret and a Redis: a token from one is honoured once by the other, refused on replay at either",
    async () => {
      const redis = await startRedis();
      const flags = ["--confirm-secret", "e2e-shared-confirm-secret-0123", "--redis-url", redis.url];
      const [h1, h2] = await Promise.all([spawnHttpServer(api.url, flags), spawnHttpServer(api.url, flags)]);
      try {
        const headers = { "MCP-UNKEY-BEARER-AUTH": api.rootKey };
        const [c1, c2] = await Promise.all([connectHttpClient(`${h1.url}/mcp/v2`, headers), connectHttpClient(`${h2.url}/mcp/v2`, headers)]);
        const { keyId } = (await raw("keys.createKey", { apiId: (await freshApiWithKeys(0)).apiId, credits: { remaining: 7 } })).data;
        // decrement by 0 leaves the key as it was: only the shared ledger can refuse the replays.
        const args = { keyId, operation: "decrement", value: 0 };
        const token = tokenOf(await call(c1, "update_key_credits", args));
        const at2 = await call(c2, "update_key_credits", { ...args, confirm: token });
        expect(at2.isError, at2.text).toBeFalsy();
        for (const c of [c2, c1]) {
          const replay = await call(c, "update_key_credits", { ...args, confirm: token });
          expect(replay.isError).toBe(true);
          expect(replay.text).toContain("already used");
        }
        await Promise.all([c1.close(), c2.close()]);
      } finally {
        await Promise.all([h1.close(), h2.close()]);
        await redis.stop();
      }
    },
  );
});
