/**
 * `unkey-mcp` / `unkey-mcp stdio`: the MCP server on stdin/stdout, acting with UNKEY_ROOT_KEY.
 *
 * stdout carries only JSON-RPC; everything else goes to stderr through the logger.
 */
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { parseConfig, type StdioConfig } from "../config.js";
import { buildInstructions, createMcpServer, loadServerParts, packageVersion } from "../server.js";
import { listToolsets, selectTools } from "../tools/catalog.js";
import { createSafetyParts } from "../tools/confirm/setup.js";
import { createLogger } from "../util/log.js";

export async function runStdioCommand(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const config = parseConfig("stdio", argv, env) as StdioConfig;
  const logger = createLogger({ level: config.logLevel, format: config.logFormat, secrets: [config.rootKey] });

  const { catalog, prompts, client } = await loadServerParts(config, logger);
  const tools = selectTools(catalog, config.catalog);
  const safety = await createSafetyParts(config, logger, "stdio");

  const hasRootKey = config.rootKey !== undefined;
  if (!hasRootKey) {
    logger.warn("UNKEY_ROOT_KEY is not set: the server lists its tools, but every tool call returns an error until you set UNKEY_ROOT_KEY to an Unkey root key and restart.");
  }
  const server = createMcpServer({
    tools,
    client,
    resolveRootKey: () => config.rootKey,
    instructions: buildInstructions({
      profile: config.catalog.profile,
      toolsets: listToolsets(tools),
      toolCount: tools.length,
      readOnly: config.catalog.readOnly,
      allowConsume: config.catalog.allowConsume,
      hideSecrets: config.hideSecrets,
      apiUrl: config.apiUrl,
      hasRootKey,
      confirm: config.confirm.mode,
      secretsToFile: safety.secretSink !== undefined,
    }),
    logger,
    prompts,
    policy: { readOnly: config.catalog.readOnly, allowConsume: config.catalog.allowConsume },
    hideSecrets: config.hideSecrets,
    rootKeySource: "the UNKEY_ROOT_KEY environment variable of the MCP server",
    safety,
  });

  let closing = false;
  const shutdown = async (reason: string): Promise<void> => {
    if (closing) return;
    closing = true;
    logger.info("shutting down", { reason });
    await server.close().catch(() => undefined);
    await client.close();
    await safety.close();
  };
  const transport = new StdioServerTransport();
  transport.onclose = () => void shutdown("transport closed");
  process.stdin.once("end", () => void shutdown("stdin closed"));
  process.once("SIGINT", () => void shutdown("SIGINT").finally(() => process.exit(0)));
  process.once("SIGTERM", () => void shutdown("SIGTERM").finally(() => process.exit(0)));

  await server.connect(transport);
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
