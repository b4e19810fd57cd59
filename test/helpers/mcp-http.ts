/**
 * Spawns the built HTTP server (`node dist/cli.js http --port 0 …`) as a child process, waits for
 * the address it prints on stdout, and keeps its stderr (the logs) for secret checks.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CLI, PROJECT_ROOT } from "./mcp-stdio.js";

export interface SpawnedHttpServer {
  /** Base URL, e.g. http://127.0.0.1:51234 (endpoints are below it: /mcp/v2, /mcp/ratelimits/). */
  url: string;
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** True while the process runs. */
  alive(): boolean;
  close(): Promise<void>;
}

/** The environment for the server: ours minus anything that would change its configuration. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith("UNKEY_")) env[k] = v;
  }
  return env;
}

/** `node dist/cli.js http --port 0 --api-url <apiUrl> …flags`, resolved once it listens. */
export async function spawnHttpServer(apiUrl: string, flags: string[] = [], env: Record<string, string> = {}): Promise<SpawnedHttpServer> {
  const child = spawn(process.execPath, [CLI, "http", "--port", "0", "--api-url", apiUrl, ...flags], {
    env: { ...baseEnv(), ...env },
    stdio: ["ignore", "pipe", "pipe"],
    cwd: PROJECT_ROOT,
  });
  let out = "";
  let err = "";
  child.stderr!.on("data", (c: Buffer) => (err += c.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`HTTP server did not start in 30 s\nstdout: ${out}\nstderr: ${err}`)), 30_000);
    child.stdout!.on("data", (c: Buffer) => {
      out += c.toString();
      const m = /listening on (http:\/\/[^\s/]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`HTTP server exited early (code ${code}, signal ${signal})\nstdout: ${out}\nstderr: ${err}`));
    });
  });
  return {
    url,
    child,
    stdout: () => out,
    stderr: () => err,
    alive: () => child.exitCode === null && child.signalCode === null,
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

/** An SDK Client connected over streamable HTTP with these request headers. */
export async function connectHttpClient(url: string, headers: Record<string, string>): Promise<Client> {
  const client = new Client({ name: "http-e2e", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return client;
}
