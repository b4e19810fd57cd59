/**
 * ClickHouse functions the analytics endpoint accepts (Unkey's allow-list, plus the few its own
 * docs use), and the DuckDB expression each becomes. A template's `$n` is the n-th argument as
 * written by the caller. Rewriting the parse tree (rather than DuckDB macros) lets one mapping
 * reorder arguments (arrayFilter), add an aggregate FILTER (sumIf) and keep DISTINCT, and it
 * leaves no objects in the analytics database for a query to find.
 */

/** Lower-case ClickHouse name → DuckDB template; `null` = same function in DuckDB. */
export const CLICKHOUSE_FUNCTIONS: Readonly<Record<string, string | null>> = {
  // aggregates
  count: null,
  // ClickHouse sums over no rows are 0, DuckDB's are NULL.
  sum: "coalesce(sum($1), 0)",
  avg: null,
  min: null,
  max: null,
  any: "any_value($1)",
  countif: "count(*) FILTER (WHERE $1)",
  sumif: "coalesce(sum($1) FILTER (WHERE $2), 0)",
  avgif: "avg($1) FILTER (WHERE $2)",
  minif: "min($1) FILTER (WHERE $2)",
  maxif: "max($1) FILTER (WHERE $2)",
  uniq: "count(DISTINCT $1)",
  uniqexact: "count(DISTINCT $1)",
  grouparray: "list($1)",
  groupuniqarray: "list(DISTINCT $1)",
  quantile: "quantile_cont($1, $2)",
  // time
  now: null, // replaced by the request's clock
  now64: null,
  today: null,
  yesterday: null,
  todate: "CAST($1 AS DATE)",
  todatetime: null, // depends on the argument: see query.ts
  todatetime64: null,
  tostartofminute: "date_trunc('minute', CAST($1 AS TIMESTAMP))",
  tostartofhour: "date_trunc('hour', CAST($1 AS TIMESTAMP))",
  tostartofday: "date_trunc('day', CAST($1 AS TIMESTAMP))",
  tostartofweek: "CAST(CAST($1 AS DATE) - CAST(dayofweek(CAST($1 AS DATE)) AS INTEGER) AS DATE)",
  tostartofmonth: "CAST(date_trunc('month', CAST($1 AS DATE)) AS DATE)",
  tostartofyear: "CAST(date_trunc('year', CAST($1 AS DATE)) AS DATE)",
  date_trunc: null,
  formatdatetime: "strftime(CAST($1 AS TIMESTAMP), $2)",
  fromunixtimestamp64milli: "epoch_ms(CAST($1 AS BIGINT))",
  tounixtimestamp64milli: "epoch_ms(CAST($1 AS TIMESTAMP))",
  tounixtimestamp: "CAST(epoch(CAST($1 AS TIMESTAMP)) AS BIGINT)",
  tointervalday: "to_days(CAST($1 AS INTEGER))",
  tointervalweek: "to_weeks(CAST($1 AS INTEGER))",
  tointervalmonth: "to_months(CAST($1 AS INTEGER))",
  tointervalquarter: "to_months(CAST($1 AS INTEGER) * 3)",
  tointervalyear: "to_years(CAST($1 AS INTEGER))",
  tointervalhour: "to_hours(CAST($1 AS BIGINT))",
  tointervalminute: "to_minutes(CAST($1 AS BIGINT))",
  tointervalsecond: "to_seconds(CAST($1 AS DOUBLE))",
  tointervalmillisecond: "to_milliseconds(CAST($1 AS DOUBLE))",
  tointervalmicrosecond: "to_microseconds(CAST($1 AS BIGINT))",
  tointervalnanosecond: "to_microseconds(CAST($1 AS BIGINT) // 1000)",
  // strings
  lower: null,
  upper: null,
  substring: null,
  concat: null,
  length: null,
  trim: null,
  startswith: "starts_with($1, $2)",
  endswith: "ends_with($1, $2)",
  // math
  round: null,
  floor: null,
  ceil: null,
  abs: null,
  // conditionals and casts
  if: null,
  coalesce: null,
  tostring: "CAST($1 AS VARCHAR)",
  toint32: "CAST($1 AS INTEGER)",
  toint64: "CAST($1 AS BIGINT)",
  tofloat64: "CAST($1 AS DOUBLE)",
  // arrays
  has: "list_contains($1, $2)",
  hasany: "list_has_any($1, $2)",
  hasall: "list_has_all($1, $2)",
  arrayjoin: null, // lifted into an UNNEST: see query.ts
  arrayfilter: "list_filter($2, $1)",
  // window functions (allowed with OVER, as ClickHouse does)
  row_number: null,
  rank: null,
  dense_rank: null,
  lag: null,
  lead: null,
  first_value: null,
  last_value: null,
};

/**
 * Names DuckDB's parser itself produces for operators and literals (`a + b`, `x LIKE y`,
 * `INTERVAL 7 DAY`, `[1, 2]`, `count(*)`): allowed because a caller cannot avoid them.
 */
export const PARSER_FUNCTIONS: ReadonlySet<string> = new Set([
  "+",
  "-",
  "*",
  "/",
  "//",
  "%",
  "||",
  "~~",
  "!~~",
  "~~*",
  "!~~*",
  "count_star",
  "list_value",
  "trunc",
  "to_days",
  "to_hours",
  "to_minutes",
  "to_seconds",
  "to_months",
  "to_years",
  "to_weeks",
  "to_milliseconds",
  "to_microseconds",
  "to_centuries",
  "to_decades",
  "to_millennia",
]);

/** Functions whose result is a date or time: a raw-table `time` (unix ms) compared with one is compared in ms. */
export const TEMPORAL_FUNCTIONS: ReadonlySet<string> = new Set([
  "now",
  "now64",
  "today",
  "yesterday",
  "todate",
  "todatetime",
  "todatetime64",
  "tostartofminute",
  "tostartofhour",
  "tostartofday",
  "tostartofweek",
  "tostartofmonth",
  "tostartofyear",
  "date_trunc",
  "fromunixtimestamp64milli",
]);
