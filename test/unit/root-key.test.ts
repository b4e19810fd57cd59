/**
 * The one root-key normaliser, as the environment, the flags and the HTTP headers all use it.
 */
import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig, type HttpConfig } from "../../src/config.js";
import { resolveRootKeyFromHeaders } from "../../src/transports/http/auth.js";
import { normaliseRootKey } from "../../src/util/root-key.js";

const KEY = "unkey_3ZfA9bX7kQ2abc";

describe("normaliseRootKey", () => {
  it.each([
    ["surrounding whitespace", `  ${KEY}\n`],
    ["double quotes", `"${KEY}"`],
    ["single quotes", `'${KEY}'`],
    ["quotes with spaces inside", `" ${KEY} "`],
    ["a Bearer prefix", `Bearer ${KEY}`],
    ["a lower-case bearer prefix with several spaces", `bearer    ${KEY}`],
    ["a quoted Bearer value", `"Bearer ${KEY}"`],
  ])("accepts %s", (_what, raw) => {
    expect(normaliseRootKey(raw)).toEqual({ ok: true, key: KEY });
  });

  it("strips only one pair of matching quotes", () => {
    expect(normaliseRootKey(`"'${KEY}'"`)).toEqual({ ok: true, key: `'${KEY}'` });
    // Unmatched quotes are left alone (and are then part of the key).
    expect(normaliseRootKey(`"${KEY}'`)).toEqual({ ok: true, key: `"${KEY}'` });
  });

  it.each([[undefined], [""], ["   "], ['""'], ["''"], ["Bearer"], ["bearer   "], ['"Bearer "']])("maps %j to missing", (raw) => {
    expect(normaliseRootKey(raw)).toEqual({ ok: false, reason: "missing" });
  });

  it("does not take a key that merely starts with 'bearer' for a prefix", () => {
    expect(normaliseRootKey("bearerish_key123")).toEqual({ ok: true, key: "bearerish_key123" });
  });

  it.each([
    ["${UNKEY_ROOT_KEY}", "UNKEY_ROOT_KEY"],
    ["$UNKEY_ROOT_KEY", "UNKEY_ROOT_KEY"],
    ["%UNKEY_ROOT_KEY%", "UNKEY_ROOT_KEY"],
    ["${}", ""],
    ["Bearer ${MY_KEY}", "MY_KEY"],
    ['"${MY_KEY}"', "MY_KEY"],
  ])("refuses the unexpanded placeholder %j, naming the variable", (raw, variable) => {
    const check = normaliseRootKey(raw);
    expect(check).toMatchObject({ ok: false, reason: "unexpanded", variable });
  });

  it("refuses whitespace inside the key", () => {
    expect(normaliseRootKey("unkey_abc def")).toMatchObject({ ok: false, reason: "malformed" });
    expect(normaliseRootKey("unkey_abc\tdef")).toMatchObject({ ok: false, reason: "malformed" });
  });
});

describe("every root-key source uses it", () => {
  it("UNKEY_ROOT_KEY (stdio)", () => {
    expect(parseConfig("stdio", [], { UNKEY_ROOT_KEY: `"Bearer ${KEY}"` }).rootKey).toBe(KEY);
    expect(parseConfig("stdio", [], { UNKEY_ROOT_KEY: '""' }).rootKey).toBeUndefined();
    expect(() => parseConfig("stdio", [], { UNKEY_ROOT_KEY: "%UNKEY_ROOT_KEY%" })).toThrow(
      /UNKEY_ROOT_KEY holds the unexpanded placeholder "%UNKEY_ROOT_KEY%".*UNKEY_ROOT_KEY was not expanded/,
    );
    expect(() => parseConfig("stdio", [], { UNKEY_ROOT_KEY: "${}" })).toThrow(/names no variable/);
  });

  it("--root-key (start) and --insecure-test-root-key (http)", () => {
    expect((parseConfig("start", ["--root-key", `'${KEY}'`], {}) as HttpConfig).seedRootKey).toBe(KEY);
    expect((parseConfig("http", ["--insecure-test-root-key", `bearer ${KEY}`], {}) as HttpConfig).insecureTestRootKey).toBe(KEY);
    expect(() => parseConfig("start", ["--root-key", "$KEY"], {})).toThrow(ConfigError);
    expect(() => parseConfig("start", ["--root-key", "$KEY"], {})).toThrow(/--root-key holds the unexpanded placeholder "\$KEY"/);
    expect(() => parseConfig("http", ["--insecure-test-root-key", '""'], {})).toThrow(/--insecure-test-root-key: expected a root key, got an empty value/);
    expect(() => parseConfig("start", ["--root-key", "a b"], {})).toThrow(/--root-key: a root key has no whitespace inside/);
  });

  it("HTTP headers", () => {
    expect(resolveRootKeyFromHeaders({ "mcp-unkey-bearer-auth": `'${KEY}'` }, "MCP-UNKEY-BEARER-AUTH")).toEqual({
      ok: true,
      rootKey: KEY,
      header: "MCP-UNKEY-BEARER-AUTH",
    });
    expect(resolveRootKeyFromHeaders({ authorization: `Bearer ${KEY}` }, "MCP-UNKEY-BEARER-AUTH")).toMatchObject({ ok: true, rootKey: KEY });
    const pct = resolveRootKeyFromHeaders({ "mcp-unkey-bearer-auth": "%UNKEY_ROOT_KEY%" }, "MCP-UNKEY-BEARER-AUTH");
    expect(pct).toMatchObject({ ok: false, reason: "unexpanded" });
    expect(pct.ok ? "" : pct.message).toContain("UNKEY_ROOT_KEY");
    // A bare "Bearer" carries no key: the next header is looked at, then "missing".
    expect(resolveRootKeyFromHeaders({ authorization: "Bearer" }, "MCP-UNKEY-BEARER-AUTH")).toMatchObject({ ok: false, reason: "missing" });
    const spaced = resolveRootKeyFromHeaders({ "mcp-unkey-v2-root-key": "unkey_a b" }, "MCP-UNKEY-V2-ROOT-KEY");
    expect(spaced).toMatchObject({ ok: false, reason: "malformed" });
    expect(spaced.ok ? "" : spaced.message).not.toContain("unkey_a");
  });
});
