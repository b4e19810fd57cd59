/**
 * The package root and each adapter load only what they need, checked on the built package in a
 * child process whose loader refuses the framework packages (test/helpers/module-guard.ts): the
 * root loads no framework, and each adapter loads its own framework and no other.
 */
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { FRAMEWORKS, importWithout } from "../helpers/module-guard.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const dist = (file: string): string => new URL(`../../dist/${file}`, import.meta.url).href;
const others = (...own: string[]): string[] => FRAMEWORKS.filter((f) => !own.includes(f));

describe("what each entry point loads", () => {
  it("the guard works: an adapter's own framework, refused, fails its import with a message naming it", async () => {
    const r = await importWithout(dist("toolkit/ai-sdk.js"), ["ai"], ROOT);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/refused import of ai from .*dist\/toolkit\/ai-sdk\.js/);
  });

  it("the package root (createUnkeyToolkit and the catalog) loads no framework", async () => {
    const r = await importWithout(dist("index.js"), FRAMEWORKS, ROOT);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("createUnkeyToolkit");
  });

  it.each([
    ["toolkit/openai.js", [] as string[], "handleToolCalls"],
    ["toolkit/anthropic.js", [], "handleToolUses"],
    ["toolkit/ai-sdk.js", ["ai", "@ai-sdk/provider-utils"], "unkeyAiSdkTools"],
    ["toolkit/langchain.js", ["@langchain/core"], "langchainTools"],
  ])("%s loads only its own framework", async (file, own, exported) => {
    const r = await importWithout(dist(file), others(...own), ROOT);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split(",")).toContain(exported);
  });
});
