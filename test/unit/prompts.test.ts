import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defaultPromptsDir, loadPrompts, parsePromptFile, PromptArgumentError, renderPrompt } from "../../src/prompts.js";
import type { JsonSchema } from "../../src/schemas/loader.js";
import { tools } from "../helpers/catalog.js";

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
    const p = await parsePromptFile(
      file("name: hi\ndescription: says hello\narguments:\n  - name: who\n    description: the person\n    required: true"),
      "hi.md",
    );
    expect(() => renderPrompt(p, {})).toThrow(PromptArgumentError);
    expect(() => renderPrompt(p, {})).toThrow("missing required argument who (the person)");
    expect(() => renderPrompt(p, { who: "x", whom: "y" })).toThrow("unknown argument whom");
  });

  it("rejects malformed files with the file and field named", async () => {
    await expect(parsePromptFile("no front matter", "a.md")).rejects.toThrow("a.md: expected YAML front matter");
    await expect(parsePromptFile(file("name: bad name\ndescription: d"), "b.md")).rejects.toThrow("b.md: name:");
    await expect(parsePromptFile(file("name: ok\ndescription: d", "Hi {{nobody}}"), "c.md")).rejects.toThrow(
      "placeholder {{nobody}} is not a declared argument",
    );
  });

  it("refuses two files with the same prompt name", async () => {
    const dir = mkdtempSync(join(tmpdir(), "prompts-"));
    writeFileSync(join(dir, "a.md"), file("name: same\ndescription: first", "x"));
    writeFileSync(join(dir, "b.md"), file("name: same\ndescription: second", "y"));
    await expect(loadPrompts(dir)).rejects.toThrow("prompt name same is used by another file");
  });
});

/*
 * Tool references in the shipped prompts are checked against the real catalog, so a prompt can
 * never send the model to a tool or an argument that does not exist. The convention the prompts
 * follow (and this parser reads):
 *  - A tool is written in backticks, either bare — `list_roles` — or as a call:
 *    `get_key(keyId: "…")`, `list_keys(apiId: "{{apiId}}", limit: 100, cursor)`.
 *  - A call's arguments are comma-separated `name` or `name: value`. A value is a "string", a
 *    number, a bare word or …, an object {key: value, …} (keys bare or "quoted", `{key}` allowed)
 *    or an array [value, …]. Every key, at every depth, must be declared by the tool's inputSchema
 *    wherever that schema lists properties (free-form objects such as `meta` are not checked).
 *  - Any word anywhere in a prompt file shaped like a tool name — snake_case beginning with a
 *    verb the catalog uses (create_, get_, list_, query_, …) — must be a tool of the catalog.
 */
type Parsed = { kind: "object"; entries: Array<[string, Parsed | undefined]> } | { kind: "array"; items: Parsed[] } | { kind: "scalar" };

/** Parses the argument list of a call as the entries of an object. */
function parseCallArgs(src: string): Parsed {
  let i = 0;
  const ws = (): void => {
    while (i < src.length && /\s/.test(src[i])) i++;
  };
  const fail = (what: string): never => {
    throw new Error(`cannot parse ${JSON.stringify(src)} at ${i}: ${what}`);
  };
  const key = (): string => {
    ws();
    if (src[i] === '"') {
      const end = src.indexOf('"', i + 1);
      if (end < 0) fail("unterminated key");
      const k = src.slice(i + 1, end);
      i = end + 1;
      return k;
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (!m) fail("expected an argument or property name");
    i += m![0].length;
    return m![0];
  };
  const entries = (close: string | undefined): Parsed => {
    const out: Array<[string, Parsed | undefined]> = [];
    ws();
    while (i < src.length && src[i] !== close) {
      const k = key();
      ws();
      let v: Parsed | undefined;
      if (src[i] === ":") {
        i++;
        v = value();
      }
      out.push([k, v]);
      ws();
      if (src[i] === ",") i++;
      else if (src[i] !== close && i < src.length) fail("expected , between arguments");
      ws();
    }
    if (close && src[i++] !== close) fail(`expected ${close}`);
    return { kind: "object", entries: out };
  };
  const value = (): Parsed => {
    ws();
    if (src[i] === "{") {
      i++;
      return entries("}");
    }
    if (src[i] === "[") {
      i++;
      const items: Parsed[] = [];
      ws();
      while (src[i] !== "]") {
        if (i >= src.length) fail("unterminated array");
        items.push(value());
        ws();
        if (src[i] === ",") i++;
        ws();
      }
      i++;
      return { kind: "array", items };
    }
    if (src[i] === '"') {
      const end = src.indexOf('"', i + 1);
      if (end < 0) fail("unterminated string");
      i = end + 1;
      return { kind: "scalar" };
    }
    const m = /^[^,}\]]+/.exec(src.slice(i));
    if (!m) fail("expected a value");
    i += m![0].length;
    return { kind: "scalar" };
  };
  const parsed = entries(undefined);
  if (i < src.length) fail("trailing text");
  return parsed;
}

/** The properties a schema declares, across anyOf/oneOf branches; undefined = free-form. */
function declaredProperties(schema: JsonSchema | undefined): Record<string, JsonSchema> | undefined {
  if (!schema) return undefined;
  let props = schema.properties as Record<string, JsonSchema> | undefined;
  for (const branch of [...((schema.anyOf as JsonSchema[]) ?? []), ...((schema.oneOf as JsonSchema[]) ?? [])]) {
    const p = declaredProperties(branch);
    if (p) props = { ...(props ?? {}), ...p };
  }
  return props;
}

function itemsOf(schema: JsonSchema | undefined): JsonSchema | undefined {
  if (!schema) return undefined;
  if (schema.items) return schema.items as JsonSchema;
  for (const branch of [...((schema.anyOf as JsonSchema[]) ?? []), ...((schema.oneOf as JsonSchema[]) ?? [])]) {
    const items = itemsOf(branch);
    if (items) return items;
  }
  return undefined;
}

function checkValue(value: Parsed | undefined, schema: JsonSchema | undefined, path: string, problems: string[]): void {
  if (!value || value.kind === "scalar") return;
  if (value.kind === "array") {
    for (const item of value.items) checkValue(item, itemsOf(schema), `${path}[]`, problems);
    return;
  }
  const props = declaredProperties(schema);
  if (!props) return;
  for (const [k, v] of value.entries) {
    if (!(k in props)) problems.push(`${path}${path.endsWith("(") ? "" : "."}${k}: not an argument of the tool (it has ${Object.keys(props).join(", ")})`);
    else checkValue(v, props[k], `${path}${path.endsWith("(") ? "" : "."}${k}`, problems);
  }
}

interface ReferenceReport {
  problems: string[];
  /** What was checked, to prove the check is not vacuous. */
  tools: Set<string>;
  calls: number;
  args: number;
}

/** Every tool reference in a prompt file's text, checked against the catalog. */
function checkToolReferences(text: string, catalog: Map<string, JsonSchema>, source: string): ReferenceReport {
  const verbs = new Set([...catalog.keys()].map((n) => n.split("_")[0]));
  const report: ReferenceReport = { problems: [], tools: new Set(), calls: 0, args: 0 };
  for (const m of text.matchAll(/\b[a-z]+(?:_[a-z0-9]+)+\b/g)) {
    if (!verbs.has(m[0].split("_")[0])) continue;
    if (catalog.has(m[0])) report.tools.add(m[0]);
    else report.problems.push(`${source}: ${m[0]} is not a tool of the catalog`);
  }
  for (const m of text.matchAll(/`([^`]+)`/g)) {
    const call = /^([a-z]+(?:_[a-z0-9]+)+)\(([\s\S]*)\)$/.exec(m[1]);
    if (!call || !catalog.has(call[1])) continue;
    report.calls++;
    let parsed: Parsed;
    try {
      parsed = parseCallArgs(call[2]);
    } catch (err) {
      report.problems.push(`${source}: ${(err as Error).message}`);
      continue;
    }
    if (parsed.kind === "object") report.args += parsed.entries.length;
    const found: string[] = [];
    checkValue(parsed, catalog.get(call[1]), `${call[1]}(`, found);
    report.problems.push(...found.map((p) => `${source}: ${p}`));
  }
  return report;
}

describe("tool references in the shipped prompts", () => {
  // The whole catalog, hand-written tools included (the analytics helpers the prompts use).
  const catalog = new Map(tools.map((t) => [t.name, t.inputSchema]));
  const dir = defaultPromptsDir();
  const files = readdirSync(dir).filter((f) => f.endsWith(".md"));

  it.each(files)("%s names only catalog tools, with arguments their schemas declare", (f) => {
    const report = checkToolReferences(readFileSync(join(dir, f), "utf8"), catalog, f);
    expect(report.problems).toEqual([]);
    // Every prompt drives at least one tool through a checked call.
    expect(report.tools.size).toBeGreaterThan(0);
    expect(report.calls).toBeGreaterThan(0);
  });

  it("covers the tools and arguments the workflows depend on", () => {
    const all = files.map((f) => checkToolReferences(readFileSync(join(dir, f), "utf8"), catalog, f));
    const tools = new Set(all.flatMap((r) => [...r.tools]));
    for (const t of [
      "get_api",
      "create_identity",
      "update_identity",
      "create_key",
      "list_keys",
      "query_key_verifications",
      "analytics_usage_summary",
      "analytics_timeseries",
      "analytics_top",
      "analytics_ratelimits",
      "reroll_key",
      "set_ratelimit_override",
    ]) {
      expect(tools, t).toContain(t);
    }
    expect(all.reduce((n, r) => n + r.args, 0)).toBeGreaterThan(20);
  });

  it("the checker reports unknown tools, unknown arguments at any depth, and unparsable calls", () => {
    const bad = [
      "Use `list_apis` first, then get_apis.",
      '`get_api(api_id: "x")`',
      '`create_key(apiId: "a", credits: {remaining: 1, refill: {every: "month"}})`',
      '`create_identity(externalId: "c", ratelimits: [{name: "r", limit: 1, window: 1000}])`',
      '`meta` stays free-form: `create_key(apiId: "a", meta: {anything: 1})`',
      '`get_key(keyId: "a" "b")`',
    ].join("\n");
    const report = checkToolReferences(bad, catalog, "bad.md");
    expect(report.problems).toEqual([
      "bad.md: list_apis is not a tool of the catalog",
      "bad.md: get_apis is not a tool of the catalog",
      expect.stringMatching(/^bad\.md: get_api\(api_id: not an argument of the tool \(it has apiId\)$/),
      expect.stringMatching(/^bad\.md: create_key\(credits\.refill\.every: not an argument/),
      expect.stringMatching(/^bad\.md: create_identity\(ratelimits\[\]\.window: not an argument/),
      expect.stringMatching(/^bad\.md: cannot parse/),
    ]);
  });
});
