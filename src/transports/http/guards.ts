/**
 * Request guards that run before any MCP handling: Host and Origin checks against DNS
 * rebinding, and the JSON-RPC shaped error replies the transport sends itself.
 *
 * The SDK's own host validation checks Host only and its transport options for it are
 * deprecated, so the checks live here, in front of every route.
 */
import type { NextFunction, Request, Response } from "express";

const LOOPBACK_HOSTNAMES = ["localhost", "127.0.0.1", "[::1]", "::1"];

export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return h === "localhost" || h === "::1" || h === "[::1]" || /^127(\.\d{1,3}){3}$/.test(h);
}

/** Splits a Host header (`name`, `name:port`, `[v6]:port`) into a lower-case name and port. */
export function splitHostHeader(host: string): { hostname: string; port?: string } {
  const h = host.trim().toLowerCase();
  if (h.startsWith("[")) {
    const end = h.indexOf("]");
    if (end < 0) return { hostname: h };
    const rest = h.slice(end + 1);
    return { hostname: h.slice(0, end + 1), ...(rest.startsWith(":") ? { port: rest.slice(1) } : {}) };
  }
  const colon = h.lastIndexOf(":");
  if (colon > 0 && h.indexOf(":") === colon) return { hostname: h.slice(0, colon), port: h.slice(colon + 1) };
  return { hostname: h };
}

/**
 * An allow-list of hosts. An entry without a port allows any port; `*` allows everything (for
 * deployments behind a proxy that already checks Host — an explicit, visible choice).
 */
export class HostAllowList {
  private readonly any: boolean;
  private readonly names = new Set<string>();
  private readonly withPort = new Set<string>();

  constructor(entries: string[]) {
    this.any = entries.includes("*");
    for (const raw of entries) {
      if (raw === "*") continue;
      const { hostname, port } = splitHostHeader(raw);
      const name = hostname === "::1" ? "[::1]" : hostname;
      if (port) this.withPort.add(`${name}:${port}`);
      else this.names.add(name);
    }
  }

  add(entry: string): void {
    const { hostname, port } = splitHostHeader(entry);
    if (port) this.withPort.add(`${hostname}:${port}`);
    else this.names.add(hostname);
  }

  allows(hostHeader: string): boolean {
    if (this.any) return true;
    const { hostname, port } = splitHostHeader(hostHeader);
    if (this.names.has(hostname)) return true;
    return port !== undefined && this.withPort.has(`${hostname}:${port}`);
  }
}

/** The default allowed hosts: loopback names on any port, plus the bound host. */
export function defaultAllowedHosts(boundHost: string): string[] {
  const out = [...LOOPBACK_HOSTNAMES];
  if (boundHost !== "0.0.0.0" && boundHost !== "::" && !out.includes(boundHost)) out.push(boundHost);
  return out;
}

/** The default allowed origins: http(s) pages served from a loopback name. */
export function defaultOriginAllowed(origin: string): boolean {
  try {
    const url = new URL(origin);
    return (url.protocol === "http:" || url.protocol === "https:") && isLoopbackHost(url.hostname);
  } catch {
    return false;
  }
}

export interface OriginPolicy {
  /** Exact origins (scheme://host[:port]); `*` allows all. Empty → loopback origins only. */
  allowedOrigins: string[];
}

export function originAllowed(origin: string, policy: OriginPolicy): boolean {
  if (policy.allowedOrigins.length === 0) return defaultOriginAllowed(origin);
  if (policy.allowedOrigins.includes("*")) return true;
  const normalised = origin.toLowerCase().replace(/\/+$/, "");
  return policy.allowedOrigins.some((o) => o.toLowerCase().replace(/\/+$/, "") === normalised);
}

/** JSON-RPC error codes used by transport-level replies. */
export const JSONRPC_PARSE_ERROR = -32700;
export const JSONRPC_INVALID_PARAMS = -32602;
/** Server-defined: transport refusals (auth, host, limits). */
export const JSONRPC_SERVER_ERROR = -32000;
export const JSONRPC_AUTH_ERROR = -32001;

export function sendJsonRpcError(res: Response, status: number, code: number, message: string, data?: unknown, headers?: Record<string, string>): void {
  if (res.headersSent) return;
  if (headers) for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.status(status).json({ jsonrpc: "2.0", error: { code, message, ...(data === undefined ? {} : { data }) }, id: null });
}

/** The guard's verdict without answering: true when hostOriginGuard would let the request through. */
export function hostAndOriginAllowed(hosts: HostAllowList, origins: OriginPolicy, headers: { host?: string; origin?: string }): boolean {
  const host = headers.host;
  if (!host || !hosts.allows(host)) return false;
  const origin = headers.origin;
  return origin === undefined || originAllowed(origin, origins);
}

export function hostOriginGuard(hosts: HostAllowList, origins: OriginPolicy): (req: Request, res: Response, next: NextFunction) => void {
  return (req, res, next) => {
    const host = req.headers.host;
    if (!host || !hosts.allows(host)) {
      sendJsonRpcError(
        res,
        403,
        JSONRPC_SERVER_ERROR,
        `Invalid Host header${host ? `: ${host.slice(0, 200)}` : " (none sent)"}. Allow it with --allowed-hosts.`,
      );
      return;
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !originAllowed(origin, origins)) {
      sendJsonRpcError(res, 403, JSONRPC_SERVER_ERROR, `Invalid Origin header: ${origin.slice(0, 200)}. Allow it with --allowed-origins.`);
      return;
    }
    next();
  };
}
