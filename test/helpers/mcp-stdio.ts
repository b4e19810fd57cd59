/**
 * Spawns the built server (`node dist/cli.js …`) and connects the SDK Client over stdio.
 *
 * Every server's stderr is kept for the whole test file, together with every secret the tests
 * handled (root keys, plaintext API keys), so a file can assert at the end that no secret ever
 * reached the server's logs: `expectNoSecretsInServerStderr()` in an afterAll.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ElicitRequestSchema, type CallToolResult, type ElicitRequest, type ElicitResult } from "@modelcontextprotocol/sdk/types.js";
import { expect } from "vitest";

import { CLI_PATH } from "./local-api.js";

/** The built CLI every end-to-end test spawns (one definition, in local-api.ts). */
export const CLI = CLI_PATH;
export const PROJECT_ROOT = fileURLToPath(new URL("../..", import.meta.url));

const stderrLogs: Array<{ label: string; text: () => string }> = [];
const secrets = new Set<string>();

/** Remember a value that must never appear in any server's stderr. */
export function rememberSecret(value: string | undefined): void {
  if (value && value.length >= 8) secrets.add(value);
}

/** Adds the stderr of a process started elsewhere (e.g. through the Inspector) to the secret check. */
export function recordStderr(label: string, text: () => string): void {
  stderrLogs.push({ label, text });
}

export interface StdioServer {
  client: Client;
  /** Everything the server wrote to stderr so far. */
  stderr(): string;
  close(): Promise<void>;
}

export interface StdioServerOptions {
  /** UNKEY_ROOT_KEY; omitted when undefined. */
  rootKey?: string;
  apiUrl?: string;
  args?: string[];
  env?: Record<string, string>;
  /** Declare form elicitation and answer `elicitation/create` requests with this function. */
  onElicit?: (params: ElicitRequest["params"]) => Promise<ElicitResult>;
}

/** The environment for the server: ours minus anything that would change its configuration. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith("UNKEY_")) env[k] = v;
  }
  return env;
}

export async function startStdioServer(opts: StdioServerOptions = {}): Promise<StdioServer> {
  rememberSecret(opts.rootKey);
  const env = { ...baseEnv(), ...(opts.env ?? {}) };
  if (opts.rootKey !== undefined) env.UNKEY_ROOT_KEY = opts.rootKey;
  if (opts.apiUrl !== undefined) env.UNKEY_API_URL = opts.apiUrl;
  // A temp folder of its own, removed on close: `--secrets mask` writes plaintext keys under it.
  const ownTmp = opts.env?.TMPDIR === undefined ? mkdtempSync(join(tmpdir(), "unkey-mcp-e2e-tmp-")) : undefined;
  if (ownTmp) env.TMPDIR = ownTmp;
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, ...(opts.args ?? [])], env, stderr: "pipe", cwd: PROJECT_ROOT });
  let err = "";
  transport.stderr?.on("data", (c: Buffer) => (err += c.toString()));
  stderrLogs.push({ label: `dist/cli.js ${(opts.args ?? []).join(" ")}`, text: () => err });
  const client = new Client({ name: "unkey-mcp-e2e", version: "1.0.0" }, opts.onElicit ? { capabilities: { elicitation: { form: {} } } } : undefined);
  const onElicit = opts.onElicit;
  if (onElicit) client.setRequestHandler(ElicitRequestSchema, (req) => onElicit(req.params));
  try {
    await client.connect(transport);
  } catch (e) {
    throw new Error(`server did not start: ${(e as Error).message}\nstderr:\n${err}`);
  }
  const close = async (): Promise<void> => {
    await client.close();
    if (ownTmp) rmSync(ownTmp, { recursive: true, force: true });
  };
  return { client, stderr: () => err, close };
}

/** Runs the CLI to completion (for startup errors): exit code, stdout and stderr. */
export function runCli(args: string[], env: Record<string, string> = {}, timeoutMs = 20_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...baseEnv(), ...env }, stdio: ["pipe", "pipe", "pipe"], cwd: PROJECT_ROOT });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    stderrLogs.push({ label: `dist/cli.js ${args.join(" ")}`, text: () => stderr });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`unkey-mcp ${args.join(" ")} did not exit in ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end();
  });
}

/** Asserts that no remembered secret appears in anything any server wrote to stderr. */
export function expectNoSecretsInServerStderr(): void {
  expect(stderrLogs.length, "no server was started").toBeGreaterThan(0);
  for (const log of stderrLogs) {
    const text = log.text();
    for (const s of secrets) {
      expect(text.includes(s), `a secret (${s.slice(0, 6)}…) appeared in the stderr of ${log.label}`).toBe(false);
    }
  }
}

/** How many secrets and server logs the check covered (to prove it checked something). */
export function secretCheckCoverage(): { secrets: number; logs: number; bytes: number } {
  return { secrets: secrets.size, logs: stderrLogs.length, bytes: stderrLogs.reduce((n, l) => n + l.text().length, 0) };
}

/** Calls a tool and returns the result with a `text` shortcut. */
export async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<CallToolResult & { text: string }> {
  const r = (await client.callTool({ name, arguments: args })) as CallToolResult;
  const text = r.content
    .filter((c): c is { type: "text"; text: string } => c.type === "text")
    .map((c) => c.text)
    .join("\n");
  return { ...r, text };
}

/** Calls a tool that must succeed and returns its structuredContent.data. */
export async function ok<T = Record<string, unknown>>(client: Client, name: string, args: Record<string, unknown> = {}): Promise<T> {
  const r = await call(client, name, args);
  if (r.isError) throw new Error(`${name} failed: ${r.text}`);
  return (r.structuredContent as { data: T }).data;
}

/**
 * Calls a tool that must succeed, the way a model follows the confirmation step: when the answer
 * is a preview with a token (a guarded call), the same call is repeated with `confirm`. Returns
 * the final structuredContent.data.
 */
export async function okConfirmed<T = Record<string, unknown>>(client: Client, name: string, args: Record<string, unknown> = {}): Promise<T> {
  const first = await call(client, name, args);
  if (first.isError) throw new Error(`${name} failed: ${first.text}`);
  const confirmation = (first.structuredContent as { confirmation?: { token: string } } | undefined)?.confirmation;
  if (!confirmation) return (first.structuredContent as { data: T }).data;
  return ok<T>(client, name, { ...args, confirm: confirmation.token });
}
