/**
 * Per-request tool narrowing for the HTTP transport: `X-MCP-Toolsets`, `X-MCP-Tools`,
 * `X-MCP-Readonly` headers or `?toolsets=&tools=&read_only=` query parameters.
 *
 * This module only parses what the request asked for; whether that is allowed (known names,
 * never wider than the server's flags) is the catalog's decision (`narrowSelection`).
 */
import type { IncomingHttpHeaders } from "node:http";
import { BOOLEAN_WORDS, parseBooleanWord, splitList } from "../../config.js";

export interface RequestNarrowing {
  toolsets?: string[];
  tools?: string[];
  readOnly?: boolean;
}

export class NarrowingSyntaxError extends Error {
  constructor(
    message: string,
    /** Machine-readable details for the JSON-RPC error's `data`. */
    readonly data?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "NarrowingSyntaxError";
  }
}

type QueryValue = string | string[] | undefined;

/** The read-only switch and its accepted spellings. */
const READ_ONLY_PARAMS = ["read_only", "readonly", "read-only"] as const;
/** Every query parameter an MCP endpoint understands; anything else is refused, never ignored. */
export const QUERY_PARAMETERS: readonly string[] = ["toolsets", "tools", ...READ_ONLY_PARAMS];

function single(value: string | string[] | undefined): string | undefined {
  if (Array.isArray(value)) return value.join(",");
  return value;
}

function parseBoolean(value: string, source: string): boolean {
  // An empty `?read_only` is the natural way to switch a flag on in a URL.
  const b = parseBooleanWord(value, true);
  if (b === undefined) throw new NarrowingSyntaxError(`${source} must be ${BOOLEAN_WORDS}; given "${value}".`);
  return b;
}

/**
 * Reads the narrowing a request asks for. A header wins over the query parameter of the same
 * meaning; both are accepted because some clients can set only one of them. An unknown query
 * parameter is an error: a typo such as `?read_onyl=true` must not silently serve every tool.
 */
export function parseRequestNarrowing(headers: IncomingHttpHeaders, query: Record<string, QueryValue>): RequestNarrowing {
  const unknown = Object.keys(query).filter((k) => !QUERY_PARAMETERS.includes(k));
  if (unknown.length > 0) {
    throw new NarrowingSyntaxError(
      `Unknown query parameter${unknown.length === 1 ? "" : "s"} ${unknown.map((k) => JSON.stringify(k)).join(", ")}; this endpoint accepts ${QUERY_PARAMETERS.join(", ")}.`,
      { given: unknown, valid: [...QUERY_PARAMETERS] },
    );
  }
  const out: RequestNarrowing = {};
  const toolsetsHeader = single(headers["x-mcp-toolsets"]);
  const toolsets = toolsetsHeader ?? single(query.toolsets);
  if (toolsets !== undefined) out.toolsets = nonEmptyList(toolsets, toolsetsHeader !== undefined ? "X-MCP-Toolsets" : "toolsets");
  const toolsHeader = single(headers["x-mcp-tools"]);
  const tools = toolsHeader ?? single(query.tools);
  if (tools !== undefined) out.tools = nonEmptyList(tools, toolsHeader !== undefined ? "X-MCP-Tools" : "tools");
  const headerRo = single(headers["x-mcp-readonly"]) ?? single(headers["x-mcp-read-only"]);
  if (headerRo !== undefined) out.readOnly = parseBoolean(headerRo, "X-MCP-Readonly");
  else {
    const param = READ_ONLY_PARAMS.find((p) => query[p] !== undefined);
    if (param !== undefined) out.readOnly = parseBoolean(single(query[param]) ?? "", param);
  }
  return out;
}

/**
 * A narrowing list that names at least one entry. An empty value (`?tools=`, `X-MCP-Tools: , ,`)
 * is refused like an unknown name: read as "no filter" it would silently serve every tool.
 */
function nonEmptyList(value: string, source: string): string[] {
  const list = splitList(value);
  if (list.length === 0) {
    throw new NarrowingSyntaxError(
      `${source} names no entry (given ${JSON.stringify(value)}); list one or more names separated by commas, or leave it out to get every tool.`,
      {
        field: source,
        given: value,
      },
    );
  }
  return list;
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
