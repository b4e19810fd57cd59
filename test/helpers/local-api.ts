/**
 * Starts the local Unkey-compatible API for tests: in-process (fast, in memory, random port) or as
 * a child process through the real CLI (`node dist/cli.js local …`, needs `npm run build`).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { createLocalApi, type LocalApiOptions } from "../../src/local/server.js";
import { createRootKey, revokeRootKey } from "../../src/local/root-keys.js";
import { hashKey } from "../../src/local/ids.js";
import { findRootKeyByHash } from "../../src/local/store/root-keys.js";
import type { Store } from "../../src/local/store/store.js";
import type { OperationId, ResponseBody } from "../../src/local/handlers/types.js";
import type { components } from "../../src/schemas/unkey.js";

/**
 * A local API response body as a raw-HTTP test reads it: the operation's 200 body (`meta`, `data`,
 * `pagination` where it has one) and, on an error status, `error`. Both halves are typed so a test
 * can read the one its status assertion has pinned down; the absent half is undefined at run time,
 * so reading into it throws and fails the test.
 */
export type ApiBody<Op extends OperationId> = ResponseBody<Op> & { error: components["schemas"]["ErrorDetail"] };

export interface LocalApiHandle {
  /** Base URL, e.g. http://127.0.0.1:53121 (give it to the SDK as serverURL). */
  url: string;
  /** A root key holding every permission. */
  rootKey: string;
  dataDir?: string;
  close(): Promise<void>;
}

export interface InProcessLocalApi extends LocalApiHandle {
  /** The open store (for in-process checks such as the rate-limit counters). */
  store: Store;
  /** A new root key holding exactly these permissions (what `local root-key create` does). */
  createRootKey(permissions: string[], name?: string): string;
  /** Revokes a root key by its plaintext; later requests with it get 401. */
  revokeRootKey(key: string): void;
}

export interface StartLocalApiOptions {
  /** Persist to this directory instead of memory. */
  dataDir?: string;
  /** Honour X-Test-Time (default true in tests). */
  testClock?: boolean;
  /** Seed this root key (default: a fresh random one). */
  rootKey?: string;
  /** Check every 2xx response against the contract and answer 500 on drift (default true). */
  validateResponses?: boolean;
  /** Connection timeouts (default: the server's). */
  timeouts?: LocalApiOptions["timeouts"];
}

export function randomRootKey(): string {
  return `unkey_test${randomBytes(12).toString("hex")}`;
}

/** The local API in this process, in memory unless `dataDir` is given, on a free port. */
export async function startLocalApi(opts: StartLocalApiOptions = {}): Promise<InProcessLocalApi> {
  const rootKey = opts.rootKey ?? randomRootKey();
  const api = await createLocalApi({
    memory: opts.dataDir === undefined,
    dataDir: opts.dataDir,
    rootKey,
    testClock: opts.testClock ?? true,
    port: 0,
    validateResponses: opts.validateResponses ?? true,
    timeouts: opts.timeouts,
    onError: (message, err) => process.stderr.write(`[local-api] ${message}: ${(err as Error)?.stack ?? String(err)}\n`),
  });
  return {
    url: api.url,
    rootKey,
    dataDir: opts.dataDir,
    store: api.store,
    close: () => api.close(),
    createRootKey: (permissions, name) => createRootKey(api.store, { permissions, name, now: Date.now() }).key,
    revokeRootKey: (key) => {
      const row = findRootKeyByHash(api.store, hashKey(key));
      if (!row) throw new Error("no such root key");
      revokeRootKey(api.store, row.id, Date.now());
    },
  };
}

export interface SpawnedLocalApi extends LocalApiHandle {
  child: ChildProcess;
  /** Everything the process wrote so far. */
  output(): { stdout: string; stderr: string };
}

export const CLI_PATH = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));

/**
 * `node dist/cli.js local --port 0 --root-key K [--memory | --data-dir D] [--test-clock]`, resolved
 * once the process prints its base URL. `close()` sends SIGTERM and waits for the exit.
 */
export async function spawnLocalApi(opts: { dataDir?: string; testClock?: boolean; rootKey?: string; extraArgs?: string[] } = {}): Promise<SpawnedLocalApi> {
  const rootKey = opts.rootKey ?? randomRootKey();
  const args = [CLI_PATH, "local", "--port", "0", "--root-key", rootKey];
  if (opts.dataDir) args.push("--data-dir", opts.dataDir);
  else args.push("--memory");
  if (opts.testClock ?? true) args.push("--test-clock");
  args.push(...(opts.extraArgs ?? []));
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`local API did not start in 30 s\nstdout: ${stdout}\nstderr: ${stderr}`)), 30_000);
    child.stdout!.on("data", (c: Buffer) => {
      stdout += c.toString();
      const m = /listening on (http:\/\/\S+)/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`local API exited early (code ${code}, signal ${signal})\nstdout: ${stdout}\nstderr: ${stderr}`));
    });
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
  return {
    url,
    rootKey,
    dataDir: opts.dataDir,
    child,
    output: () => ({ stdout, stderr }),
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
