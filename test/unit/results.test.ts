import { beforeAll, describe, expect, it } from "vitest";
import type { UnkeyResponse } from "../../src/client/unkey-client.js";
import { UnkeyNetworkError } from "../../src/client/unkey-client.js";
import { loadArgumentValidator, validateArguments } from "../../src/tools/arguments.js";
import { apiErrorResult, invalidArgumentsResult, missingRootKeyResult, networkErrorResult, successResult, WITHHELD } from "../../src/tools/results.js";
import { missingPermissions, requiredPermissions } from "../../src/tools/permission-hints.js";
import { text, tool, tools } from "../helpers/catalog.js";

const response = (status: number, body: unknown, headers: Record<string, string> = {}): UnkeyResponse => ({
  status,
  body,
  headers,
  attempts: 1,
  requestId: (body as { meta?: { requestId?: string } })?.meta?.requestId,
});

describe("successResult", () => {
  it("puts {data} into structuredContent and a short text form", () => {
    const r = successResult(tool("get_api"), response(200, { meta: { requestId: "req_1" }, data: { id: "api_1", name: "prod" } }));
    expect(r.isError).toBeUndefined();
    expect(r.structuredContent).toEqual({ summary: "get_api: done", data: { id: "api_1", name: "prod" }, requestId: "req_1" });
    expect(text(r)).toContain('"name":"prod"');
    expect(text(r).length).toBeLessThan(200);
  });

  it("passes pagination through and tells the model how to get the next page", () => {
    const body = {
      meta: { requestId: "r" },
      data: [{ keyId: "key_1", start: "ab", createdAt: 1, enabled: true }],
      pagination: { cursor: "cur_2", hasMore: true },
    };
    const r = successResult(tool("list_keys"), response(200, body));
    expect(r.structuredContent).toMatchObject({
      data: [{ ...body.data[0], createdAtIso: "1970-01-01T00:00:00Z" }],
      pagination: body.pagination,
      next: 'call list_keys again with cursor="cur_2" and the same other arguments',
    });
    expect(text(r)).toContain('More results: call list_keys again with cursor="cur_2"');
    expect(text(r)).toContain("1 item, more pages available");
  });

  it("says nothing about a next page on the last page", () => {
    const r = successResult(tool("list_keys"), response(200, { meta: { requestId: "r" }, data: [], pagination: { hasMore: false } }));
    expect(text(r)).not.toContain("More results");
    expect(text(r)).toContain("0 items, last page");
  });

  it("marks a new key's plaintext as shown once", () => {
    const r = successResult(tool("create_key"), response(200, { meta: { requestId: "r" }, data: { keyId: "key_1", key: "acme_SECRETVALUE123" } }));
    expect(text(r)).toContain("Shown once — store it now");
    expect(text(r)).toContain("acme_SECRETVALUE123");
    expect((r.structuredContent as { data: { key: string } }).data.key).toBe("acme_SECRETVALUE123");
  });

  it("withholds a new key's plaintext from text and structuredContent with --hide-secrets", () => {
    const r = successResult(tool("reroll_key"), response(200, { meta: { requestId: "r" }, data: { keyId: "key_2", key: "acme_SECRETVALUE123" } }), {
      hideSecrets: true,
    });
    expect(JSON.stringify(r)).not.toContain("acme_SECRETVALUE123");
    expect((r.structuredContent as { data: { key: string } }).data.key).toBe(WITHHELD);
    expect(text(r)).toContain("Secret withheld");
  });

  it("--hide-secrets on a read tool says the secret must be obtained outside the assistant, without promising decryption", () => {
    const r = successResult(
      tool("get_key"),
      response(200, { meta: { requestId: "r" }, data: { keyId: "key_1", start: "acme", createdAt: 1, enabled: true, plaintext: "acme_PLAIN1234567" } }),
      { hideSecrets: true },
    );
    expect(text(r)).toContain("must be obtained outside the assistant");
    expect(text(r)).not.toMatch(/can be decrypted later/);
  });

  it("check_ratelimits reports whether every check passed", () => {
    const data = {
      passed: false,
      limits: [
        { namespace: "n", identifier: "a", limit: 1, remaining: 0, reset: 1, passed: true },
        { namespace: "n", identifier: "b", limit: 1, remaining: 0, reset: 1, passed: false },
      ],
    };
    const r = successResult(tool("check_ratelimits"), response(200, { meta: { requestId: "r" }, data }));
    expect(text(r)).toMatch(/^check_ratelimits: passed=false \(1\/2 checks passed\)/);
  });

  it("withholds plaintexts inside list items too", () => {
    const body = {
      meta: { requestId: "r" },
      data: [{ keyId: "key_1", plaintext: "acme_PLAIN1234567", start: "acme", createdAt: 1, enabled: true }],
      pagination: { hasMore: false },
    };
    const r = successResult(tool("list_keys"), response(200, body), { hideSecrets: true });
    expect(JSON.stringify(r)).not.toContain("acme_PLAIN1234567");
    // The input is not mutated.
    expect(body.data[0].plaintext).toBe("acme_PLAIN1234567");
  });
});

describe("apiErrorResult", () => {
  const envelope = (status: number, title: string, detail: string, type: string, errors?: unknown[]): unknown => ({
    meta: { requestId: "req_err" },
    error: { title, detail, status, type, ...(errors ? { errors } : {}) },
  });

  it("403 names the missing permission from Unkey's detail and how to grant it", () => {
    const r = apiErrorResult(
      tool("create_api"),
      { name: "x" },
      response(
        403,
        envelope(
          403,
          "Insufficient Permissions",
          "Missing permission: 'api.*.create_api'",
          "https://unkey.com/docs/errors/unkey/authorization/insufficient_permissions",
        ),
      ),
    );
    expect(r.isError).toBe(true);
    expect(text(r)).toContain("403 Insufficient Permissions");
    expect(text(r)).toContain("Request id: req_err");
    expect(text(r)).toMatch(/Hint: the root key lacks api\.\*\.create_api\./);
    expect(text(r)).toContain("unkey-mcp local root-key create --permission 'api.*.create_api'");
  });

  it("403 insufficient_permissions without a usable detail falls back to the tool's permission rule, ids filled in", () => {
    const r = apiErrorResult(
      tool("get_api"),
      { apiId: "api_42" },
      response(403, envelope(403, "Forbidden", "nope", "https://unkey.com/docs/errors/unkey/authorization/insufficient_permissions")),
    );
    expect(text(r)).toContain("(api.*.read_api or api.api_42.read_api)");
    expect(text(r)).toContain("--permission 'api.*.read_api'");
  });

  it("403 joins several CNF clauses with 'and'", () => {
    const t = tools.find((x) => x.permissions.length > 1);
    if (!t) throw new Error("no tool with two permission clauses");
    const r = apiErrorResult(
      t,
      {},
      response(403, envelope(403, "Forbidden", "nope", "https://unkey.com/docs/errors/unkey/authorization/insufficient_permissions")),
    );
    const parts = requiredPermissions(t, {});
    expect(text(r)).toContain(`lacks ${parts.join(" and ")}.`);
  });

  it("403 of another kind names no permissions", () => {
    const r = apiErrorResult(tool("get_api"), { apiId: "api_42" }, response(403, envelope(403, "Forbidden", "nope", "x")));
    expect(text(r)).not.toContain("--permission");
    expect(text(r)).not.toContain("read_api");
  });

  it("401 says the root key is invalid or revoked and where it comes from", () => {
    const r = apiErrorResult(tool("get_api"), { apiId: "api_1" }, response(401, envelope(401, "Unauthorized", "The provided root key is invalid.", "t")), {
      rootKeySource: "UNKEY_ROOT_KEY",
    });
    expect(text(r)).toMatch(/invalid, revoked or deleted/);
    expect(text(r)).toContain("UNKEY_ROOT_KEY");
  });

  it("404 says what was looked up", () => {
    const r = apiErrorResult(tool("get_key"), { keyId: "key_missing" }, response(404, envelope(404, "Not Found", "The key does not exist.", "t")));
    expect(text(r)).toContain('The key does not exist (looked up keyId="key_missing")');
    const bare = apiErrorResult(
      tool("get_key"),
      { keyId: "key_missing" },
      response(404, { meta: { requestId: "r" }, error: { title: "Not Found", status: 404 } }),
    );
    expect(text(bare)).toContain('nothing was found for keyId="key_missing"');
  });

  it("400 lists every field problem", () => {
    const r = apiErrorResult(
      tool("create_api"),
      { name: "x" },
      response(
        400,
        envelope(400, "Bad Request", "POST request body for '/v2/apis.createApi' failed to validate schema", "t", [
          { location: "/properties/name/minLength", message: "minLength: got 1, want 3" },
          { location: "/required", message: "missing properties: 'name'", fix: "add name" },
        ]),
      ),
    );
    expect(text(r)).toContain("- /properties/name/minLength: minLength: got 1, want 3");
    expect(text(r)).toContain("(fix: add name)");
  });

  it("429 says when to retry", () => {
    const r = apiErrorResult(tool("get_api"), {}, response(429, envelope(429, "Too Many Requests", "slow", "t"), { "retry-after": "7" }));
    expect(text(r)).toContain("retry after 7 s");
  });

  it.each([
    [409, /already exists/],
    [410, /deleted and cannot be used again/],
    [412, /precondition failed/],
  ])("%i is explained", (status, hint) => {
    const r = apiErrorResult(tool("create_identity"), { externalId: "e" }, response(status, envelope(status, "t", "d", "t")));
    expect(text(r)).toMatch(hint);
  });

  it("a 5xx on a write warns that the change may have been applied", () => {
    const r = apiErrorResult(tool("create_key"), { apiId: "api_1" }, response(500, envelope(500, "Internal Server Error", "boom", "t")));
    expect(text(r)).toMatch(/may or may not have been applied/);
  });
});

describe("other error results", () => {
  // The executor loads ajv on the first call; these tests call the validator directly.
  beforeAll(() => loadArgumentValidator());

  it("invalid arguments name the field, the expectation and the value given", () => {
    const check = validateArguments(tool("create_api"), { name: "ab", extra: 1 });
    expect(check.ok).toBe(false);
    if (check.ok) return;
    const t = text(invalidArgumentsResult(tool("create_api"), check.problems));
    expect(t).toContain("nothing was sent to Unkey");
    expect(t).toContain("- name: is too short (expected at least 3 characters; given 2 characters)");
    expect(t).toContain("- extra: is not a known argument (expected one of name; given extra)");
  });

  it("a missing required argument and a wrong type are named", () => {
    const check = validateArguments(tool("create_key"), { byteLength: "16" });
    if (check.ok) throw new Error("expected problems");
    const fields = check.problems.map((p) => `${p.field}: ${p.problem}`);
    expect(fields).toContain("apiId: is required");
    expect(fields).toContain("byteLength: has the wrong type");
  });

  it("never echoes a secret argument's value", () => {
    const check = validateArguments(tool("verify_key"), { key: "x".repeat(600) });
    if (check.ok) throw new Error("expected problems");
    expect(JSON.stringify(check.problems)).not.toContain("xxxxxxxx");
  });

  it("the multiLimit wrapper validates items by path", () => {
    const check = validateArguments(tool("check_ratelimits"), { checks: [{ namespace: "n", identifier: "i", limit: 0, duration: 1000 }] });
    if (check.ok) throw new Error("expected problems");
    expect(check.problems[0].field).toBe("checks[0].limit");
  });

  it("missing root key says how to set UNKEY_ROOT_KEY", () => {
    expect(text(missingRootKeyResult(tool("get_api")))).toMatch(
      /no Unkey root key is configured\. Nothing was sent to Unkey\. Hint: set the UNKEY_ROOT_KEY environment variable/,
    );
  });

  it("network errors say whether anything may have changed", () => {
    const refused = networkErrorResult(tool("delete_key"), new UnkeyNetworkError("could not connect", "connect", "u", 3, "ECONNREFUSED"));
    expect(text(refused)).toContain("Nothing was changed");
    const timeout = networkErrorResult(tool("delete_key"), new UnkeyNetworkError("no response", "timeout", "u", 1));
    expect(text(timeout)).toContain("may or may not have been applied");
  });
});

describe("permission parsing", () => {
  it("reads Unkey's two detail forms", () => {
    expect(missingPermissions("Missing permission: 'api.*.read_key'")).toEqual(["api.*.read_key"]);
    expect(missingPermissions("Missing one of these permissions: a or b and c")).toEqual(["a or b and c"]);
    expect(missingPermissions("Key is disabled")).toBeUndefined();
  });

  it("adds conditional permissions when their condition holds", () => {
    const parts = requiredPermissions(tool("get_key"), { keyId: "k", decrypt: true });
    expect(parts.join(" ")).toContain("decrypt_key");
    expect(requiredPermissions(tool("get_key"), { keyId: "k" }).join(" ")).not.toContain("decrypt_key");
  });
});
