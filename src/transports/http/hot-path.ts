/**
 * The Node request listener in front of express. A POST to an endpoint's exact path (no query
 * string) that passes the Host/Origin guard has its body read by the express route's own body
 * parser (same limit, same errors), and the endpoint serves it on a direct path (2026-07-28,
 * a 2025 session, or 2025 `--stateless`) when it is a plain read call or list whose admission
 * passes. Express's per-request
 * setup and router walk cost more CPU than that answer; everything else (every other method or
 * era, every refusal, every body error) goes to express, which answers exactly as before: the
 * body is already parsed, and a body error is handed to the error handler unchanged.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { NextFunction, Request, Response } from "express";
import type { Logger } from "../../util/log.js";
import type { EndpointHandler } from "./endpoint.js";
import { hostAndOriginAllowed, type HostAllowList, type OriginPolicy } from "./guards.js";
import type { HttpMetrics } from "./metrics.js";

/** Where the hot path leaves a body error for the express app to answer. */
const BODY_ERROR = Symbol("unkey-mcp.bodyError");

type HotRequest = IncomingMessage & { body?: unknown; [BODY_ERROR]?: unknown };

type BodyParser = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

export interface HotPathOptions {
  handlers: readonly EndpointHandler[];
  allowedHosts: HostAllowList;
  originPolicy: OriginPolicy;
  jsonBody: BodyParser;
  /** The express app: serves everything the hot path does not. */
  app: (req: IncomingMessage, res: ServerResponse) => void;
  metrics: HttpMetrics;
  logger: Logger;
}

/** Both spellings of an endpoint path (with and without the trailing slash). */
export function endpointPaths(path: string): string[] {
  return [path, path.endsWith("/") ? path.slice(0, -1) : `${path}/`];
}

export function createHotPathListener(options: HotPathOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { allowedHosts, originPolicy, jsonBody, app, metrics, logger } = options;
  const routes = new Map<string, EndpointHandler>();
  for (const h of options.handlers) for (const p of endpointPaths(h.endpoint.spec.path)) routes.set(p, h);

  return (req, res) => {
    const handler = req.method === "POST" ? routes.get(req.url ?? "") : undefined;
    if (!handler || !hostAndOriginAllowed(allowedHosts, originPolicy, req.headers)) {
      app(req, res);
      return;
    }
    const route = handler.endpoint.spec.path;
    const toExpress = (err?: unknown): void => {
      if (err !== undefined) {
        if (res.headersSent) {
          logger.error("unhandled error in HTTP request", { error: err instanceof Error ? err.message : String(err) });
          res.destroy();
          return;
        }
        (req as HotRequest)[BODY_ERROR] = err;
      }
      app(req, res);
    };
    jsonBody(req, res, (err?: unknown) => {
      if (err !== undefined) {
        toExpress(err);
        return;
      }
      handler.tryDirect(req as HotRequest, res).then((served) => {
        if (!served) toExpress();
        // Express counts what it answers; the hot path counts what it answered itself.
        else if (res.writableFinished) metrics.requests.inc({ route, method: "POST", status: String(res.statusCode) });
        else res.once("finish", () => metrics.requests.inc({ route, method: "POST", status: String(res.statusCode) }));
      }, toExpress);
    });
  };
}

/** The express middleware that answers a body error the hot path met (413, -32700) through the error handler. */
export function hotPathBodyError(req: Request, _res: Response, next: NextFunction): void {
  const err = (req as HotRequest)[BODY_ERROR];
  if (err === undefined) {
    next();
    return;
  }
  (req as HotRequest)[BODY_ERROR] = undefined;
  next(err);
}
