/**
 * `unkey-mcp local …`: run the local API, and administer its workspace (root keys, delete
 * protection) directly in the data dir, which works while a server runs on it (SQLite WAL).
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { createLocalApi } from "./server.js";
import { openStore, type Store } from "./store/store.js";
import { setApiDeleteProtection } from "./store/apis.js";
import { BootstrapError, createRootKey, listRootKeys, revokeRootKey } from "./root-keys.js";

const USAGE = `Usage:
  unkey-mcp local [--host 127.0.0.1] [--port 8787] [--data-dir .unkey-local] [--memory] [--root-key KEY] [--test-clock] [--request-timeout SECONDS]
  unkey-mcp local root-key create [--data-dir D] [--name N] --permission P [--permission P …]
  unkey-mcp local root-key list [--data-dir D]
  unkey-mcp local root-key revoke ID [--data-dir D]
  unkey-mcp local api protect API_ID [--off] [--data-dir D]`;

class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig["options"]>;

function parse(args: string[], options: Options, positionals: number): { values: Record<string, unknown>; positionals: string[] } {
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    const valid = Object.entries(options)
      .map(([k, o]) => `--${k}${o.type === "string" ? " VALUE" : ""}`)
      .join(", ");
    throw new UsageError(`${(err as Error).message.replace(/\. To specify a positional.*$/s, "")}. Valid options: ${valid}.`);
  }
  if (parsed.positionals.length > positionals) {
    throw new UsageError(`unexpected argument "${parsed.positionals[positionals]}".`);
  }
  return parsed;
}

const DATA_DIR = { "data-dir": { type: "string" } } as const satisfies Options;

async function withStore<T>(dataDir: unknown, fn: (store: Store) => T): Promise<T> {
  const store = await openStore({ dataDir: typeof dataDir === "string" ? dataDir : ".unkey-local" });
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

async function serve(args: string[]): Promise<void> {
  const { values } = parse(
    args,
    {
      host: { type: "string" },
      port: { type: "string" },
      ...DATA_DIR,
      memory: { type: "boolean" },
      "root-key": { type: "string" },
      "test-clock": { type: "boolean" },
      "request-timeout": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    0,
  );
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  let port = 8787;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new UsageError(`--port must be an integer from 0 to 65535, got "${String(values.port)}".`);
    }
  }
  let requestMs: number | undefined;
  if (values["request-timeout"] !== undefined) {
    // Seconds, like the MCP server's own --request-timeout.
    const seconds = Number(values["request-timeout"]);
    if (!Number.isInteger(seconds) || seconds < 1 || seconds > 600) {
      throw new UsageError(`--request-timeout: expected seconds between 1 and 600, got "${String(values["request-timeout"])}".`);
    }
    requestMs = seconds * 1000;
  }
  const host = (values.host as string | undefined) ?? "127.0.0.1";
  const api = await createLocalApi({
    host,
    port,
    dataDir: values["data-dir"] as string | undefined,
    memory: values.memory === true,
    rootKey: values["root-key"] as string | undefined,
    testClock: values["test-clock"] === true,
    timeouts: requestMs !== undefined ? { requestMs } : undefined,
  }).catch((err: unknown) => {
    throw err instanceof BootstrapError ? new UsageError(err.message) : err;
  });
  const out: string[] = [`Unkey-compatible local API listening on ${api.url}`];
  if (api.rootKey && values["root-key"] === undefined) {
    out.push(`Root key (shown only now; only its hash is stored): ${api.rootKey}`);
  }
  out.push(`Data: ${values.memory ? "in memory (nothing is kept)" : ((values["data-dir"] as string | undefined) ?? ".unkey-local")}`);
  process.stdout.write(`${out.join("\n")}\n`);
  if (!/^(127\.|::1$|localhost$|\[::1\]$)/.test(host)) {
    process.stderr.write(`warning: the local API listens on ${host}, reachable beyond this machine.\n`);
  }
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      void api.close().then(resolve);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

async function rootKeyCommand(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  if (sub === "create") {
    const { values } = parse(rest, { ...DATA_DIR, name: { type: "string" }, permission: { type: "string", multiple: true } }, 0);
    const permissions = (values.permission as string[] | undefined) ?? [];
    if (permissions.length === 0) throw new UsageError("root-key create needs at least one --permission (e.g. --permission api.*.read_key).");
    const created = await withStore(values["data-dir"], (store) => {
      try {
        return createRootKey(store, { name: values.name as string | undefined, permissions, now: Date.now() });
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
    });
    // The key alone on stdout, so `KEY=$(unkey-mcp local root-key create …)` works.
    process.stdout.write(`${created.key}\n`);
    process.stderr.write(`Created root key ${created.id} (shown only now; only its hash is stored).\n`);
    return;
  }
  if (sub === "list") {
    const { values } = parse(rest, { ...DATA_DIR }, 0);
    const keys = await withStore(values["data-dir"], (store) => listRootKeys(store));
    for (const k of keys) {
      process.stdout.write(`${k.id}\t${k.start}…\t${k.name ?? ""}\t${new Date(k.createdAt).toISOString()}\t${k.permissions.join(",")}\n`);
    }
    if (keys.length === 0) process.stderr.write("No root keys.\n");
    return;
  }
  if (sub === "revoke") {
    const { values, positionals } = parse(rest, { ...DATA_DIR }, 1);
    const id = positionals[0];
    if (!id) throw new UsageError("root-key revoke needs the root key id (see root-key list).");
    const ok = await withStore(values["data-dir"], (store) => revokeRootKey(store, id, Date.now()));
    if (!ok) throw new UsageError(`no live root key with id "${id}".`);
    process.stdout.write(`Revoked ${id}.\n`);
    return;
  }
  throw new UsageError(`unknown root-key command "${sub ?? ""}" (expected create, list or revoke).`);
}

async function apiCommand(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  if (sub !== "protect") throw new UsageError(`unknown api command "${sub ?? ""}" (expected protect).`);
  const { values, positionals } = parse(rest, { ...DATA_DIR, off: { type: "boolean" } }, 1);
  const apiId = positionals[0];
  if (!apiId) throw new UsageError("api protect needs the API id.");
  const on = values.off !== true;
  const changed = await withStore(values["data-dir"], (store) => setApiDeleteProtection(store, apiId, on));
  if (!changed) throw new UsageError(`no API with id "${apiId}".`);
  process.stdout.write(`Delete protection ${on ? "on" : "off"} for ${apiId}.\n`);
}

export async function runLocalCli(args: string[]): Promise<void> {
  try {
    if (args[0] === "root-key") return await rootKeyCommand(args.slice(1));
    if (args[0] === "api") return await apiCommand(args.slice(1));
    return await serve(args);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`unkey-mcp local: ${err.message}\n\n${USAGE}\n`);
      process.exitCode = 2;
      return;
    }
    throw err;
  }
}
