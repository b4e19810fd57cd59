/**
 * Two HTTP servers over one local API and one runtime, one with the direct paths and one that
 * sends every request through the SDK (`directPaths: false`), for the parity tests that compare
 * their answers byte for byte.
 */
import { expect } from "vitest";
import { parseConfig } from "../../src/config.js";
import { createLocalApi, type LocalApi } from "../../src/local/server.js";
import { createRuntime, type Runtime } from "../../src/runtime.js";
import { startHttpServer, type RunningHttpServer } from "../../src/transports/http/server.js";
import { createLogger } from "../../src/util/log.js";
import { randomRootKey } from "./local-api.js";

export interface ParityPair {
  local: LocalApi;
  runtime: Runtime;
  /** The server with the direct paths. */
  direct: RunningHttpServer;
  /** The server without them: the SDK answers everything. */
  sdk: RunningHttpServer;
  rootKey: string;
  /** An API that exists, for read calls. */
  apiId: string;
  close(): Promise<void>;
}

/** `flags` are extra `unkey-mcp http` flags; `beforeStart` may wrap the runtime before either server starts. */
export async function startParityPair(flags: string[] = [], beforeStart?: (runtime: Runtime) => void): Promise<ParityPair> {
  const rootKey = randomRootKey();
  const local = await createLocalApi({ memory: true, rootKey, port: 0, validateResponses: true });
  const config = parseConfig("http", ["--port", "0", "--api-url", local.url, ...flags], {});
  const logger = createLogger({ level: "error", format: "json", sink: () => undefined });
  const runtime = await createRuntime(config, logger);
  beforeStart?.(runtime);
  const direct = await startHttpServer({ config, logger, runtime });
  const sdk = await startHttpServer({ config, logger, runtime, directPaths: false });
  const res = await fetch(`${local.url}/v2/apis.createApi`, {
    method: "POST",
    headers: { authorization: `Bearer ${rootKey}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "parity" }),
  });
  const apiId = ((await res.json()) as { data: { apiId: string } }).data.apiId;
  return {
    local,
    runtime,
    direct,
    sdk,
    rootKey,
    apiId,
    async close() {
      await direct.close();
      await sdk.close();
      await runtime.close();
      await local.close();
    },
  };
}

/**
 * Sends every case to both servers (the SDK's first) and expects the same answer from each, and
 * the direct path taken exactly for the cases marked `direct` (`taken()` counts its requests).
 */
export async function expectSameAnswers<C extends { name: string; direct: boolean }>(
  pair: Pick<ParityPair, "direct" | "sdk">,
  cases: C[],
  send: (server: RunningHttpServer, c: C) => Promise<unknown>,
  taken: () => number,
): Promise<void> {
  for (const c of cases) {
    const viaSdk = await send(pair.sdk, c);
    const before = taken();
    const viaDirect = await send(pair.direct, c);
    expect(viaDirect, c.name).toEqual(viaSdk);
    expect(taken() > before, `${c.name}: direct path taken`).toBe(c.direct);
  }
}
