/**
 * Upstream latency around the Unkey client the HTTP server shares. (Tool calls are counted by the
 * server's tools/call adapter, the one place every era and path goes through.)
 */
import type { UnkeyClient } from "../../client/unkey-client.js";
import type { HttpMetrics } from "./metrics.js";

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
