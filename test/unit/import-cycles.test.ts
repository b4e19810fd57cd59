/**
 * No import cycles in src/: every static import and re-export between our modules (type-only ones
 * included) forms a graph without cycles, and the MCP side and the local API meet only in
 * src/schemas. Dynamic `import()` is lazy loading and not part of the graph.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = fileURLToPath(new URL("../../src/", import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith(".ts") && !name.endsWith(".d.ts") ? [path] : [];
  });
}

/** Relative imports of a module, resolved to .ts files. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s+"(\.[^"]+)"/gms)) {
    out.push(resolve(dirname(file), m[1].replace(/\.js$/, ".ts")));
  }
  for (const m of text.matchAll(/^\s*import\s+"(\.[^"]+)"/gm)) out.push(resolve(dirname(file), m[1].replace(/\.js$/, ".ts")));
  return out;
}

const graph = new Map(sourceFiles(SRC).map((f) => [f, importsOf(f)]));
const rel = (f: string): string => relative(SRC, f);

function findCycles(): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, "visiting");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (state.get(next) === "visiting") cycles.push([...stack.slice(stack.indexOf(next)), next].map(rel));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, "done");
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return cycles;
}

describe("the module graph of src/", () => {
  it("sees the imports it checks (the walker is not blind)", () => {
    expect(graph.get(join(SRC, "tools/execute.ts"))).toContain(join(SRC, "tools/results.ts"));
    expect(graph.size).toBeGreaterThan(40);
  });

  it("has no import cycles", () => {
    expect(
      findCycles().map((c) => c.join(" → ")),
      "import cycles",
    ).toEqual([]);
  });

  it("finds a cycle when there is one", () => {
    const a = join(SRC, "__a.ts");
    const b = join(SRC, "__b.ts");
    graph.set(a, [b]);
    graph.set(b, [a]);
    try {
      expect(findCycles().length).toBeGreaterThan(0);
    } finally {
      graph.delete(a);
      graph.delete(b);
    }
  });

  it("keeps the MCP side and the local API apart: they share only src/schemas", () => {
    const crossings: string[] = [];
    for (const [file, deps] of graph) {
      const inLocal = rel(file).startsWith("local/");
      for (const dep of deps) {
        const depLocal = rel(dep).startsWith("local/");
        const shared = rel(dep).startsWith("schemas/") || rel(dep).startsWith("util/");
        if (inLocal !== depLocal && !shared && !(rel(file) === "cli.ts" || rel(file).startsWith("commands/"))) crossings.push(`${rel(file)} → ${rel(dep)}`);
      }
    }
    expect(crossings).toEqual([]);
  });
});
