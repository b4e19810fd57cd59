/**
 * The JSON Schema validator the SDK's server is given (src/tools/arguments.ts): it checks a
 * person's answer to a confirmation form, on the argument validator's ajv. It must fail closed
 * before ajv is loaded, check answers, and keep nothing per question.
 */
import { describe, expect, it } from "vitest";
import { createAjv } from "../../src/schemas/ajv.js";
import { ArgumentAjvSchemaValidator } from "../../src/tools/arguments.js";

const form = (title: string) => ({
  $id: "urn:confirm-form",
  $schema: "https://json-schema.org/draft/2020-12/schema",
  type: "object" as const,
  properties: { confirm: { type: "boolean" as const, title } },
  required: ["confirm"],
});

describe("the SDK's schema validator on the argument validator's ajv", () => {
  it("throws before ajv is loaded (the SDK then refuses the answer)", () => {
    // The default engine is the argument validator's, which nothing has loaded in this file.
    expect(() => new ArgumentAjvSchemaValidator().getValidator(form("Go ahead"))).toThrow(/before loadArgumentValidator/);
  });

  it("checks answers against the form", () => {
    const check = new ArgumentAjvSchemaValidator(() => createAjv({ useDefaults: false })).getValidator<{ confirm: boolean }>(form("Go ahead"));
    expect(check({ confirm: true })).toEqual({ valid: true, data: { confirm: true }, errorMessage: undefined });
    const bad = check({ confirm: "yes" });
    expect(bad.valid).toBe(false);
    expect(bad.errorMessage).toContain("must be boolean");
    expect(check({}).valid).toBe(false);
  });

  it("takes forms with the same $id again and again, and ajv keeps none of them", () => {
    const engine = createAjv({ useDefaults: false });
    const v = new ArgumentAjvSchemaValidator(() => engine);
    // ajv's private schema cache (a Map keyed by schema object) is where one form per question would pile up.
    const cached = (): number => (engine as unknown as { _cache: Map<unknown, unknown> })._cache.size;
    const before = cached();
    for (let i = 0; i < 50; i++) expect(v.getValidator(form(`Type key_${i} to confirm`))({ confirm: true }).valid).toBe(true);
    expect(cached()).toBe(before);
  });
});
