/**
 * Prometheus metrics of the HTTP server, on a registry of its own (never the global one), so
 * two servers in one process (tests, `start`) do not collide and nothing else leaks in.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";

export interface HttpMetrics {
  registry: Registry;
  /** HTTP requests by route (the endpoint pattern, never the raw URL) and status. */
  requests: Counter<"route" | "method" | "status">;
  /** tools/call outcomes: `ok`, `tool_error` (isError result), `protocol_error` (JSON-RPC error) or `input_required` (2026-07-28 multi-round-trip). */
  toolCalls: Counter<"tool" | "outcome">;
  /** Time spent waiting for the Unkey API, per operation. */
  upstreamLatency: Histogram<"operation" | "status">;
  activeSessions: Gauge<"endpoint">;
  render(): Promise<{ contentType: string; body: string }>;
}

export function createHttpMetrics(): HttpMetrics {
  const registry = new Registry();
  const requests = new Counter({
    name: "unkey_mcp_http_requests_total",
    help: "HTTP requests answered, by route, method and status.",
    labelNames: ["route", "method", "status"] as const,
    registers: [registry],
  });
  const toolCalls = new Counter({
    name: "unkey_mcp_tool_calls_total",
    help: "MCP tools/call requests by tool and outcome (ok, tool_error, protocol_error, input_required).",
    labelNames: ["tool", "outcome"] as const,
    registers: [registry],
  });
  const upstreamLatency = new Histogram({
    name: "unkey_mcp_upstream_request_duration_seconds",
    help: "Latency of requests to the Unkey API, by operation and HTTP status.",
    labelNames: ["operation", "status"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const activeSessions = new Gauge({
    name: "unkey_mcp_active_sessions",
    help: "Open stateful MCP sessions, by endpoint.",
    labelNames: ["endpoint"] as const,
    registers: [registry],
  });
  return {
    registry,
    requests,
    toolCalls,
    upstreamLatency,
    activeSessions,
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
