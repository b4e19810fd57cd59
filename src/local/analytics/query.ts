/**
 * The analytics query, checked and rewritten on DuckDB's own parse tree (json_serialize_sql), never
 * by matching text: one SELECT, only the documented tables (or CTEs in scope), only allow-listed
 * functions, size limits, a clamped LIMIT, ClickHouse functions turned into DuckDB ones, and the
 * time lower bounds collected for the retention check. Scoping to the caller's workspace happens
 * outside the tree: the documented table names resolve to per-request filtered views (engine.ts),
 * so whatever the tree says, no other rows exist for it.
 *
 * Pure functions over JSON; `Templates` (compiled by the engine with the same parser) turns a
 * DuckDB SQL snippet into a tree node.
 */
import { CLICKHOUSE_FUNCTIONS, PARSER_FUNCTIONS, TEMPORAL_FUNCTIONS } from "./functions.js";
import { invalidFunction, invalidQuery, invalidTable } from "./errors.js";
import type { AnalyticsKind } from "./types.js";

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type Obj = { [k: string]: Json };

export const GRANULARITIES = ["minute", "hour", "day", "month"] as const;
export type Granularity = (typeof GRANULARITIES)[number];

/** The documented table names per operation: raw first. */
export const TABLES: Readonly<Record<AnalyticsKind, { raw: string; aggregated: Readonly<Record<Granularity, string>> }>> = {
  verifications: {
    raw: "key_verifications_v1",
    aggregated: {
      minute: "key_verifications_per_minute_v1",
      hour: "key_verifications_per_hour_v1",
      day: "key_verifications_per_day_v1",
      month: "key_verifications_per_month_v1",
    },
  },
  ratelimits: {
    raw: "ratelimits_v1",
    aggregated: {
      minute: "ratelimits_per_minute_v1",
      hour: "ratelimits_per_hour_v1",
      day: "ratelimits_per_day_v1",
      month: "ratelimits_per_month_v1",
    },
  },
};

export function tableNames(kind: AnalyticsKind): string[] {
  return [TABLES[kind].raw, ...Object.values(TABLES[kind].aggregated)];
}

export const MAX_QUERY_BYTES = 16 * 1024;
export const MAX_AST_NODES = 2000;
export const MAX_COLUMNS = 64;
/** The deepest the parse tree may go, in JSON levels (about two per nested call: ~120 calls). */
export const MAX_TREE_DEPTH = 256;

/** How many levels deep a parse tree goes (iteratively: the tree being measured may be deep). */
function depthOf(v: unknown): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[v, 1]];
  while (stack.length > 0) {
    const [n, d] = stack.pop()!;
    if (d > deepest) deepest = d;
    if (typeof n === "object" && n !== null) for (const c of Object.values(n)) if (typeof c === "object" && c !== null) stack.push([c, d + 1]);
  }
  return deepest;
}

/** DuckDB snippets as tree nodes; `$n` parameters are filled by `instantiate`. */
export interface Templates {
  /** The expression of `SELECT <sql>` (a fresh copy). */
  expr(sql: string): Obj;
  /** The query node of `<sql>` (a fresh copy). */
  query(sql: string): Obj;
}

export interface PreparedQuery {
  /** The rewritten statement, ready for json_deserialize_sql. */
  statement: Obj;
  /** Documented tables the query names (for the rows-read check). */
  tables: Set<string>;
  /** Lower bounds on `time` (expressions without columns), evaluated for the retention check. */
  lowerBounds: Obj[];
}

export interface PrepareOptions {
  kind: AnalyticsKind;
  /** Request clock (unix ms): now(), today(). */
  now: number;
  maxResultRows: number;
  templates: Templates;
}

function isObj(v: Json | undefined): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function str(v: Json | undefined): string {
  return typeof v === "string" ? v : "";
}

const TABLE_REF_TYPES = new Set(["BASE_TABLE", "JOIN", "SUBQUERY", "EMPTY", "EXPRESSION_LIST", "TABLE_FUNCTION"]);
const QUERY_NODE_TYPES = new Set(["SELECT_NODE", "SET_OPERATION_NODE", "RECURSIVE_CTE_NODE", "CTE_NODE"]);

/** The caller's spelling of the identifier at a parse-tree position, for error messages. */
function spelledAt(sql: string, node: Obj, fallback: string): string {
  const loc = node.query_location;
  if (typeof loc === "number" && loc >= 0 && loc < sql.length) {
    const m = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(sql.slice(loc));
    if (m?.[0].toLowerCase().endsWith(fallback.toLowerCase())) return m[0];
  }
  return fallback;
}

type Side = "raw" | "aggregated";

/** alias (or table name) → which kind of documented table it is, for one SELECT's FROM. */
function sourcesOf(from: Json | undefined, kind: AnalyticsKind, out = new Map<string, Side | "other">()): Map<string, Side | "other"> {
  if (!isObj(from)) return out;
  if (from.type === "BASE_TABLE") {
    const name = str(from.table_name).toLowerCase();
    const side: Side | "other" = name === TABLES[kind].raw ? "raw" : tableNames(kind).includes(name) ? "aggregated" : "other";
    out.set(str(from.alias).toLowerCase() || name, side);
  } else if (from.type === "JOIN") {
    sourcesOf(from.left, kind, out);
    sourcesOf(from.right, kind, out);
  } else if (from.type === "SUBQUERY") {
    out.set(str(from.alias).toLowerCase(), "other");
  }
  return out;
}

/** `time` / `alias.time` of a documented table: which side, or undefined. */
function timeColumn(n: Json | undefined, sources: Map<string, Side | "other">): Side | undefined {
  if (!isObj(n) || n.class !== "COLUMN_REF" || !Array.isArray(n.column_names)) return undefined;
  const names = n.column_names.map((c) => str(c).toLowerCase());
  if (names[names.length - 1] !== "time") return undefined;
  if (names.length === 2) {
    const s = sources.get(names[0]!);
    return s === "other" ? undefined : s;
  }
  if (names.length !== 1) return undefined;
  const kinds = new Set(sources.values());
  if (kinds.has("raw")) return "raw";
  if (kinds.has("aggregated")) return "aggregated";
  return undefined;
}

/** Whether an (unrewritten) expression evaluates to a date or time. */
function isTemporal(n: Json | undefined): boolean {
  if (!isObj(n)) return false;
  if (n.class === "FUNCTION") {
    const name = str(n.function_name).toLowerCase();
    if (TEMPORAL_FUNCTIONS.has(name)) return true;
    if ((name === "+" || name === "-") && Array.isArray(n.children)) return n.children.some(isTemporal);
    return false;
  }
  if (n.class === "CAST" && isObj(n.cast_type)) return ["DATE", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE"].includes(str(n.cast_type.id));
  return false;
}

function containsColumnOrSubquery(n: Json | undefined): boolean {
  if (Array.isArray(n)) return n.some(containsColumnOrSubquery);
  if (!isObj(n)) return false;
  if (n.class === "COLUMN_REF" || n.class === "SUBQUERY" || n.class === "STAR") return true;
  return Object.values(n).some(containsColumnOrSubquery);
}

function instantiate(template: Obj, args: readonly Json[]): Obj {
  const fill = (v: Json): Json => {
    if (Array.isArray(v)) return v.map(fill);
    if (!isObj(v)) return v;
    if (v.class === "PARAMETER") {
      const i = Number(v.identifier) - 1;
      return structuredClone(args[i] ?? null);
    }
    const out: Obj = {};
    for (const [k, val] of Object.entries(v)) out[k] = fill(val);
    return out;
  };
  return fill(template) as Obj;
}

function paramCount(template: Obj): number {
  let max = 0;
  const walk = (v: Json): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (isObj(v)) {
      if (v.class === "PARAMETER") max = Math.max(max, Number(v.identifier));
      Object.values(v).forEach(walk);
    }
  };
  walk(template);
  return max;
}

function isoUtc(ms: number): string {
  return new Date(ms).toISOString().replace("T", " ").replace("Z", "");
}

function literal(templates: Templates, value: string, type: "TIMESTAMP" | "DATE"): Obj {
  const node = templates.expr(`CAST('1970-01-01' AS ${type})`);
  (node.child as Obj).value = { type: { id: "VARCHAR", type_info: null }, is_null: false, value };
  return node;
}

/**
 * Validates and rewrites the parsed statement (`json_serialize_sql` output). Throws ApiError with
 * Unkey's analytics codes naming the offending table, function or clause.
 */
export function prepareQuery(sql: string, parsed: Obj, opts: PrepareOptions): PreparedQuery {
  const { kind, templates } = opts;
  const allowedTables = tableNames(kind);
  const otherKind: AnalyticsKind = kind === "verifications" ? "ratelimits" : "verifications";
  const statements = parsed.statements;
  if (!Array.isArray(statements) || statements.length !== 1 || !isObj(statements[0]) || !isObj(statements[0].node)) {
    throw invalidQuery("Send exactly one SELECT statement.");
  }
  const root = statements[0].node;
  // DuckDB's binder takes time that grows faster than the nesting (990 nested calls: 47 s of CPU,
  // which no interrupt stops), so deep nesting is refused before it gets there.
  if (depthOf(root) > MAX_TREE_DEPTH) throw invalidQuery("The query is too complex: expressions are nested too deeply.");
  const tables = new Set<string>();
  const lowerBounds: { holder: Obj; key: string }[] = [];
  let nodes = 0;

  // Pass 1: validation, time comparisons, lower bounds. `scope` = CTE names visible here.
  const visit = (v: Json | undefined, scope: ReadonlySet<string>, sources: Map<string, Side | "other">): void => {
    if (Array.isArray(v)) {
      for (const x of v) visit(x, scope, sources);
      return;
    }
    if (!isObj(v)) return;
    if (typeof v.type === "string" && QUERY_NODE_TYPES.has(v.type) && "cte_map" in v) {
      nodes++;
      const inner = new Set(scope);
      const map = isObj(v.cte_map) && Array.isArray(v.cte_map.map) ? v.cte_map.map : [];
      for (const entry of map) {
        if (!isObj(entry) || !isObj(entry.value) || !isObj(entry.value.query)) continue;
        const name = str(entry.key).toLowerCase();
        const body = entry.value.query.node;
        // A CTE sees the ones before it; itself only when recursive.
        const own = isObj(body) && body.type === "RECURSIVE_CTE_NODE" ? new Set([...inner, name]) : inner;
        visit(body, own, sources);
        inner.add(name);
      }
      const own = v.type === "SELECT_NODE" ? sourcesOf(v.from_table, kind) : sources;
      if (v.type === "RECURSIVE_CTE_NODE") inner.add(str(v.ctename).toLowerCase());
      if (v.type === "SELECT_NODE" && Array.isArray(v.select_list) && v.select_list.length > MAX_COLUMNS) {
        throw invalidQuery(`A SELECT may project at most ${MAX_COLUMNS} columns; this one has ${v.select_list.length}.`);
      }
      for (const [k, val] of Object.entries(v)) if (k !== "cte_map") visit(val, inner, own);
      return;
    }
    if ("sample" in v && typeof v.type === "string" && !("class" in v)) {
      nodes++;
      if (!TABLE_REF_TYPES.has(v.type)) throw invalidQuery(`Unsupported FROM clause (${v.type.toLowerCase().replace(/_/g, " ")}).`);
      if (v.type === "TABLE_FUNCTION") {
        const fn = isObj(v.function) ? str(v.function.function_name) : "table function";
        throw invalidFunction(isObj(v.function) ? spelledAt(sql, v.function, fn) : fn);
      }
      if (v.type === "BASE_TABLE") {
        const name = str(v.table_name);
        const qualified = [str(v.catalog_name), str(v.schema_name), name].filter((s) => s !== "").join(".");
        const lower = name.toLowerCase();
        if (qualified !== name) throw invalidTable(qualified, allowedTables);
        if (scope.has(lower)) return;
        if (!allowedTables.includes(lower)) {
          const hint = tableNames(otherKind).includes(lower)
            ? `'${name}' is queried with analytics.${otherKind === "ratelimits" ? "getRatelimits" : "getVerifications"}.`
            : "";
          throw invalidTable(name, allowedTables, hint);
        }
        tables.add(lower);
        return;
      }
    }
    if (typeof v.class === "string") {
      nodes++;
      if (nodes > MAX_AST_NODES) throw invalidQuery(`The query is too complex: more than ${MAX_AST_NODES} syntax nodes.`);
      if (v.class === "PARAMETER") throw invalidQuery("Query parameters ($1, ?) are not supported; write the values into the query.");
      // DuckDB writes a star's relation back into SQL text without quotes (`"x; DROP …".*` would
      // come out as a second statement): only a plain name may stand there.
      if (v.class === "STAR" && str(v.relation_name) !== "" && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(str(v.relation_name))) {
        throw invalidQuery(`${JSON.stringify(str(v.relation_name))}.* is not supported: before .* write a table name or alias of letters, digits and _.`);
      }
      if (v.class === "FUNCTION" || v.class === "WINDOW") {
        const name = str(v.function_name).toLowerCase();
        const qualified = [str(v.catalog), str(v.schema)].filter((s) => s !== "");
        // The parser itself qualifies a few (`[a, b]` is main.list_value).
        const parserMade = PARSER_FUNCTIONS.has(name) && qualified.every((q) => q === "main");
        if (qualified.length > 0 && !parserMade) throw invalidFunction([...qualified, name].join("."));
        if (!(name in CLICKHOUSE_FUNCTIONS) && !PARSER_FUNCTIONS.has(name)) throw invalidFunction(spelledAt(sql, v, name));
      }
      for (const val of Object.values(v)) visit(val, scope, sources);
      // After the children: the DuckDB nodes this inserts are not the caller's and are not checked.
      if (v.class === "COMPARISON" || v.class === "BETWEEN") checkTimeComparison(v, sources);
      return;
    }
    for (const val of Object.values(v)) visit(val, scope, sources);
  };

  const checkTimeComparison = (v: Obj, sources: Map<string, Side | "other">): void => {
    const wrapMs = (holder: Obj, key: string): void => {
      holder[key] = instantiate(templates.expr("epoch_ms(CAST($1 AS TIMESTAMP))"), [holder[key]!]);
    };
    const wrapEpoch = (holder: Obj, key: string): void => {
      const n = holder[key];
      // A unix-ms literal against DateTime buckets (the docs' billing-period example).
      if (isObj(n) && n.class === "CONSTANT" && isObj(n.value) && typeof n.value.value === "number" && n.value.value > 1e11) {
        holder[key] = instantiate(templates.expr("epoch_ms(CAST($1 AS BIGINT))"), [n]);
      }
    };
    const fix = (side: Side, holder: Obj, key: string): void => {
      if (side === "raw" && isTemporal(holder[key])) wrapMs(holder, key);
      else if (side === "aggregated") wrapEpoch(holder, key);
    };
    const bound = (holder: Obj, key: string): void => {
      if (!containsColumnOrSubquery(holder[key])) lowerBounds.push({ holder, key });
    };
    if (v.class === "BETWEEN") {
      const side = timeColumn(v.input, sources);
      if (!side) return;
      fix(side, v, "lower");
      fix(side, v, "upper");
      bound(v, "lower");
      return;
    }
    const type = str(v.type);
    const left = timeColumn(v.left, sources);
    const right = timeColumn(v.right, sources);
    if (left && !right) {
      fix(left, v, "right");
      if (type === "COMPARE_GREATERTHAN" || type === "COMPARE_GREATERTHANOREQUALTO" || type === "COMPARE_EQUAL") bound(v, "right");
    } else if (right && !left) {
      fix(right, v, "left");
      if (type === "COMPARE_LESSTHAN" || type === "COMPARE_LESSTHANOREQUALTO" || type === "COMPARE_EQUAL") bound(v, "left");
    }
  };

  visit(root, new Set(), new Map());

  // Pass 2: ClickHouse functions → DuckDB, bottom-up, in place.
  const rewrite = (v: Json): Json => {
    if (Array.isArray(v)) return v.map(rewrite);
    if (!isObj(v)) return v;
    const original = v.class === "FUNCTION" && Array.isArray(v.children) ? v.children[0] : undefined;
    for (const [k, val] of Object.entries(v)) v[k] = rewrite(val);
    if (v.class !== "FUNCTION") return v;
    const name = str(v.function_name).toLowerCase();
    const args = Array.isArray(v.children) ? v.children : [];
    const alias = str(v.alias);
    const withAlias = (n: Obj): Obj => {
      n.alias = alias;
      return n;
    };
    switch (name) {
      case "now":
      case "now64":
        return withAlias(literal(templates, isoUtc(opts.now), "TIMESTAMP"));
      case "today":
        return withAlias(literal(templates, isoUtc(opts.now).slice(0, 10), "DATE"));
      case "yesterday":
        return withAlias(literal(templates, isoUtc(opts.now - 86_400_000).slice(0, 10), "DATE"));
      case "todatetime":
      case "todatetime64": {
        const a = original;
        const isText = isObj(a) && a.class === "CONSTANT" && isObj(a.value) && isObj(a.value.type) && a.value.type.id === "VARCHAR";
        const tpl = isText || isTemporal(a) ? "CAST($1 AS TIMESTAMP)" : "make_timestamp(CAST(round($1 * 1000000) AS BIGINT))";
        return withAlias(instantiate(templates.expr(tpl), args.slice(0, 1)));
      }
    }
    const tpl = CLICKHOUSE_FUNCTIONS[name];
    if (typeof tpl !== "string") return v;
    const template = templates.expr(tpl);
    const expected = paramCount(template);
    if (args.length !== expected) {
      throw invalidQuery(`Function '${spelledAt(sql, v, name)}' takes ${expected} argument${expected === 1 ? "" : "s"}, got ${args.length}.`);
    }
    const out = withAlias(instantiate(template, args));
    if (v.distinct === true) {
      // DISTINCT belongs to the aggregate, which a template may wrap (coalesce(sum(x), 0)).
      const agg = out.class === "FUNCTION" && str(out.function_name) === "coalesce" && Array.isArray(out.children) ? out.children[0] : out;
      if (isObj(agg) && agg.class === "FUNCTION") agg.distinct = true;
    }
    return out;
  };
  rewrite(root);

  // Pass 3: arrayJoin(x) in a SELECT list becomes UNNEST in a subquery over the same FROM.
  liftArrayJoins(root, templates);

  // Pass 4: clamp the LIMIT.
  clampLimit(root, opts.maxResultRows, templates);

  return { statement: parsed, tables, lowerBounds: lowerBounds.map(({ holder, key }) => holder[key] as Obj) };
}

function findArrayJoins(v: Json, found: Obj[], replace: boolean): Json {
  if (Array.isArray(v)) return v.map((x) => findArrayJoins(x, found, replace));
  if (!isObj(v) || v.class === "SUBQUERY") return v;
  if (v.class === "FUNCTION" && str(v.function_name).toLowerCase() === "arrayjoin") {
    found.push(v);
    if (!replace) return v;
    return { class: "COLUMN_REF", type: "COLUMN_REF", alias: str(v.alias), query_location: 0, column_names: [`__array_join_${found.length}`] };
  }
  for (const [k, val] of Object.entries(v)) v[k] = findArrayJoins(val, found, replace);
  return v;
}

function liftArrayJoins(v: Json, templates: Templates): void {
  if (Array.isArray(v)) {
    for (const x of v) liftArrayJoins(x, templates);
    return;
  }
  if (!isObj(v)) return;
  for (const val of Object.values(v)) liftArrayJoins(val, templates);
  if (v.type !== "SELECT_NODE") return;
  const found: Obj[] = [];
  v.select_list = findArrayJoins(v.select_list ?? [], found, true);
  const elsewhere: Obj[] = [];
  for (const k of ["where_clause", "group_expressions", "having", "qualify"]) findArrayJoins(v[k] ?? null, elsewhere, false);
  if (elsewhere.length > 0) throw invalidQuery("arrayJoin() is supported in the SELECT list only; give it an alias and refer to the alias.");
  if (found.length === 0) return;
  const from = v.from_table;
  if (!isObj(from) || from.type !== "BASE_TABLE") {
    throw invalidQuery("arrayJoin() needs a single table in FROM (no joins or subqueries) on the local API.");
  }
  const inner = templates.query("SELECT * FROM t");
  inner.from_table = from;
  for (const [i, fn] of found.entries()) {
    const args = Array.isArray(fn.children) ? fn.children : [];
    if (args.length !== 1) throw invalidQuery(`Function 'arrayJoin' takes 1 argument, got ${args.length}.`);
    const unnest = instantiate(templates.expr("unnest($1)"), args);
    unnest.alias = `__array_join_${i + 1}`;
    (inner.select_list as Json[]).push(unnest);
  }
  const wrapper = templates.query("SELECT * FROM (SELECT 1) AS t").from_table as Obj;
  (wrapper.subquery as Obj).node = inner;
  wrapper.alias = str(from.alias) || str(from.table_name);
  v.from_table = wrapper;
}

function clampLimit(root: Obj, max: number, templates: Templates): void {
  if (!Array.isArray(root.modifiers)) root.modifiers = [];
  const modifiers = root.modifiers;
  const existing = modifiers.find((m) => isObj(m) && m.type === "LIMIT_MODIFIER") as Obj | undefined;
  const limitNode = (): Obj => {
    const m = (templates.query(`SELECT 1 LIMIT ${max}`).modifiers as Json[])[0] as Obj;
    return m;
  };
  if (!existing) {
    modifiers.push(limitNode());
    return;
  }
  const limit = existing.limit;
  if (isObj(limit) && limit.class === "CONSTANT" && isObj(limit.value) && typeof limit.value.value === "number") {
    if (limit.value.value > max) existing.limit = limitNode().limit ?? null;
    return;
  }
  if (limit === null || limit === undefined) {
    existing.limit = limitNode().limit ?? null;
    return;
  }
  // A computed LIMIT (`LIMIT 300000+0`, a subquery) could not be clamped: refused.
  throw invalidQuery(`LIMIT must be a number (at most ${max}); a computed LIMIT is not supported.`);
}
