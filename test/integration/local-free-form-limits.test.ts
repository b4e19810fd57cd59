/**
 * Free-form objects (`meta`) are bounded at request validation by FREE_FORM_LIMITS: a value nested
 * deeper than maxDepth or larger than maxBytes is a 400 invalid_input naming the field, the limit
 * and what was given, and nothing is stored. Before the limit, a `meta` nested ~4,100 levels deep
 * was accepted and then every getIdentity / listIdentities / listKeys answered 500.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startLocalApi, type ApiBody, type InProcessLocalApi } from "../helpers/local-api.js";
import type { OperationId } from "../../src/local/handlers/types.js";
import { FREE_FORM_LIMITS } from "../../src/schemas/json-schema.js";

let api: InProcessLocalApi;
let apiId: string;

beforeAll(async () => {
  api = await startLocalApi();
  apiId = (await post("apis.createApi", { name: "free-form" })).body.data.apiId;
});
afterAll(() => api.close());

async function post<Op extends OperationId>(op: Op, body: unknown): Promise<{ status: number; body: ApiBody<Op> }> {
  const res = await fetch(`${api.url}/v2/${op}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${api.rootKey}` },
    // Built by hand: JSON.stringify itself overflows on the deepest values sent here.
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as ApiBody<Op> };
}

/** `{"a":{"a":…{"leaf":true}…}}` with `depth` objects, as JSON text (no recursion anywhere). */
function nestedJson(depth: number): string {
  return `${'{"a":'.repeat(depth - 1)}{"leaf":true}${"}".repeat(depth - 1)}`;
}

function withMeta(fields: string, metaJson: string): string {
  return `{${fields},"meta":${metaJson}}`;
}

/** A flat object whose JSON is exactly `bytes` long. */
function metaOfBytes(bytes: number): Record<string, string> {
  const overhead = JSON.stringify({ pad: "" }).length;
  return { pad: "x".repeat(bytes - overhead) };
}

describe("a meta nested deeper than maxDepth", () => {
  const tooDeep = nestedJson(4_100);

  test("is refused on createKey with a 400 naming the field, the limit and the depth given; no key is created", async () => {
    const before = (await post("apis.listKeys", { apiId })).body.data.length;
    const r = await post("keys.createKey", withMeta(`"apiId":"${apiId}"`, tooDeep));
    expect(r.status).toBe(400);
    expect(r.body.error.type).toBe("https://unkey.com/docs/errors/unkey/application/invalid_input");
    expect(r.body.error.errors).toEqual([
      {
        location: "body.meta",
        message: `body.meta is nested 4100 levels deep, the limit is ${FREE_FORM_LIMITS.maxDepth}`,
        fix: `Flatten body.meta to at most ${FREE_FORM_LIMITS.maxDepth} levels.`,
      },
    ]);
    expect((await post("apis.listKeys", { apiId })).body.data.length).toBe(before);
  });

  test("is refused on createIdentity and updateIdentity; the identity is not created or changed", async () => {
    const created = await post("identities.createIdentity", withMeta(`"externalId":"deep-user"`, tooDeep));
    expect(created.status).toBe(400);
    expect(created.body.error.errors![0].location).toBe("body.meta");
    expect((await post("identities.getIdentity", { identity: "deep-user" })).status).toBe(404);

    expect((await post("identities.createIdentity", { externalId: "flat-user", meta: { plan: "pro" } })).status).toBe(200);
    const updated = await post("identities.updateIdentity", withMeta(`"identity":"flat-user"`, tooDeep));
    expect(updated.status).toBe(400);
    expect(updated.body.error.errors![0].message).toContain("is nested 4100 levels deep");
    expect((await post("identities.getIdentity", { identity: "flat-user" })).body.data.meta).toEqual({ plan: "pro" });
  });

  test("is refused on updateKey, and on one migrateKeys item with its index in the location", async () => {
    const keyId = (await post("keys.createKey", { apiId, meta: { v: 1 } })).body.data.keyId;
    const updated = await post("keys.updateKey", withMeta(`"keyId":"${keyId}"`, tooDeep));
    expect(updated.status).toBe(400);
    expect(updated.body.error.errors![0].location).toBe("body.meta");
    expect((await post("keys.getKey", { keyId })).body.data.meta).toEqual({ v: 1 });

    const hash = `${"A".repeat(42)}A=`;
    const keysBefore = (await post("apis.listKeys", { apiId })).body.data.length;
    const migrated = await post(
      "keys.migrateKeys",
      `{"apiId":"${apiId}","migrationId":"mig_free_form","keys":[{"hash":"${"B".repeat(42)}A="},{"hash":"${hash}","meta":${nestedJson(40)}}]}`,
    );
    expect(migrated.status).toBe(400);
    expect(migrated.body.error.errors).toEqual([
      expect.objectContaining({ location: "body.keys[1].meta", message: expect.stringContaining("nested 40 levels deep") }),
    ]);
    // The whole request is refused: the valid first item is not migrated either.
    expect((await post("apis.listKeys", { apiId })).body.data.length).toBe(keysBefore);
  });

  test("after all of that, getIdentity, listIdentities and listKeys still answer 200", async () => {
    expect((await post("identities.listIdentities", {})).status).toBe(200);
    expect((await post("identities.getIdentity", { identity: "flat-user" })).status).toBe(200);
    expect((await post("apis.listKeys", { apiId })).status).toBe(200);
  });
});

test("a meta exactly maxDepth deep is accepted and read back; one level more is refused", async () => {
  const atLimit = await post("keys.createKey", withMeta(`"apiId":"${apiId}"`, nestedJson(FREE_FORM_LIMITS.maxDepth)));
  expect(atLimit.status).toBe(200);
  const read = await post("keys.getKey", { keyId: atLimit.body.data.keyId });
  expect(JSON.stringify(read.body.data.meta)).toBe(nestedJson(FREE_FORM_LIMITS.maxDepth));
  const over = await post("keys.createKey", withMeta(`"apiId":"${apiId}"`, nestedJson(FREE_FORM_LIMITS.maxDepth + 1)));
  expect(over.status).toBe(400);
  expect(over.body.error.errors![0].message).toBe(
    `body.meta is nested ${FREE_FORM_LIMITS.maxDepth + 1} levels deep, the limit is ${FREE_FORM_LIMITS.maxDepth}`,
  );
});

test("a meta of exactly maxBytes is accepted; one byte more is refused with its size", async () => {
  const atLimit = await post("identities.createIdentity", { externalId: "big-but-fine", meta: metaOfBytes(FREE_FORM_LIMITS.maxBytes) });
  expect(atLimit.status).toBe(200);
  const over = await post("keys.createKey", { apiId, meta: metaOfBytes(FREE_FORM_LIMITS.maxBytes + 1) });
  expect(over.status).toBe(400);
  expect(over.body.error.errors).toEqual([
    {
      location: "body.meta",
      message: `body.meta is ${FREE_FORM_LIMITS.maxBytes + 1} bytes as JSON, the limit is ${FREE_FORM_LIMITS.maxBytes}`,
      fix: `Store less in body.meta (at most ${FREE_FORM_LIMITS.maxBytes} bytes).`,
    },
  ]);
});

test("a too-deep meta already in a data dir (written before the limit) is left out of answers instead of failing them", async () => {
  const { keyId, key } = (await post("keys.createKey", { apiId, externalId: "legacy-user", meta: { v: 1 } })).body.data;
  // What an older version could have stored; requests can no longer write it.
  api.store.run("UPDATE keys SET meta = ? WHERE id = ?", nestedJson(4_100), keyId);
  api.store.run("UPDATE identities SET meta = ? WHERE external_id = ?", nestedJson(4_100), "legacy-user");

  const got = await post("keys.getKey", { keyId });
  expect(got.status).toBe(200);
  expect(got.body.data.meta).toBeUndefined();
  expect((await post("apis.listKeys", { apiId })).status).toBe(200);
  expect((await post("identities.listIdentities", {})).status).toBe(200);
  const identity = await post("identities.getIdentity", { identity: "legacy-user" });
  expect(identity.status).toBe(200);
  expect(identity.body.data.meta).toBeUndefined();
  const verified = await post("keys.verifyKey", { key });
  expect(verified.body.data).toMatchObject({ valid: true, code: "VALID" });
  expect(verified.body.data.meta).toBeUndefined();
});
