/**
 * The tool generator: from the contract (and from other OpenAPI documents) to tool definitions.
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { loadContract } from "../../src/schemas/loader.js";
import type { JsonSchema, OpenApiDocument } from "../../src/schemas/loader.js";
import { compactPattern, generateTools, ToolGenerationError } from "../../src/tools/generate.js";
import { TIME_PHRASES } from "../../src/tools/times.js";
import { effectiveSafety, isGuarded } from "../../src/tools/guard.js";
import type { ToolDefinition } from "../../src/tools/types.js";

const contract = loadContract();
// Built leniently so one contract slip fails only the strict-mode test below, not every test.
const { tools, warnings } = generateTools(contract);
const byName = new Map(tools.map((t) => [t.name, t]));

function tool(name: string): ToolDefinition {
  const t = byName.get(name);
  if (!t) throw new Error(`no tool ${name}`);
  return t;
}

/** Every [key, value] pair anywhere in a JSON value, with its path. */
function entries(value: unknown, path = "$"): [string, string, unknown][] {
  if (Array.isArray(value)) return value.flatMap((v, i) => entries(v, `${path}[${i}]`));
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) => [[path, k, v] as [string, string, unknown], ...entries(v, `${path}.${k}`)]);
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ToolGenerationError) return err.problems;
    throw err;
  }
  throw new Error("expected a ToolGenerationError");
}

function ajv(): Ajv2020 {
  return new Ajv2020({ strict: false, allErrors: true });
}

/** A minimal OpenAPI 3.1 document with the given POST operations. */
function docWith(ops: Record<string, Record<string, unknown>>): OpenApiDocument {
  const paths: OpenApiDocument["paths"] = {};
  for (const [path, op] of Object.entries(ops)) paths[path] = { post: op };
  return { openapi: "3.1.0", info: { title: "t", version: "1" }, paths };
}

function op(operationId: string, xMcp: Record<string, unknown> | undefined, body?: JsonSchema): Record<string, unknown> {
  return {
    operationId,
    summary: `Summary of ${operationId}`,
    description: `Does ${operationId}.`,
    ...(body ? { requestBody: { content: { "application/json": { schema: body } } } } : {}),
    responses: {
      "200": {
        description: "OK",
        content: {
          "application/json": {
            schema: { type: "object", properties: { meta: { type: "object" }, data: { type: "object", properties: { id: { type: "string" } } } } },
          },
        },
      },
    },
    ...(xMcp ? { "x-mcp": xMcp } : {}),
  };
}

const X = (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  name,
  title: `Title ${name}`,
  toolset: "things",
  safety: "read",
  permissions: [["thing.read"]],
  profiles: ["full"],
  ...extra,
});

const BODY: JsonSchema = {
  type: "object",
  required: ["id"],
  properties: { id: { type: "string", minLength: 3 }, flag: { type: "boolean" } },
  additionalProperties: false,
};

describe("generateTools on the contract", () => {
  it("makes one tool per operation, 41 in all", () => {
    expect(tools).toHaveLength(41);
  });

  it("passes strict mode without warnings: every x-mcp rule points at real fields and operations", () => {
    expect(warnings).toEqual([]);
    expect(() => generateTools(contract, { strict: true })).not.toThrow();
  });

  it("gives every tool a valid, unique name, a title and a description", () => {
    expect(new Set(tools.map((t) => t.name)).size).toBe(tools.length);
    for (const t of tools) {
      expect(t.name, t.name).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
      expect(t.title.length, t.name).toBeGreaterThan(0);
      expect(t.description.length, t.name).toBeGreaterThan(10);
      expect(t.description, t.name).not.toBe("TODO");
      expect(t.annotations.title).toBe(t.title);
    }
  });

  it("takes the first paragraph of the operation description; reference paragraphs stay out", () => {
    const doc = loadContract();
    for (const t of tools) {
      const op = (doc.paths[t.http!.path] as Record<string, { description: string }>).post;
      // Guarded tools add one short sentence about the confirmation step.
      const own = isGuarded(t) ? t.description.replace(/ Previews first; repeat with confirm\.$/, "") : t.description;
      expect(op.description.startsWith(`${own}\n\n`), t.name).toBe(true);
      expect(t.description, t.name).not.toContain("Root key needs");
    }
  });

  it("binds each tool to its operation", () => {
    expect(tool("create_key").http).toEqual({ operationId: "keys.createKey", method: "post", path: "/v2/keys.createKey" });
    expect(tool("check_ratelimits").http).toEqual({
      operationId: "ratelimit.multiLimit",
      method: "post",
      path: "/v2/ratelimit.multiLimit",
      bodyProperty: "checks",
    });
  });

  it("serves flat object input schemas without $schema, int64 formats, huge bounds, false additionalProperties or x- keywords", () => {
    for (const t of tools) {
      expect(t.inputSchema.type, t.name).toBe("object");
      expect(Object.keys(t.inputSchema.properties as object), t.name).not.toContain("request");
      for (const [path, key, value] of entries(t.inputSchema)) {
        const where = `${t.name} ${path}.${key}`;
        expect(key, where).not.toBe("$schema");
        expect(key.startsWith("x-"), where).toBe(false);
        if (key === "format") expect(["int32", "int64", "float", "double"], where).not.toContain(value);
        if (key === "additionalProperties") expect(value, where).not.toBe(false);
        if (key === "maximum" || key === "minimum") expect(Math.abs(value as number), where).toBeLessThanOrEqual(Number.MAX_SAFE_INTEGER);
      }
    }
  });

  it("keeps field descriptions, limits, defaults, enums and nullable types for the model", () => {
    const props = tool("create_key").inputSchema.properties as Record<string, JsonSchema>;
    // x-mcp-time: the model may write a time as ISO 8601; the executor converts it (prepare.ts).
    expect(props.expires).toEqual({ type: ["integer", "string"], description: TIME_PHRASES.future });
    expect(props.byteLength).toMatchObject({ minimum: 16, maximum: 255, default: 16 });
    expect(props.prefix).toMatchObject({ maxLength: 16 });
    expect((props.ratelimits.items as JsonSchema).properties).toMatchObject({ name: { minLength: 3 } });
    // The same pattern in fewer tokens: \w is [A-Za-z0-9_] in ECMA-262 (see the pattern test below).
    expect(props.externalId).toMatchObject({ pattern: "^[\\w.-]+$" });
    expect(tool("create_key").validationSchema?.properties).toMatchObject({ externalId: { pattern: "^[a-zA-Z0-9_.-]+$" } });
    // Lengths and counts a model cannot plausibly miss, and an id's length (copied, never
    // composed), stay in validation only.
    expect(props.apiId).toEqual({ type: "string" });
    expect(props.meta).not.toHaveProperty("maxProperties");
    expect(props.ratelimits).not.toHaveProperty("maxItems");
    expect(props.roles.items).not.toHaveProperty("maxLength");
    expect(tool("create_key").validationSchema?.properties).toMatchObject({
      apiId: { minLength: 3, maxLength: 255 },
      meta: { maxProperties: 100 },
      ratelimits: { maxItems: 50 },
      roles: { items: { maxLength: 128 } },
      permissions: { maxItems: 1000 },
      recoverable: { default: false },
    });
    // An omitted flag is off; saying so costs tokens and tells a model nothing. A true default stays.
    expect(props.recoverable).not.toHaveProperty("default");
    expect(props.enabled).toMatchObject({ default: true });
    expect((props.credits.properties as Record<string, JsonSchema>).remaining).toEqual({
      type: ["integer", "null"],
      minimum: 0,
      description: "null = unlimited.",
    });
    const refill = (props.credits.properties as Record<string, JsonSchema>).refill;
    expect((refill.properties as Record<string, JsonSchema>).interval.enum).toEqual(["daily", "monthly"]);
  });

  it("shows every pattern to the model in an equivalent, shorter form", () => {
    const probes = [...Array.from({ length: 128 }, (_, i) => String.fromCharCode(i)), "é", "ß", "٣", "_a", "a b", "a-b", "a.b*c", "a:b", "x/y", "-", "\\", "]"];
    let compacted = 0;
    for (const t of tools) {
      const model = entries(t.inputSchema)
        .filter(([, k]) => k === "pattern")
        .map(([p, , v]) => [p, v as string]);
      const validation = new Map(
        entries(t.validationSchema)
          .filter(([, k]) => k === "pattern")
          .map(([p, , v]) => [p, v as string]),
      );
      for (const [path, shown] of model) {
        const original = validation.get(path);
        expect(original, `${t.name} ${path}: the model sees a pattern validation does not check`).toBeDefined();
        if (original === undefined) continue;
        if (shown !== original) compacted++;
        expect(shown.length, `${t.name} ${path}`).toBeLessThanOrEqual(original.length);
        for (const flags of ["", "u"]) {
          const a = new RegExp(shown, flags);
          const b = new RegExp(original, flags);
          for (const probe of probes)
            expect(a.test(probe), `${t.name} ${path} /${shown}/${flags} vs /${original}/ on ${JSON.stringify(probe)}`).toBe(b.test(probe));
        }
      }
    }
    expect(compacted).toBeGreaterThan(0);
    expect(compactPattern("^[a-zA-Z0-9_:\\-\\.\\*]+$")).toBe("^[\\w:.*-]+$");
    expect(compactPattern("^[a-zA-Z0-9_]+$")).toBe("^\\w+$");
    // Anything it does not fully understand is left as written.
    for (const p of ["^[^a-zA-Z0-9_]+$", "^[a-zA-Z0-9_\\s]+$", "^[a-z0-9_]+$", "^rl_[a-zA-Z0-9]+$", "\\[a-zA-Z0-9_\\]", "[a-zA-Z0-9_"]) {
      expect(compactPattern(p), p).toBe(p);
    }
  });

  it("keeps the API's strictness in validationSchema and out of the model's view", () => {
    const t = tool("create_api");
    expect(t.inputSchema).not.toHaveProperty("additionalProperties");
    expect(t.validationSchema).toMatchObject({ additionalProperties: false });
    const strict = ajv().compile(t.validationSchema as JsonSchema);
    const lenient = ajv().compile(t.inputSchema);
    expect(strict({ name: "payments" })).toBe(true);
    expect(strict({ name: "payments", nmae: "typo" })).toBe(false);
    expect(strict({ name: "pa" })).toBe(false);
    expect(lenient({ name: "pa" })).toBe(false);
  });

  it("compiles every validation schema with ajv (JSON Schema 2020-12)", () => {
    for (const t of tools) {
      expect(t.validationSchema, t.name).toBeDefined();
      expect(() => ajv().compile(t.validationSchema as JsonSchema), t.name).not.toThrow();
      expect(() => ajv().compile(t.inputSchema), t.name).not.toThrow();
    }
  });

  it("wraps the bare-array multiLimit body in its bodyProperty, for the model and for validation", () => {
    const t = tool("check_ratelimits");
    expect(t.inputSchema.required).toEqual(["checks"]);
    const checks = (t.inputSchema.properties as Record<string, JsonSchema>).checks;
    expect(checks).toMatchObject({ type: "array", minItems: 1 });
    expect((t.validationSchema!.properties as Record<string, JsonSchema>).checks).toMatchObject({ maxItems: 100 });
    const validate = ajv().compile(t.validationSchema as JsonSchema);
    const check = { namespace: "api", identifier: "user_1", limit: 10, duration: 60_000 };
    expect(validate({ checks: [check] })).toBe(true);
    expect(validate([check])).toBe(false);
    expect(validate({ checks: [] })).toBe(false);
    expect(validate({ checks: [{ ...check, colour: "red" }] })).toBe(false);
    expect(validate({ checks: [check], extra: true })).toBe(false);
  });

  it("collects response secrets from x-mcp and from x-unkey-redact, request secrets into secretArgs", () => {
    expect(tool("create_key").secrets).toEqual(["key"]);
    expect(tool("reroll_key").secrets).toEqual(["key"]);
    expect(tool("get_key").secrets).toEqual(["plaintext"]);
    // list_keys with decrypt returns plaintexts in every item, though x-mcp does not list them.
    expect(tool("list_keys").secrets).toEqual(["[].plaintext"]);
    expect(tool("verify_key").secretArgs).toEqual(["key"]);
    expect(tool("whoami_key").secretArgs).toEqual(["key"]);
    expect(tool("create_api").secrets).toEqual([]);
    expect(tool("create_api").secretArgs).toEqual([]);
  });

  it("describes structuredContent as the result envelope {summary, data, pagination?, next, notices, error} with an object root", () => {
    for (const t of tools) {
      expect(t.outputSchema, t.name).toBeDefined();
      const out = t.outputSchema as JsonSchema;
      expect(out.type, t.name).toBe("object");
      const keys = Object.keys(out.properties as object);
      // Not `data`: an error result carries `error` instead and is validated against the same schema;
      // a guarded call's preview answers {summary, confirmation} and an executed one may add {changed}.
      expect(out.required, t.name).toEqual(["summary"]);
      const expected = [
        "summary",
        "data",
        ...(t.pagination ? ["pagination"] : []),
        "next",
        "notices",
        "error",
        "requestId",
        ...(isGuarded(t) ? ["confirmation", "changed"] : []),
      ];
      expect(keys, t.name).toEqual(expected);
      for (const [path, key] of entries(out)) expect(key.startsWith("x-"), `${t.name} ${path}`).toBe(false);
    }
  });

  it("accepts results with a withheld secret and with fields the API adds later", () => {
    const validate = ajv().compile(tool("create_key").outputSchema as JsonSchema);
    const ok = (data: unknown): { summary: string; data: unknown } => ({ summary: "create_key: done", data });
    expect(validate(ok({ keyId: "key_123", key: "sk_abc" }))).toBe(true);
    expect(validate(ok({ keyId: "key_123" }))).toBe(true);
    expect(validate(ok({ keyId: "key_123", key: "x", addedLater: 1 }))).toBe(true);
    expect(validate(ok({ key: "x" }))).toBe(false);
    expect(validate({ summary: "create_key: failed", error: { message: "Unkey API error 400", hint: "fix the listed fields" } })).toBe(true);
    const list = ajv().compile(tool("list_keys").outputSchema as JsonSchema);
    expect(
      list({
        summary: "s",
        data: [{ keyId: "key_1", start: "sk_", createdAt: 1, createdAtIso: "1970-01-01T00:00:00.001Z", enabled: true }],
        pagination: { hasMore: false },
      }),
    ).toBe(true);
    expect(list({ summary: "s", data: [{ keyId: "key_1" }], pagination: { hasMore: false } })).toBe(false);
  });

  it("does not change the document it reads", () => {
    const before = JSON.stringify(contract);
    generateTools(contract);
    expect(JSON.stringify(contract)).toBe(before);
  });
});

describe("generateTools on other documents", () => {
  it("refuses operations without x-mcp in strict mode, naming each", () => {
    const doc = docWith({ "/a": op("things.a", undefined, BODY), "/b": op("things.b", X("b"), BODY) });
    expect(() => generateTools(doc, { strict: true })).toThrow(ToolGenerationError);
    expect(() => generateTools(doc, { strict: true })).toThrow(/things\.a \(POST \/a\): x-mcp is missing/);
  });

  it("derives conservative metadata for unannotated operations and says so in warnings", () => {
    const doc = docWith({ "/v2/things.delete": { ...op("things.deleteThing", undefined, BODY), tags: ["things"] } });
    const { tools: derived, warnings: warned } = generateTools(doc);
    expect(derived).toHaveLength(1);
    const t = derived[0];
    expect(t.name).toBe("things_deleteThing");
    expect(t.toolset).toBe("things");
    expect(t.title).toBe("Summary of things.deleteThing");
    expect(t.safety).toBe("write");
    expect(t.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    expect(t.profiles).toEqual(["full"]);
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatch(/things\.deleteThing.*no x-mcp.*possibly destructive/);
    // Listed as guarded ("previews first"), and guarded it is: every call counts as destructive,
    // since nothing says which arguments are safe.
    expect(isGuarded(t)).toBe(true);
    expect(effectiveSafety(t, {})).toBe("destructive");
    expect(effectiveSafety(t, { id: "x" })).toBe("destructive");
  });

  it("treats an unannotated GET as a read", () => {
    const doc: OpenApiDocument = {
      openapi: "3.1.0",
      info: { title: "t", version: "1" },
      paths: { "/liveness": { get: { operationId: "liveness", summary: "Health", responses: {} } } },
    };
    const { tools: derived } = generateTools(doc);
    expect(derived[0]).toMatchObject({ name: "liveness", safety: "read", inputSchema: { type: "object", properties: {} } });
    expect(derived[0].annotations.readOnlyHint).toBe(true);
  });

  it("takes x-mcp from an overlay document by operationId", () => {
    const live = docWith({ "/a": op("things.a", undefined, BODY) });
    const overlay = docWith({ "/a": op("things.a", X("get_thing"), BODY) });
    const { tools: t, warnings: w } = generateTools(live, { overlay });
    expect(t.map((x) => x.name)).toEqual(["get_thing"]);
    expect(w).toEqual([]);
    // The overlay counts as annotation in strict mode too.
    expect(generateTools(live, { overlay, strict: true }).tools.map((x) => x.name)).toEqual(["get_thing"]);
  });

  it("rejects duplicate tool names, naming both operations", () => {
    const doc = docWith({ "/a": op("things.a", X("same"), BODY), "/b": op("things.b", X("same"), BODY) });
    expect(() => generateTools(doc)).toThrow(/tool name same is used by several operations: things\.a, things\.b/);
  });

  it("rejects a malformed x-mcp even outside strict mode, saying what was expected and given", () => {
    const doc = docWith({
      "/a": op("things.a", X("bad name!"), BODY),
      "/b": op("things.b", X("b", { safety: "harmless" }), BODY),
      "/c": op("things.c", X("c", { profiles: [] }), BODY),
    });
    const problems = problemsOf(() => generateTools(doc));
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/things\.a .*x-mcp\.name: expected a name matching .*given "bad name!"/);
    expect(problems[1]).toMatch(/things\.b .*x-mcp\.safety: expected one of read, consume, write, destructive, given "harmless"/);
    expect(problems[2]).toMatch(/things\.c .*x-mcp\.profiles: expected a non-empty list/);
  });

  it("reports rules that point at missing fields or operations: errors in strict mode, warnings otherwise", () => {
    const doc = docWith({
      "/c": op("things.c", X("c", { safety: "write", destructiveWhen: [{ field: "nope", present: true }] }), BODY),
      "/d": op("things.d", X("d", { safety: "destructive", target: { operation: "things.missing", args: { id: "id" }, label: "name" } }), BODY),
    });
    const problems = problemsOf(() => generateTools(doc, { strict: true }));
    expect(problems).toEqual([
      expect.stringMatching(/things\.c .*destructiveWhen\[0\]\.field: expected a request field \(id, flag\), given "nope"/),
      expect.stringMatching(/things\.d .*x-mcp\.target\.operation: expected an operationId of this document, given "things\.missing"/),
    ]);
    const lenient = generateTools(doc);
    expect(lenient.tools.map((t) => t.name)).toEqual(["c", "d"]);
    expect(lenient.warnings).toEqual(problems);
  });

  it("checks that a target's arguments are fields of both operations", () => {
    const doc = docWith({
      "/get": op("things.get", X("get"), { type: "object", properties: { thing: { type: "string" } } }),
      "/del": op("things.del", X("del", { safety: "destructive", target: { operation: "things.get", args: { thing: "thing" }, label: "name" } }), {
        type: "object",
        properties: { thingId: { type: "string" } },
      }),
    });
    expect(() => generateTools(doc, { strict: true })).toThrow(
      /x-mcp\.target\.args\.thing: expected a request field of this operation \(thingId\), given "thing"/,
    );
  });

  it("requires bodyProperty for a non-object body of an annotated operation", () => {
    const doc = docWith({ "/a": op("things.a", X("a"), { type: "array", items: { type: "string" } }) });
    expect(() => generateTools(doc)).toThrow(/not an object; x-mcp.bodyProperty must name the wrapping property/);
  });

  it("skips operations with path or query parameters when unannotated, and reports it", () => {
    const withQuery = { ...op("things.find", undefined), parameters: [{ name: "q", in: "query", schema: { type: "string" } }] };
    const { tools: t, warnings: w } = generateTools(docWith({ "/find": withQuery, "/a": op("things.a", X("a"), BODY) }));
    expect(t.map((x) => x.name)).toEqual(["a"]);
    expect(w).toEqual([expect.stringMatching(/things\.find .*query parameters.*skipped/)]);
  });

  it("falls back from a TODO description to the summary", () => {
    const doc = docWith({ "/a": { ...op("things.a", X("a"), BODY), description: "TODO" } });
    expect(generateTools(doc).tools[0].description).toBe("Summary of things.a");
  });

  it("gives an empty object as data when the envelope has only meta", () => {
    const metaOnly = op("things.a", X("a"), BODY);
    metaOnly.responses = {
      "200": { description: "OK", content: { "application/json": { schema: { type: "object", properties: { meta: { type: "object" } } } } } },
    };
    expect((generateTools(docWith({ "/a": metaOnly })).tools[0].outputSchema!.properties as JsonSchema).data).toEqual({ type: "object", properties: {} });
  });

  it("reports PUT, PATCH and DELETE operations as skipped instead of dropping them silently (strict mode refuses them)", () => {
    const doc = docWith({ "/a": op("things.a", X("a"), BODY) });
    doc.paths["/b"] = { put: op("things.put", undefined, BODY), patch: op("things.patch", undefined, BODY) };
    doc.paths["/c"] = { delete: op("things.remove", undefined) };
    const { tools: made, warnings: said } = generateTools(doc);
    expect(made.map((t) => t.name)).toEqual(["a"]);
    expect(said).toEqual([
      expect.stringMatching(/^operation things\.put \(PUT \/b\): PUT operations are not supported .*; skipped$/),
      expect.stringMatching(/^operation things\.patch \(PATCH \/b\): PATCH operations are not supported .*; skipped$/),
      expect.stringMatching(/^operation things\.remove \(DELETE \/c\): DELETE operations are not supported .*; skipped$/),
    ]);
    expect(() => generateTools(doc, { strict: true })).toThrow(/things\.put \(PUT \/b\)/);
  });

  it("gives no outputSchema when the 200 body is not an envelope", () => {
    const plain = op("things.a", X("a"), BODY);
    plain.responses = { "200": { description: "OK", content: { "application/json": { schema: { type: "object", properties: { id: { type: "string" } } } } } } };
    expect(generateTools(docWith({ "/a": plain })).tools[0].outputSchema).toBeUndefined();
  });
});
