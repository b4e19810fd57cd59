/**
 * The confirmation, secrets and audit flags: defaults, environment variables, and a clear error
 * for every bad value.
 */
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config.js";
import { buildInstructions } from "../../src/server.js";

describe("confirmation flags", () => {
  it("default to auto, 300 s, a per-process secret, the in-memory ledger, inline secrets and no audit log", () => {
    const c = parseConfig("stdio", [], {});
    expect(c.confirm).toEqual({ mode: "auto", ttlSeconds: 300, waitSeconds: 20, secret: undefined, redisUrl: undefined });
    expect(c.secrets).toBe("inline");
    expect(c.hideSecrets).toBe(false);
    expect(c.auditLog).toBeUndefined();
  });

  it("read flags and their environment variables (flags win)", () => {
    const c = parseConfig("http", ["--confirm", "token", "--confirm-ttl", "60", "--confirm-wait", "5", "--audit-log", "/tmp/a.jsonl"], {
      UNKEY_MCP_CONFIRM: "off",
      UNKEY_MCP_CONFIRM_SECRET: "0123456789abcdef-shared",
      UNKEY_MCP_REDIS_URL: "redis://127.0.0.1:6379/0",
      UNKEY_MCP_SECRETS: "mask",
    });
    expect(c.confirm).toEqual({ mode: "token", ttlSeconds: 60, waitSeconds: 5, secret: "0123456789abcdef-shared", redisUrl: "redis://127.0.0.1:6379/0" });
    expect(c.secrets).toBe("mask");
    expect(c.hideSecrets).toBe(true);
    expect(c.auditLog).toBe("/tmp/a.jsonl");
  });

  it("--hide-secrets is --secrets mask; together with --secrets inline it is a contradiction", () => {
    expect(parseConfig("stdio", ["--hide-secrets"], {}).secrets).toBe("mask");
    expect(() => parseConfig("stdio", ["--hide-secrets", "--secrets", "inline"], {})).toThrow(/contradict/);
  });

  it.each([
    [["--confirm", "maybe"], /--confirm: expected one of auto, token, off, got "maybe"/],
    [["--confirm-ttl", "0"], /--confirm-ttl: expected seconds between 1 and 86400, got "0"/],
    [["--confirm-secret", "short"], /--confirm-secret: expected a secret of at least 16 characters, got 5/],
    [["--redis-url", "http://127.0.0.1:6379"], /--redis-url: expected a redis:\/\/ or rediss:\/\/ URL/],
    [["--secrets", "plain"], /--secrets: expected one of inline, mask, got "plain"/],
  ])("%j is refused: %s", (argv, message) => {
    expect(() => parseConfig("stdio", argv, {})).toThrow(message);
  });

  it("a Redis URL's password never appears in an error", () => {
    expect(() => parseConfig("stdio", ["--redis-url", "ftp://user:hunter2secret@host"], {})).toThrow(/^(?!.*hunter2secret)/s);
  });
});

describe("instructions", () => {
  const base = { profile: "full", toolsets: ["keys"], toolCount: 1, readOnly: false, allowConsume: false, hideSecrets: false, apiUrl: "http://x" };
  it("tell the model about the preview and token, or that confirmation is off", () => {
    expect(buildInstructions(base)).toContain("repeat the call with the same arguments plus confirm=<token>");
    expect(buildInstructions({ ...base, confirm: "off" })).toContain("Confirmation is OFF");
  });
});
