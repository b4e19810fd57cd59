/**
 * Per-request tool narrowing for the HTTP transport: `X-MCP-Toolsets`, `X-MCP-Tools`,
 * `X-MCP-Readonly` headers or `?toolsets=&tools=&read_only=` query parameters.
 *
 * This module only parses what the request asked for; whether that is allowed (known names,
 * never wider than the server's flags) is the catalog's decision (`narrowSelection`).
 */
import type { IncomingHttpHeaders } from "node:http";

export interface RequestNarrowing {
  toolsets?: string[];
  tools?: string[];
  readOnly?: boolean;
}

export class NarrowingSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NarrowingSyntaxError";
  }
}

type QueryValue = string | string[] | undefined;

function single(value: string | string[] | undefined): string | undefined {
  if (Array.isArray(value)) return value.join(",");
  return value;
}

function splitList(value: string): string[] {
  return value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

const TRUE_WORDS = new Set(["1", "true", "yes", "on"]);
const FALSE_WORDS = new Set(["0", "false", "no", "off"]);

function parseBoolean(value: string, source: string): boolean {
  const v = value.trim().toLowerCase();
  // An empty `?read_only` is the natural way to switch a flag on in a URL.
  if (v === "" || TRUE_WORDS.has(v)) return true;
  if (FALSE_WORDS.has(v)) return false;
  throw new NarrowingSyntaxError(`${source} must be true or false (also 1/0, yes/no); given "${value}".`);
}

/**
 * Reads the narrowing a request asks for. A header wins over the query parameter of the same
 * meaning; both are accepted because some clients can set only one of them.
 */
export function parseRequestNarrowing(headers: IncomingHttpHeaders, query: Record<string, QueryValue>): RequestNarrowing {
  const out: RequestNarrowing = {};
  const toolsets = single(headers["x-mcp-toolsets"]) ?? single(query["toolsets"]);
  if (toolsets !== undefined) out.toolsets = splitList(toolsets);
  const tools = single(headers["x-mcp-tools"]) ?? single(query["tools"]);
  if (tools !== undefined) out.tools = splitList(tools);
  const headerRo = single(headers["x-mcp-readonly"]) ?? single(headers["x-mcp-read-only"]);
  if (headerRo !== undefined) out.readOnly = parseBoolean(headerRo, "X-MCP-Readonly");
  else {
    const queryRo = single(query["read_only"]) ?? single(query["readonly"]) ?? single(query["read-only"]);
    if (queryRo !== undefined) out.readOnly = parseBoolean(queryRo, "read_only");
  }
  return out;
}

/** True when the request asks for nothing beyond the endpoint's defaults (the common, cacheable case). */
export function isEmptyNarrowing(n: RequestNarrowing): boolean {
  return n.toolsets === undefined && n.tools === undefined && n.readOnly === undefined;
}

/** A stable key for caching the tool list computed for one narrowing. */
export function narrowingKey(n: RequestNarrowing): string {
  const sorted = (xs: string[] | undefined): string => (xs === undefined ? "*" : [...xs].sort().join(","));
  return `${sorted(n.toolsets)}|${sorted(n.tools)}|${n.readOnly === undefined ? "*" : String(n.readOnly)}`;
}
