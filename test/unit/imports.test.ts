/**
 * The transport side has no import cycles: commands → runtime → server → tools, and the HTTP
 * folder's modules import each other one way only (endpoints.ts holds what both sides need).
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = resolve(fileURLToPath(new URL("../../src", import.meta.url)));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return p.endsWith(".ts") && !p.endsWith(".d.ts") ? [p] : [];
  });
}

/** Every import cycle among src/ modules, as "a.ts -> b.ts" paths relative to src/. */
function importCycles(): string[] {
  const files = sourceFiles(SRC);
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const deps = [...readFileSync(f, "utf8").matchAll(/(?:import|export)[^;]*?from\s+"(\.[^"]+)"/g)].map((m) => resolve(dirname(f), m[1].replace(/\.js$/, ".ts")));
    graph.set(f, deps.filter((d) => known.has(d)));
  }
  const cycles = new Set<string>();
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (n: string): void => {
    state.set(n, "open");
    stack.push(n);
    for (const d of graph.get(n) ?? []) {
      if (state.get(d) === "open") cycles.add([...stack.slice(stack.indexOf(d)), d].map((x) => relative(SRC, x)).join(" -> "));
      else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(n, "done");
  };
  for (const f of files) if (!state.has(f)) visit(f);
  return [...cycles];
}

describe("imports", () => {
  it("no cycle runs through the commands, the runtime, the server or the transports", () => {
    const ours = importCycles().filter((c) => /(^|-> )(commands\/|transports\/|runtime\.ts|server\.ts|cli\.ts|config\.ts)/.test(c));
    expect(ours).toEqual([]);
  });
});
