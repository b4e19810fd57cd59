/**
 * Flags + environment → one validated, typed config object. This is the only module that reads
 * `process.env` (the caller passes it in), so everything below it receives plain values.
 *
 * A wrong value is an error that names the flag, what it accepts and what it got; nothing is
 * silently ignored (a misspelt read-only flag that quietly turns into read-write is exactly the
 * failure users have been bitten by elsewhere).
 */
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from "./util/log.js";
import { describeUnexpanded, normaliseRootKey } from "./util/root-key.js";

/** `start`'s local API port: fixed, so client configs pasted once keep working between runs. */
export const DEFAULT_LOCAL_API_PORT = 8787;

export const DEFAULT_API_URL = "https://api.unkey.com";
export const PROFILES = ["full", "ratelimits"] as const;
export type Profile = (typeof PROFILES)[number];

export type Command = "stdio" | "http" | "start" | "tools";
/** Commands that run an MCP server. */
export type ServerCommand = Exclude<Command, "tools">;

/** Output formats of `unkey-mcp tools`. */
export const EXPORT_FORMATS = ["json", "openai", "anthropic"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(message: string) {
    super(message);
  }
}

/** Which tools are on offer: handed to the catalog's `selectTools`. */
export interface CatalogConfig {
  profile: Profile;
  /** Undefined = every toolset of the profile. */
  toolsets?: string[];
  /** Undefined = every tool of the selected toolsets. */
  tools?: string[];
  readOnly: boolean;
  /** Keep consume tools (verify_key, check_ratelimit…) in read-only mode. */
  allowConsume: boolean;
}

export interface CommonConfig {
  /** Unkey API base URL, no trailing slash. */
  apiUrl: string;
  /** Root key for stdio; HTTP takes it from each request instead. */
  rootKey?: string;
  /** Build the catalog from this OpenAPI document (file path or URL) instead of the bundled one. */
  spec?: string;
  logLevel: LogLevel;
  logFormat: LogFormat;
  /** `--secrets`: inline = a new key's plaintext is shown once; mask = never to the model. */
  secrets: SecretsPolicy;
  /** `secrets === "mask"` (what the result shaping reads). */
  hideSecrets: boolean;
  /** How destructive calls are confirmed (src/tools/confirm). */
  confirm: ConfirmConfig;
  /** `--audit-log`: append one JSON line per change and confirmation outcome to this file. */
  auditLog?: string;
  catalog: CatalogConfig;
  /** Per-request timeout towards the Unkey API. */
  requestTimeoutMs: number;
  connectTimeoutMs: number;
}

export const SECRETS_POLICIES = ["inline", "mask"] as const;
export type SecretsPolicy = (typeof SECRETS_POLICIES)[number];
export const CONFIRM_POLICIES = ["auto", "token", "off"] as const;

export interface ConfirmConfig {
  /** auto = the best channel the client has; token = always the token; off = act at once. */
  mode: (typeof CONFIRM_POLICIES)[number];
  ttlSeconds: number;
  /** How long a person is given to answer an elicitation before the call falls back to the token. */
  waitSeconds: number;
  /** HMAC secret shared by instances; absent = random per process. */
  secret?: string;
  /** Shared used-token ledger; absent = in memory. */
  redisUrl?: string;
}

export interface StdioConfig extends CommonConfig {
  command: "stdio";
}

export interface HttpConfig extends CommonConfig {
  command: "http" | "start";
  host: string;
  port: number;
  stateless: boolean;
  sessionTtlSeconds: number;
  /** Cap on open 2025-era sessions; when reached, new ones are refused (live ones are never evicted). */
  maxSessions: number;
  /** Cap on open 2025-era sessions per root key (a flood with one key cannot take every slot). */
  maxSessionsPerKey: number;
  /** Host header values accepted (DNS-rebinding protection). Empty = loopback names only. */
  allowedHosts: string[];
  /** Origin header values accepted. Empty = no browser origins (requests without Origin pass). */
  allowedOrigins: string[];
  /** Maximum request body in bytes. */
  bodyLimitBytes: number;
  /** `start` only: where the local API keeps its data (undefined with `memory`). */
  dataDir?: string;
  /** `start` only: keep the local API's data in memory. */
  memory: boolean;
  /** `start` only: port of the local API (0 = any free port; the default falls back to a free one if taken). */
  localPort: number;
  /** `start` only: a root key to seed into the local API (it then holds every permission). */
  seedRootKey?: string;
  /** `http` only, loopback only: the key used when a request carries none (conformance harness). */
  insecureTestRootKey?: string;
}

/** `unkey-mcp tools`: prints the catalog; no server, no root key, no API URL. */
export interface ToolsConfig {
  command: "tools";
  format: ExportFormat;
  catalog: CatalogConfig;
  spec?: string;
}

export type Config = StdioConfig | HttpConfig;

interface FlagSpec {
  /** Flag name without dashes. */
  name: string;
  kind: "string" | "boolean";
  env?: string;
  commands: Command[];
  help: string;
  valueName?: string;
}

const ALL: Command[] = ["stdio", "http", "start"];
const SERVE: Command[] = ["http", "start"];
/** Flags that choose the catalog: every server command and `tools`. */
const CATALOG: Command[] = [...ALL, "tools"];

export const FLAGS: FlagSpec[] = [
  {
    name: "api-url",
    kind: "string",
    env: "UNKEY_API_URL",
    commands: ["stdio", "http"],
    valueName: "URL",
    help: `Unkey API base URL (default ${DEFAULT_API_URL})`,
  },
  {
    name: "format",
    kind: "string",
    commands: ["tools"],
    valueName: EXPORT_FORMATS.join("|"),
    help: "json = MCP tools/list shape (default); openai = function calling tools; anthropic = Messages API tools",
  },
  {
    name: "profile",
    kind: "string",
    env: "UNKEY_MCP_PROFILE",
    commands: ["stdio", "tools"],
    valueName: PROFILES.join("|"),
    help: "tool profile (default full)",
  },
  {
    name: "toolsets",
    kind: "string",
    env: "UNKEY_MCP_TOOLSETS",
    commands: CATALOG,
    valueName: "a,b",
    help: "only these toolsets: keys, apis, ratelimit, identities, permissions, analytics",
  },
  { name: "tools", kind: "string", env: "UNKEY_MCP_TOOLS", commands: CATALOG, valueName: "x,y", help: "only these tools (by name)" },
  { name: "read-only", kind: "boolean", env: "UNKEY_MCP_READ_ONLY", commands: CATALOG, help: "offer only tools without side effects" },
  {
    name: "allow-consume",
    kind: "boolean",
    env: "UNKEY_MCP_ALLOW_CONSUME",
    commands: CATALOG,
    help: "in read-only mode, keep verify/ratelimit checks (they spend credits and tokens)",
  },
  {
    name: "spec",
    kind: "string",
    env: "UNKEY_MCP_SPEC",
    commands: CATALOG,
    valueName: "FILE|URL",
    help: "build the tool catalog from this OpenAPI document (e.g. <api>/openapi.yaml)",
  },
  {
    name: "secrets",
    kind: "string",
    env: "UNKEY_MCP_SECRETS",
    commands: ALL,
    valueName: SECRETS_POLICIES.join("|"),
    help: "inline: a new key's plaintext is shown once (default); mask: never to the model (stdio writes it to a 0600 file)",
  },
  { name: "hide-secrets", kind: "boolean", env: "UNKEY_MCP_HIDE_SECRETS", commands: ALL, help: "same as --secrets mask" },
  {
    name: "confirm",
    kind: "string",
    env: "UNKEY_MCP_CONFIRM",
    commands: ALL,
    valueName: CONFIRM_POLICIES.join("|"),
    help: "destructive calls: preview and confirm first (auto, default; token) or act at once (off, trusted automation)",
  },
  {
    name: "confirm-ttl",
    kind: "string",
    env: "UNKEY_MCP_CONFIRM_TTL",
    commands: ALL,
    valueName: "SECONDS",
    help: "lifetime of a confirmation token (default 300)",
  },
  {
    name: "confirm-wait",
    kind: "string",
    env: "UNKEY_MCP_CONFIRM_WAIT",
    commands: ALL,
    valueName: "SECONDS",
    help: "how long to wait for a person's answer to a confirmation form before answering with the token (default 20)",
  },
  {
    name: "confirm-secret",
    kind: "string",
    env: "UNKEY_MCP_CONFIRM_SECRET",
    commands: ALL,
    valueName: "SECRET",
    help: "signs confirmation tokens; share it between instances (default: random per process)",
  },
  {
    name: "redis-url",
    kind: "string",
    env: "UNKEY_MCP_REDIS_URL",
    commands: ALL,
    valueName: "URL",
    help: "keep used confirmation tokens in Redis, so instances honour each token once",
  },
  {
    name: "audit-log",
    kind: "string",
    env: "UNKEY_MCP_AUDIT_LOG",
    commands: ALL,
    valueName: "FILE",
    help: "append one JSON line per change and confirmation outcome (fsynced)",
  },
  {
    name: "request-timeout",
    kind: "string",
    env: "UNKEY_MCP_REQUEST_TIMEOUT",
    commands: ALL,
    valueName: "SECONDS",
    help: "timeout of one Unkey API request (default 30)",
  },
  { name: "log-level", kind: "string", env: "UNKEY_MCP_LOG_LEVEL", commands: ALL, valueName: LOG_LEVELS.join("|"), help: "log level on stderr (default info)" },
  {
    name: "log-format",
    kind: "string",
    env: "UNKEY_MCP_LOG_FORMAT",
    commands: ALL,
    valueName: LOG_FORMATS.join("|"),
    help: "log format on stderr (default json)",
  },
  { name: "host", kind: "string", env: "UNKEY_MCP_HOST", commands: SERVE, valueName: "HOST", help: "interface to bind (default 127.0.0.1)" },
  { name: "port", kind: "string", env: "PORT", commands: SERVE, valueName: "PORT", help: "port to listen on (default 3000)" },
  {
    name: "stateless",
    kind: "boolean",
    env: "UNKEY_MCP_STATELESS",
    commands: SERVE,
    help: "no sessions (for load balancers without affinity; no elicitation)",
  },
  { name: "session-ttl", kind: "string", env: "UNKEY_MCP_SESSION_TTL", commands: SERVE, valueName: "SECONDS", help: "idle session lifetime (default 1800)" },
  {
    name: "max-sessions",
    kind: "string",
    env: "UNKEY_MCP_MAX_SESSIONS",
    commands: SERVE,
    valueName: "N",
    help: "open 2025-era sessions in total; new ones are refused beyond it (default 10000)",
  },
  {
    name: "max-sessions-per-key",
    kind: "string",
    env: "UNKEY_MCP_MAX_SESSIONS_PER_KEY",
    commands: SERVE,
    valueName: "N",
    help: "open 2025-era sessions per root key (default 100)",
  },
  {
    name: "allowed-hosts",
    kind: "string",
    env: "UNKEY_MCP_ALLOWED_HOSTS",
    commands: SERVE,
    valueName: "h1,h2",
    help: "Host header values to accept besides loopback names",
  },
  { name: "allowed-origins", kind: "string", env: "UNKEY_MCP_ALLOWED_ORIGINS", commands: SERVE, valueName: "o1,o2", help: "browser Origins to accept" },
  { name: "body-limit", kind: "string", env: "UNKEY_MCP_BODY_LIMIT", commands: SERVE, valueName: "BYTES", help: "maximum request body (default 1048576)" },
  {
    name: "data-dir",
    kind: "string",
    env: "UNKEY_LOCAL_DATA_DIR",
    commands: ["start"],
    valueName: "DIR",
    help: "local API data directory (default .unkey-local)",
  },
  { name: "memory", kind: "boolean", commands: ["start"], help: "keep the local API's data in memory" },
  {
    name: "api-port",
    kind: "string",
    commands: ["start"],
    valueName: "PORT",
    help: `port of the local API (default ${DEFAULT_LOCAL_API_PORT}, or a free port if that is taken)`,
  },
  {
    name: "root-key",
    kind: "string",
    env: "UNKEY_LOCAL_ROOT_KEY",
    commands: ["start"],
    valueName: "KEY",
    help: "seed this root key (all permissions) into the local API (the variable keeps it out of the process list)",
  },
  {
    name: "insecure-test-root-key",
    kind: "string",
    commands: ["http"],
    valueName: "KEY",
    help: "loopback only, for test harnesses that cannot send headers: act with KEY when a request carries none",
  },
];

const TRUE_WORDS = new Set(["1", "true", "yes", "on"]);
const FALSE_WORDS = new Set(["0", "false", "no", "off"]);

/** The words every yes/no setting accepts, for messages. */
export const BOOLEAN_WORDS = "true or false (1/0, yes/no, on/off)";

/**
 * A yes/no word (case-insensitive, trimmed) as a boolean; undefined when it is none of them.
 * `empty` is what a blank value means: off for a flag (`--read-only=`), on for a URL parameter
 * (`?read_only`), where naming the parameter is the natural way to switch it on.
 */
export function parseBooleanWord(value: string, empty: boolean): boolean | undefined {
  const v = value.trim().toLowerCase();
  if (v === "") return empty;
  if (TRUE_WORDS.has(v)) return true;
  if (FALSE_WORDS.has(v)) return false;
  return undefined;
}

/** A comma-separated list: items trimmed, blanks dropped, duplicates removed (order kept). */
export function splitList(value: string): string[] {
  return [
    ...new Set(
      value
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s.length > 0),
    ),
  ];
}

function parseBool(value: string, source: string): boolean {
  const b = parseBooleanWord(value, false);
  if (b === undefined) throw new ConfigError(`${source}: expected ${BOOLEAN_WORDS}, got ${JSON.stringify(value)}`);
  return b;
}

interface RawValue {
  value: string;
  /** "--flag" or "ENV_VAR", for messages. */
  source: string;
}

/** Reads argv into flag values; rejects unknown flags and missing values. */
function readArgv(command: Command, argv: string[]): Map<string, RawValue> {
  const allowed = FLAGS.filter((f) => f.commands.includes(command));
  const byName = new Map(allowed.map((f) => [f.name, f]));
  const out = new Map<string, RawValue>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("--")) {
      throw new ConfigError(`unexpected argument ${JSON.stringify(arg)} for "${command}"; flags start with -- (see --help)`);
    }
    const eq = arg.indexOf("=");
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const spec = byName.get(name);
    if (!spec) {
      const valid = allowed.map((f) => `--${f.name}`).join(", ");
      throw new ConfigError(`unknown flag --${name} for "${command}"; valid flags: ${valid}, --help`);
    }
    if (spec.kind === "boolean") {
      out.set(name, { value: eq === -1 ? "true" : arg.slice(eq + 1), source: `--${name}` });
      continue;
    }
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      if (value === undefined || value.startsWith("--")) {
        throw new ConfigError(`--${name} needs a value (${spec.valueName ?? "VALUE"})`);
      }
      i++;
    }
    out.set(name, { value, source: `--${name}` });
  }
  return out;
}

/**
 * A flag's value from argv, else from its environment variable. Only flags of `command` are
 * read: another command's variable (UNKEY_API_URL for `start`, UNKEY_MCP_PROFILE for `http`)
 * must neither apply nor break this command.
 */
function get(command: Command, flags: Map<string, RawValue>, env: NodeJS.ProcessEnv, name: string): RawValue | undefined {
  const spec = FLAGS.find((f) => f.name === name);
  if (!spec?.commands.includes(command)) return undefined;
  const fromFlag = flags.get(name);
  if (fromFlag) return fromFlag;
  if (spec.env) {
    const v = env[spec.env];
    if (v !== undefined && v !== "") return { value: v, source: spec.env };
  }
  return undefined;
}

function oneOf<T extends string>(raw: RawValue | undefined, choices: readonly T[], fallback: T): T {
  if (!raw) return fallback;
  const v = raw.value.trim();
  if ((choices as readonly string[]).includes(v)) return v as T;
  throw new ConfigError(`${raw.source}: expected one of ${choices.join(", ")}, got ${JSON.stringify(raw.value)}`);
}

function list(raw: RawValue | undefined): string[] | undefined {
  if (!raw) return undefined;
  const items = splitList(raw.value);
  if (items.length === 0) throw new ConfigError(`${raw.source}: expected a comma-separated list of names, got ${JSON.stringify(raw.value)}`);
  return items;
}

function integer(raw: RawValue | undefined, fallback: number, min: number, max: number, what: string): number {
  if (!raw) return fallback;
  const v = raw.value.trim();
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
    throw new ConfigError(`${raw.source}: expected ${what} between ${min} and ${max}, got ${JSON.stringify(raw.value)}`);
  }
  return Number(v);
}

function bool(raw: RawValue | undefined): boolean {
  return raw ? parseBool(raw.value, raw.source) : false;
}

function url(raw: RawValue | undefined, fallback: string): string {
  if (!raw) return fallback;
  const v = raw.value.trim();
  let parsed: URL;
  try {
    parsed = new URL(v);
  } catch {
    throw new ConfigError(`${raw.source}: expected an http(s) URL such as ${DEFAULT_API_URL}, got ${JSON.stringify(raw.value)}`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new ConfigError(`${raw.source}: expected an http(s) URL, got protocol ${parsed.protocol}`);
  }
  if (parsed.search || parsed.hash) throw new ConfigError(`${raw.source}: the API URL takes no query or fragment, got ${JSON.stringify(raw.value)}`);
  return v.replace(/\/+$/, "");
}

/**
 * A root key from the environment or a flag, through the shared normaliser: undefined when
 * absent or blank; a ConfigError naming the source for a placeholder or a malformed value.
 */
export function rootKeyFrom(value: string | undefined, source = "UNKEY_ROOT_KEY"): string | undefined {
  const check = normaliseRootKey(value);
  if (check.ok) return check.key;
  if (check.reason === "missing") return undefined;
  if (check.reason === "unexpanded") throw new ConfigError(describeUnexpanded(check, source));
  throw new ConfigError(`${source}: ${check.problem}`);
}

/** Which tools are on offer, from the catalog flags of `command`. */
function catalogConfig(command: Command, flags: Map<string, RawValue>, env: NodeJS.ProcessEnv): CatalogConfig {
  const g = (name: string): RawValue | undefined => get(command, flags, env, name);
  return {
    profile: oneOf(g("profile"), PROFILES, "full"),
    toolsets: list(g("toolsets")),
    tools: list(g("tools")),
    readOnly: bool(g("read-only")),
    allowConsume: bool(g("allow-consume")),
  };
}

/**
 * Turns flags and environment into the config of one command. Throws ConfigError with a
 * one-line, actionable message on any bad value.
 */
export function parseConfig(command: "tools", argv: string[], env: NodeJS.ProcessEnv): ToolsConfig;
export function parseConfig(command: "stdio", argv: string[], env: NodeJS.ProcessEnv): StdioConfig;
export function parseConfig(command: "http" | "start", argv: string[], env: NodeJS.ProcessEnv): HttpConfig;
export function parseConfig(command: ServerCommand, argv: string[], env: NodeJS.ProcessEnv): Config;
export function parseConfig(command: Command, argv: string[], env: NodeJS.ProcessEnv): Config | ToolsConfig {
  const flags = readArgv(command, argv);
  const g = (name: string): RawValue | undefined => get(command, flags, env, name);
  const spec = g("spec")?.value.trim() || undefined;
  if (command === "tools") {
    return { command, format: oneOf(g("format"), EXPORT_FORMATS, "json"), catalog: catalogConfig(command, flags, env), spec };
  }
  const common: CommonConfig = {
    apiUrl: url(g("api-url"), DEFAULT_API_URL),
    // Only stdio acts with an operator key; an HTTP server acts with the key each request carries.
    rootKey: command === "stdio" ? rootKeyFrom(env.UNKEY_ROOT_KEY) : undefined,
    spec,
    logLevel: oneOf(g("log-level"), LOG_LEVELS, "info"),
    logFormat: oneOf(g("log-format"), LOG_FORMATS, "json"),
    ...secretsPolicy(g("secrets"), g("hide-secrets")),
    confirm: {
      mode: oneOf(g("confirm"), CONFIRM_POLICIES, "auto"),
      ttlSeconds: integer(g("confirm-ttl"), 300, 1, 24 * 3600, "seconds"),
      // Well under the 60 s most clients wait for a tool call, so a client that shows nothing
      // (or never answers) still gets the token result in time.
      waitSeconds: integer(g("confirm-wait"), 20, 1, 600, "seconds"),
      secret: confirmSecret(g("confirm-secret")),
      redisUrl: redisUrl(g("redis-url")),
    },
    auditLog: g("audit-log")?.value.trim() || undefined,
    catalog: catalogConfig(command, flags, env),
    requestTimeoutMs: integer(g("request-timeout"), 30, 1, 600, "seconds") * 1000,
    connectTimeoutMs: 5000,
  };
  if (command === "stdio") return { command, ...common };

  const dataDirRaw = g("data-dir");
  const memory = bool(g("memory"));
  if (memory && flags.has("data-dir")) throw new ConfigError("--memory and --data-dir exclude each other; pass one of them");
  return {
    command,
    ...common,
    host: g("host")?.value.trim() || "127.0.0.1",
    port: integer(g("port"), 3000, 0, 65535, "a port"),
    stateless: bool(g("stateless")),
    sessionTtlSeconds: integer(g("session-ttl"), 1800, 1, 7 * 24 * 3600, "seconds"),
    maxSessions: integer(g("max-sessions"), 10_000, 1, 1_000_000, "sessions"),
    maxSessionsPerKey: integer(g("max-sessions-per-key"), 100, 1, 1_000_000, "sessions"),
    allowedHosts: list(g("allowed-hosts")) ?? [],
    allowedOrigins: list(g("allowed-origins")) ?? [],
    bodyLimitBytes: integer(g("body-limit"), 1024 * 1024, 1024, 64 * 1024 * 1024, "bytes"),
    dataDir: command === "start" && !memory ? (dataDirRaw?.value ?? ".unkey-local") : undefined,
    memory,
    localPort: integer(g("api-port"), DEFAULT_LOCAL_API_PORT, 0, 65535, "a port"),
    seedRootKey: optionalKey(g("root-key")),
    insecureTestRootKey: optionalKey(g("insecure-test-root-key")),
  };
}

/** `--secrets`, with `--hide-secrets` as the older spelling of `--secrets mask`. */
function secretsPolicy(raw: RawValue | undefined, hide: RawValue | undefined): { secrets: SecretsPolicy; hideSecrets: boolean } {
  const hidden = bool(hide);
  const secrets = oneOf(raw, SECRETS_POLICIES, hidden ? "mask" : "inline");
  if (hidden && secrets === "inline") throw new ConfigError(`--hide-secrets and ${raw?.source ?? "--secrets"} inline contradict each other; pass one of them`);
  return { secrets, hideSecrets: secrets === "mask" };
}

function confirmSecret(raw: RawValue | undefined): string | undefined {
  if (raw === undefined) return undefined;
  // A guessable secret lets anyone mint tokens: at least 16 characters.
  if (raw.value.length < 16) throw new ConfigError(`${raw.source}: expected a secret of at least 16 characters, got ${raw.value.length}`);
  return raw.value;
}

function redisUrl(raw: RawValue | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const v = raw.value.trim();
  let ok = false;
  try {
    ok = ["redis:", "rediss:"].includes(new URL(v).protocol);
  } catch {
    ok = false;
  }
  if (!ok) throw new ConfigError(`${raw.source}: expected a redis:// or rediss:// URL such as redis://127.0.0.1:6379, got a value that is not one`);
  return v;
}

function optionalKey(raw: RawValue | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const key = rootKeyFrom(raw.value, raw.source);
  if (key === undefined) throw new ConfigError(`${raw.source}: expected a root key, got an empty value`);
  return key;
}

/** True when argv asks for help (checked before parsing, so --help works next to bad flags). */
export function wantsHelp(argv: string[]): boolean {
  return argv.includes("--help") || argv.includes("-h");
}

/** The flag list of one command, for --help. */
export function flagHelp(command: Command): string {
  const flags = FLAGS.filter((f) => f.commands.includes(command));
  const lefts = flags.map((f) => `  --${f.name}${f.kind === "string" ? ` ${f.valueName ?? "VALUE"}` : ""}`);
  const width = Math.max(...lefts.map((l) => l.length)) + 2;
  return flags.map((f, i) => `${lefts[i].padEnd(width)}${f.help}${f.env ? ` [${f.env}]` : ""}`).join("\n");
}
