/**
 * The local API's handler table: every operation of the contract → its handler. `satisfies
 * HandlerTable` makes a missing operation a compile error; each group is checked the same way in
 * its own file (a misspelt operation id or a wrong body type fails there). test/unit/local-handlers
 * checks that no operation is claimed by two groups.
 */
import { analyticsHandlers } from "./analytics.js";
import { apiHandlers } from "./apis.js";
import { identityHandlers } from "./identities.js";
import { keyRbacHandlers } from "./key-rbac.js";
import { keyHandlers } from "./keys.js";
import { permissionHandlers } from "./permissions.js";
import { ratelimitHandlers } from "./ratelimit.js";
import type { Handler, HandlerGroup, HandlerTable } from "./types.js";
import { verifyKeyHandlers } from "./verify-key.js";

/** The groups in the order the table merges them (exported for the disjointness test). */
export const handlerGroups: Readonly<Record<string, HandlerGroup>> = {
  apis: apiHandlers,
  keys: keyHandlers,
  keyRbac: keyRbacHandlers,
  verifyKey: verifyKeyHandlers,
  identities: identityHandlers,
  permissions: permissionHandlers,
  ratelimit: ratelimitHandlers,
  analytics: analyticsHandlers,
};

export const handlers = {
  ...apiHandlers,
  ...keyHandlers,
  ...keyRbacHandlers,
  ...verifyKeyHandlers,
  ...identityHandlers,
  ...permissionHandlers,
  ...ratelimitHandlers,
  ...analyticsHandlers,
} satisfies HandlerTable;

/** The handler of an operation id, as the server calls it; undefined for an id the table lacks. */
export function getHandler(operationId: string): Handler | undefined {
  if (!Object.hasOwn(handlers, operationId)) return undefined;
  // The one place the body's type is taken on trust: the server only calls a handler after the
  // body passed the contract's own request schema for this operationId (defaults filled in).
  return handlers[operationId as keyof HandlerTable] as Handler;
}
