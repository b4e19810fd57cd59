/**
 * One HTTP exchange in web terms, for the SDK's web-standard handlers and transports (the
 * modern handler's `fetch`, `WebStandardStreamableHTTPServerTransport.handleRequest`): the Node
 * request as a web `Request` (method and headers; the body is already parsed and is handed over
 * alongside, never re-encoded) and the web `Response` written back to the Node response.
 *
 * This is what the SDK's Node adapters do (`toNodeHandler`, `NodeStreamableHTTPServerTransport`
 * through @hono/node-server), minus re-serialising the body, a listener built per request, and
 * a separate write for the headers of every answer: a JSON answer goes out in one write, an SSE
 * stream as its events come, events of one turn of the event loop together (a GET stream's
 * headers at once, so the client sees it open).
 */
import type { IncomingMessage, ServerResponse } from "node:http";

export interface WebExchange {
  /** Method, URL and headers of the Node request; its signal fires when the client goes away. */
  request: globalThis.Request;
  /** Writes the answer; an SSE body is streamed until it ends or the client goes away. */
  answer(response: globalThis.Response): Promise<void>;
}

export function openWebExchange(req: IncomingMessage, res: ServerResponse, onerror: (error: Error) => void): WebExchange {
  const aborted = new AbortController();
  let finished = false;
  res.on("close", () => {
    if (!finished) aborted.abort();
  });
  if (res.destroyed) aborted.abort();
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    headers.set(name, Array.isArray(value) ? value.join(", ") : value);
  }
  const method = req.method ?? "GET";
  const request = new globalThis.Request(`http://${req.headers.host ?? "localhost"}${req.url ?? "/"}`, { method, headers, signal: aborted.signal });

  return {
    request,
    async answer(response) {
      const out: Record<string, string> = {};
      for (const [name, value] of response.headers) out[name] = value;
      if (response.body === null || !(out["content-type"] ?? "").startsWith("text/event-stream")) {
        const text = response.body === null ? "" : await response.text();
        finished = true;
        if (res.destroyed) return;
        res.writeHead(response.status, { ...out, "content-length": String(Buffer.byteLength(text)) });
        res.end(text);
        return;
      }
      res.writeHead(response.status, out);
      if (method === "GET") res.flushHeaders();
      // Events that come together (a call's result, then the end of its stream) leave in one
      // write with the headers: the socket is corked until the loop yields to I/O.
      let flushing = false;
      const flushSoon = (): void => {
        if (flushing) return;
        flushing = true;
        res.cork();
        setImmediate(() => {
          flushing = false;
          res.uncork();
        });
      };
      try {
        for await (const chunk of response.body) {
          if (aborted.signal.aborted) break;
          flushSoon();
          if (!res.write(chunk)) await drained(res, aborted.signal);
        }
      } catch (err) {
        onerror(err instanceof Error ? err : new Error(String(err)));
      }
      finished = true;
      res.end();
    },
  };
}

/** Resolves once the response can take more, or the client has gone away. */
function drained(res: ServerResponse, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off("drain", done);
      signal.removeEventListener("abort", done);
      resolve();
    };
    res.on("drain", done);
    signal.addEventListener("abort", done, { once: true });
  });
}
