/**
 * The DuckDB analytics engine. Why DuckDB: a real columnar SQL engine in-process (SELECT, CTEs,
 * subqueries, joins, window functions over a million rows in milliseconds), a parse tree we can
 * validate and rewrite (json_serialize_sql / json_deserialize_sql), and a binary shipped inside the
 * npm package. It keeps analytics out of the SQLite state, as Unkey keeps ClickHouse apart from its
 * database.
 *
 * Layout: the data lives in schema `unkey_store` (raw tables plus materialised per-minute/hour/
 * day/month aggregates, filled at flush time like ClickHouse materialized views). A query never
 * names that schema (qualified names are refused); it runs on its own connection where the
 * documented table names are TEMP VIEWS filtered to the caller's workspace, key spaces or
 * namespaces and the retention window, so no query, however written, can see other rows.
 */
import {
  DuckDBInstance,
  DuckDBListVector,
  DuckDBTypeId,
  JsonDuckDBValueConverter,
  type DuckDBConnection,
  type DuckDBType,
  type DuckDBVector,
} from "@duckdb/node-api";
import { CLICKHOUSE_FUNCTIONS } from "./functions.js";
import { executionTimeout, invalidQuery, invalidQueryType, memoryLimitExceeded, rangeExceedsRetention, rowsLimitExceeded } from "./errors.js";
import { GRANULARITIES, MAX_QUERY_BYTES, prepareQuery, TABLES, type Granularity, type Obj, type Templates } from "./query.js";
import type { Analytics, AnalyticsKind, AnalyticsLimits, AnalyticsRow, AnalyticsScope, RatelimitEvent, VerificationEvent } from "./types.js";

const S = "unkey_store";

const BUCKET: Readonly<Record<Granularity, { type: "TIMESTAMP" | "DATE"; expr: (ms: string) => string }>> = {
  minute: { type: "TIMESTAMP", expr: (ms) => `date_trunc('minute', make_timestamp(${ms} * 1000))` },
  hour: { type: "TIMESTAMP", expr: (ms) => `date_trunc('hour', make_timestamp(${ms} * 1000))` },
  day: { type: "DATE", expr: (ms) => `CAST(date_trunc('day', make_timestamp(${ms} * 1000)) AS DATE)` },
  month: { type: "DATE", expr: (ms) => `CAST(date_trunc('month', make_timestamp(${ms} * 1000)) AS DATE)` },
};

const KV_COLUMNS = `request_id VARCHAR, time BIGINT, workspace_id VARCHAR, key_space_id VARCHAR, identity_id VARCHAR,
  external_id VARCHAR, key_id VARCHAR, region VARCHAR, outcome VARCHAR, tags VARCHAR[], spent_credits BIGINT, latency DOUBLE`;
const RL_COLUMNS = `request_id VARCHAR, time BIGINT, workspace_id VARCHAR, namespace_id VARCHAR, identifier VARCHAR,
  passed BOOLEAN, latency DOUBLE, override_id VARCHAR, "limit" BIGINT, remaining BIGINT, reset_at BIGINT, tokens BIGINT`;
const KV_GROUP = "workspace_id, key_space_id, identity_id, external_id, key_id, outcome, tags";
const RL_GROUP = "workspace_id, namespace_id, identifier";

function schemaSql(): string {
  const parts = [
    `CREATE SCHEMA IF NOT EXISTS ${S}`,
    `CREATE TABLE IF NOT EXISTS ${S}.kv_raw (${KV_COLUMNS})`,
    `CREATE TABLE IF NOT EXISTS ${S}.rl_raw (${RL_COLUMNS})`,
  ];
  for (const g of GRANULARITIES) {
    const t = BUCKET[g].type;
    parts.push(
      `CREATE TABLE IF NOT EXISTS ${S}.kv_per_${g} (time ${t}, workspace_id VARCHAR, key_space_id VARCHAR, identity_id VARCHAR,
        external_id VARCHAR, key_id VARCHAR, outcome VARCHAR, tags VARCHAR[], count BIGINT, spent_credits BIGINT)`,
      `CREATE TABLE IF NOT EXISTS ${S}.rl_per_${g} (time ${t}, workspace_id VARCHAR, namespace_id VARCHAR, identifier VARCHAR,
        passed BIGINT, total BIGINT)`,
    );
  }
  return parts.join(";\n");
}

type Shape = Readonly<Record<string, "VARCHAR" | "BIGINT" | "DOUBLE" | "BOOLEAN" | readonly ["VARCHAR"]>>;

const KV_SHAPE: Shape = {
  requestId: "VARCHAR",
  time: "BIGINT",
  workspaceId: "VARCHAR",
  keySpaceId: "VARCHAR",
  identityId: "VARCHAR",
  externalId: "VARCHAR",
  keyId: "VARCHAR",
  region: "VARCHAR",
  outcome: "VARCHAR",
  tags: ["VARCHAR"],
  spentCredits: "BIGINT",
  latency: "DOUBLE",
};
const RL_SHAPE: Shape = {
  requestId: "VARCHAR",
  time: "BIGINT",
  workspaceId: "VARCHAR",
  namespaceId: "VARCHAR",
  identifier: "VARCHAR",
  passed: "BOOLEAN",
  latency: "DOUBLE",
  overrideId: "VARCHAR",
  limit: "BIGINT",
  remaining: "BIGINT",
  resetAt: "BIGINT",
  tokens: "BIGINT",
};

/** Separators of the line encoding: between events, between an event's values, between a list's items. */
const RECORD = "\x1d";
const UNIT = "\x1f";
const ITEM = "\x1e";
const TEXT = "[^\\x1d-\\x1f]";

const FITS = {
  VARCHAR: (v: unknown) => typeof v === "string",
  BIGINT: (v: unknown) => Number.isSafeInteger(v),
  DOUBLE: (v: unknown) => typeof v === "number" && Number.isFinite(v),
  BOOLEAN: (v: unknown) => typeof v === "boolean",
  LIST: (v: unknown) => Array.isArray(v),
} as const;

/**
 * The line encoding of one kind of event: its values in the shape's column order joined by UNIT (a
 * list's items by ITEM), or undefined when that would not read back as sent, so that event goes as
 * JSON instead: a value holding a separator, a list holding an empty string, or a number DuckDB's
 * text cast would throw on (failing the whole flush), where JSON stores NULL. A list's items are
 * checked one by one (an item holding ITEM would read back as two); the line as a whole then only
 * has to hold the right number of UNITs and no RECORD.
 */
function lineEncoder<E extends object>(shape: Shape): (event: E) => string | undefined {
  const keys = Object.keys(shape);
  const lists = Object.values(shape).map((type) => Array.isArray(type));
  const fits = Object.values(shape).map((type) => FITS[Array.isArray(type) ? "LIST" : (type as Exclude<typeof type, readonly unknown[]>)]);
  const item = new RegExp(`^${TEXT}+$`);
  const valid = new RegExp(`^${lists.map((list) => (list ? "[^\\x1d\\x1f]*" : `${TEXT}*`)).join(UNIT)}$`);
  return (event) => {
    const e = event as Record<string, unknown>;
    let line = "";
    for (let i = 0; i < keys.length; i++) {
      const v = e[keys[i]!];
      if (!fits[i]!(v) || (lists[i] && !(v as readonly string[]).every((x) => item.test(x)))) return undefined;
      line += `${i === 0 ? "" : UNIT}${lists[i] ? (v as readonly string[]).join(ITEM) : String(v)}`;
    }
    // The test also flattens the line, so it no longer holds on to the event's own strings.
    return valid.test(line) ? line : undefined;
  };
}

/** Lines (joined by RECORD) into a batch table: DuckDB splits them with string_split, about half JSON's cost per event. */
function linesInsertSql(table: string, shape: Shape): string {
  const cols = Object.values(shape).map((type, i) => {
    const v = `p[${i + 1}]`;
    if (Array.isArray(type)) return `CASE WHEN ${v} = '' THEN []::VARCHAR[] ELSE string_split(${v}, chr(30)) END`;
    return type === "VARCHAR" ? v : `CAST(${v} AS ${type})`;
  });
  return `INSERT INTO ${table} SELECT ${cols.join(", ")} FROM (SELECT string_split(l, chr(31)) AS p FROM unnest(string_split($1::VARCHAR, chr(29))) AS t(l))`;
}

/** A flush's share of {@link Pending} events. */
interface Taken<E> {
  lines: string[];
  odd: E[];
}

/**
 * Events waiting for the next flush. Each waits as its line, not as the object its handler
 * built: one flat string instead of a dozen objects (most of them strings fresh from SQLite), so
 * minor garbage collections no longer copy thousands of live objects each time. An event the
 * line encoding cannot carry waits as itself and goes as JSON.
 */
class Pending<E extends object> {
  lines: string[] = [];
  odd: E[] = [];
  constructor(private readonly encode: (event: E) => string | undefined) {}

  get size(): number {
    return this.lines.length + this.odd.length;
  }

  add(event: E): void {
    const line = this.encode(event);
    if (line === undefined) this.odd.push(event);
    else this.lines.push(line);
  }

  take(): Taken<E> {
    const taken = { lines: this.lines, odd: this.odd };
    this.lines = [];
    this.odd = [];
    return taken;
  }
}

/**
 * The other way, for events the line encoding cannot carry: one JSON object of columns
 * (`{"time": [...], ...}`, see {@link columns}) in the shape's column order, which DuckDB parses
 * about a third faster than an array of objects. The text is bound as VARCHAR, not JSON: a JSON
 * cast validates the whole document before from_json parses it again (5 of every 16 µs a flush
 * spent per event, when JSON was the only way).
 */
function jsonInsertSql(table: string, shape: Shape): string {
  const columnShape = Object.fromEntries(Object.entries(shape).map(([k, type]) => [k, [type]]));
  const cols = Object.keys(shape)
    .map((k) => `unnest(j."${k}")`)
    .join(", ");
  return `INSERT INTO ${table} SELECT ${cols} FROM (SELECT from_json($1::VARCHAR, '${JSON.stringify(columnShape)}') AS j)`;
}

/**
 * Events as one array per field of `shape` (the JSON {@link jsonInsertSql} reads). Text is made
 * well-formed first, as the line encoding's conversion to UTF-8 makes it (an unpaired surrogate
 * becomes U+FFFD): JSON would carry it as an escape DuckDB's parser rejects.
 */
function columns<E extends object>(events: readonly E[], shape: Shape): string {
  const wellFormed = (v: unknown): unknown =>
    typeof v === "string" ? (v as string & { toWellFormed(): string }).toWellFormed() : Array.isArray(v) ? v.map(wellFormed) : v;
  const out: Record<string, unknown[]> = {};
  for (const k of Object.keys(shape)) out[k] = events.map((e) => wellFormed((e as Record<string, unknown>)[k]));
  return JSON.stringify(out);
}

/** Where a flush's events wait inside its transaction: TEMP tables, so they never reach the WAL. */
const BATCH = { kv: "kv_batch", rl: "rl_batch" } as const;
const CREATE_BATCHES = `CREATE OR REPLACE TEMP TABLE ${BATCH.kv} (${KV_COLUMNS}); CREATE OR REPLACE TEMP TABLE ${BATCH.rl} (${RL_COLUMNS})`;
const INSERT = {
  kv: { lines: linesInsertSql(BATCH.kv, KV_SHAPE), json: jsonInsertSql(BATCH.kv, KV_SHAPE), shape: KV_SHAPE },
  rl: { lines: linesInsertSql(BATCH.rl, RL_SHAPE), json: jsonInsertSql(BATCH.rl, RL_SHAPE), shape: RL_SHAPE },
} as const;
const KV_LINE = lineEncoder<VerificationEvent>(KV_SHAPE);
const RL_LINE = lineEncoder<RatelimitEvent>(RL_SHAPE);

/** A coarser bucket of a minute bucket (a TIMESTAMP): the same bucket BUCKET gives the event's time. */
const ROLLUP: Readonly<Record<Exclude<Granularity, "minute">, (minute: string) => string>> = {
  hour: (t) => `date_trunc('hour', ${t})`,
  day: (t) => `CAST(date_trunc('day', ${t}) AS DATE)`,
  month: (t) => `CAST(date_trunc('month', ${t}) AS DATE)`,
};

/**
 * Moves a batch of events (the flush's TEMP batch tables, or at start-up the stage tables an
 * earlier version left) into the raw tables and the four aggregates, and ends the transaction
 * the caller began. The batch is grouped by minute once; the hour, day and month rows are rolled
 * up from those (far fewer rows than events) instead of each scanning the batch again.
 */
function moveSql(from: { kv: string; rl: string }): string {
  const parts = [
    `CREATE OR REPLACE TEMP TABLE kv_minute AS SELECT ${BUCKET.minute.expr("time")} AS time, ${KV_GROUP}, count(*) AS count, sum(spent_credits) AS spent_credits
      FROM ${from.kv} GROUP BY ALL`,
    `CREATE OR REPLACE TEMP TABLE rl_minute AS SELECT ${BUCKET.minute.expr("time")} AS time, ${RL_GROUP}, count(*) FILTER (WHERE passed) AS passed, count(*) AS total
      FROM ${from.rl} GROUP BY ALL`,
    `INSERT INTO ${S}.kv_per_minute SELECT * FROM kv_minute`,
    `INSERT INTO ${S}.rl_per_minute SELECT * FROM rl_minute`,
  ];
  for (const g of ["hour", "day", "month"] as const) {
    parts.push(
      `INSERT INTO ${S}.kv_per_${g} SELECT ${ROLLUP[g]("time")} AS time, ${KV_GROUP}, CAST(sum(count) AS BIGINT), CAST(sum(spent_credits) AS BIGINT)
        FROM kv_minute GROUP BY ALL`,
      `INSERT INTO ${S}.rl_per_${g} SELECT ${ROLLUP[g]("time")} AS time, ${RL_GROUP}, CAST(sum(passed) AS BIGINT), CAST(sum(total) AS BIGINT)
        FROM rl_minute GROUP BY ALL`,
    );
  }
  parts.push(
    `INSERT INTO ${S}.kv_raw SELECT * FROM ${from.kv}`,
    `INSERT INTO ${S}.rl_raw SELECT * FROM ${from.rl}`,
    `DROP TABLE ${from.kv}`,
    `DROP TABLE ${from.rl}`,
    "DROP TABLE kv_minute",
    "DROP TABLE rl_minute",
    "COMMIT",
  );
  return parts.join(";\n");
}

const MOVE_BATCHES = moveSql(BATCH);

/** Merges each aggregate table's partial rows into one row per bucket and grouping. */
function compactSql(): string {
  const parts = ["BEGIN TRANSACTION"];
  for (const g of GRANULARITIES) {
    for (const [table, sums] of [
      [`kv_per_${g}`, `${KV_GROUP}, CAST(sum(count) AS BIGINT), CAST(sum(spent_credits) AS BIGINT)`],
      [`rl_per_${g}`, `${RL_GROUP}, CAST(sum(passed) AS BIGINT), CAST(sum(total) AS BIGINT)`],
    ] as const) {
      parts.push(
        `CREATE OR REPLACE TEMP TABLE compacted AS SELECT time, ${sums} FROM ${S}.${table} GROUP BY ALL`,
        `DELETE FROM ${S}.${table}`,
        `INSERT INTO ${S}.${table} SELECT * FROM compacted`,
        "DROP TABLE compacted",
      );
    }
  }
  parts.push("COMMIT");
  return parts.join(";\n");
}

/** Flushes between compactions of the aggregate tables (about a minute at the default interval). */
const COMPACT_EVERY = 30;

function quote(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** The per-request views: documented names over the caller's rows inside the retention window. */
function scopedViewsSql(kind: AnalyticsKind, scope: AnalyticsScope, cutoffMs: number): string {
  const ws = `workspace_id = ${quote(scope.workspaceId)}`;
  const filter =
    kind === "verifications"
      ? scope.keySpaceIds
        ? ` AND key_space_id IN (${scope.keySpaceIds.map(quote).join(", ") || "NULL"})`
        : ""
      : scope.namespaceIds
        ? ` AND namespace_id IN (${scope.namespaceIds.map(quote).join(", ") || "NULL"})`
        : "";
  const prefix = kind === "verifications" ? "kv" : "rl";
  const t = TABLES[kind];
  const views = [`CREATE OR REPLACE TEMP VIEW ${t.raw} AS SELECT * FROM ${S}.${prefix}_raw WHERE ${ws}${filter} AND time >= ${cutoffMs}`];
  for (const g of GRANULARITIES) {
    const cutoff = `${BUCKET[g].expr(String(cutoffMs))}`;
    // Each flush adds partial rows per bucket, as ClickHouse parts do before a merge (compact()
    // merges them now and then): read them with SUM(count), as Unkey's docs say to.
    const cols = kind === "verifications" ? `time, ${KV_GROUP}, count, spent_credits` : `time, ${RL_GROUP}, passed, total`;
    views.push(`CREATE OR REPLACE TEMP VIEW ${t.aggregated[g]} AS SELECT ${cols} FROM ${S}.${prefix}_per_${g} WHERE ${ws}${filter} AND time >= ${cutoff}`);
  }
  return views.join(";\n");
}

const NUMERIC_TYPES = new Set<DuckDBTypeId>([
  DuckDBTypeId.TINYINT,
  DuckDBTypeId.SMALLINT,
  DuckDBTypeId.INTEGER,
  DuckDBTypeId.BIGINT,
  DuckDBTypeId.UTINYINT,
  DuckDBTypeId.USMALLINT,
  DuckDBTypeId.UINTEGER,
  DuckDBTypeId.UBIGINT,
  DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UHUGEINT,
  DuckDBTypeId.DECIMAL,
  DuckDBTypeId.FLOAT,
  DuckDBTypeId.DOUBLE,
]);

/** DuckDB's JSON form → Unkey's: numbers as numbers, NaN and Infinity as null (as Unkey does). */
function toJson(value: unknown, type: DuckDBType): unknown {
  if (value === null) return null;
  if (NUMERIC_TYPES.has(type.typeId)) {
    const n = typeof value === "number" ? value : Number(value);
    return Number.isFinite(n) ? n : null;
  }
  if (type.typeId === DuckDBTypeId.LIST && Array.isArray(value) && "valueType" in type) {
    const inner = (type as { valueType: DuckDBType }).valueType;
    return value.map((x) => toJson(x, inner));
  }
  return value;
}

/** Error text safe to return: DuckDB may quote row values (possibly before the scope filter ran). */
function safeMessage(message: string): string {
  const first = message.split("\n")[0] ?? message;
  if (/^(Binder|Parser|Catalog) Error/.test(first)) return first.replace(/unkey_store\.\w+/g, "table");
  return first.replace(/'[^']*'/g, "'…'").replace(/"[^"]*"/g, '"…"');
}

const STATEMENT_WORDS =
  /^(INSERT|UPDATE|DELETE|DROP|ALTER|CREATE|TRUNCATE|GRANT|REVOKE|ATTACH|DETACH|COPY|SET|RESET|PRAGMA|INSTALL|LOAD|CALL|EXPORT|IMPORT|VACUUM|CHECKPOINT|EXPLAIN|DESCRIBE|SHOW|SUMMARIZE|USE|BEGIN|START|COMMIT|ROLLBACK|ABORT|MERGE|UPSERT|REPLACE|OPTIMIZE|SYSTEM|KILL|RENAME|EXCHANGE|PREPARE|EXECUTE|DEALLOCATE|UPDATE|COMMENT|ANALYZE)\b/i;

function leadingWord(sql: string): string {
  const stripped = sql.replace(/^(\s|--[^\n]*\n?|\/\*[\s\S]*?\*\/|\()+/, "");
  return /^[A-Za-z]+/.exec(stripped)?.[0]?.toUpperCase() ?? "";
}

function fixQueryLocations(text: string): string {
  // uint64 "no position" markers do not survive JSON.parse into doubles; json_deserialize_sql
  // rejects them, so they become 0.
  return text.replace(/"query_location":\s*\d{16,}/g, '"query_location":0');
}

class DuckDbAnalytics implements Analytics {
  readonly available = true;
  private readonly verifications = new Pending<VerificationEvent>(KV_LINE);
  private readonly ratelimits = new Pending<RatelimitEvent>(RL_LINE);
  private flushing: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;
  private readonly templates: Templates;
  private closed = false;
  private closing: Promise<void> | undefined;
  private flushes = 0;

  constructor(
    private readonly instance: DuckDBInstance,
    /** Flushes and compactions only (one at a time, inside the flush chain): they span statements. */
    private readonly writer: DuckDBConnection,
    /** Parsing and deserialising queries' trees; queries run on a connection of their own. */
    private readonly parser: DuckDBConnection,
    private readonly limits: AnalyticsLimits,
    private readonly onError: (message: string, err: unknown) => void,
    compiled: Map<string, Obj>,
  ) {
    this.timer = setInterval(() => void this.flush().catch((err: unknown) => this.onError("analytics flush failed", err)), limits.flushIntervalMs);
    this.timer.unref();
    this.templates = {
      expr: (sql) => {
        const t = compiled.get(`SELECT ${sql}`);
        if (!t) throw new Error(`analytics template not compiled: ${sql}`);
        return structuredClone((t.select_list as Obj[])[0] as Obj);
      },
      query: (sql) => {
        const t = compiled.get(sql);
        if (!t) throw new Error(`analytics template not compiled: ${sql}`);
        return structuredClone(t);
      },
    };
  }

  recordVerification(e: VerificationEvent): void {
    if (this.closed) return;
    this.verifications.add(e);
    if (this.verifications.size >= this.limits.flushSize) void this.flush().catch((err: unknown) => this.onError("analytics flush failed", err));
  }

  recordRatelimit(e: RatelimitEvent): void {
    if (this.closed) return;
    this.ratelimits.add(e);
    if (this.ratelimits.size >= this.limits.flushSize) void this.flush().catch((err: unknown) => this.onError("analytics flush failed", err));
  }

  /** Serialised: one flush at a time, each taking whatever is buffered when it starts. */
  flush(): Promise<void> {
    const run = this.flushing.then(async () => {
      if (this.verifications.size === 0 && this.ratelimits.size === 0) return;
      await this.write(this.verifications.take(), this.ratelimits.take());
      if (++this.flushes % COMPACT_EVERY === 0) await this.compact();
    });
    this.flushing = run.catch(() => undefined);
    return run;
  }

  insertVerifications(events: readonly VerificationEvent[]): Promise<void> {
    const run = this.flushing.then(async () => {
      const chunk = 100_000;
      for (let i = 0; i < events.length; i += chunk) {
        const batch = new Pending<VerificationEvent>(KV_LINE);
        for (const e of events.slice(i, i + chunk)) batch.add(e);
        await this.write(batch.take(), { lines: [], odd: [] });
      }
      await this.compact();
    });
    this.flushing = run.catch(() => undefined);
    return run;
  }

  /**
   * A few strings per batch, parsed by DuckDB off the event loop: far less work on it than one
   * native call per value (the appender) or DuckDB list parameters, which kept verifyKey
   * throughput down. One transaction from the batch tables to the aggregates: all or nothing.
   * If it fails, each part (verifications and rate limits, as lines and as JSON) is tried again
   * in a transaction of its own, so one bad part cannot take the others' events with it.
   */
  private async write(kv: Taken<VerificationEvent>, rl: Taken<RatelimitEvent>): Promise<void> {
    try {
      await this.writeOnce(kv, rl);
    } catch (err) {
      const none = { lines: [], odd: [] };
      const all: [Taken<VerificationEvent>, Taken<RatelimitEvent>][] = [
        [{ lines: kv.lines, odd: [] }, none],
        [{ lines: [], odd: kv.odd }, none],
        [none, { lines: rl.lines, odd: [] }],
        [none, { lines: [], odd: rl.odd }],
      ];
      const parts = all.filter(([k, r]) => k.lines.length + k.odd.length + r.lines.length + r.odd.length > 0);
      if (parts.length < 2) throw err;
      let failed: unknown;
      for (const [k, r] of parts) await this.writeOnce(k, r).catch((e: unknown) => (failed ??= e));
      if (failed !== undefined) throw failed;
    }
  }

  private async writeOnce(kv: Taken<VerificationEvent>, rl: Taken<RatelimitEvent>): Promise<void> {
    try {
      await this.writer.run(`BEGIN TRANSACTION; ${CREATE_BATCHES}`);
      await this.insert(INSERT.kv, kv);
      await this.insert(INSERT.rl, rl);
      await this.writer.run(MOVE_BATCHES);
    } catch (err) {
      await this.writer.run("ROLLBACK").catch(() => undefined);
      throw err;
    }
  }

  private async insert<E extends object>(into: (typeof INSERT)[keyof typeof INSERT], batch: Taken<E>): Promise<void> {
    if (batch.lines.length > 0) await this.runWithText(into.lines, batch.lines.join(RECORD));
    if (batch.odd.length > 0) await this.runWithText(into.json, columns(batch.odd, into.shape));
  }

  /**
   * Runs a statement whose one parameter is a batch's text, bound as VARCHAR directly: the
   * generic `run(sql, [value])` converts the value into a DuckDB value and then binds a copy,
   * which cost the main thread ~8 ms per 3 MB batch against ~2 ms here (0.3 µs per event).
   */
  private async runWithText(sql: string, text: string): Promise<void> {
    const statement = await this.writer.prepare(sql);
    try {
      statement.bindVarchar(1, text);
      await statement.run();
    } finally {
      statement.destroySync();
    }
  }

  private async compact(): Promise<void> {
    try {
      await this.writer.run(compactSql());
    } catch (err) {
      await this.writer.run("ROLLBACK").catch(() => undefined);
      throw err;
    }
  }

  private async parse(sql: string): Promise<Obj> {
    let count: number;
    try {
      count = (await this.parser.extractStatements(sql)).count;
    } catch (err) {
      throw this.parseError(sql, (err as Error).message);
    }
    if (count === 0) throw invalidQuery("The query is empty; send one SELECT statement.");
    if (count > 1) throw invalidQuery(`Send exactly one SELECT statement; this query has ${count} statements.`);
    const reader = await this.parser.runAndReadAll("SELECT json_serialize_sql($1::VARCHAR) AS j", [sql]);
    const text = String(reader.getRows()[0]?.[0] ?? "");
    const tree = JSON.parse(fixQueryLocations(text)) as Obj;
    if (tree.error === true) throw this.parseError(sql, String(tree.error_message ?? "syntax error"), tree.position);
    return tree;
  }

  private parseError(sql: string, message: string, position?: unknown): Error {
    const word = leadingWord(sql);
    if (STATEMENT_WORDS.test(word)) return invalidQueryType(`a ${word} statement`);
    if (/\bSETTINGS\b/i.test(sql)) return invalidQuery("The SETTINGS clause is not allowed.");
    if (/\bFORMAT\s+\w+\s*;?\s*$/i.test(sql)) return invalidQuery("The FORMAT clause is not supported; results are always JSON rows.");
    if (/only SELECT statements/i.test(message)) return invalidQueryType("not a SELECT statement");
    if (/expression depth/i.test(message)) return invalidQuery("The query is too complex: expressions are nested too deeply.");
    const at = typeof position === "string" || typeof position === "number" ? ` at position ${position}` : "";
    return invalidQuery(`Syntax error: ${message.split("\n")[0]?.replace(/^Parser Error: /, "")}${at}.`);
  }

  async query(kind: AnalyticsKind, sql: string, scope: AnalyticsScope, now: number): Promise<AnalyticsRow[]> {
    if (Buffer.byteLength(sql, "utf8") > MAX_QUERY_BYTES) {
      throw invalidQuery(`The query is ${Buffer.byteLength(sql, "utf8")} bytes; the limit is ${MAX_QUERY_BYTES} bytes (16 KiB).`);
    }
    if (/\bWITH\s+FILL\b/i.test(sql)) {
      throw invalidQuery("ORDER BY … WITH FILL is ClickHouse-only and not supported by the local API. Drop WITH FILL and fill missing buckets in the client.");
    }
    await this.flush();
    const parsed = await this.parse(sql);
    const prepared = prepareQuery(sql, parsed, { kind, now, maxResultRows: this.limits.maxResultRows, templates: this.templates });
    const cutoffMs = now - this.limits.retentionDays * 86_400_000;

    const conn = await this.instance.connect();
    try {
      await conn.run(scopedViewsSql(kind, scope, cutoffMs));
      if (prepared.tables.size > 0) {
        const counts = [...prepared.tables].map((t) => `(SELECT count(*) FROM ${t})`).join(" + ");
        const scanned = Number((await conn.runAndReadAll(`SELECT ${counts}`)).getRows()[0]?.[0] ?? 0);
        if (scanned > this.limits.maxRowsRead) throw rowsLimitExceeded(scanned, this.limits.maxRowsRead);
      }
      if (prepared.lowerBounds.length > 0) await this.checkRetention(conn, prepared.lowerBounds, cutoffMs);
      const text = await this.deserialize(prepared.statement);
      await this.checkRoundTrip(prepared.statement, text);
      return await this.run(conn, text);
    } finally {
      conn.closeSync();
    }
  }

  /**
   * The text DuckDB wrote back from the checked tree must parse into that same tree: were any part
   * of it written back unquoted (as a star's relation once was), the text would say something
   * the tree did not, and it is not run.
   */
  private async checkRoundTrip(statement: Obj, text: string): Promise<void> {
    const nodes = (tree: Obj): unknown[] => (Array.isArray(tree.statements) ? tree.statements.map((s) => (s as Obj).node) : []);
    const again = nodes(await this.parse(text));
    const checked = nodes(statement);
    const same = again.length === 1 && checked.length === 1 && withoutLocations(again[0]) === withoutLocations(checked[0]);
    if (!same) {
      throw invalidQuery("The query cannot be run safely as written; simplify the names and quoting it uses.");
    }
  }

  private async deserialize(statement: Obj): Promise<string> {
    const reader = await this.parser.runAndReadAll("SELECT json_deserialize_sql($1::JSON) AS s", [JSON.stringify(statement)]);
    return String(reader.getRows()[0]?.[0] ?? "");
  }

  private async checkRetention(conn: DuckDBConnection, bounds: Obj[], cutoffMs: number): Promise<void> {
    const select = this.templates.query("SELECT 1");
    select.select_list = bounds.map((b) => {
      const c = structuredClone(b);
      c.alias = "";
      return c;
    });
    const text = await this.deserialize({ error: false, statements: [{ node: select, named_param_map: [] }] });
    let reader: Awaited<ReturnType<DuckDBConnection["runAndReadAll"]>>;
    try {
      reader = await conn.runAndReadAll(text);
    } catch {
      return; // the query itself will report what is wrong with the expression
    }
    const types = reader.columnTypes();
    const row = reader.getRowsJson()[0] ?? [];
    // A bound that rounds down to the start of the cutoff's day still counts as inside.
    const earliest = Math.floor(cutoffMs / 86_400_000) * 86_400_000;
    for (const [i, v] of row.entries()) {
      const t = types[i]!.typeId;
      let ms: number | undefined;
      if (t === DuckDBTypeId.DATE || t === DuckDBTypeId.TIMESTAMP || t === DuckDBTypeId.TIMESTAMP_TZ) ms = Date.parse(`${String(v).replace(" ", "T")}Z`);
      else if (NUMERIC_TYPES.has(t)) ms = Number(v);
      if (ms !== undefined && Number.isFinite(ms) && ms < earliest) {
        throw rangeExceedsRetention(new Date(ms).toISOString(), new Date(cutoffMs).toISOString(), this.limits.retentionDays);
      }
    }
  }

  private async run(conn: DuckDBConnection, text: string): Promise<AnalyticsRow[]> {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      conn.interrupt();
    }, this.limits.timeoutMs);
    try {
      // Prepared, so the text can only ever be one statement (DuckDB refuses to prepare more), and
      // streamed: each chunk's values are counted before any becomes a JavaScript value, so one
      // request cannot fill the heap with a huge result (a few groupArray columns over a cross
      // join once brought the whole process down).
      const statement = await conn.prepare(text);
      try {
        const result = await statement.stream();
        const names = result.columnNames();
        const types = result.columnTypes();
        const out: AnalyticsRow[] = [];
        let bytes = 0;
        let values = 0;
        for (let chunk = await result.fetchChunk(); chunk !== null && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
          for (let c = 0; c < chunk.columnCount; c++) values += valuesIn(chunk.getColumnVector(c));
          if (values > MAX_RESULT_VALUES) throw memoryLimitExceeded(`the result holds more than ${MAX_RESULT_VALUES} values`);
          for (let r = 0; r < chunk.rowCount; r++) {
            const row = chunk.convertRowValues(r, JsonDuckDBValueConverter);
            const o: AnalyticsRow = {};
            for (const [i, name] of names.entries()) o[name] = toJson(row[i] ?? null, types[i]!);
            bytes += JSON.stringify(o).length;
            if (bytes > this.limits.maxResultBytes) throw memoryLimitExceeded(`the result is larger than ${this.limits.maxResultBytes} bytes`);
            out.push(o);
          }
        }
        return out;
      } finally {
        statement.destroySync();
      }
    } catch (err) {
      if (timedOut || /INTERRUPT/i.test((err as Error).message)) throw executionTimeout(this.limits.timeoutMs);
      if (err instanceof Error && "status" in err) throw err;
      const message = (err as Error).message;
      if (/Out of Memory/i.test(message)) throw memoryLimitExceeded("the query needed more memory than the engine allows");
      throw invalidQuery(safeMessage(message));
    } finally {
      clearTimeout(timer);
    }
  }

  /** Flushes what waits and closes the engine; later calls wait for the first. */
  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  private async closeOnce(): Promise<void> {
    clearInterval(this.timer);
    try {
      await this.flush();
      // An event recorded while that flush ran waits for another. The server stops taking
      // requests before it closes this, so a few more rounds empty the queue.
      for (let round = 0; round < 8 && this.verifications.size + this.ratelimits.size > 0; round++) await this.flush();
      const left = this.verifications.size + this.ratelimits.size;
      if (left > 0) this.onError("analytics closed with events still arriving", new Error(`${left} events recorded after the last flush were not written`));
    } finally {
      this.closed = true;
      this.writer.closeSync();
      this.parser.closeSync();
      this.instance.closeSync();
    }
  }
}

/** The most values (cells and list items) one query result may bring into JavaScript. */
const MAX_RESULT_VALUES = 1_000_000;

/** The values a chunk's column holds: one per row, plus every list item, nested lists included. */
function valuesIn(vector: DuckDBVector): number {
  return vector instanceof DuckDBListVector ? vector.itemCount + valuesIn(vector.childVector) : vector.itemCount;
}

/** A tree as JSON, without the source positions a parse records. */
function withoutLocations(node: unknown): string {
  return JSON.stringify(node, (k, v) => (k === "query_location" ? undefined : v));
}

/** Every SQL snippet query.ts asks the Templates for, compiled once with the real parser. */
function templateSources(): string[] {
  const exprs = new Set<string>([
    "CAST('1970-01-01' AS TIMESTAMP)",
    "CAST('1970-01-01' AS DATE)",
    "CAST($1 AS TIMESTAMP)",
    "make_timestamp(CAST(round($1 * 1000000) AS BIGINT))",
    "epoch_ms(CAST($1 AS TIMESTAMP))",
    "epoch_ms(CAST($1 AS BIGINT))",
    "unnest($1)",
  ]);
  for (const t of Object.values(CLICKHOUSE_FUNCTIONS)) if (t) exprs.add(t);
  return [...[...exprs].map((e) => `SELECT ${e}`), "SELECT * FROM t", "SELECT * FROM (SELECT 1) AS t", "SELECT 1"];
}

export async function openDuckDbAnalytics(
  file: string | undefined,
  limits: AnalyticsLimits,
  onError: (message: string, err: unknown) => void = () => undefined,
): Promise<Analytics> {
  const instance = await DuckDBInstance.create(file ?? ":memory:", {
    // No files, no network, no extensions to install; the config cannot be changed afterwards.
    enable_external_access: "false",
    autoinstall_known_extensions: "false",
    autoload_known_extensions: "false",
    memory_limit: "1GB",
    // One worker thread: the local API shares a small machine with its callers, and a flush or a
    // query must not take a core away from request handling.
    threads: "1",
  });
  const writer = await instance.connect();
  const parser = await instance.connect();
  await writer.run(schemaSql());
  // Events an earlier version staged in tables of their own (and died before moving) are moved now.
  const stage = { kv: `${S}.kv_stage`, rl: `${S}.rl_stage` };
  const staged = await writer.runAndReadAll(`SELECT count(*) FROM duckdb_tables() WHERE schema_name = '${S}' AND table_name IN ('kv_stage', 'rl_stage')`);
  if (Number(staged.getRows()[0]?.[0] ?? 0) === 2) await writer.run(`BEGIN TRANSACTION; ${moveSql(stage)}`);
  await writer.run(compactSql());
  await writer.run("SET lock_configuration = true");
  const compiled = new Map<string, Obj>();
  const sources = templateSources();
  // LIMIT templates are built on demand from the clamp value; compile the configured one.
  sources.push(`SELECT 1 LIMIT ${limits.maxResultRows}`);
  for (const sql of sources) {
    const reader = await parser.runAndReadAll("SELECT json_serialize_sql($1::VARCHAR) AS j", [sql]);
    const tree = JSON.parse(fixQueryLocations(String(reader.getRows()[0]?.[0] ?? ""))) as Obj;
    if (tree.error === true) throw new Error(`analytics template does not parse: ${sql}: ${String(tree.error_message)}`);
    compiled.set(sql, (tree.statements as Obj[])[0]!.node as Obj);
  }
  return new DuckDbAnalytics(instance, writer, parser, limits, onError, compiled);
}
