/**
 * The Unkey client against a deliberately faulty HTTP server: each test scripts the answers and
 * counts what actually arrived, so retry rules are checked by effect, not by implementation.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createUnkeyClient, retryAfterMs, UnkeyNetworkError, UnkeyRequestBodyError, type UnkeyClient } from "../../src/client/unkey-client.js";

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

type Step = (res: ServerResponse, req: IncomingMessage) => void;

interface Faulty {
  url: string;
  seen: Seen[];
  close(): Promise<void>;
}

async function faultyServer(steps: Step[]): Promise<Faulty> {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      const step = steps[Math.min(seen.length - 1, steps.length - 1)];
      step(res, req);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}): Step =>
  (res) => {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  };
const ok = json(200, { meta: { requestId: "req_ok" }, data: { fine: true } });
const boom = json(500, { meta: { requestId: "req_500" }, error: { title: "Internal Server Error", detail: "boom", status: 500, type: "x" } });
const destroy: Step = (res) => res.socket?.destroy();

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setup(steps: Step[], opts: Partial<Parameters<typeof createUnkeyClient>[0]> = {}): Promise<{ server: Faulty; client: UnkeyClient }> {
  const server = await faultyServer(steps);
  const client = createUnkeyClient({ baseUrl: server.url, backoffMs: 1, ...opts });
  cleanups.push(
    () => server.close(),
    () => client.close(),
  );
  return { server, client };
}

describe("UnkeyClient", () => {
  it("refuses a body JSON cannot carry (a cycle, a BigInt) before sending anything, as a body error, not a network error", async () => {
    const { server, client } = await setup([ok]);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const body of [{ n: BigInt(1) }, cyclic]) {
      const err = await client.request({ path: "/v2/keys.createKey", body, rootKey: "root_abc", safety: "write" }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnkeyRequestBodyError);
      expect(err).not.toBeInstanceOf(UnkeyNetworkError);
      expect((err as Error).message).toContain("nothing was sent");
    }
    expect(server.seen).toHaveLength(0);
  });

  it("POSTs JSON with the bearer root key and returns status, body and request id", async () => {
    const { server, client } = await setup([ok]);
    const res = await client.request({ path: "/v2/apis.getApi", body: { apiId: "api_1" }, rootKey: "root_abc", safety: "read" });
    expect(res).toMatchObject({ status: 200, requestId: "req_ok", attempts: 1, body: { data: { fine: true } } });
    expect(server.seen).toHaveLength(1);
    expect(server.seen[0]).toMatchObject({ method: "POST", url: "/v2/apis.getApi", body: '{"apiId":"api_1"}' });
    expect(server.seen[0].headers.authorization).toBe("Bearer root_abc");
    expect(server.seen[0].headers["content-type"]).toBe("application/json");
  });

  it("keeps a path prefix of the base URL", async () => {
    const server = await faultyServer([ok]);
    const client = createUnkeyClient({ baseUrl: `${server.url}/proxy/` });
    cleanups.push(
      () => server.close(),
      () => client.close(),
    );
    await client.request({ path: "/v2/keys.getKey", body: {}, safety: "read" });
    expect(server.seen[0].url).toBe("/proxy/v2/keys.getKey");
  });

  it("retries a read on 5xx, at most twice", async () => {
    const { server, client } = await setup([boom, boom, boom, ok]);
    const res = await client.request({ path: "/v2/keys.getKey", body: {}, safety: "read" });
    expect(res.status).toBe(500);
    expect(res.attempts).toBe(3);
    expect(server.seen).toHaveLength(3);
  });

  it("succeeds when a retried read recovers", async () => {
    const { server, client } = await setup([boom, ok]);
    const res = await client.request({ path: "/v2/keys.getKey", body: {}, safety: "read" });
    expect(res.status).toBe(200);
    expect(server.seen).toHaveLength(2);
  });

  it.each(["write", "destructive", "consume"] as const)("never retries a %s request that reached the server", async (safety) => {
    const { server, client } = await setup([boom, ok]);
    const res = await client.request({ path: "/v2/keys.createKey", body: {}, safety });
    expect(res.status).toBe(500);
    expect(server.seen).toHaveLength(1);
  });

  it.each(["write", "consume"] as const)("does not retry a %s request whose connection dropped mid-flight", async (safety) => {
    const { server, client } = await setup([destroy, ok]);
    await expect(client.request({ path: "/v2/keys.deleteKey", body: {}, safety })).rejects.toBeInstanceOf(UnkeyNetworkError);
    expect(server.seen).toHaveLength(1);
  });

  it("retries a read whose connection dropped", async () => {
    const { server, client } = await setup([destroy, ok]);
    const res = await client.request({ path: "/v2/keys.getKey", body: {}, safety: "read" });
    expect(res.status).toBe(200);
    expect(server.seen).toHaveLength(2);
  });

  it("honours a short Retry-After on 429 for reads", async () => {
    const limited = json(
      429,
      { meta: { requestId: "r" }, error: { title: "Too Many Requests", detail: "slow down", status: 429, type: "t" } },
      { "retry-after": "0" },
    );
    const { server, client } = await setup([limited, ok]);
    const res = await client.request({ path: "/v2/keys.getKey", body: {}, safety: "read" });
    expect(res.status).toBe(200);
    expect(server.seen).toHaveLength(2);
  });

  it("returns a 429 with a long Retry-After instead of waiting", async () => {
    const limited = json(429, { error: { title: "Too Many Requests" } }, { "retry-after": "120" });
    const { server, client } = await setup([limited, ok]);
    const res = await client.request({ path: "/v2/keys.getKey", body: {}, safety: "read" });
    expect(res.status).toBe(429);
    expect(res.headers["retry-after"]).toBe("120");
    expect(server.seen).toHaveLength(1);
  });

  it("does not retry a 429 for a consume request", async () => {
    const limited = json(429, { error: { title: "Too Many Requests" } }, { "retry-after": "0" });
    const { server, client } = await setup([limited, ok]);
    const res = await client.request({ path: "/v2/ratelimit.limit", body: {}, safety: "consume" });
    expect(res.status).toBe(429);
    expect(server.seen).toHaveLength(1);
  });

  it("turns a refused connection into a typed connect error after retrying", async () => {
    const server = await faultyServer([ok]);
    const url = server.url;
    await server.close();
    const client = createUnkeyClient({ baseUrl: url, backoffMs: 1 });
    cleanups.push(() => client.close());
    const err = (await client.request({ path: "/v2/apis.createApi", body: {}, safety: "write" }).catch((e: unknown) => e)) as UnkeyNetworkError;
    expect(err).toBeInstanceOf(UnkeyNetworkError);
    expect(err.kind).toBe("connect");
    expect(err.code).toBe("ECONNREFUSED");
    // Never sent, so even a write may be retried safely.
    expect(err.attempts).toBe(3);
  });

  it("times out a request that gets no answer", async () => {
    const { client } = await setup([() => undefined], { requestTimeoutMs: 200 });
    const err = (await client.request({ path: "/v2/keys.createKey", body: {}, safety: "write" }).catch((e: unknown) => e)) as UnkeyNetworkError;
    expect(err).toBeInstanceOf(UnkeyNetworkError);
    expect(err.kind).toBe("timeout");
    expect(err.attempts).toBe(1);
  });

  it("never retries a read that timed out: one call waits at most one request timeout", async () => {
    const { server, client } = await setup([() => undefined], { requestTimeoutMs: 150 });
    const err = (await client.request({ path: "/v2/keys.getKey", body: {}, safety: "read" }).catch((e: unknown) => e)) as UnkeyNetworkError;
    expect(err).toBeInstanceOf(UnkeyNetworkError);
    expect(err.kind).toBe("timeout");
    expect(err.attempts).toBe(1);
    expect(server.seen).toHaveLength(1);
  });

  it("stops when the caller cancels", async () => {
    const { client } = await setup([() => undefined]);
    const ac = new AbortController();
    const pending = client.request({ path: "/v2/keys.getKey", body: {}, safety: "read", signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    const err = (await pending.catch((e: unknown) => e)) as UnkeyNetworkError;
    expect(err.kind).toBe("aborted");
  });

  // A body that keeps arriving, a little at a time: undici's bodyTimeout restarts with every chunk,
  // so only the client's own timer and abort signal end these.
  const drip: Step = (res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.write('{"meta":{"requestId":"req_drip"},"data":"');
    const timer = setInterval(() => res.write("x"), 20);
    res.on("close", () => clearInterval(timer));
  };

  it("times out a body that never finishes (without the client's own timer it would drip forever)", async () => {
    const { client } = await setup([drip], { requestTimeoutMs: 300 });
    const err = (await client.request({ path: "/v2/keys.getKey", body: {}, safety: "read" }).catch((e: unknown) => e)) as UnkeyNetworkError;
    expect(err).toBeInstanceOf(UnkeyNetworkError);
    expect(err.kind).toBe("timeout");
    expect(err.attempts).toBe(1);
  });

  it("stops when the caller cancels while the body is arriving", async () => {
    const { client } = await setup([drip]);
    const ac = new AbortController();
    const pending = client.request({ path: "/v2/keys.getKey", body: {}, safety: "read", signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    const err = (await pending.catch((e: unknown) => e)) as UnkeyNetworkError;
    expect(err.kind).toBe("aborted");
  });

  it("returns a non-JSON body as text", async () => {
    const { client } = await setup([
      (res) => {
        res.writeHead(502, { "content-type": "text/html" });
        res.end("<h1>bad gateway</h1>");
      },
    ]);
    const res = await client.request({ path: "/v2/keys.createKey", body: {}, safety: "write" });
    expect(res.status).toBe(502);
    expect(res.body).toBe("<h1>bad gateway</h1>");
  });
});

describe("retryAfterMs", () => {
  it("reads seconds, milliseconds and HTTP dates", () => {
    expect(retryAfterMs({ "retry-after": "3" })).toBe(3000);
    expect(retryAfterMs({ "retry-after-ms": "250" })).toBe(250);
    expect(retryAfterMs({})).toBeUndefined();
    expect(retryAfterMs({ "retry-after": "soon" })).toBeUndefined();
    const inFuture = new Date(Date.now() + 60_000).toUTCString();
    expect(retryAfterMs({ "retry-after": inFuture })).toBeGreaterThan(50_000);
  });
});
