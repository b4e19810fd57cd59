#!/usr/bin/env node
/**
 * Entry point: `unkey-mcp [stdio|http|start|local|tools] …`.
 *
 * Subcommands are imported lazily so `npx unkey-mcp` (stdio against the real Unkey) never loads
 * express or the local API and its SQLite binding.
 */
import * as nodeModule from "node:module";
import { ConfigError, flagHelp, wantsHelp, type ServerCommand } from "./config.js";

// Node 22.1+ keeps the compiled code of the modules loaded next (the SDK, our bundle) on disk, so
// a host spawning the stdio server again skips most of parsing and compiling: measured 0.93 of the
// cold start on Node 24. Node 20 has no such cache (undefined here); NODE_DISABLE_COMPILE_CACHE=1
// turns it off. Called before the subcommand's chunks are imported, which is where the code is.
(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();

const USAGE = `unkey-mcp — MCP server for Unkey (API keys, rate limits, identities, RBAC, analytics)

Usage:
  unkey-mcp [stdio] [flags]     MCP over stdio (default); root key from UNKEY_ROOT_KEY
  unkey-mcp http [flags]        MCP over streamable HTTP: /mcp/v2 (full), /mcp/ratelimits/
  unkey-mcp start [flags]       local Unkey-compatible API + HTTP MCP server, ready to connect
  unkey-mcp local …             the local Unkey-compatible API (see: unkey-mcp local --help)
  unkey-mcp tools …             export the tool catalog (see: unkey-mcp tools --help)
  unkey-mcp <command> --help    flags of one command

Environment (stdio): UNKEY_ROOT_KEY (required for calls), UNKEY_API_URL (default https://api.unkey.com)
`;

function commandHelp(command: ServerCommand): string {
  const intro: Record<ServerCommand, string> = {
    stdio: "unkey-mcp [stdio] [flags]\n  MCP server over stdio. Root key from UNKEY_ROOT_KEY; API base from UNKEY_API_URL.",
    http: "unkey-mcp http [flags]\n  Streamable HTTP server. Each request carries its root key (MCP-UNKEY-BEARER-AUTH, MCP-UNKEY-V2-ROOT-KEY or Authorization: Bearer).",
    start: "unkey-mcp start [flags]\n  Starts the local Unkey-compatible API and the HTTP MCP server wired to it, and prints the connection details.",
  };
  return `${intro[command]}\n\nFlags [environment variable]:\n${flagHelp(command)}\n  --help  this text\n`;
}

/** One line on stderr and exit code 2: the shape of every configuration mistake. */
function usageError(message: string): never {
  process.stderr.write(`unkey-mcp: ${message}\n`);
  process.exit(2);
}

function isSelectionError(err: unknown): err is Error {
  return err instanceof Error && (err.name === "CatalogSelectionError" || err.name === "ToolGenerationError");
}

export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const [first, ...rest] = argv;
  const sub = first === undefined || first.startsWith("-") ? undefined : first;
  const args = sub === undefined ? argv : rest;

  if (sub === undefined && (args.includes("--version") || args.includes("-v"))) {
    const { packageVersion } = await import("./server.js");
    process.stdout.write(`${packageVersion()}\n`);
    return;
  }
  if (sub === undefined && wantsHelp(args)) {
    process.stdout.write(`${USAGE}\n${commandHelp("stdio")}`);
    return;
  }
  if (sub === "help") {
    process.stdout.write(USAGE);
    return;
  }

  // Each command's module is imported only when that command runs (see the header comment).
  const servers: Record<ServerCommand, () => Promise<(args: string[], env: NodeJS.ProcessEnv) => Promise<void>>> = {
    stdio: async () => (await import("./commands/stdio.js")).runStdioCommand,
    http: async () => (await import("./commands/http.js")).runHttpCommand,
    start: async () => (await import("./commands/start.js")).runStart,
  };
  try {
    const command: ServerCommand | undefined = sub === undefined ? "stdio" : Object.hasOwn(servers, sub) ? (sub as ServerCommand) : undefined;
    if (command) {
      if (wantsHelp(args)) {
        process.stdout.write(commandHelp(command));
        return;
      }
      await (await servers[command]())(args, env);
      return;
    }
    switch (sub) {
      case "local": {
        const { runLocalCli } = await import("./local/cli.js");
        await runLocalCli(args);
        return;
      }
      case "tools": {
        const { runToolsCommand } = await import("./tools/export.js");
        await runToolsCommand(args, { stdout: process.stdout, stderr: process.stderr }, env);
        return;
      }
      default:
        usageError(`unknown command ${JSON.stringify(sub)}; expected one of stdio, http, start, local, tools (see --help)`);
    }
  } catch (err) {
    if (err instanceof ConfigError || isSelectionError(err)) usageError(err.message.replace(/\n+/g, " "));
    throw err;
  }
}

main(process.argv.slice(2), process.env).catch((err: unknown) => {
  // Only the message: a stack could carry arguments, and arguments can carry secrets.
  process.stderr.write(`unkey-mcp: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
