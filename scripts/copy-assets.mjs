// Copies the non-TypeScript assets the built package reads at run time into dist/.
import { cpSync, mkdirSync } from "node:fs";

mkdirSync("dist/schemas", { recursive: true });
for (const f of ["unkey.openapi.yaml", "unkey.contract.json"]) {
  cpSync(`src/schemas/${f}`, `dist/schemas/${f}`);
}
