import { describe, expect, it } from "vitest";
import { ConfigError, DEFAULT_API_URL, parseConfig, rootKeyFrom, type HttpConfig } from "../../src/config.js";

describe("parseConfig (stdio)", () => {
  it("uses the documented defaults with an empty environment", () => {
    const c = parseConfig("stdio", [], {});
    expect(c).toMatchObject({
      command: "stdio",
      apiUrl: DEFAULT_API_URL,
      rootKey: undefined,
      logLevel: "info",
      logFormat: "json",
      hideSecrets: false,
      requestTimeoutMs: 30_000,
      connectTimeoutMs: 5_000,
      catalog: { profile: "full", toolsets: undefined, tools: undefined, readOnly: false, allowConsume: false },
    });
  });

  it("reads the root key and API URL from the environment, trimming a trailing slash", () => {
    const c = parseConfig("stdio", [], { UNKEY_ROOT_KEY: "  unkey_abcdef123456 ", UNKEY_API_URL: "http://127.0.0.1:8787/" });
    expect(c.rootKey).toBe("unkey_abcdef123456");
    expect(c.apiUrl).toBe("http://127.0.0.1:8787");
  });

  it("reads every catalog flag and lets flags win over environment variables", () => {
    const c = parseConfig(
      "stdio",
      ["--profile", "ratelimits", "--toolsets=ratelimit,analytics", "--tools", "check_ratelimit", "--read-only", "--allow-consume"],
      {
        UNKEY_MCP_PROFILE: "full",
        UNKEY_MCP_TOOLSETS: "keys",
      },
    );
    expect(c.catalog).toEqual({ profile: "ratelimits", toolsets: ["ratelimit", "analytics"], tools: ["check_ratelimit"], readOnly: true, allowConsume: true });
  });

  it("reads the catalog from environment variables when no flag is given", () => {
    const c = parseConfig("stdio", [], { UNKEY_MCP_TOOLSETS: " keys , apis ", UNKEY_MCP_READ_ONLY: "yes", UNKEY_MCP_TOOLS: "get_key" });
    expect(c.catalog.toolsets).toEqual(["keys", "apis"]);
    expect(c.catalog.tools).toEqual(["get_key"]);
    expect(c.catalog.readOnly).toBe(true);
  });

  it.each([
    [["--profile", "pro"], /--profile: expected one of full, ratelimits, got "pro"/],
    [["--log-level", "loud"], /--log-level: expected one of debug, info, warn, error, silent/],
    [["--readonly"], /unknown flag --readonly for "stdio"; valid flags: .*--read-only/],
    [["--toolsets"], /--toolsets needs a value/],
    [["--toolsets", ","], /--toolsets: expected a comma-separated list/],
    [["--api-url", "ftp://x"], /--api-url: expected an http\(s\) URL/],
    [["--api-url", "not a url"], /--api-url: expected an http\(s\) URL/],
    [["--request-timeout", "0"], /--request-timeout: expected seconds between 1 and 600, got "0"/],
    [["--host", "0.0.0.0"], /unknown flag --host for "stdio"/],
    [["stray"], /unexpected argument "stray"/],
    [["--read-only=maybe"], /--read-only: expected true or false/],
  ])("rejects %j with a message naming the flag and the valid choices", (argv, message) => {
    expect(() => parseConfig("stdio", argv, {})).toThrow(ConfigError);
    expect(() => parseConfig("stdio", argv, {})).toThrow(message);
  });

  it("rejects a misspelt boolean environment value instead of silently ignoring it", () => {
    expect(() => parseConfig("stdio", [], { UNKEY_MCP_READ_ONLY: "read_only-true" })).toThrow(/UNKEY_MCP_READ_ONLY: expected true or false.*"read_only-true"/);
  });

  it("treats an unexpanded ${VAR} placeholder as a configuration error", () => {
    expect(() => parseConfig("stdio", [], { UNKEY_ROOT_KEY: "${UNKEY_ROOT_KEY}" })).toThrow(/not expanded/);
  });

  it("never puts the root key into an error message", () => {
    try {
      parseConfig("stdio", [], { UNKEY_ROOT_KEY: "unkey_secret value" });
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).not.toContain("unkey_secret");
    }
  });
});

describe("parseConfig (http / start)", () => {
  it("parses the HTTP flags with safe defaults", () => {
    const c = parseConfig("http", [], {}) as HttpConfig;
    expect(c).toMatchObject({
      command: "http",
      host: "127.0.0.1",
      port: 3000,
      stateless: false,
      sessionTtlSeconds: 1800,
      maxSessions: 10_000,
      maxSessionsPerKey: 100,
      allowedHosts: [],
      allowedOrigins: [],
      bodyLimitBytes: 1048576,
    });
    // An HTTP server acts with each request's key, never one of its own.
    expect(parseConfig("http", [], { UNKEY_ROOT_KEY: "unkey_abcdefgh1234" }).rootKey).toBeUndefined();
  });

  it("reads host, port, sessions and allow-lists", () => {
    const c = parseConfig(
      "http",
      [
        "--host",
        "0.0.0.0",
        "--port",
        "8080",
        "--stateless",
        "--session-ttl",
        "60",
        "--allowed-hosts",
        "mcp.example.com",
        "--allowed-origins=https://a.example,https://b.example",
      ],
      {},
    ) as HttpConfig;
    expect(c).toMatchObject({
      host: "0.0.0.0",
      port: 8080,
      stateless: true,
      sessionTtlSeconds: 60,
      allowedHosts: ["mcp.example.com"],
      allowedOrigins: ["https://a.example", "https://b.example"],
    });
  });

  it("reads the session caps, and refuses a cap of 0", () => {
    const c = parseConfig("http", ["--max-sessions", "50", "--max-sessions-per-key", "5"], {});
    expect(c).toMatchObject({ maxSessions: 50, maxSessionsPerKey: 5 });
    expect(parseConfig("http", [], { UNKEY_MCP_MAX_SESSIONS_PER_KEY: "7" }).maxSessionsPerKey).toBe(7);
    expect(() => parseConfig("http", ["--max-sessions", "0"], {})).toThrow(/--max-sessions: expected sessions between 1 and 1000000, got "0"/);
  });

  it("rejects a bad port, naming what was expected and given", () => {
    expect(() => parseConfig("http", ["--port", "70000"], {})).toThrow(/--port: expected a port between 0 and 65535, got "70000"/);
  });

  it("gives start a data directory unless --memory is set, and refuses both", () => {
    expect((parseConfig("start", [], {}) as HttpConfig).dataDir).toBe(".unkey-local");
    const mem = parseConfig("start", ["--memory"], {}) as HttpConfig;
    expect(mem.memory).toBe(true);
    expect(mem.dataDir).toBeUndefined();
    expect(() => parseConfig("start", ["--memory", "--data-dir", "x"], {})).toThrow(/exclude each other/);
    expect(() => parseConfig("http", ["--memory"], {})).toThrow(/unknown flag --memory for "http"/);
  });
});

describe("environment variables belong to their command", () => {
  it("a bad UNKEY_API_URL does not break start (start talks to its own local API)", () => {
    expect(() => parseConfig("start", [], { UNKEY_API_URL: "not a url" })).not.toThrow();
    expect(() => parseConfig("http", [], { UNKEY_API_URL: "not a url" })).toThrow(/UNKEY_API_URL: expected an http\(s\) URL/);
  });

  it("UNKEY_MCP_PROFILE does not break http (its endpoints fix the profile)", () => {
    expect(() => parseConfig("http", [], { UNKEY_MCP_PROFILE: "bogus" })).not.toThrow();
    expect(parseConfig("http", [], { UNKEY_MCP_PROFILE: "ratelimits" }).catalog.profile).toBe("full");
    expect(() => parseConfig("stdio", [], { UNKEY_MCP_PROFILE: "bogus" })).toThrow(/UNKEY_MCP_PROFILE: expected one of full, ratelimits/);
  });

  it("start takes --root-key from UNKEY_LOCAL_ROOT_KEY, so the key need not sit in argv; the flag wins", () => {
    expect((parseConfig("start", [], { UNKEY_LOCAL_ROOT_KEY: " unkey_fromenv1234 " }) as HttpConfig).seedRootKey).toBe("unkey_fromenv1234");
    expect((parseConfig("start", ["--root-key", "unkey_fromflag1234"], { UNKEY_LOCAL_ROOT_KEY: "unkey_fromenv1234" }) as HttpConfig).seedRootKey).toBe(
      "unkey_fromflag1234",
    );
    // Only start seeds a key.
    expect((parseConfig("http", [], { UNKEY_LOCAL_ROOT_KEY: "unkey_fromenv1234" }) as HttpConfig).seedRootKey).toBeUndefined();
    expect(() => parseConfig("start", [], { UNKEY_LOCAL_ROOT_KEY: "${KEY}" })).toThrow(/UNKEY_LOCAL_ROOT_KEY holds the unexpanded placeholder/);
  });
});

describe("rootKeyFrom", () => {
  it("tolerates a Bearer prefix and surrounding spaces, and maps blank to undefined", () => {
    expect(rootKeyFrom("Bearer  unkey_abc12345 ")).toBe("unkey_abc12345");
    expect(rootKeyFrom("   ")).toBeUndefined();
    expect(rootKeyFrom(undefined)).toBeUndefined();
  });
});
