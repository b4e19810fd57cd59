/**
 * OpenAI strict mode for the toolkit's function tools: which schemas can be strict, what the strict
 * copy looks like, and that the nulls it makes the model send are dropped again exactly where
 * they mean "not set".
 */
import { describe, expect, it } from "vitest";
import { dropStrictNulls, toStrictSchema } from "../../src/toolkit/strict-schema.js";
import { buildApprovalPreview } from "../../src/toolkit/preview.js";
import { tool, tools } from "../helpers/catalog.js";

describe("toStrictSchema", () => {
  it("makes optional properties required and nullable, forbids others, and drops keywords strict mode rejects", () => {
    const strict = toStrictSchema({
      type: "object",
      required: ["id"],
      properties: {
        id: { type: "string", minLength: 3, pattern: "^k" },
        mode: { type: "string", enum: ["a", "b"], default: "a" },
        nested: { type: "object", properties: { n: { type: "integer", minimum: 1 } } },
        tags: { type: "array", maxItems: 5, items: { type: "string", maxLength: 9 } },
      },
    });
    expect(strict).toEqual({
      type: "object",
      required: ["id", "mode", "nested", "tags"],
      additionalProperties: false,
      properties: {
        id: { type: "string", pattern: "^k" },
        mode: { type: ["string", "null"], enum: ["a", "b", null] },
        nested: { type: ["object", "null"], required: ["n"], additionalProperties: false, properties: { n: { type: ["integer", "null"], minimum: 1 } } },
        tags: { type: ["array", "null"], maxItems: 5, items: { type: "string" } },
      },
    });
  });

  it("refuses free-form maps, optional properties that already accept null, and unsupported keywords", () => {
    expect(toStrictSchema({ type: "object", properties: { meta: { type: "object", additionalProperties: true } } })).toBeUndefined();
    expect(toStrictSchema({ type: "object", properties: { expires: { type: ["integer", "null"] } } })).toBeUndefined();
    expect(toStrictSchema({ type: "object", properties: { a: { oneOf: [{ type: "string" }, { type: "integer" }] } } })).toBeUndefined();
    // A required property that accepts null is fine: null there is a real value and stays.
    expect(toStrictSchema({ type: "object", required: ["r"], properties: { r: { type: ["integer", "null"] } } })).toBeDefined();
  });

  it("covers most of the catalog; the tools with maps or meaningful nulls stay non-strict", () => {
    const nonStrict = tools.filter((t) => toStrictSchema(t.inputSchema) === undefined).map((t) => t.name);
    expect(nonStrict).toEqual(["create_key", "update_key", "update_key_credits", "migrate_keys", "create_identity", "update_identity"]);
  });
});

describe("dropStrictNulls", () => {
  const schema = {
    type: "object",
    required: ["r"],
    properties: {
      r: { type: ["integer", "null"] },
      o: { type: "string" },
      list: { type: "array", items: { type: "object", properties: { x: { type: "string" } } } },
    },
  };

  it("drops nulls of optional properties, keeps nulls of required ones, and walks arrays", () => {
    const input = { r: null, o: null, list: [{ x: null }, { x: "y" }] };
    expect(dropStrictNulls(input, schema)).toEqual({ r: null, list: [{}, { x: "y" }] });
    expect(input.o).toBeNull();
  });

  it("leaves properties the schema does not know for validation to report", () => {
    expect(dropStrictNulls({ r: 1, unknown: null }, schema)).toEqual({ r: 1, unknown: null });
  });
});

describe("buildApprovalPreview", () => {
  it("redacts secret arguments and names the read tool of the target rule", () => {
    const verify = tool("verify_key");
    const preview = buildApprovalPreview(
      {
        tool: { ...verify, target: { operation: "keys.getKey", args: { keyId: "keyId" }, label: "name" } },
        args: { key: "sk_live_plaintext", keyId: "key_1" },
        safety: "destructive",
      },
      tools,
    );
    expect(preview.arguments).toEqual({ key: "[REDACTED]", keyId: "key_1" });
    expect(preview.target).toEqual({ readTool: "get_key", lookup: { keyId: "key_1" }, label: "name" });
  });
});
