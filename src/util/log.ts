/**
 * The one logger: structured lines on stderr, secrets redacted before anything is written.
 *
 * stdout belongs to the MCP stdio protocol, so this module never writes there. Redaction works
 * on three levels, because a secret can reach a log line in many shapes:
 *  - by field name (authorization, mcp-* headers, root keys, plaintext keys, tokens, …);
 *  - by known value (the operator's root key is registered at startup and scrubbed anywhere);
 *  - by shape (`Bearer …` and `unkey_…`-looking strings inside free text).
 */

export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";
export type LogFormat = "json" | "text";

export const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error", "silent"];
export const LOG_FORMATS: readonly LogFormat[] = ["json", "text"];

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds these fields to every line. */
  child(fields: LogFields): Logger;
  /** Scrub this exact value from every later line (e.g. the configured root key). */
  addSecret(value: string | undefined): void;
  readonly level: LogLevel;
}

export interface LoggerOptions {
  level?: LogLevel;
  format?: LogFormat;
  /** Where lines go; stderr unless told otherwise (tests pass a collector). */
  sink?: (line: string) => void;
  /** Values scrubbed from every line. */
  secrets?: Array<string | undefined>;
}

export const REDACTED = "[REDACTED]";

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** Field names whose value is always a secret (compared lower-case, `-`/`_` ignored). */
const SECRET_FIELD_NAMES = new Set(
  [
    "authorization",
    "proxyauthorization",
    "cookie",
    "setcookie",
    "rootkey",
    "unkeyrootkey",
    "key",
    "plaintext",
    "apikey",
    "secret",
    "confirmsecret",
    "password",
    "token",
    "accesstoken",
    "bearer",
  ].map((n) => n),
);

function normaliseName(name: string): string {
  return name.toLowerCase().replace(/[-_]/g, "");
}

// Field names repeat (every tool-call line has the same handful), so the verdict is memoised;
// the cap keeps arbitrary names (user data being logged) from growing it without bound.
const secretNameCache = new Map<string, boolean>();
const SECRET_NAME_CACHE_MAX = 2048;

/** True when a field of this name carries a secret (headers included: every `MCP-*` header). */
export function isSecretFieldName(name: string): boolean {
  let verdict = secretNameCache.get(name);
  if (verdict === undefined) {
    const lower = name.toLowerCase();
    verdict = (lower.startsWith("mcp-") && lower !== "mcp-session-id" && lower !== "mcp-protocol-version") || SECRET_FIELD_NAMES.has(normaliseName(name));
    if (secretNameCache.size >= SECRET_NAME_CACHE_MAX) secretNameCache.clear();
    secretNameCache.set(name, verdict);
  }
  return verdict;
}

// Shapes of secrets inside free text: a bearer credential, an Unkey root key.
const TEXT_PATTERNS: RegExp[] = [/\b(Bearer)\s+[^\s"',;]+/gi, /\bunkey_[A-Za-z0-9]{6,}\b/g];
/** A necessary condition for any TEXT_PATTERNS match. */
const MAY_HOLD_SECRET_SHAPE = /bearer|unkey_/i;

/** Scrubs known secret values and secret-shaped substrings from a string. */
export function redactText(text: string, secrets: Iterable<string> = []): string {
  let out = text;
  for (const s of secrets) {
    // Very short values would blank out ordinary words; real keys are long.
    if (s.length >= 8 && out.includes(s)) out = out.split(s).join(REDACTED);
  }
  // Most strings (ids, outcomes, messages) contain neither shape: one cheap test instead of two replaces.
  if (!MAY_HOLD_SECRET_SHAPE.test(out)) return out;
  for (const re of TEXT_PATTERNS) {
    out = out.replace(re, (_m, bearer?: string) => (typeof bearer === "string" && /^bearer$/i.test(bearer) ? `${bearer} ${REDACTED}` : REDACTED));
  }
  return out;
}

/** `keys[].plaintext` → `keys.plaintext`, `[].plaintext` → `plaintext`, `a[][].b` → `a.b`. */
function normalisePath(path: string): string {
  return path
    .replace(/\[\]/g, ".")
    .split(".")
    .filter((s) => s !== "")
    .join(".");
}

/**
 * A deep copy with secret fields replaced. `paths` are extra dotted paths (e.g. a tool's
 * `secrets` / `x-unkey-redact` fields) to blank regardless of their name.
 */
export function redactValue(value: unknown, secrets: Iterable<string> = [], paths: string[] = []): unknown {
  const secretList = [...secrets];
  // Paths arrive in two spellings: `keys[].plaintext` (a tool's secretArgs) and `keys.plaintext`.
  // The walk below steps through arrays without a segment, so `[]` is dropped from every path.
  const pathSet = new Set(paths.map(normalisePath));
  const walk = (v: unknown, path: string, depth: number): unknown => {
    if (depth > 12) return "[…]";
    if (typeof v === "string") return redactText(v, secretList);
    if (v === null || typeof v !== "object") return v;
    if (v instanceof Error) return { name: v.name, message: redactText(v.message, secretList) };
    if (Array.isArray(v)) return v.map((item) => walk(item, path, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, child] of Object.entries(v as Record<string, unknown>)) {
      const childPath = path ? `${path}.${k}` : k;
      if (child !== undefined && child !== null && (isSecretFieldName(k) || pathSet.has(childPath))) {
        out[k] = REDACTED;
      } else {
        out[k] = walk(child, childPath, depth + 1);
      }
    }
    return out;
  };
  return walk(value, "", 0);
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? "info";
  const format = options.format ?? "json";
  const sink = options.sink ?? ((line: string) => void process.stderr.write(line));
  const secrets = new Set<string>();
  for (const s of options.secrets ?? []) if (s) secrets.add(s);
  return makeLogger({ level, format, sink, secrets, base: {} });
}

interface LoggerState {
  level: LogLevel;
  format: LogFormat;
  sink: (line: string) => void;
  secrets: Set<string>;
  base: LogFields;
}

function makeLogger(state: LoggerState): Logger {
  const write = (lvl: Exclude<LogLevel, "silent">, msg: string, fields?: LogFields): void => {
    if (RANK[lvl] < RANK[state.level]) return;
    const merged = redactValue({ ...state.base, ...(fields ?? {}) }, state.secrets) as LogFields;
    const cleanMsg = redactText(msg, state.secrets);
    const time = new Date().toISOString();
    let line: string;
    if (state.format === "json") {
      line = safeStringify({ time, level: lvl, msg: cleanMsg, ...merged });
    } else {
      const extras = Object.entries(merged)
        .map(([k, v]) => `${k}=${typeof v === "string" ? v : safeStringify(v)}`)
        .join(" ");
      line = `${time} ${lvl.toUpperCase()} ${cleanMsg}${extras ? ` ${extras}` : ""}`;
    }
    try {
      state.sink(`${line}\n`);
    } catch {
      // A broken stderr must never take the server down.
    }
  };
  return {
    level: state.level,
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
    child: (fields) => makeLogger({ ...state, base: { ...state.base, ...fields } }),
    addSecret: (value) => {
      if (value) state.secrets.add(value);
    },
  };
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  } catch {
    return '"[unserialisable]"';
  }
}
