/**
 * `unkey-mcp` / `unkey-mcp stdio`: the MCP server on stdin/stdout, acting with UNKEY_ROOT_KEY.
 *
 * stdout carries only JSON-RPC; everything else goes to stderr through the logger.
 *
 * `serveStdio` picks the era from the client's opening message: a 2025-era `initialize` pins a
 * 2025 instance for the connection; a 2026-07-28 `server/discover` or enveloped request is served
 * per request. Both come from the same factory, so the eras cannot drift apart.
 */
import { serveStdio } from "@modelcontextprotocol/server/stdio";
import { parseConfig } from "../config.js";
import { createRuntime } from "../runtime.js";
import { packageVersion } from "../server.js";
import { selectTools } from "../tools/catalog.js";
import { createLogger } from "../util/log.js";

export async function runStdioCommand(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const config = parseConfig("stdio", argv, env);
  const logger = createLogger({ level: config.logLevel, format: config.logFormat, secrets: [config.rootKey] });

  const runtime = await createRuntime(config, logger, "stdio");

  const tools = selectTools(runtime.catalog, config.catalog);

  const hasRootKey = config.rootKey !== undefined;
  if (!hasRootKey) {
    logger.warn(
      "UNKEY_ROOT_KEY is not set: the server lists its tools, but every tool call returns an error until you set UNKEY_ROOT_KEY to an Unkey root key and restart.",
    );
  }
  // One factory for both eras: serveStdio calls it per connection (and for a discover probe).
  const createServer = (): ReturnType<typeof runtime.createServer> =>
    runtime.createServer({
      tools,
      profile: config.catalog.profile,
      hasRootKey,
      resolveRootKey: () => config.rootKey,
      rootKeySource: "the UNKEY_ROOT_KEY environment variable of the MCP server",
    });

  let closing = false;
  const shutdown = async (reason: string): Promise<void> => {
    if (closing) return;
    closing = true;
    logger.info("shutting down", { reason });
    await handle.close().catch(() => undefined);
    await runtime.close();
  };
  // A client that closes our stdout (EPIPE) has gone away: nothing is left to answer, so this is
  // a normal end (exit 0), not a crash with a stack trace.
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE" || err.code === "ERR_STREAM_DESTROYED") {
      void shutdown("stdout closed by the client").finally(() => process.exit(0));
      return;
    }
    logger.error("stdout failed", { code: err.code, message: err.message });
    void shutdown("stdout error").finally(() => process.exit(1));
  });
  const handle = serveStdio(createServer, {
    onerror: (err) => {
      if ((err as NodeJS.ErrnoException).code === "EPIPE") return;
      logger.debug("stdio transport error", { message: err.message });
    },
  });
  process.stdin.once("end", () => void shutdown("stdin closed"));
  process.once("SIGINT", () => void shutdown("SIGINT").finally(() => process.exit(0)));
  process.once("SIGTERM", () => void shutdown("SIGTERM").finally(() => process.exit(0)));

  logger.info("unkey-mcp ready on stdio", {
    version: packageVersion(),
    apiUrl: config.apiUrl,
    profile: config.catalog.profile,
    tools: tools.length,
    readOnly: config.catalog.readOnly,
    rootKeyConfigured: hasRootKey,
    spec: config.spec ?? "bundled",
  });
}
