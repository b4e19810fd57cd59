/**
 * Every operation of the contract the local API routes (every POST) has a registered handler, and
 * no handler is registered under a name the contract does not have (a typo would never be reached).
 */
import { expect, test } from "vitest";
import { listOperations, loadContract } from "../../src/schemas/loader.js";
import "../../src/local/handlers/index.js";
import { getHandler, registeredOperations } from "../../src/local/handlers/registry.js";

test("every contract operation has a handler, and every handler a contract operation", () => {
  const ops = listOperations(loadContract()).filter((op) => op.method === "post").map((op) => op.operationId);
  expect(ops.length).toBeGreaterThanOrEqual(41);
  expect(ops.filter((id) => getHandler(id) === undefined)).toEqual([]);
  expect(registeredOperations().filter((id) => !ops.includes(id))).toEqual([]);
});
