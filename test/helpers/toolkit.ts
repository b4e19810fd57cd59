/**
 * What every agent-toolkit test needs: the local API behind a counting proxy (so a test can say
 * "nothing reached the API"), a toolkit whose log lines are captured, direct reads of the API to
 * check what really changed, and the secrets that must never appear in a log line.
 */
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "vitest";
import { createUnkeyToolkit, type UnkeyToolkit, type UnkeyToolkitOptions } from "../../src/toolkit/toolkit.js";
import { createLogger } from "../../src/util/log.js";
import { startLocalApi, type InProcessLocalApi } from "./local-api.js";

export interface ToolkitHarness {
  api: InProcessLocalApi;
  /** The proxy's URL: what toolkits are pointed at. */
  url: string;
  /** Paths of every request that reached the API through the proxy, in order. */
  requests: string[];
  logLines: string[];
  /** Plaintext keys seen in results; none may appear in a log line. */
  secrets: Set<string>;
  /** A toolkit on this API with the all-permission root key and a capturing debug logger. */
  toolkit(options?: Partial<UnkeyToolkitOptions>): Promise<UnkeyToolkit>;
  /** POST /v2/<operation> on the API directly (not counted), with the all-permission root key. */
  read(operation: string, body: Record<string, unknown>): Promise<{ status: number; data: Record<string, unknown> }>;
  /** A new API with one key, made directly on the API (not counted); the key's plaintext is recorded as a secret. */
  freshKey(): Promise<{ apiId: string; keyId: string }>;
  /** Fails when a root key or a recorded plaintext key appears in any captured log line. */
  expectNoSecretsLogged(): void;
  close(): Promise<void>;
}

export async function startToolkitHarness(): Promise<ToolkitHarness> {
  const api = await startLocalApi();
  const target = new URL(api.url);
  const requests: string[] = [];
  const proxy: Server = createServer((req, res) => {
    requests.push(req.url ?? "");
    const forward = httpRequest(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: { ...req.headers, host: target.host } },
      (upstream) => {
        res.writeHead(upstream.statusCode ?? 502, upstream.headers);
        upstream.pipe(res);
      },
    );
    forward.on("error", () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  const logLines: string[] = [];
  const secrets = new Set<string>();
  const toolkits: UnkeyToolkit[] = [];

  const read: ToolkitHarness["read"] = async (operation, body) => {
    const res = await fetch(`${api.url}/v2/${operation}`, {
      method: "POST",
      headers: { authorization: `Bearer ${api.rootKey}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as { data?: Record<string, unknown> };
    return { status: res.status, data: json.data ?? {} };
  };
  let fixtures = 0;

  return {
    api,
    url,
    requests,
    logLines,
    secrets,
    toolkit: async (options = {}) => {
      const toolkit = await createUnkeyToolkit({
        rootKey: api.rootKey,
        baseUrl: url,
        logger: createLogger({ level: "debug", sink: (line) => logLines.push(line) }),
        ...options,
      });
      toolkits.push(toolkit);
      return toolkit;
    },
    read,
    freshKey: async () => {
      const created = await read("apis.createApi", { name: `fixture-${++fixtures}` });
      const key = await read("keys.createKey", { apiId: created.data.apiId, name: "fixture" });
      secrets.add(key.data.key as string);
      return { apiId: created.data.apiId as string, keyId: key.data.keyId as string };
    },
    expectNoSecretsLogged: () => {
      expect(logLines.length).toBeGreaterThan(0);
      const all = logLines.join("");
      expect(all).not.toContain(api.rootKey);
      for (const s of secrets) expect(all).not.toContain(s);
    },
    close: async () => {
      for (const t of toolkits) await t.close();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      await api.close();
    },
  };
}

/** The `data` a successful result's text ends with, as compact JSON (what a model reads). */
export function dataOfText(text: string): Record<string, unknown> {
  const last = text.trim().split("\n").pop() ?? "";
  return JSON.parse(last) as Record<string, unknown>;
}

/** A rate-limited key request a model would plausibly send. */
export function keyWithRateLimit(apiId: string): Record<string, unknown> {
  return { apiId, name: "agent-created", prefix: "agent", ratelimits: [{ name: "requests", limit: 2, duration: 60_000, autoApply: true }] };
}

/**
 * A recorded model response with the ids it copied from earlier tool results written as
 * `{{tool.field}}`: filled in from this run's results (the latest `data` of each tool).
 */
export function fillInRecording<T>(recorded: T, results: Map<string, Record<string, unknown>>): T {
  const json = JSON.stringify(recorded).replace(/\{\{(\w+)\.(\w+)\}\}/g, (_m, tool: string, field: string) => {
    const value = results.get(tool)?.[field];
    if (typeof value !== "string") throw new Error(`the recording needs ${tool}.${field}, which no result carried`);
    return value;
  });
  return JSON.parse(json) as T;
}
