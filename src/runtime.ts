/**
 * What every server command builds once per process, in one place: the tool catalog (bundled or
 * from --spec), the prompts, the Unkey client, the read-only policy and the instructions text.
 * stdio, `http` and `start` all start from `createRuntime`, then hand its `createServer` to their
 * transport; a transport never builds any of these itself.
 */
import type { Server } from "@modelcontextprotocol/server";
import type { UnkeyClient } from "./client/unkey-client.js";
import type { CommonConfig } from "./config.js";
import type { PromptTemplate } from "./prompts.js";
import { buildInstructions, createMcpServer, loadServerParts, type ServerRequestExtra, type ToolCallCounter } from "./server.js";
import { listToolsets } from "./tools/catalog.js";
import { withoutConfirmationStep } from "./tools/generate.js";
import { createSafetyParts, type SafetyParts } from "./tools/confirm/setup.js";
import type { GuardPolicy } from "./tools/guard.js";
import type { ToolDefinition } from "./tools/types.js";
import type { Logger } from "./util/log.js";

/** What one server instance serves and how it finds the root key of a call. */
export interface ServerInput {
  /** The tools this instance lists and runs (a selection of the catalog). */
  tools: ToolDefinition[];
  /** The profile named in the instructions. */
  profile: string;
  /** The root key one call acts with (stdio: the configured key; HTTP: the request's). */
  resolveRootKey: (extra: ServerRequestExtra) => string | undefined;
  /** Where the root key comes from, for hints in error results. */
  rootKeySource: string;
  /** False when it is known that no key is configured (stdio without UNKEY_ROOT_KEY). */
  hasRootKey?: boolean;
  /** The client to call through (HTTP wraps the shared one with a timer). */
  client?: UnkeyClient;
  countToolCall?: ToolCallCounter;
  /** The protocol versions the instance lists, when not the SDK's defaults. */
  protocolVersions?: string[];
}

export interface Runtime {
  catalog: ToolDefinition[];
  prompts: PromptTemplate[];
  client: UnkeyClient;
  policy: GuardPolicy;
  logger: Logger;
  /** A fresh MCP server over a selection of the catalog: cheap, built per connection or request. */
  createServer(input: ServerInput): Server;
  close(): Promise<void>;
}

/**
 * `transport` decides where `--secrets mask` puts a plaintext: a 0600 file on stdio (the operator's
 * machine), nowhere over HTTP (withheld).
 */
export async function createRuntime(config: CommonConfig, logger: Logger, transport: "stdio" | "http" = "http"): Promise<Runtime> {
  const parts = await loadServerParts(config, logger);
  const { prompts, client } = parts;
  // With --confirm off nothing is previewed, so no tool may tell the model otherwise.
  const catalog = config.confirm.mode === "off" ? parts.catalog.map(withoutConfirmationStep) : parts.catalog;
  let safety: SafetyParts;
  try {
    safety = await createSafetyParts(config, logger, transport);
  } catch (err) {
    await client.close();
    throw err;
  }
  const policy: GuardPolicy = { readOnly: config.catalog.readOnly, allowConsume: config.catalog.allowConsume };
  // One instructions text per distinct tool list and key state (lists are cached by the callers).
  const instructionsFor = new WeakMap<ToolDefinition[], Map<string, string>>();
  const instructions = (input: ServerInput): string => {
    let byVariant = instructionsFor.get(input.tools);
    if (!byVariant) {
      byVariant = new Map();
      instructionsFor.set(input.tools, byVariant);
    }
    const variant = `${input.profile}|${String(input.hasRootKey)}`;
    let text = byVariant.get(variant);
    if (text === undefined) {
      text = buildInstructions({
        profile: input.profile,
        toolsets: listToolsets(input.tools),
        toolCount: input.tools.length,
        readOnly: config.catalog.readOnly || input.tools.every((t) => t.safety === "read" || t.safety === "consume"),
        allowConsume: config.catalog.allowConsume,
        hideSecrets: config.hideSecrets,
        apiUrl: config.apiUrl,
        confirm: config.confirm.mode,
        secretsToFile: safety.secretSink !== undefined,
        ...(input.hasRootKey === undefined ? {} : { hasRootKey: input.hasRootKey }),
      });
      byVariant.set(variant, text);
    }
    return text;
  };
  return {
    catalog,
    prompts,
    client,
    policy,
    logger,
    createServer: (input) =>
      createMcpServer({
        tools: input.tools,
        client: input.client ?? client,
        resolveRootKey: input.resolveRootKey,
        instructions: instructions(input),
        logger,
        prompts,
        policy,
        hideSecrets: config.hideSecrets,
        rootKeySource: input.rootKeySource,
        countToolCall: input.countToolCall,
        safety,
        protocolVersions: input.protocolVersions,
      }),
    close: async () => {
      await client.close();
      await safety.close();
    },
  };
}
