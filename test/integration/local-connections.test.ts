/**
 * The local API's connections: a client that sends its body too slowly (or stalls in its headers)
 * is cut off by the request timeout, an idle keep-alive connection is closed, and every client
 * abort leaves exactly one short line on stderr, never a stack (anyone can cause them).
 */
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { spawnLocalApi, startLocalApi, type SpawnedLocalApi } from "../helpers/local-api.js";

/** A raw TCP connection to the API; resolves with everything the server sent once it closes the socket. */
async function rawConnection(url: string): Promise<{ socket: Socket; closed: Promise<string> }> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  let received = "";
  socket.on("data", (c: Buffer) => (received += c.toString()));
  socket.on("error", () => {});
  const closed = new Promise<string>((resolve) => socket.once("close", () => resolve(received)));
  return { socket, closed };
}

function head(rootKey: string, contentLength: number): string {
  return (
    "POST /v2/apis.createApi HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
    `Authorization: Bearer ${rootKey}\r\nContent-Length: ${contentLength}\r\n\r\n`
  );
}

describe("over the CLI with --request-timeout 1", () => {
  let api: SpawnedLocalApi;
  beforeAll(async () => {
    api = await spawnLocalApi({ extraArgs: ["--request-timeout", "1"] });
  });
  afterAll(() => api.close());

  test("a body that never finishes arriving is answered 408 and its connection closed", async () => {
    const { socket, closed } = await rawConnection(api.url);
    socket.write(head(api.rootKey, 100));
    socket.write('{"name":"slow');
    // The test's own timeout bounds the wait: Node's default would keep this open for 5 minutes.
    expect(await closed).toMatch(/^HTTP\/1\.1 408 /);
  });

  test("headers that never finish arriving get the connection closed", async () => {
    const { socket, closed } = await rawConnection(api.url);
    socket.write("POST /v2/apis.createApi HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    // Closed by the server (this side never closes it); Node's default would wait a minute.
    expect(await closed).toMatch(/^HTTP\/1\.1 408 /);
  });

  test("each client abort is one line on stderr, with the request id and operation and no stack", async () => {
    const before = api.output().stderr;
    const aborts = 25;
    for (let i = 0; i < aborts; i++) {
      const { socket, closed } = await rawConnection(api.url);
      // `Expect: 100-continue`: the server's "100 Continue" says it has the request and is
      // reading the body, so the abort below lands mid-request whatever the machine's load.
      const reading = new Promise<void>((resolve) => socket.once("data", () => resolve()));
      socket.write(head(api.rootKey, 100).replace("\r\n\r\n", "\r\nExpect: 100-continue\r\n\r\n"));
      await reading;
      socket.write('{"name":');
      socket.destroy();
      await closed;
    }
    let lines: string[] = [];
    for (let waited = 0; waited < 5000 && lines.length < aborts; waited += 50) {
      await new Promise((r) => setTimeout(r, 50));
      lines = api
        .output()
        .stderr.slice(before.length)
        .split("\n")
        .filter((l) => l !== "");
    }
    expect(lines).toHaveLength(aborts);
    for (const line of lines) {
      expect(line).toMatch(
        /^\[unkey-local\] req_\w+ apis\.createApi: connection closed before the body arrived \(client abort or request timeout\); nothing done$/,
      );
    }
    expect(api.output().stderr).not.toMatch(/^\s+at /m);
    expect(api.output().stderr).not.toContain(api.rootKey);
  });

  test("after all that the API still answers", async () => {
    const res = await fetch(`${api.url}/v2/apis.createApi`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${api.rootKey}` },
      body: JSON.stringify({ name: "still-here" }),
    });
    expect(res.status).toBe(200);
  });
});

test("an idle keep-alive connection is closed after the keep-alive timeout", async () => {
  const api = await startLocalApi({ timeouts: { keepAliveMs: 300 } });
  try {
    const { socket, closed } = await rawConnection(api.url);
    socket.write("GET /v2/liveness HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n");
    // Answered, then left open and idle until the server's keep-alive timeout closes it.
    expect(await closed).toMatch(/^HTTP\/1\.1 200 [\s\S]*"OK"/);
  } finally {
    await api.close();
  }
});
