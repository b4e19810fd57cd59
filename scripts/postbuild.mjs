// After tsc: copy the contract assets the built package reads at run time into dist/,
// precompile what startup would otherwise compute, and bundle the CLI.
//   dist/tools/catalog.json  the generated part of the catalog (buildCatalog, strict); hand-written
//                            tools are code and join it at run time
//   dist/prompts.json        the shipped prompts, parsed (no YAML parser at startup)
//   dist/cli.js (+ chunks)   the CLI as one ES module graph: loading the SDK and our code from a
//                            few files instead of hundreds halves a stdio server's cold start.
//                            The tsc output beside it stays the library entry (dist/index.js).
import { cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { build } from "esbuild";

mkdirSync("dist/schemas", { recursive: true });
for (const f of ["unkey.openapi.yaml", "unkey.contract.json", "unkey.d.ts"]) {
  cpSync(`src/schemas/${f}`, `dist/schemas/${f}`);
}

const { buildCatalog } = await import("../dist/tools/catalog.js");
const { loadPrompts } = await import("../dist/prompts.js");
// The same catalog the server lists (strict: a broken x-mcp rule or a clashing hand-written name
// fails the build); only the generated tools are data, so only they are precompiled.
const catalog = await buildCatalog({ strict: true });
writeFileSync("dist/tools/catalog.json", JSON.stringify(catalog.tools.filter((t) => t.handler === undefined)));
writeFileSync("dist/prompts.json", JSON.stringify(await loadPrompts()));

for (const f of readdirSync("dist")) if (f.startsWith("chunk-")) rmSync(`dist/${f}`);
await build({
  entryPoints: ["dist/cli.js"],
  outdir: "dist",
  allowOverwrite: true,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  chunkNames: "chunk-[hash]",
  // Native, heavy or HTTP-only packages stay ordinary imports: SQLite's binding cannot be
  // bundled, undici and yaml are loaded on first use anyway (and yaml, being CommonJS, would lose
  // its named exports to the bundle's interop). DuckDB and the chart libraries are optional
  // dependencies loaded with import() on first use (analytics, charts), native or large.
  external: ["better-sqlite3", "express", "prom-client", "undici", "yaml", "@duckdb/node-api", "@resvg/resvg-js", "vega", "vega-lite"],
  // One ajv in the bundle, not also the SDK's copy (see scripts/sdk-shims.mjs).
  alias: { "@modelcontextprotocol/server/_shims": "./scripts/sdk-shims.mjs" },
  // Whitespace and syntax only (names stay): less to parse at every start, measured 0.96 of the
  // cold start.
  minifyWhitespace: true,
  minifySyntax: true,
  // Bundled CommonJS dependencies call require() for Node built-ins.
  banner: { js: "import { createRequire as __unkeyMcpCreateRequire } from 'node:module'; const require = __unkeyMcpCreateRequire(import.meta.url);" },
  sourcemap: true,
  logLevel: "warning",
});
