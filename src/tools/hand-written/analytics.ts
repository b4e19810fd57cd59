/**
 * Analytics helpers: the questions people ask most ("usage this week", "top keys", "errors per
 * day", "is user_123 rate limited?") as tools that build safe SQL from parameters, pick the
 * aggregate table that fits the window, and answer with rows plus one paragraph. They call the
 * same two operations as the raw SQL tools, so they work against Unkey and the local API alike.
 */
import type { JsonSchema } from "../../schemas/loader.js";
import { defineTool, type ToolSpec } from "../define.js";
import type { ToolContext, ToolDefinition, ToolOutput } from "../types.js";
import { renderSeriesPng } from "./analytics-chart.js";
import {
  autoGranularity,
  fillSeries,
  fitGranularity,
  GRANULARITIES,
  makeWindow,
  ratelimitSql,
  summariseRatelimits,
  summariseSeries,
  summariseTop,
  summariseUsage,
  timeSeriesSql,
  topSql,
  usageSummarySql,
  type Granularity,
  type TopBy,
  type VerificationFilter,
  type Window,
} from "./analytics-sql.js";

const ID = "^[\\w.:@/=+-]+$";
const WINDOW: JsonSchema = { type: "integer", minimum: 60_000, "x-mcp-time": "duration", "x-mcp-default": 604_800_000 };
const KEY_FILTERS: Record<string, JsonSchema> = {
  keyId: { type: "string", pattern: ID },
  externalId: { type: "string", pattern: ID, description: "The identity's externalId." },
};
const VERIFICATIONS_PERMISSION = [["api.*.read_analytics", "api.<apiId>.read_analytics"]];
const RATELIMITS_PERMISSION = [["ratelimit.*.read_analytics", "ratelimit.<namespaceId>.read_analytics"]];

type Rows = Record<string, unknown>[];

/** Every helper is a read in the analytics toolset, windowed by `window` (converted to ms by the executor). */
function helper(
  spec: Omit<ToolSpec, "toolset" | "safety" | "handler"> & { run(args: Record<string, unknown>, ctx: ToolContext, w: Window): Promise<ToolOutput> },
): ToolDefinition {
  const { run, ...rest } = spec;
  return defineTool({ ...rest, toolset: "analytics", safety: "read", handler: (args, ctx) => run(args, ctx, makeWindow(args.window as number, ctx.now())) });
}

async function verifications(ctx: ToolContext, sql: string): Promise<Rows> {
  return (await ctx.call("analytics.getVerifications", { query: sql })) as Rows;
}

function keyFilter(args: Record<string, unknown>): VerificationFilter {
  return {
    keyId: typeof args.keyId === "string" ? args.keyId : undefined,
    externalId: typeof args.externalId === "string" ? args.externalId : undefined,
  };
}

const usageSummary = helper({
  name: "analytics_usage_summary",
  title: "Verification usage summary",
  description: "Verifications per outcome and credits spent.",
  permissions: VERIFICATIONS_PERMISSION,
  inputSchema: { type: "object", properties: { window: WINDOW, ...KEY_FILTERS }, additionalProperties: false },
  async run(args, ctx, w): Promise<ToolOutput> {
    const { sql, granularity } = usageSummarySql(w, keyFilter(args));
    const { data, summary } = summariseUsage(await verifications(ctx, sql), w, granularity);
    return { data, summary };
  },
});

const top = helper({
  name: "analytics_top",
  title: "Top keys or users by verifications",
  description: "Keys or users with the most verifications.",
  permissions: VERIFICATIONS_PERMISSION,
  inputSchema: {
    type: "object",
    properties: {
      by: { type: "string", enum: ["key", "external_id"], "x-mcp-default": "key", description: "Rank keys or users." },
      window: WINDOW,
      limit: { type: "integer", minimum: 1, maximum: 100, "x-mcp-default": 10 },
    },
    additionalProperties: false,
  },
  async run(args, ctx, w): Promise<ToolOutput> {
    const by = (args.by as TopBy | undefined) ?? "key";
    const { sql, granularity } = topSql(w, by, (args.limit as number | undefined) ?? 10, {});
    const { data, summary } = summariseTop(await verifications(ctx, sql), by, w, granularity);
    return { data, summary };
  },
});

const timeSeries = helper({
  name: "analytics_timeseries",
  title: "Verifications over time",
  description: "Verifications per time bucket, empty buckets as 0.",
  permissions: VERIFICATIONS_PERMISSION,
  inputSchema: {
    type: "object",
    properties: {
      window: WINDOW,
      granularity: { type: "string", enum: [...GRANULARITIES], description: "Bucket size; omit to fit the window." },
      keyId: KEY_FILTERS.keyId!,
      chart: { type: "boolean", description: "Also return a PNG." },
    },
    additionalProperties: false,
  },
  async run(args, ctx, w): Promise<ToolOutput> {
    const wanted = (args.granularity as Granularity | undefined) ?? autoGranularity(w);
    const g = fitGranularity(w, wanted);
    const points = fillSeries(await verifications(ctx, timeSeriesSql(w, g, keyFilter(args))), w, g);
    let summary = summariseSeries(points, w, g);
    if (g !== wanted) summary += ` (${wanted} would need too many buckets; used ${g}.)`;
    const out: ToolOutput = { data: points, summary };
    if (args.chart === true) {
      const chart = await renderSeriesPng(points, g, `Verifications per ${g}`);
      if (chart.ok) out.images = [{ data: chart.png.toString("base64"), mimeType: "image/png" }];
      else out.summary = `${summary} No chart: ${chart.reason}.`;
    }
    return out;
  },
});

const ratelimitUsage = helper({
  name: "analytics_ratelimits",
  title: "Rate-limit passed and denied",
  description: "Rate-limit checks passed and denied per identifier.",
  profiles: ["full", "ratelimits"],
  permissions: RATELIMITS_PERMISSION,
  inputSchema: {
    type: "object",
    properties: {
      window: WINDOW,
      namespaceId: { type: "string", pattern: ID, description: "A namespace_id from earlier rows." },
      identifier: { type: "string", pattern: ID, description: "The identifier checked, e.g. a user id." },
    },
    additionalProperties: false,
  },
  async run(args, ctx, w): Promise<ToolOutput> {
    const f = {
      namespaceId: typeof args.namespaceId === "string" ? args.namespaceId : undefined,
      identifier: typeof args.identifier === "string" ? args.identifier : undefined,
    };
    const { sql, granularity } = ratelimitSql(w, f);
    const rows = (await ctx.call("analytics.getRatelimits", { query: sql })) as Rows;
    const { data, summary } = summariseRatelimits(rows, w, granularity, f);
    return { data, summary };
  },
});

export const analyticsTools: ToolDefinition[] = [usageSummary, top, timeSeries, ratelimitUsage];
