/**
 * The globalSetup guard of the integration and e2e projects: a dist/ older than src/ or
 * prompts/ is refused with the file that changed and what to run.
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { staleDistReason } from "../setup/dist-fresh.js";

let root: string | undefined;
afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
});

function project(times: { src: number; prompts: number; dist?: number }): string {
  root = mkdtempSync(join(tmpdir(), "dist-fresh-"));
  for (const d of ["src/tools", "prompts", "dist"]) mkdirSync(join(root, d), { recursive: true });
  const file = (p: string, t: number): void => {
    writeFileSync(join(root!, p), "x");
    utimesSync(join(root!, p), t, t);
  };
  file("src/tools/execute.ts", times.src);
  file("prompts/debug-key.md", times.prompts);
  if (times.dist !== undefined) file("dist/cli.js", times.dist);
  return root;
}

describe("staleDistReason", () => {
  it("accepts a build newer than every source", () => {
    expect(staleDistReason(project({ src: 1_000, prompts: 1_000, dist: 2_000 }))).toBeUndefined();
  });
  it("names the source file that changed after the build", () => {
    expect(staleDistReason(project({ src: 3_000, prompts: 1_000, dist: 2_000 }))).toMatch(/^src\/tools\/execute\.ts changed after dist\/ was built/);
    expect(staleDistReason(project({ src: 1_000, prompts: 3_000, dist: 2_000 }))).toMatch(/^prompts\/debug-key\.md changed/);
  });
  it("says when there is no build at all", () => {
    expect(staleDistReason(project({ src: 1_000, prompts: 1_000 }))).toBe("dist/cli.js does not exist");
  });
});
