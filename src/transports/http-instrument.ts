/**
 * Metrics that wrap the parts the HTTP server shares: upstream latency around the Unkey client,
 * and tools/call outcomes read off the JSON-RPC traffic of an SDK transport.
 */
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { UnkeyClient } from "../client/unkey-client.js";
import type { HttpMetrics } from "./http-metrics.js";

/** An upstream-latency timer around the shared client; labels are bounded to contract paths. */
export function timedClient(client: UnkeyClient, metrics: HttpMetrics, knownPaths: Set<string>): UnkeyClient {
  const operations = new Map([...knownPaths].map((p) => [p, p.replace(/^\/v2\//, "")]));
  return {
    baseUrl: client.baseUrl,
    async request(req) {
      const operation = operations.get(req.path) ?? "other";
      const end = metrics.upstreamLatency.startTimer({ operation });
      try {
        const res = await client.request(req);
        end({ status: String(res.status) });
        return res;
      } catch (err) {
        end({ status: "network_error" });
        throw err;
      }
    },
    close: () => client.close(),
  };
}

/**
 * Counts tools/call outcomes by watching the JSON-RPC traffic of one transport: the request
 * names the tool, the response with the same id tells the outcome.
 */
export function instrumentTransport(transport: Transport, metrics: HttpMetrics, toolNames: Set<string>): void {
  const pending = new Map<string | number, string>();
  const onmessage = transport.onmessage;
  transport.onmessage = (message: JSONRPCMessage, extra) => {
    const m = message as { method?: string; id?: string | number; params?: { name?: unknown } };
    if (m.method === "tools/call" && m.id !== undefined) {
      const name = typeof m.params?.name === "string" && toolNames.has(m.params.name) ? m.params.name : "unknown";
      pending.set(m.id, name);
    }
    onmessage?.(message, extra);
  };
  const send = transport.send.bind(transport);
  transport.send = async (message, opts) => {
    const m = message as { id?: string | number; result?: { isError?: boolean }; error?: unknown };
    if (m.id !== undefined && (m.result !== undefined || m.error !== undefined)) {
      const tool = pending.get(m.id);
      if (tool !== undefined) {
        pending.delete(m.id);
        const outcome = m.error !== undefined ? "protocol_error" : m.result?.isError ? "tool_error" : "ok";
        metrics.toolCalls.inc({ tool, outcome });
      }
    }
    return send(message, opts);
  };
}
