/** jsonDepth and checkFreeForm: how deep and how large a free-form value is, without recursion. */
import { expect, test } from "vitest";
import { checkFreeForm, jsonDepth } from "../../src/schemas/free-form.js";

test("depth counts containers: scalars 0, {} and [] 1, each nested object or array one more", () => {
  expect(jsonDepth("x")).toBe(0);
  expect(jsonDepth(null)).toBe(0);
  expect(jsonDepth({})).toBe(1);
  expect(jsonDepth([1, 2])).toBe(1);
  expect(jsonDepth({ a: { b: 1 }, c: [[{}]] })).toBe(4);
});

test("a value 100,000 levels deep is measured, not a stack overflow", () => {
  const deep = JSON.parse(`${"[".repeat(100_000)}${"]".repeat(100_000)}`) as unknown;
  expect(jsonDepth(deep)).toBe(100_000);
  expect(jsonDepth(deep, 16)).toBe(17);
  expect(checkFreeForm(deep, { maxDepth: 16, maxBytes: 1000 })).toEqual({ kind: "depth", depth: 100_000, limit: 16 });
});

test("size is the UTF-8 length of the JSON text, checked only within the depth limit", () => {
  expect(checkFreeForm({ s: "é" }, { maxDepth: 4, maxBytes: 9 })).toEqual({ kind: "bytes", bytes: 10, limit: 9 });
  expect(checkFreeForm({ s: "é" }, { maxDepth: 4, maxBytes: 10 })).toBeUndefined();
});
