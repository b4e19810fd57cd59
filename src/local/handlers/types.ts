/**
 * The types of the local API's handlers. The server routes `POST /v2/<operationId>` to the handler
 * the table (table.ts) holds for that operationId, after authenticating the root key and validating
 * the body against the contract (so `body` already has the schema's defaults filled in and is known
 * to be valid).
 *
 * A handler returns the response body WITHOUT `meta`: `{ data }`, `{ data, pagination }`, or `{}`
 * (identities.deleteIdentity answers only `{meta}`); the server adds `meta.requestId`. Omit
 * optional fields rather than setting them to null or undefined-as-null: the SDK rejects `null`
 * where the schema says optional. Failures are thrown as `ApiError` (src/local/errors.ts).
 *
 * Both the body a handler receives and the result it returns are typed from the contract's
 * generated types (src/schemas/unkey.d.ts, `npm run generate`), so a handler that drifts from the
 * contract fails to compile instead of failing at run time (or not at all).
 *
 * Handlers should be synchronous and do their database work in one `ctx.db.tx(...)`: better-sqlite3
 * is synchronous, so a synchronous handler is atomic with respect to every other request (no
 * overspending credits or tokens under concurrency). A Promise is accepted for the rare handler
 * that must await.
 */
import type { RequestContext } from "../context.js";
// Type-only: the generated declarations add nothing at run time.
import type { components, operations } from "../../schemas/unkey.js";

export type OperationId = keyof operations;

/** The JSON request body of an operation, as the contract declares it. */
export type RequestBody<Op extends OperationId> = operations[Op] extends {
  requestBody: { content: { "application/json": infer B } };
}
  ? B
  : undefined;

/** The full JSON body of an operation's 200 response, `meta` included. */
export type ResponseBody<Op extends OperationId> = operations[Op]["responses"] extends {
  200: { content: { "application/json": infer B } };
}
  ? B
  : never;

/** The `data` of an operation's 200 response (`never` for identities.deleteIdentity, which has none). */
export type ResponseData<Op extends OperationId> = ResponseBody<Op> extends { data: infer D } ? D : never;

export type Pagination = components["schemas"]["Pagination"];

/**
 * What a handler returns: the 200 body without `meta` (`{ data }`, `{ data, pagination }`, or `{}`).
 * A body of `meta` alone becomes `Record<string, never>` rather than `{}`, which would accept any
 * object. Distributes over `Op`, so the default (every operation) is the union of all results.
 */
export type HandlerResult<Op extends OperationId = OperationId> = Op extends OperationId
  ? keyof Omit<ResponseBody<Op>, "meta"> extends never
    ? Record<string, never>
    : Omit<ResponseBody<Op>, "meta">
  : never;

export type TypedHandler<Op extends OperationId> = (ctx: RequestContext, body: RequestBody<Op>) => HandlerResult<Op> | Promise<HandlerResult<Op>>;

/** A handler as the server calls it: the body is only known to be valid JSON for its operation. */
export type Handler = (ctx: RequestContext, body: unknown) => HandlerResult | Promise<HandlerResult>;

/** Every operation of the contract → its handler. A missing or misspelt operation is a compile error. */
export type HandlerTable = { [Op in OperationId]: TypedHandler<Op> };

/**
 * The handlers of one handler file (`satisfies HandlerGroup`): typed like the table, so a
 * misspelt operation id or a wrong body/result type fails to compile in the file that has it.
 */
export type HandlerGroup = Partial<HandlerTable>;
