// After tsc: copy the contract assets the built package reads at run time into dist/, and
// precompile what startup would otherwise compute (startup time is a product feature):
//   dist/tools/catalog.json  the tool catalog generated from the bundled contract
//   dist/prompts.json        the shipped prompts, parsed (no YAML parser at startup)
import { cpSync, mkdirSync, writeFileSync } from "node:fs";

mkdirSync("dist/schemas", { recursive: true });
for (const f of ["unkey.openapi.yaml", "unkey.contract.json"]) {
  cpSync(`src/schemas/${f}`, `dist/schemas/${f}`);
}

const { loadContract } = await import("../dist/schemas/loader.js");
const { generateTools } = await import("../dist/tools/generate.js");
const { loadPrompts } = await import("../dist/prompts.js");
writeFileSync("dist/tools/catalog.json", JSON.stringify(generateTools(loadContract(), { strict: true }).tools));
writeFileSync("dist/prompts.json", JSON.stringify(await loadPrompts()));
