/**
 * Where the package's run-time files are. The same code runs from src/ (tests), from dist/ (the
 * tsc output behind the library entry) and from the bundled CLI (dist/cli.js and its chunks, which
 * sit directly in dist/), so no module may assume its own depth: every lookup goes through here.
 */
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
// src/util or dist/util → src or dist; a bundle chunk lives in dist/ itself.
const codeRoot = basename(here) === "util" ? dirname(here) : here;

/** A file below the code root (src/ or dist/), e.g. `schemas/unkey.contract.json`. */
export function codePath(relative: string): string {
  return join(codeRoot, relative);
}

/** A file at the package root, e.g. `package.json` or `prompts/`. */
export function packagePath(relative: string): string {
  return join(codeRoot, "..", relative);
}
