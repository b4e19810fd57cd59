/**
 * The SQL of every query on Unkey's "Query examples" analytics page (platform/analytics/query-examples),
 * verbatim (the single-line form of each cURL example), keyed by a short name. Kept as JSON so the
 * benchmark (bench/analytics.mjs) runs the same queries.
 */
import { readFileSync } from "node:fs";

const FILE = new URL("../fixtures/analytics-query-examples.json", import.meta.url);

export const QUERY_EXAMPLES = JSON.parse(readFileSync(FILE, "utf8")) as Record<
  | "total_7d_raw"
  | "total_7d"
  | "by_outcome"
  | "outcomes_one_row"
  | "outcomes_per_key"
  | "daily_trend"
  | "hourly_today"
  | "users_ranked"
  | "user_123"
  | "top_users"
  | "daily_per_user"
  | "per_keyspace"
  | "one_keyspace"
  | "compare_keyspaces"
  | "per_key"
  | "one_key"
  | "keys_most_errors"
  | "tag_single"
  | "tag_any"
  | "tag_all"
  | "group_by_tag"
  | "endpoint_raw"
  | "monthly_credits"
  | "billing_period"
  | "credit_tier"
  | "daily_credits"
  | "cohort"
  | "moving_average"
  | "hourly_7d"
  | "daily_30d"
  | "monthly_12m"
  | "fill_hourly"
  | "fill_daily"
  | "fill_monthly"
  | "fill_pivot",
  string
>;
