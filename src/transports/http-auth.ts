/**
 * Which root key a streamable-HTTP request carries.
 *
 * The HTTP server holds no root key of its own: every request brings one, and the tool calls
 * it carries act with that key only. The header names are the ones mcp.unkey.com documents
 * (`MCP-UNKEY-BEARER-AUTH` for /mcp/v2, `MCP-UNKEY-V2-ROOT-KEY` for /mcp/ratelimits/), so
 * client configs written for it keep working; `Authorization: Bearer` is accepted everywhere.
 */
import type { IncomingHttpHeaders } from "node:http";

export const BEARER_AUTH_HEADER = "MCP-UNKEY-BEARER-AUTH";
export const V2_ROOT_KEY_HEADER = "MCP-UNKEY-V2-ROOT-KEY";

/** Every header a root key is looked for in, after the endpoint's own one. */
const KNOWN_KEY_HEADERS = [BEARER_AUTH_HEADER, V2_ROOT_KEY_HEADER] as const;

export type RootKeyResolution =
  | { ok: true; rootKey: string; header: string }
  | { ok: false; reason: "missing" | "unexpanded" | "malformed"; message: string };

/** `${VAR}` left literal: mcp-remote leaves a placeholder as is when the variable is unset. */
const UNEXPANDED = /^\$\{([^}]*)\}$|^\$([A-Za-z_][A-Za-z0-9_]*)$|^%([A-Za-z_][A-Za-z0-9_]*)%$/;

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Strips whitespace and one leading `Bearer ` (any case): clients send both shapes. */
export function normalizeKeyValue(raw: string): string {
  const trimmed = raw.trim();
  const match = /^bearer\s+/i.exec(trimmed);
  return (match ? trimmed.slice(match[0].length) : trimmed).trim();
}

/**
 * Reads the root key of one request. `primaryHeader` is the endpoint's documented header; the
 * error messages name it, because that is what the person has to put in the client config.
 */
export function resolveRootKeyFromHeaders(headers: IncomingHttpHeaders, primaryHeader: string): RootKeyResolution {
  const order = [primaryHeader, ...KNOWN_KEY_HEADERS.filter((h) => h !== primaryHeader), "Authorization"];
  for (const name of order) {
    // Node lower-cases incoming header names, which makes the lookup case-insensitive.
    const raw = firstValue(headers[name.toLowerCase()]);
    if (raw === undefined || raw.trim() === "") continue;
    if (name === "Authorization" && !/^\s*bearer\s+/i.test(raw)) {
      return {
        ok: false,
        reason: "malformed",
        message: `The Authorization header must be "Bearer <root key>"; send the root key in the ${primaryHeader} header or as Authorization: Bearer <root key>.`,
      };
    }
    const value = normalizeKeyValue(raw);
    const placeholder = UNEXPANDED.exec(value);
    if (placeholder) {
      const variable = placeholder[1] ?? placeholder[2] ?? placeholder[3] ?? "";
      return {
        ok: false,
        reason: "unexpanded",
        message:
          `The ${name} header carries the unexpanded placeholder "${value}": the environment variable ${variable} ` +
          `is not set where the MCP client runs. Set ${variable} to your Unkey root key (for mcp-remote, in the "env" block of the client config).`,
      };
    }
    if (value === "") continue;
    if (/\s/.test(value)) {
      return {
        ok: false,
        reason: "malformed",
        message: `The ${name} header must hold a single root key (optionally prefixed with "Bearer "); the value contains whitespace.`,
      };
    }
    return { ok: true, rootKey: value, header: name };
  }
  return {
    ok: false,
    reason: "missing",
    message:
      `Missing Unkey root key: send it in the ${primaryHeader} header (e.g. "${primaryHeader}: unkey_…") ` +
      `or as "Authorization: Bearer <root key>".`,
  };
}
