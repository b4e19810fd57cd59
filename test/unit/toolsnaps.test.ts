/**
 * Tool schema snapshots (`__toolsnaps__/<tool>.snap.json`): what a client sees of every tool in
 * tools/list. A change to the contract or the generator that alters any tool fails here until
 * the snapshots are regenerated on purpose and the diff is reviewed:
 *
 *   UPDATE_TOOLSNAPS=1 npx vitest run test/unit/toolsnaps.test.ts
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { toListedTool } from "../../src/tools/export.js";
import { tools } from "../helpers/catalog.js";

const DIR = fileURLToPath(new URL("./__toolsnaps__/", import.meta.url));
const UPDATE = process.env.UPDATE_TOOLSNAPS === "1";
const HOW = "If the change is intended, run: UPDATE_TOOLSNAPS=1 npx vitest run test/unit/toolsnaps.test.ts (and review the diff).";

function snapshotText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

describe("tool snapshots", () => {
  if (UPDATE) mkdirSync(DIR, { recursive: true });

  it.each(tools.map((t) => [t.name, t] as const))("%s matches its snapshot", (name, tool) => {
    const file = join(DIR, `${name}.snap.json`);
    const actual = snapshotText(toListedTool(tool));
    if (UPDATE) {
      writeFileSync(file, actual);
      return;
    }
    expect(existsSync(file), `no snapshot for tool ${name}. ${HOW}`).toBe(true);
    const stored = readFileSync(file, "utf8");
    // Compare parsed values first for a readable diff, then the bytes for formatting drift.
    expect(JSON.parse(actual), `tool ${name} differs from ${name}.snap.json. ${HOW}`).toEqual(JSON.parse(stored));
    expect(actual, `${name}.snap.json is not formatted as generated. ${HOW}`).toBe(stored);
  });

  it("has no snapshot for a tool that no longer exists", () => {
    const expected = new Set(tools.map((t) => `${t.name}.snap.json`));
    const stale = readdirSync(DIR).filter((f) => f.endsWith(".snap.json") && !expected.has(f));
    if (UPDATE) {
      for (const f of stale) rmSync(join(DIR, f));
      return;
    }
    expect(stale, `snapshots without a tool: ${stale.join(", ")}. ${HOW}`).toEqual([]);
  });
});
