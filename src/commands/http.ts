/**
 * `unkey-mcp http [flags]`: the streamable HTTP server (src/transports/http) on a runtime of its own.
 */
import { parseConfig } from "../config.js";
import { packageVersion } from "../server.js";
import { launchHttpServer } from "../transports/http/server.js";
import { createLogger } from "../util/log.js";
import { waitForShutdown } from "./shutdown.js";

export async function runHttpCommand(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const config = parseConfig("http", argv, env);
  const testRootKey = config.insecureTestRootKey;
  const logger = createLogger({ level: config.logLevel, format: config.logFormat, secrets: [testRootKey] });
  const launched = await launchHttpServer(config, logger, { insecureTestRootKey: testRootKey });
  const { server } = launched;
  if (testRootKey) {
    logger.warn("TEST MODE: requests without a root key act with --insecure-test-root-key; never use this outside a test harness");
  }
  for (const e of server.endpoints) {
    logger.info("MCP endpoint ready", { url: e.url, profile: e.profile, header: e.header, tools: e.toolCount });
  }
  // A plain line on stdout for scripts and tests that need the address (port 0 picks one).
  process.stdout.write(
    `unkey-mcp HTTP server listening on ${server.url} (MCP: ${server.endpoints
      .filter((e) => e.toolCount > 0)
      .map((e) => e.url)
      .join(", ")})\n`,
  );
  logger.info("unkey-mcp ready on HTTP", {
    version: packageVersion(),
    url: server.url,
    apiUrl: config.apiUrl,
    mode: config.stateless ? "stateless" : "stateful",
    sessionTtlSeconds: config.sessionTtlSeconds,
  });
  await waitForShutdown(logger, () => launched.close());
}
