/**
 * The MCP endpoints of the HTTP server and the factory type that builds a server for one of
 * them (kept apart from server.ts and endpoint.ts so neither imports the other).
 */
import type { Server as McpServer } from "@modelcontextprotocol/server";
import type { UnkeyClient } from "../../client/unkey-client.js";
import type { ToolCallCounter } from "../../server.js";
import type { ToolDefinition } from "../../tools/types.js";
import { BEARER_AUTH_HEADER, V2_ROOT_KEY_HEADER } from "./auth.js";

export interface EndpointSpec {
  /** Route name used in metrics and logs. */
  name: string;
  path: string;
  profile: string;
  /** The documented root-key header of this endpoint. */
  header: string;
}

export const ENDPOINTS: readonly EndpointSpec[] = [
  { name: "v2", path: "/mcp/v2", profile: "full", header: BEARER_AUTH_HEADER },
  { name: "ratelimits", path: "/mcp/ratelimits/", profile: "ratelimits", header: V2_ROOT_KEY_HEADER },
];

/** Builds one MCP server over a tool list; called per session (stateful 2025) or per request. */
export type McpServerFactory = (input: {
  tools: ToolDefinition[];
  client: UnkeyClient;
  endpoint: EndpointSpec;
  countToolCall?: ToolCallCounter;
  /** Protocol versions beyond the SDK's defaults (the direct 2026-07-28 path lists it, as the SDK's handler does). */
  protocolVersions?: string[];
}) => McpServer;
