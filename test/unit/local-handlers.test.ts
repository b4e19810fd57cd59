/**
 * The handler table covers exactly the contract's operations: every operation the local API routes
 * (every POST) has a handler, no handler sits under a name the contract does not have, and no two
 * handler files claim the same operation (the later one would silently win in the table).
 * (A missing handler is also a compile error: the table `satisfies HandlerTable`.)
 */
import { expect, test } from "vitest";
import { listOperations, loadContract } from "../../src/schemas/loader.js";
import { getHandler, handlerGroups, handlers } from "../../src/local/handlers/table.js";

const contractOps = listOperations(loadContract())
  .filter((op) => op.method === "post")
  .map((op) => op.operationId);

test("every contract operation has a handler, and every handler a contract operation", () => {
  expect(contractOps.length).toBeGreaterThanOrEqual(41);
  expect(contractOps.filter((id) => getHandler(id) === undefined)).toEqual([]);
  expect(Object.keys(handlers).filter((id) => !contractOps.includes(id))).toEqual([]);
});

test("each operation is handled by exactly one handler file", () => {
  const owners = new Map<string, string[]>();
  for (const [group, table] of Object.entries(handlerGroups)) {
    for (const op of Object.keys(table)) owners.set(op, [...(owners.get(op) ?? []), group]);
  }
  expect([...owners].filter(([, groups]) => groups.length > 1)).toEqual([]);
  expect([...owners.keys()].sort()).toEqual([...contractOps].sort());
});

test("an unknown or inherited name is not a handler", () => {
  expect(getHandler("keys.nope")).toBeUndefined();
  expect(getHandler("toString")).toBeUndefined();
  expect(getHandler("__proto__")).toBeUndefined();
});
