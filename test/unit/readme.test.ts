/**
 * The README is the front door: it must name every tool and every flag the CLI accepts, and
 * open with the two commands. (Numbers from the benchmarks are updated by hand after a run.)
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { FLAGS } from "../../src/config.js";
import { tools } from "../helpers/catalog.js";

const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");

describe("README", () => {
  it("opens with the two commands", () => {
    const top = readme.split("\n").slice(0, 15).join("\n");
    expect(top).toContain("npm install && npm start");
    expect(top).toContain("npm test");
  });

  it("names every tool of the catalog", () => {
    const missing = tools.map((t) => t.name).filter((n) => !readme.includes(`\`${n}\``));
    expect(missing).toEqual([]);
  });

  it("documents every flag of stdio, http and start", () => {
    const missing = FLAGS.map((f) => `--${f.name}`).filter((flag) => !readme.includes(flag));
    expect(missing).toEqual([]);
  });

  it("the stdio client config runs the installed package's bin, not `npx` of an unpublished name", () => {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { bin: Record<string, string> };
    const section = readme.slice(readme.indexOf("### Against the real Unkey, over stdio"));
    const config = JSON.parse(/```jsonc\n(\{.*\})\n```/.exec(section)?.[1] ?? "{}") as { mcpServers: { unkey: { command: string; args: string[] } } };
    expect(Object.keys(pkg.bin)).toContain(config.mcpServers.unkey.command);
    expect(config.mcpServers.unkey.args).toEqual(["stdio"]);
    expect(readme).toContain("npm install -g ./unkey-mcp-0.1.0.tgz");
  });
});
