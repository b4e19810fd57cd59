/**
 * Which request fields the local API holds to FREE_FORM_LIMITS: every free-form object of the
 * contract's request schemas (today the `meta` fields), found once at startup; and the depth
 * measure it uses survives values far deeper than any stack.
 */
import { expect, test } from "vitest";
import { listOperations, loadContract } from "../../src/schemas/loader.js";
import { nestingDepth } from "../../src/schemas/json-schema.js";
import { freeFormErrors, freeFormPaths } from "../../src/local/validation.js";

test("the free-form fields of the contract's requests are the meta fields", () => {
  const found = Object.fromEntries(
    listOperations(loadContract())
      .map((op) => [op.operationId, freeFormPaths(op.requestSchema).map((p) => p.join("."))] as const)
      .filter(([, paths]) => paths.length > 0),
  );
  expect(found).toEqual({
    "keys.createKey": ["meta"],
    "keys.updateKey": ["meta"],
    "keys.migrateKeys": ["keys.*.meta"],
    "identities.createIdentity": ["meta"],
    "identities.updateIdentity": ["meta"],
  });
});

test("a value 100,000 levels deep is measured without a stack overflow and reported with its depth", () => {
  const deep = JSON.parse(`${"[".repeat(100_000)}${"]".repeat(100_000)}`) as unknown;
  expect(nestingDepth(deep)).toBe(100_000);
  expect(freeFormErrors({ keys: [{ meta: {} }, { meta: { a: deep } }] }, [["keys", "*", "meta"]])).toEqual([
    expect.objectContaining({ location: "body.keys[1].meta", message: "body.keys[1].meta is nested 100001 levels deep, the limit is 16" }),
  ]);
});
