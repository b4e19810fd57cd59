/**
 * Operation handlers, keyed by operationId. The server routes `POST /v2/<operationId>` to the
 * registered handler after authenticating the root key and validating the body against the
 * contract (so `body` already has the schema's defaults filled in and is known to be valid).
 *
 * A handler returns the response body WITHOUT `meta`: `{ data }`, `{ data, pagination }`, or `{}`
 * (identities.deleteIdentity answers only `{meta}`); the server adds `meta.requestId`. Omit
 * optional fields rather than setting them to null or undefined-as-null: the SDK rejects `null`
 * where the schema says optional. Failures are thrown as `ApiError` (src/local/errors.ts).
 *
 * Handlers should be synchronous and do their database work in one `ctx.db.tx(...)`: better-sqlite3
 * is synchronous, so a synchronous handler is atomic with respect to every other request (no
 * overspending credits or tokens under concurrency). A Promise is accepted for the rare handler
 * that must await.
 */
import type { RequestContext } from "../context.js";

export interface Pagination {
  cursor?: string;
  hasMore: boolean;
}

export interface HandlerResult {
  data?: unknown;
  pagination?: Pagination;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Handler = (ctx: RequestContext, body: any) => HandlerResult | Promise<HandlerResult>;

const handlers = new Map<string, Handler>();

export function registerHandler(operationId: string, handler: Handler): void {
  if (handlers.has(operationId)) throw new Error(`handler for ${operationId} registered twice`);
  handlers.set(operationId, handler);
}

export function getHandler(operationId: string): Handler | undefined {
  return handlers.get(operationId);
}

export function registeredOperations(): string[] {
  return [...handlers.keys()];
}
