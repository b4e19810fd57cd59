/**
 * `unkey-mcp start` (= `npm start`): the local Unkey-compatible API and the HTTP MCP server in
 * one process, wired together, with everything a person needs to connect printed on stdout.
 *
 * The local API is imported lazily: it is the only command besides `local` that needs SQLite.
 */
import { parseConfig, type HttpConfig } from "../config.js";
import { ENDPOINTS } from "../transports/http/endpoints.js";
import { launchHttpServer, type LaunchedHttp, type RunningHttpServer } from "../transports/http/server.js";
import { createLogger } from "../util/log.js";
import { waitForShutdown } from "./shutdown.js";

export const ROOT_KEY_ENV = "UNKEY_ROOT_KEY";

export interface ConnectionDetails {
  mcpUrl: string;
  ratelimitsUrl: string;
  header: string;
  ratelimitsHeader: string;
  /** The plaintext root key, when known (just created or given with --root-key). */
  rootKey?: string;
}

/** Client configs, ready to paste. No spaces inside args: they break `npx` on Windows. */
export function clientConfigs(d: ConnectionDetails): { claudeDesktop: unknown; cursor: unknown; windsurf: unknown } {
  const key = d.rootKey ?? "<your root key>";
  return {
    claudeDesktop: {
      mcpServers: {
        unkey: {
          command: "npx",
          args: ["-y", "mcp-remote", d.mcpUrl, "--header", `${d.header}:\${${ROOT_KEY_ENV}}`],
          env: { [ROOT_KEY_ENV]: key },
        },
      },
    },
    cursor: { mcpServers: { unkey: { url: d.mcpUrl, headers: { [d.header]: key } } } },
    windsurf: { mcpServers: { unkey: { serverUrl: d.mcpUrl, headers: { [d.header]: key } } } },
  };
}

export function renderBanner(input: {
  server: RunningHttpServer;
  apiUrl: string;
  dataDir?: string;
  rootKey?: string;
  rootKeyCreated: boolean;
}): string {
  const full = input.server.endpoints.find((e) => e.name === "v2") ?? input.server.endpoints[0];
  const rl = input.server.endpoints.find((e) => e.name === "ratelimits") ?? full;
  const details: ConnectionDetails = {
    mcpUrl: full.url,
    ratelimitsUrl: rl.url,
    header: full.header,
    ratelimitsHeader: rl.header,
    rootKey: input.rootKey,
  };
  const configs = clientConfigs(details);
  const block = (v: unknown): string => JSON.stringify(v, null, 2);
  const lines: string[] = [
    "",
    "unkey-mcp is running",
    "",
    `  Local Unkey API   ${input.apiUrl}   (data: ${input.dataDir ?? "in memory, gone on exit"})`,
    `  MCP (full)        ${full.url}   header ${full.header}   (${full.toolCount} tools)`,
    `  MCP (ratelimits)  ${rl.url}   header ${rl.header}   (${rl.toolCount} tools)`,
    `  Health, metrics   ${input.server.url}/healthz   ${input.server.url}/metrics`,
    "",
  ];
  if (input.rootKey && input.rootKeyCreated) {
    lines.push(`  Root key (all permissions; shown only now, only its hash is stored): ${input.rootKey}`);
  } else if (input.rootKey) {
    lines.push(`  Root key: the one you passed with --root-key or UNKEY_LOCAL_ROOT_KEY (all permissions).`);
  } else {
    const dir = input.dataDir ?? ".unkey-local";
    lines.push(
      `  Root key: not shown — the workspace in ${dir} already has one (only hashes are stored).`,
      `  Use the key printed on the first start, or create one:`,
      `    npx unkey-mcp local root-key create --data-dir ${dir} --name mcp --permission 'api.*.read_key' --permission 'api.*.create_key' …`,
      `  or restart with a key of your choice: UNKEY_LOCAL_ROOT_KEY=unkey_<something-long> npm start (or --root-key)`,
    );
  }
  lines.push(
    "",
    `Send the root key with every request in the ${full.header} header (${rl.header} for ${rl.path}), or as Authorization: Bearer <key>.`,
    "",
    "Claude Desktop (claude_desktop_config.json):",
    block(configs.claudeDesktop),
    "",
    "Cursor (~/.cursor/mcp.json):",
    block(configs.cursor),
    "",
    "Windsurf (~/.codeium/windsurf/mcp_config.json):",
    block(configs.windsurf),
    "",
    "Press Ctrl-C to stop.",
    "",
  );
  return lines.join("\n");
}

/** `unkey-mcp start [--port 3000] [--api-port 0] [--data-dir .unkey-local | --memory] [--root-key KEY]` */
export async function runStart(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const parsed = parseConfig("start", argv, env);
  const seeded = parsed.seedRootKey;
  const logger = createLogger({ level: parsed.logLevel, format: parsed.logFormat, secrets: [seeded] });

  const { createLocalApi } = await import("../local/server.js");
  const local = await createLocalApi({
    host: "127.0.0.1",
    port: parsed.localPort,
    dataDir: parsed.memory ? undefined : parsed.dataDir,
    memory: parsed.memory,
    rootKey: seeded,
    onError: (message, err) => logger.error(`local API: ${message}`, { error: err instanceof Error ? err.message : String(err) }),
  });
  // The MCP side talks to the local API over HTTP like to api.unkey.com; nothing else is shared.
  const config: HttpConfig = { ...parsed, apiUrl: local.url };
  let launched: LaunchedHttp;
  try {
    launched = await launchHttpServer(config, logger);
  } catch (err) {
    await local.close();
    throw err;
  }
  const { server } = launched;
  const rootKey = seeded ?? local.rootKey;
  process.stdout.write(
    renderBanner({
      server,
      apiUrl: local.url,
      dataDir: parsed.memory ? undefined : parsed.dataDir,
      rootKey,
      rootKeyCreated: seeded === undefined && local.rootKey !== undefined,
    }),
  );
  logger.info("unkey-mcp start ready", { url: server.url, apiUrl: local.url, endpoints: ENDPOINTS.map((e) => e.path) });
  await waitForShutdown(logger, async () => {
    await launched.close();
    await local.close();
  });
}
