/**
 * vitest globalSetup of the projects whose tests spawn the built CLI (`dist/cli.js`): refuse to
 * run them against a build older than the sources, which would test yesterday's code and fail
 * (or pass) for reasons nobody can see. `npm test` builds first; a focused run says what to do.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));

/** The newest file below `dir` (path and modification time). */
function newest(dir: string): { path: string; mtimeMs: number } {
  let best = { path: dir, mtimeMs: 0 };
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    const candidate = entry.isDirectory() ? newest(p) : { path: p, mtimeMs: statSync(p).mtimeMs };
    if (candidate.mtimeMs > best.mtimeMs) best = candidate;
  }
  return best;
}

/** Why dist/ cannot be used, or undefined when it is at least as new as every source file. */
export function staleDistReason(root: string = ROOT): string | undefined {
  const cli = join(root, "dist", "cli.js");
  if (!existsSync(cli)) return "dist/cli.js does not exist";
  const built = statSync(cli).mtimeMs;
  const sources = [newest(join(root, "src")), newest(join(root, "prompts"))];
  const changed = sources.find((s) => s.mtimeMs > built);
  if (!changed) return undefined;
  return `${relative(root, changed.path)} changed after dist/ was built (${new Date(changed.mtimeMs).toISOString()} > ${new Date(built).toISOString()})`;
}

export default function setup(): void {
  const reason = staleDistReason();
  if (reason) {
    throw new Error(`These tests spawn dist/cli.js, but ${reason}. Run \`npm run build\` first (npm test does it for you).`);
  }
}
