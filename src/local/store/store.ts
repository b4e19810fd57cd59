/**
 * The SQLite store: one better-sqlite3 connection, WAL journal, migrations on open, a cache of
 * prepared statements, and `tx()` for handler transactions.
 *
 * Durability: journal_mode=WAL with synchronous=NORMAL. In WAL mode a commit appends the
 * transaction to the -wal file with write(2) before `COMMIT` returns, and handlers commit before
 * the response is written, so an acknowledged write is in the OS page cache and survives the
 * process dying (kill -9, crash): the next open replays the WAL. What NORMAL gives up is an fsync
 * per commit, i.e. the last transactions can be lost (never corrupted) on power loss or an OS
 * crash. That trade is SQLite's documented WAL recommendation; FULL would add an fsync to every
 * verifyKey (credits, analytics) and ratelimit call, which is the hot path the bench measures.
 */
import type { Database, Statement, RunResult } from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { migrate } from "./schema.js";

export interface StoreOptions {
  /** Directory holding `unkey-local.db`; ignored with `memory`. */
  dataDir?: string;
  memory?: boolean;
}

export const DB_FILE_NAME = "unkey-local.db";

export class Store {
  readonly db: Database;
  private readonly statements = new Map<string, Statement>();
  private readonly txStatements: Record<"begin" | "commit" | "rollback" | "savepoint" | "release" | "rollbackTo", Statement>;

  constructor(db: Database) {
    this.db = db;
    this.txStatements = {
      begin: db.prepare("BEGIN IMMEDIATE"),
      commit: db.prepare("COMMIT"),
      rollback: db.prepare("ROLLBACK"),
      savepoint: db.prepare("SAVEPOINT nested_tx"),
      release: db.prepare("RELEASE nested_tx"),
      rollbackTo: db.prepare("ROLLBACK TO nested_tx"),
    };
  }

  /** A prepared statement, compiled once per SQL text. */
  stmt(sql: string): Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  get<T = Record<string, unknown>>(sql: string, ...params: unknown[]): T | undefined {
    return this.stmt(sql).get(...params) as T | undefined;
  }

  all<T = Record<string, unknown>>(sql: string, ...params: unknown[]): T[] {
    return this.stmt(sql).all(...params) as T[];
  }

  run(sql: string, ...params: unknown[]): RunResult {
    return this.stmt(sql).run(...params);
  }

  /**
   * Runs `fn` in one transaction (BEGIN IMMEDIATE, so a second process such as the root-key CLI
   * waits on busy_timeout instead of failing on a lock upgrade). Nested calls become savepoints.
   */
  tx<T>(fn: () => T): T {
    // The same steps as better-sqlite3's db.transaction(fn).immediate(), on statements prepared
    // once: db.transaction() builds four wrapper functions per call, a measurable share of a
    // verifyKey or ratelimit.limit (every request runs in one).
    const nested = this.db.inTransaction;
    const s = this.txStatements;
    (nested ? s.savepoint : s.begin).run();
    try {
      const result = fn();
      if (result instanceof Promise) throw new TypeError("Transaction function cannot return a promise");
      (nested ? s.release : s.commit).run();
      return result;
    } catch (err) {
      // SQLite may already have rolled back on its own (e.g. SQLITE_FULL); then there is nothing to undo.
      if (this.db.inTransaction) {
        if (nested) {
          s.rollbackTo.run();
          s.release.run();
        } else {
          s.rollback.run();
        }
      }
      throw err;
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/** Opens (creating if needed) the database and brings its schema up to date. */
export async function openStore(opts: StoreOptions): Promise<Store> {
  let DatabaseCtor: typeof import("better-sqlite3");
  try {
    DatabaseCtor = (await import("better-sqlite3")).default;
  } catch (err) {
    throw new Error(
      `The local API needs the optional dependency better-sqlite3, which is not installed or failed to build (${(err as Error).message}). Reinstall with \`npm install better-sqlite3\`.`,
    );
  }
  let db: Database;
  if (opts.memory) {
    db = new DatabaseCtor(":memory:");
  } else {
    const dir = opts.dataDir ?? ".unkey-local";
    mkdirSync(dir, { recursive: true });
    db = new DatabaseCtor(join(dir, DB_FILE_NAME));
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
  }
  db.pragma("busy_timeout = 5000");
  db.pragma("foreign_keys = ON");
  try {
    migrate(db);
  } catch (err) {
    db.close(); // a data dir that cannot be upgraded must not stay open (and locked) in this process
    throw err;
  }
  return new Store(db);
}
