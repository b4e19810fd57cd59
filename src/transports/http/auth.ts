/**
 * Which root key a streamable-HTTP request carries.
 *
 * The HTTP server holds no root key of its own: every request brings one, and the tool calls
 * it carries act with that key only. The header names are the ones mcp.unkey.com documents
 * (`MCP-UNKEY-BEARER-AUTH` for /mcp/v2, `MCP-UNKEY-V2-ROOT-KEY` for /mcp/ratelimits/), so
 * client configs written for it keep working; `Authorization: Bearer` is accepted everywhere.
 */
import type { IncomingHttpHeaders } from "node:http";
import { describeUnexpanded, normaliseRootKey } from "../../util/root-key.js";

export const BEARER_AUTH_HEADER = "MCP-UNKEY-BEARER-AUTH";
export const V2_ROOT_KEY_HEADER = "MCP-UNKEY-V2-ROOT-KEY";

/** Every header a root key is looked for in, after the endpoint's own one. */
const KNOWN_KEY_HEADERS = [BEARER_AUTH_HEADER, V2_ROOT_KEY_HEADER] as const;

export type RootKeyResolution = { ok: true; rootKey: string; header: string } | { ok: false; reason: "missing" | "unexpanded" | "malformed"; message: string };

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
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
    if (name === "Authorization" && !/^\s*bearer(\s+|$)/i.test(raw)) {
      return {
        ok: false,
        reason: "malformed",
        message: `The Authorization header must be "Bearer <root key>"; send the root key in the ${primaryHeader} header or as Authorization: Bearer <root key>.`,
      };
    }
    const check = normaliseRootKey(raw);
    if (check.ok) return { ok: true, rootKey: check.key, header: name };
    if (check.reason === "missing") continue;
    if (check.reason === "unexpanded") {
      return {
        ok: false,
        reason: "unexpanded",
        message: `${describeUnexpanded(check, `The ${name} header`)} For mcp-remote, set it in the "env" block of the MCP client config.`,
      };
    }
    return {
      ok: false,
      reason: "malformed",
      message: `The ${name} header must hold a single root key (optionally prefixed with "Bearer "): ${check.problem}.`,
    };
  }
  return {
    ok: false,
    reason: "missing",
    message: `Missing Unkey root key: send it in the ${primaryHeader} header (e.g. "${primaryHeader}: unkey_…") or as "Authorization: Bearer <root key>".`,
  };
}
