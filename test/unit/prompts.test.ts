import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadPrompts, parsePromptFile, PromptArgumentError, renderPrompt } from "../../src/prompts.js";

const file = (front: string, body = "Hello {{who}}."): string => `---\n${front}\n---\n${body}\n`;

describe("prompts", () => {
  it("ships five workflow prompts, each with a description and declared arguments", async () => {
    const prompts = await loadPrompts();
    expect(prompts.map((p) => p.name).sort()).toEqual(["debug_key", "onboard_customer", "ratelimit_tiers", "rotate_leaked_key", "weekly_usage_report"]);
    for (const p of prompts) {
      expect(p.description.length).toBeGreaterThan(20);
      expect(p.body).not.toMatch(/^---/);
    }
  });

  it("renders placeholders and leaves optional ones empty", async () => {
    const p = await parsePromptFile(file("name: hi\ndescription: says hello\narguments:\n  - name: who\n    required: false"), "hi.md");
    expect(renderPrompt(p, { who: "Ada" })).toBe("Hello Ada.");
    expect(renderPrompt(p, {})).toBe("Hello .");
  });

  it("a missing required argument and an unknown argument are errors naming them", async () => {
    const p = await parsePromptFile(file("name: hi\ndescription: says hello\narguments:\n  - name: who\n    description: the person\n    required: true"), "hi.md");
    expect(() => renderPrompt(p, {})).toThrow(PromptArgumentError);
    expect(() => renderPrompt(p, {})).toThrow("missing required argument who (the person)");
    expect(() => renderPrompt(p, { who: "x", whom: "y" })).toThrow("unknown argument whom");
  });

  it("rejects malformed files with the file and field named", async () => {
    await expect(parsePromptFile("no front matter", "a.md")).rejects.toThrow("a.md: expected YAML front matter");
    await expect(parsePromptFile(file("name: bad name\ndescription: d"), "b.md")).rejects.toThrow("b.md: name:");
    await expect(parsePromptFile(file("name: ok\ndescription: d", "Hi {{nobody}}"), "c.md")).rejects.toThrow("placeholder {{nobody}} is not a declared argument");
  });

  it("refuses two files with the same prompt name", async () => {
    const dir = mkdtempSync(join(tmpdir(), "prompts-"));
    writeFileSync(join(dir, "a.md"), file("name: same\ndescription: first", "x"));
    writeFileSync(join(dir, "b.md"), file("name: same\ndescription: second", "y"));
    await expect(loadPrompts(dir)).rejects.toThrow("prompt name same is used by another file");
  });
});
