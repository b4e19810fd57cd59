import { describe, expect, it } from "vitest";
import { createLogger, REDACTED, redactText, redactValue } from "../../src/util/log.js";

function collect(
  level: "debug" | "info" | "warn" | "error" = "debug",
  format: "json" | "text" = "json",
): { lines: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  const logger = createLogger({ level, format, sink: (l) => lines.push(l) });
  return { lines, logger };
}

describe("logger", () => {
  it("writes one JSON object per line with time, level and message", () => {
    const { lines, logger } = collect();
    logger.info("hello", { tool: "get_key", status: 200 });
    expect(lines).toHaveLength(1);
    expect(lines[0].endsWith("\n")).toBe(true);
    const obj = JSON.parse(lines[0]) as Record<string, unknown>;
    expect(obj).toMatchObject({ level: "info", msg: "hello", tool: "get_key", status: 200 });
    expect(typeof obj.time).toBe("string");
  });

  it("drops lines below the configured level", () => {
    const { lines, logger } = collect("warn");
    logger.debug("d");
    logger.info("i");
    logger.warn("w");
    logger.error("e");
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(["w", "e"]);
  });

  it("writes readable text lines in text format", () => {
    const { lines, logger } = collect("info", "text");
    logger.warn("careful", { tool: "delete_api" });
    expect(lines[0]).toMatch(/ WARN careful tool=delete_api\n$/);
  });

  it("redacts Authorization, MCP-* headers, root keys and plaintext keys by field name", () => {
    const { lines, logger } = collect();
    logger.info("request", {
      headers: { Authorization: "Bearer unkey_rootsecret1", "MCP-UNKEY-BEARER-AUTH": "abc", "mcp-session-id": "s1", accept: "json" },
      rootKey: "r00tkeyvalue",
      data: { keyId: "key_123", key: "prefix_plaintextsecret" },
    });
    const text = lines.join("");
    expect(text).not.toContain("unkey_rootsecret1");
    expect(text).not.toContain("r00tkeyvalue");
    expect(text).not.toContain("prefix_plaintextsecret");
    expect(text).not.toContain('"abc"');
    const obj = JSON.parse(lines[0]) as { headers: Record<string, string>; data: Record<string, string> };
    expect(obj.headers["mcp-session-id"]).toBe("s1");
    expect(obj.headers.accept).toBe("json");
    expect(obj.data.keyId).toBe("key_123");
    expect(obj.data.key).toBe(REDACTED);
  });

  it("scrubs a registered secret wherever it appears, including in the message and in children", () => {
    const { lines, logger } = collect();
    const secret = "local_root_0123456789abcdef";
    logger.addSecret(secret);
    const child = logger.child({ component: "client" });
    child.error(`failed with key ${secret}`, { detail: `the key ${secret} was rejected`, nested: [{ note: secret }] });
    expect(lines.join("")).not.toContain(secret);
    expect(lines[0]).toContain(REDACTED);
    expect(lines[0]).toContain('"component":"client"');
  });

  it("scrubs secret-shaped text: bearer credentials and unkey_ root keys", () => {
    expect(redactText("Authorization: Bearer abc.def-123 next")).toBe(`Authorization: Bearer ${REDACTED} next`);
    expect(redactText("key unkey_3ZfA9bX7kQ2 done")).toBe(`key ${REDACTED} done`);
    expect(redactText("key_abc123 is an id, not a secret")).toBe("key_abc123 is an id, not a secret");
  });

  it("redacts extra paths such as a tool's secret fields", () => {
    expect(redactValue({ data: { token2: "x", keep: 1 } }, [], ["data.token2"])).toEqual({ data: { token2: REDACTED, keep: 1 } });
  });

  it("redacts nested secrets by path in both spellings: keys[].plaintext (secretArgs) and keys.plaintext", () => {
    const args = {
      apiId: "api_1",
      keys: [
        { hash: { value: "h1" }, note: "a" },
        { hash: { value: "h2" }, note: "b" },
      ],
    };
    const expected = {
      apiId: "api_1",
      keys: [
        { hash: { value: REDACTED }, note: "a" },
        { hash: { value: REDACTED }, note: "b" },
      ],
    };
    expect(redactValue(args, [], ["keys[].hash.value"])).toEqual(expected);
    expect(redactValue(args, [], ["keys.hash.value"])).toEqual(expected);
    // A top-level array body: `[].x`.
    expect(redactValue([{ x: "s1" }, { x: "s2" }], [], ["[].x"])).toEqual([{ x: REDACTED }, { x: REDACTED }]);
  });

  it("never throws when the sink fails", () => {
    const logger = createLogger({
      sink: () => {
        throw new Error("EPIPE");
      },
    });
    expect(() => logger.error("x")).not.toThrow();
  });
});
