/** Unkey's analytics error codes (docs: errors/user/bad_request/invalid_analytics_*, unprocessable_entity/*). */
import { ApiError } from "../errors.js";

export function invalidQuery(detail: string): ApiError {
  return new ApiError(400, "user/bad_request/invalid_analytics_query", detail);
}

export function invalidTable(name: string, allowed: readonly string[], hint = ""): ApiError {
  return new ApiError(
    400,
    "user/bad_request/invalid_analytics_table",
    `Access to table '${name}' is not allowed. Tables: ${allowed.join(", ")}.${hint ? ` ${hint}` : ""}`,
  );
}

export function invalidFunction(name: string): ApiError {
  return new ApiError(
    400,
    "user/bad_request/invalid_analytics_function",
    `Function '${name}' is not allowed. See the allowed functions at https://unkey.com/docs/platform/analytics/query-restrictions.`,
  );
}

export function invalidQueryType(kind: string): ApiError {
  return new ApiError(400, "user/bad_request/invalid_analytics_query_type", `Only SELECT queries are allowed; this is ${kind}.`);
}

export function rangeExceedsRetention(bound: string, earliest: string, days: number): ApiError {
  return new ApiError(
    400,
    "user/bad_request/query_range_exceeds_retention",
    `The query reaches back to ${bound}, past the ${days}-day retention (earliest ${earliest}). Narrow the time range.`,
  );
}

export function executionTimeout(ms: number): ApiError {
  return new ApiError(
    422,
    "user/unprocessable_entity/query_execution_timeout",
    `Query exceeded the maximum execution time of ${ms} ms. Add filters, narrow the time range or use an aggregated table.`,
  );
}

export function memoryLimitExceeded(what: string): ApiError {
  return new ApiError(
    422,
    "user/unprocessable_entity/query_memory_limit_exceeded",
    `Query exceeded the memory limit: ${what}. Aggregate, add a LIMIT or narrow the time range.`,
  );
}

export function rowsLimitExceeded(rows: number, limit: number): ApiError {
  return new ApiError(
    422,
    "user/unprocessable_entity/query_rows_limit_exceeded",
    `Query would scan ${rows} rows, over the limit of ${limit}. Add a time filter or use an aggregated table.`,
  );
}
