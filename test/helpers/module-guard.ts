/**
 * Imports a module in a fresh Node process whose loader refuses certain packages: if anything the
 * module pulls in (directly or through other modules) imports one of them, the import fails with
 * a message naming it. This is how the tests prove that an entry point does not load a framework.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

// Runs in the loader thread (module.register): `resolve` sees every import specifier.
const HOOKS = `
let denied = [];
export function initialize(data) { denied = data.denied; }
export async function resolve(specifier, context, next) {
  for (const name of denied) {
    if (specifier === name || specifier.startsWith(name + "/")) {
      throw new Error("refused import of " + specifier + " from " + context.parentURL);
    }
  }
  return next(specifier, context);
}
`;

/** The loader hook files, in a fresh folder the caller removes when the child is done. */
function writeHooks(): { dir: string; register: string } {
  const dir = mkdtempSync(join(tmpdir(), "unkey-mcp-guard-"));
  writeFileSync(join(dir, "hooks.mjs"), HOOKS);
  const register = join(dir, "register.mjs");
  writeFileSync(
    register,
    `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(join(dir, "hooks.mjs")).href)}, { data: { denied: JSON.parse(process.env.UNKEY_MCP_TEST_DENIED) } });\n`,
  );
  return { dir, register };
}

export interface GuardedImport {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `import(specifier)` in a child process (cwd `cwd`, so bare specifiers resolve from there) with
 * `denied` packages refused. Prints the module's export names on success.
 */
export function importWithout(specifier: string, denied: readonly string[], cwd: string): Promise<GuardedImport> {
  return runWithout(`const m = await import(${JSON.stringify(specifier)}); console.log(Object.keys(m).sort().join(","));`, denied, cwd);
}

/** Runs an ES module `script` (top-level await allowed) in a child process with `denied` packages refused. */
export function runWithout(script: string, denied: readonly string[], cwd: string): Promise<GuardedImport> {
  const { dir, register } = writeHooks();
  return new Promise<GuardedImport>((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", pathToFileURL(register).href, "--input-type=module", "-e", script], {
      cwd,
      env: { PATH: process.env.PATH ?? "", UNKEY_MCP_TEST_DENIED: JSON.stringify(denied) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  }).finally(() => rmSync(dir, { recursive: true, force: true }));
}

/** The framework packages the adapters use (and the SDKs no adapter may need). */
export const FRAMEWORKS = ["ai", "@ai-sdk/provider-utils", "@langchain/core", "openai", "@anthropic-ai/sdk"] as const;
