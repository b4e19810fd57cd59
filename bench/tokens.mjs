// Token cost of a tool list as a model sees it: o200k_base tokens (js-tiktoken) of
// JSON.stringify(tools.map(t => ({ name, description, inputSchema }))).
//
//   node bench/tokens.mjs            per-profile table for the built catalog (needs npm run build)
//   import { countToolListTokens } from "./tokens.mjs"
//
// Plain JavaScript so it runs without a build; src/ never imports js-tiktoken.
import { getEncoding } from "js-tiktoken";
import { pathToFileURL } from "node:url";

/** Tokens of the 2.1.4 SDK's MCP server (docs/anchor-baseline.md) and the budget derived from it. */
export const BASELINE_TOKENS = 9093;
export const FULL_PROFILE_BUDGET = Math.floor(BASELINE_TOKENS * 0.6);

let encoder;

/** The model-visible part of each tool: what MCP hosts put into the context. */
export function modelVisible(tools) {
  return tools.map((t) => ({ name: t.name, description: t.description, inputSchema: t.inputSchema }));
}

/** o200k_base tokens of JSON.stringify(modelVisible(tools)). */
export function countToolListTokens(tools) {
  encoder ??= getEncoding("o200k_base");
  return encoder.encode(JSON.stringify(modelVisible(tools))).length;
}

/** Token counts of the built catalog per selection (full, ratelimits, full read-only). */
export async function tokensPerProfile() {
  const { buildCatalog, selectTools } = await import("../dist/index.js");
  const { tools } = await buildCatalog();
  const rows = [
    ["full", { profile: "full" }],
    ["ratelimits", { profile: "ratelimits" }],
    ["full --read-only", { profile: "full", readOnly: true }],
  ];
  return rows.map(([label, selection]) => {
    const selected = selectTools(tools, selection);
    const tokens = countToolListTokens(selected);
    return { selection: label, tools: selected.length, tokens, perTool: Math.round(tokens / selected.length) };
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const rows = await tokensPerProfile();
  for (const r of rows) {
    console.log(`${r.selection.padEnd(18)} ${String(r.tools).padStart(3)} tools ${String(r.tokens).padStart(6)} tokens (${r.perTool}/tool)`);
  }
  const full = rows[0].tokens;
  console.log(`budget (0.6 x ${BASELINE_TOKENS} baseline): ${FULL_PROFILE_BUDGET}; full profile ${full <= FULL_PROFILE_BUDGET ? "within" : "OVER"} budget`);
}
