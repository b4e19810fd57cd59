/**
 * The local API's SQL lives in src/local/store/ only: handlers and services call typed store
 * functions, never the connection. The analytics engine (src/local/analytics/, its handler) speaks
 * its own SQL dialect to its own engine and is not part of the SQLite store.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { expect, test } from "vitest";

const ROOT = join(import.meta.dirname, "../../src/local");
const OUTSIDE_THE_STORE = (path: string): boolean => !path.startsWith("store/") && !path.startsWith("analytics/") && path !== "handlers/analytics.ts";

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

const SQL = /\b(SELECT|INSERT (OR [A-Z]+ )?INTO|UPDATE [a-z_]+ SET|DELETE FROM|CREATE (TABLE|INDEX))\b/;
const RAW_ACCESS = /\b(db|store)\.(get|all|run|stmt|db)\b|\.(prepare|pragma)\(/;

test("no SQL text and no raw connection access outside src/local/store/", () => {
  const offenders: string[] = [];
  for (const file of sourceFiles(ROOT)) {
    const path = relative(ROOT, file).split("\\").join("/");
    if (!OUTSIDE_THE_STORE(path)) continue;
    readFileSync(file, "utf8")
      .split("\n")
      .forEach((line, i) => {
        if (SQL.test(line) || RAW_ACCESS.test(line)) offenders.push(`${path}:${i + 1}: ${line.trim()}`);
      });
  }
  expect(offenders).toEqual([]);
});

test("the check sees what it is meant to see", () => {
  expect(SQL.test(`ctx.db.get("SELECT id FROM keys")`)).toBe(true);
  expect(SQL.test(`"UPDATE keys SET remaining = ?"`)).toBe(true);
  expect(RAW_ACCESS.test("ctx.db.run(sql)")).toBe(true);
  expect(RAW_ACCESS.test("store.get(sql)")).toBe(true);
  expect(SQL.test("// the key is selected by hash")).toBe(false);
});
