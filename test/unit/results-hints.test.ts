/**
 * Error hints for real Unkey error responses: each call goes over HTTP to the local API and the
 * tool result is what a model would read.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUnkeyClient, type UnkeyClient } from "../../src/client/unkey-client.js";
import { hashKey } from "../../src/local/ids.js";
import { createRootKey } from "../../src/local/root-keys.js";
import { createLocalApi, type LocalApi } from "../../src/local/server.js";
import { executeTool } from "../../src/tools/execute.js";
import { apiErrorResult } from "../../src/tools/results.js";
import { createLogger } from "../../src/util/log.js";
import { randomRootKey } from "../helpers/local-api.js";
import { text, tool } from "../helpers/catalog.js";

const hintOf = (r: { content: unknown[] }): string => /Hint: (.*)$/s.exec(text(r))?.[1] ?? "";

let api: LocalApi;
let client: UnkeyClient;
const rootKey = randomRootKey();
const logger = createLogger({ level: "silent" });

beforeAll(async () => {
  api = await createLocalApi({ memory: true, port: 0, rootKey, testClock: true });
  client = createUnkeyClient({ baseUrl: api.url });
});
afterAll(async () => {
  await client.close();
  await api.close();
});

const call = (name: string, args: Record<string, unknown>, key = rootKey): ReturnType<typeof executeTool> =>
  executeTool(tool(name), args, { rootKey: key, client, logger, rootKeySource: "UNKEY_ROOT_KEY" });

const newRootKey = (permissions: string[]): string => createRootKey(api.store, { permissions, now: Date.now() }).key;

describe("404 hints name the argument of the entity that was not found", () => {
  it("create_key with an unknown API names apiId, never name or externalId", async () => {
    const r = await call("create_key", { apiId: "api_doesnotexist", name: "my key", externalId: "user_1" });
    expect(r.isError).toBe(true);
    const hint = hintOf(r);
    expect(hint).toContain('apiId="api_doesnotexist"');
    expect(hint).not.toContain("name=");
    expect(hint).not.toContain("externalId");
    // Unkey's own words lead.
    expect(hint).toMatch(/^The requested API does not exist/);
  });

  it("set_key_roles with an unknown role names roles, not keyId", async () => {
    const apiRes = await call("create_api", { name: "hints-api" });
    const apiId = (apiRes.structuredContent as { data: { apiId: string } }).data.apiId;
    const keyRes = await call("create_key", { apiId });
    const keyId = (keyRes.structuredContent as { data: { keyId: string } }).data.keyId;
    const r = await call("set_key_roles", { keyId, roles: ["no-such-role"] });
    expect(r.isError).toBe(true);
    expect(text(r)).toContain("role_not_found");
    const hint = hintOf(r);
    expect(hint).toContain('roles=["no-such-role"]');
    expect(hint).not.toContain("keyId");
  });

  it("get_key with an unknown key names keyId", async () => {
    const r = await call("get_key", { keyId: "key_doesnotexist" });
    expect(hintOf(r)).toContain('keyId="key_doesnotexist"');
  });
});

describe("403 hints", () => {
  it("insufficient permissions: CNF clauses joined with 'and', permissions quoted for the shell, the new key holds only what is listed", async () => {
    const weak = newRootKey(["identity.*.read_identity"]);
    const r = await call("create_api", { name: "forbidden-api" }, weak);
    const hint = hintOf(r);
    expect(hint).toMatch(/^the root key lacks /);
    expect(hint).toContain("--permission 'api.*.create_api'");
    expect(hint).not.toMatch(/--permission api\./);
    expect(hint).toContain("create a root key that also holds");
    expect(hint).toContain("listing every permission the assistant needs");
  });

  it("a disabled root key is reported as disabled, without a permission list", async () => {
    const key = newRootKey(["api.*.read_api"]);
    api.store.run("UPDATE root_keys SET enabled = 0 WHERE hash = ?", hashKey(key));
    const hint = hintOf(await call("list_keys", { apiId: "api_x" }, key));
    expect(hint).toMatch(/root key is disabled/);
    expect(hint).toMatch(/Re-enable it|replace it/);
    expect(hint).not.toContain("--permission");
    expect(hint).not.toContain("lacks");
  });

  it("an expired root key (authorization/forbidden) says it must be replaced, not granted more permissions", async () => {
    const key = newRootKey(["api.*.read_api"]);
    api.store.run("UPDATE root_keys SET expires = 1 WHERE hash = ?", hashKey(key));
    const r = await call("list_keys", { apiId: "api_x" }, key);
    expect(text(r)).toContain("authorization/forbidden");
    const hint = hintOf(r);
    expect(hint).toMatch(/expired/);
    expect(hint).toMatch(/replace it with a valid root key through UNKEY_ROOT_KEY/);
    expect(hint).not.toContain("--permission");
  });

  it("a disabled workspace says so", () => {
    // The local API has no disabled workspaces; the formatter gets Unkey's documented body.
    const r = apiErrorResult(
      tool("get_api"),
      { apiId: "api_1" },
      {
        status: 403,
        attempts: 1,
        headers: {},
        body: {
          meta: { requestId: "r" },
          error: {
            title: "Workspace is disabled",
            detail: "This workspace is disabled.",
            status: 403,
            type: "https://unkey.com/docs/errors/unkey/authorization/workspace_disabled",
          },
        },
      },
    );
    expect(hintOf(r)).toMatch(/workspace this root key belongs to is disabled/);
    expect(hintOf(r)).not.toContain("--permission");
  });
});
