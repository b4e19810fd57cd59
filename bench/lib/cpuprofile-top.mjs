// Summarises a V8 .cpuprofile (node --cpu-prof): the functions with the most self time, and
// (with --by file) the files/packages that time falls in.
//
//   node bench/lib/cpuprofile-top.mjs profile.cpuprofile [--top 40] [--by file] [--inclusive]
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: "string", default: "40" }, by: { type: "string", default: "function" }, inclusive: { type: "boolean", default: false } },
});
const profile = JSON.parse(readFileSync(positionals[0], "utf8"));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
// timeDeltas[i] is the time before samples[i]; attribute it to that sample's node.
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i];
  self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
}
const where = (cf) => {
  const url = cf.url.replace(/^file:\/\//, "");
  const nm = url.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const rest = url.slice(nm + 13).split("/");
    return rest[0].startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith("node:")) return url;
  return url.split("/").slice(-2).join("/") || "(native)";
};
const keyOf = (cf) => (values.by === "file" ? where(cf) : `${cf.functionName || "(anonymous)"}  ${where(cf)}:${cf.lineNumber + 1}`);
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const agg = new Map();
let totalUs = 0;
for (const [id, us] of self) {
  totalUs += us;
  if (!values.inclusive) {
    const key = keyOf(byId.get(id).callFrame);
    agg.set(key, (agg.get(key) ?? 0) + us);
    continue;
  }
  // Inclusive: every distinct function on the sample's stack gets the sample's time once.
  const seen = new Set();
  for (let at = id; at !== undefined; at = parent.get(at)) seen.add(keyOf(byId.get(at).callFrame));
  for (const key of seen) agg.set(key, (agg.get(key) ?? 0) + us);
}
const rows = [...agg].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top));
console.log(`total ${(totalUs / 1000).toFixed(0)} ms sampled`);
for (const [k, us] of rows) console.log(`${((100 * us) / totalUs).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`);
