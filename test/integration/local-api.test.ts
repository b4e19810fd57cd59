/**
 * The local API's request pipeline over raw HTTP: Unkey's auth answers (400 missing/malformed,
 * 401 unknown, 403 disabled/expired), validation errors, unreadable bodies, content types taken
 * from the contract, unknown routes, and the test clock.
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLocalApi, type ApiBody, type InProcessLocalApi } from "../helpers/local-api.js";
import type { OperationId, ResponseBody } from "../../src/local/handlers/types.js";
import type { components } from "../../src/schemas/unkey.js";
import { openStore } from "../../src/local/store/store.js";
import { hashKey } from "../../src/local/ids.js";

let api: InProcessLocalApi;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "unkey-local-api-"));
  api = await startLocalApi({ dataDir });
});
afterAll(async () => {
  await api.close();
  rmSync(dataDir, { recursive: true, force: true });
});

type ErrorBody = components["schemas"]["ErrorResponse"];

async function post<Op extends OperationId>(
  op: Op,
  body: string | object,
  headers: Record<string, string> = { authorization: `Bearer ${api.rootKey}` },
): Promise<{ status: number; contentType: string | null; body: ApiBody<Op> }> {
  const res = await fetch(`${api.url}/v2/${op}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, contentType: res.headers.get("content-type"), body: (await res.json()) as ApiBody<Op> };
}

test("a missing Authorization header is 400 (as Unkey), not 401", async () => {
  const r = await post("apis.createApi", { name: "nope" }, {});
  expect(r.status).toBe(400);
  expect(r.body.error).toMatchObject({
    title: "Bad Request",
    status: 400,
    type: "https://unkey.com/docs/errors/unkey/authentication/missing",
  });
  expect(r.body.error.errors).toEqual([expect.objectContaining({ location: "header.Authorization" })]);
  expect(r.body.meta.requestId).toMatch(/^req_/);
});

test("a header without Bearer is 400 malformed; an unknown key is 401", async () => {
  const malformed = await post("apis.createApi", { name: "nope" }, { authorization: api.rootKey });
  expect(malformed.status).toBe(400);
  expect(malformed.body.error.type).toBe("https://unkey.com/docs/errors/unkey/authentication/malformed");
  const unknown = await post("apis.createApi", { name: "nope" }, { authorization: "Bearer unkey_unknown" });
  expect(unknown.status).toBe(401);
  expect(unknown.body.error).toEqual({
    title: "Unauthorized",
    detail: "The provided root key is invalid.",
    status: 401,
    type: "https://unkey.com/docs/errors/unkey/authentication/key_not_found",
  });
});

test("the Bearer scheme is matched as Unkey does: exactly 'Bearer ' (case-sensitive), surrounding spaces trimmed", async () => {
  for (const authorization of [`bearer ${api.rootKey}`, `BEARER ${api.rootKey}`, `Bearer\t${api.rootKey}`, "Bearer "]) {
    const r = await post("apis.createApi", { name: "scheme" }, { authorization });
    expect(r.status, authorization).toBe(400);
    expect(r.body.error.type).toBe("https://unkey.com/docs/errors/unkey/authentication/malformed");
  }
  const spaced = await post("apis.createApi", { name: "scheme" }, { authorization: `  Bearer   ${api.rootKey}  ` });
  expect(spaced.status).toBe(200);
});

test("a disabled root key is 403 key_disabled, an expired one 403 forbidden", async () => {
  const disabled = api.createRootKey(["api.*.create_api"]);
  const expired = api.createRootKey(["api.*.create_api"]);
  const store = await openStore({ dataDir });
  try {
    store.run("UPDATE root_keys SET enabled = 0 WHERE hash = ?", hashKey(disabled));
    store.run("UPDATE root_keys SET expires = 1 WHERE hash = ?", hashKey(expired));
  } finally {
    store.close();
  }
  const d = await post("apis.createApi", { name: "nope" }, { authorization: `Bearer ${disabled}` });
  expect(d.status).toBe(403);
  expect(d.body.error).toMatchObject({ title: "Key is disabled", type: "https://unkey.com/docs/errors/unkey/authorization/key_disabled" });
  const e = await post("apis.createApi", { name: "nope" }, { authorization: `Bearer ${expired}` });
  expect(e.status).toBe(403);
  expect(e.body.error.type).toBe("https://unkey.com/docs/errors/unkey/authorization/forbidden");
});

test("validation errors name every field, what was expected and what was given", async () => {
  const r = await post("keys.createKey", { apiId: "x", byteLength: 300, surprise: true });
  expect(r.status).toBe(400);
  expect(r.body.error.type).toBe("https://unkey.com/docs/errors/unkey/application/invalid_input");
  const byLocation = Object.fromEntries(r.body.error.errors!.map((e) => [e.location, e.message]));
  expect(byLocation["body.surprise"]).toContain("not allowed");
  expect(byLocation["body.apiId"]).toContain('got "x"');
  expect(byLocation["body.byteLength"]).toContain("got 300");
  expect(r.body.error.detail).toBe(r.body.error.errors![0].message);
});

test("an unreadable body is 400 request_body_unreadable", async () => {
  const r = await post("apis.createApi", "{not json");
  expect(r.status).toBe(400);
  expect(r.body.error.type).toBe("https://unkey.com/docs/errors/user/bad_request/request_body_unreadable");
  expect(r.body.error.errors).toHaveLength(1);
});

test("error content types follow the contract: deleteIdentity errors are problem+json, others JSON", async () => {
  const del = await post("identities.deleteIdentity", { identity: "" });
  expect(del.status).toBe(400);
  expect(del.contentType).toBe("application/problem+json");
  const get = await post("identities.getIdentity", { identity: "ghost" });
  expect(get.status).toBe(404);
  expect(get.contentType).toBe("application/json");
});

test("unknown routes are 404 and GET on an operation is 405, both in Unkey's envelope", async () => {
  const nf = await fetch(`${api.url}/v2/keys.doesNotExist`, { method: "POST", body: "{}" });
  expect(nf.status).toBe(404);
  expect(((await nf.json()) as ErrorBody).error.status).toBe(404);
  const m = await fetch(`${api.url}/v2/keys.createKey`);
  expect(m.status).toBe(405);
  expect(((await m.json()) as ErrorBody).error.detail).toContain("POST");
});

test("X-Test-Time sets the request clock only when the server runs with the test clock", async () => {
  const t = 1_700_000_000_000;
  const { body } = await post("apis.createApi", { name: "clock" }, { authorization: `Bearer ${api.rootKey}`, "x-test-time": String(t) });
  const key = await post("keys.createKey", { apiId: body.data.apiId }, { authorization: `Bearer ${api.rootKey}`, "x-test-time": String(t) });
  const got = await post("keys.getKey", { keyId: key.body.data.keyId });
  expect(got.body.data.createdAt).toBe(t);

  const plain = await startLocalApi({ testClock: false });
  try {
    const auth = { authorization: `Bearer ${plain.rootKey}`, "content-type": "application/json", "x-test-time": String(t) };
    const a = (await (
      await fetch(`${plain.url}/v2/apis.createApi`, { method: "POST", headers: auth, body: JSON.stringify({ name: "real" }) })
    ).json()) as ResponseBody<"apis.createApi">;
    const k = (await (
      await fetch(`${plain.url}/v2/keys.createKey`, { method: "POST", headers: auth, body: JSON.stringify({ apiId: a.data.apiId }) })
    ).json()) as ResponseBody<"keys.createKey">;
    const g = (await (
      await fetch(`${plain.url}/v2/keys.getKey`, { method: "POST", headers: auth, body: JSON.stringify({ keyId: k.data.keyId }) })
    ).json()) as ResponseBody<"keys.getKey">;
    expect(g.data.createdAt).toBeGreaterThan(t);
  } finally {
    await plain.close();
  }
});

test("keys are stored only as sha256/base64 hashes: no file of the data dir holds a plaintext key", async () => {
  const { body } = await post("apis.createApi", { name: "hashes" });
  const key = await post("keys.createKey", { apiId: body.data.apiId, prefix: "hs" });
  const rerolled = await post("keys.rerollKey", { keyId: key.body.data.keyId, expiration: 0 });
  expect(rerolled.status).toBe(200);
  const store = await openStore({ dataDir });
  try {
    const row = store.get<{ hash: string; start: string }>("SELECT hash, start FROM keys WHERE id = ?", key.body.data.keyId);
    expect(row?.hash).toBe(hashKey(key.body.data.key));
    expect(row?.hash).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(row?.start).toBe(key.body.data.key.slice(0, 7));
  } finally {
    store.close();
  }
  // Every byte of every file (the database, -wal, -shm), while the server still has it open.
  const files = readdirSync(dataDir);
  expect(files.some((f) => f.endsWith("-wal"))).toBe(true);
  const secrets = { root: api.rootKey, created: key.body.data.key as string, rerolled: rerolled.body.data.key as string };
  for (const f of files) {
    const bytes = readFileSync(join(dataDir, f));
    expect(bytes.length).toBeGreaterThan(0);
    for (const [what, secret] of Object.entries(secrets)) {
      // The part after the prefix: the prefix and `start` are stored on purpose.
      const tail = secret.slice(secret.indexOf("_") + 1);
      expect(bytes.includes(Buffer.from(tail)), `${what} key in ${f}`).toBe(false);
    }
  }
});

test("a body over 4 MB is answered 413 request_body_too_large (not a connection reset), and the server stays up", async () => {
  const big = JSON.stringify({ externalId: "big", meta: { blob: "x".repeat(4 * 1024 * 1024 + 10) } });
  const res = await fetch(`${api.url}/v2/identities.createIdentity`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${api.rootKey}` },
    body: big,
  });
  expect(res.status).toBe(413);
  expect(res.headers.get("connection")).toBe("close");
  const body = (await res.json()) as ErrorBody;
  expect(body.error).toMatchObject({
    title: "Request Entity Too Large",
    status: 413,
    type: "https://unkey.com/docs/errors/user/bad_request/request_body_too_large",
    errors: [],
  });
  expect(body.meta.requestId).toMatch(/^req_/);
  // Nothing was created, and the next request is served normally.
  const after = await post("identities.getIdentity", { identity: "big" });
  expect(after.status).toBe(404);
});

test("validation errors print [redacted] instead of x-unkey-redact values (verifyKey.key, whoami.key)", async () => {
  const secret = `sk_${"S3cr3t".repeat(100)}`; // 603 chars: over the 512 limit
  for (const op of ["keys.verifyKey", "keys.whoami"]) {
    const res = await fetch(`${api.url}/v2/${op}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${api.rootKey}` },
      body: JSON.stringify({ key: secret }),
    });
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).toContain("[redacted]");
    expect(text).toContain("body.key");
    expect(text).not.toContain("S3cr3t");
    expect(text).not.toContain("sk_");
  }
  // Fields without x-unkey-redact still show what was given.
  const r = await post("keys.getKey", { keyId: "k".repeat(300) });
  expect(r.body.error.detail).toContain('got "kkk');
});

test("an unreadable body is never echoed: only where parsing stopped", async () => {
  for (const raw of ["sk_live_TOPSECRETvalue {", '{"key": "sk_live_TOPSECRETvalue"', '{"key": sk_live_TOPSECRETvalue}']) {
    const res = await fetch(`${api.url}/v2/keys.verifyKey`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${api.rootKey}` },
      body: raw,
    });
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).not.toContain("TOPSECRET");
    const body = JSON.parse(text);
    expect(body.error.type).toBe("https://unkey.com/docs/errors/user/bad_request/request_body_unreadable");
    expect(body.error.detail).toMatch(/^body is not valid JSON( \(at position \d+\))?$/);
  }
});
