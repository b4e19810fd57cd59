import { countToolListTokens } from "./tokens.mjs";
import { readFileSync } from "node:fs";
const { generateTools } = await import("/tmp/m1dist/tools/generate.js");
const { selectTools } = await import("/tmp/m1dist/tools/catalog.js");
const doc = JSON.parse(readFileSync("/tmp/m1-contract.json", "utf8"));
const { tools } = generateTools(doc, { strict: true });
for (const s of [{profile:"full"},{profile:"ratelimits"},{profile:"full",readOnly:true}]) { const t = selectTools(tools, s); console.log(JSON.stringify(s), t.length, countToolListTokens(t)); }
const per = tools.map(t=>[t.name,countToolListTokens([t])]).sort((a,b)=>b[1]-a[1]).slice(0,6); console.log(per);
const strip = (o, k, v) => { if (Array.isArray(o)) return o.map(x=>strip(x,k,v)); if (o && typeof o === "object") { const r = {}; for (const [kk, vv] of Object.entries(o)) { if (kk===k && (v===undefined || vv===v)) continue; r[kk]=strip(vv,k,v);} return r;} return o; };
for (const [k,v] of [["additionalProperties",true],["default",undefined],["description",undefined],["pattern",undefined],["type","object"]]) console.log(k, v, countToolListTokens(tools.map(t=>({...t, inputSchema: strip(t.inputSchema,k,v)}))));
