/**
 * Argument validation against a tool's input schema (JSON Schema 2020-12, as OpenAPI 3.1 uses).
 *
 * Runs before any API call, so a wrong argument costs nothing and changes nothing. Each problem
 * names the field, what was expected and what was given, in words a model can act on. Values of
 * secret arguments (a plaintext key to verify) are never echoed back.
 */
import type { JsonSchemaType, JsonSchemaValidator as SdkValidateFn, jsonSchemaValidator as SdkJsonSchemaValidator } from "@modelcontextprotocol/server";
import type { Ajv2020, ErrorObject, ValidateFunction } from "ajv/dist/2020.js";
import type { JsonSchema } from "../schemas/loader.js";
import { isSecretFieldName, redactValue } from "../util/log.js";
import type { ToolDefinition } from "./types.js";

export interface FieldProblem {
  /** Dotted path of the argument, e.g. `ratelimits[0].limit`; `(arguments)` for the whole object. */
  field: string;
  /** What is wrong, in words. */
  problem: string;
  expected: string;
  given: string;
}

export type ArgumentCheck = { ok: true; args: Record<string, unknown> } | { ok: false; problems: FieldProblem[] };

let ajvInstance: Ajv2020 | undefined;
let loading: Promise<void> | undefined;

/**
 * Loads ajv (a third of the code a stdio server would otherwise parse at startup) the first time a
 * tool is called rather than when the server starts; validateArguments needs it to have resolved.
 */
export function loadArgumentValidator(): Promise<void> {
  loading ??= import("../schemas/ajv.js").then(({ createAjv }) => {
    // Unkey applies its own defaults; sending only what the caller gave keeps requests honest.
    ajvInstance = createAjv({ useDefaults: false, verbose: true });
  });
  return loading;
}

function ajv(): Ajv2020 {
  if (!ajvInstance) throw new Error("argument validation used before loadArgumentValidator() resolved");
  return ajvInstance;
}

/**
 * The SDK's JSON Schema validator interface (it checks a person's elicitation answer against the
 * form it asked with) on this module's ajv, so the CLI bundle carries one ajv instead of also the
 * copy the SDK's own validator bundles (scripts/postbuild.mjs points the SDK's default at this).
 * The SDK asks only while a tool call is running, after its arguments were validated, so ajv is
 * loaded by then; were it not, the check throws, the SDK refuses the answer, and the guard falls
 * back to its token: a confirmation never passes unchecked.
 */
export class ArgumentAjvSchemaValidator implements SdkJsonSchemaValidator {
  /** `engine`: the ajv to use (tests); the argument validator's by default. */
  constructor(private readonly engine: () => Ajv2020 = ajv) {}

  getValidator<T>(schema: JsonSchemaType): SdkValidateFn<T> {
    const engine = this.engine();
    // Used by identity, without $id or $schema (as validatorFor does): each question brings a new
    // form object, which ajv would otherwise keep for the life of the process, and a second form
    // with the same $id would be refused.
    const { $id: _id, $schema: _dialect, ...form } = schema as Record<string, unknown>;
    const check = engine.compile(form);
    engine.removeSchema(form);
    return (input) =>
      check(input)
        ? { valid: true, data: input as T, errorMessage: undefined }
        : { valid: false, data: undefined, errorMessage: engine.errorsText(check.errors) };
  }
}

const compiled = new WeakMap<JsonSchema, ValidateFunction>();

/**
 * The compiled validator of a schema; compiled on first use and kept for the tool's lifetime.
 * Call after loadArgumentValidator() has resolved.
 */
export function validatorFor(schema: JsonSchema): ValidateFunction {
  let fn = compiled.get(schema);
  if (!fn) {
    // $id would collide between tools sharing a compiled ajv; the schema is used by identity only.
    const { $id: _ignored, $schema: _dialect, ...rest } = schema as Record<string, unknown>;
    fn = ajv().compile(rest);
    compiled.set(schema, fn);
  }
  return fn;
}

export function validateArguments(tool: Pick<ToolDefinition, "inputSchema" | "validationSchema" | "secretArgs">, raw: unknown): ArgumentCheck {
  const args = raw === undefined || raw === null ? {} : raw;
  if (typeof args !== "object" || Array.isArray(args)) {
    return { ok: false, problems: [{ field: "(arguments)", problem: "arguments must be an object", expected: "object", given: describeType(args) }] };
  }
  // The strict API schema when the generator provides one; the model-facing schema otherwise.
  const schema = tool.validationSchema ?? tool.inputSchema;
  const validate = validatorFor(schema);
  if (validate(args)) return { ok: true, args: args as Record<string, unknown> };
  // secretArgs are paths (`keys[].plaintext`); any segment with a secret's name hides a value.
  const secretNames = new Set(
    (tool.secretArgs ?? []).map(
      (p) =>
        p
          .split(/\.|\[\]/)
          .filter(Boolean)
          .pop() ?? p,
    ),
  );
  const problems = dedupe((validate.errors ?? []).map((e) => toProblem(e, schema, secretNames)));
  return { ok: false, problems };
}

/** One line per problem, for the text of an error result. */
export function formatProblems(problems: FieldProblem[]): string {
  return problems.map((p) => `- ${p.field}: ${p.problem} (expected ${p.expected}; given ${p.given})`).join("\n");
}

function toProblem(e: ErrorObject, rootSchema: JsonSchema, secretArgs: Set<string>): FieldProblem {
  const base = pointerToField(e.instancePath);
  // Any path segment naming a secret argument hides the value (nested plaintexts included).
  const secret = e.instancePath
    .split("/")
    .slice(1)
    .some((seg) => secretArgs.has(decodePointer(seg)) || isSecretFieldName(decodePointer(seg)));
  const given = secret ? "(a secret value, not shown)" : preview(e.data);
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case "required": {
      const missing = String(params.missingProperty);
      const propSchema = schemaAt(rootSchema, `${e.instancePath}/${missing}`);
      return { field: join(base, missing), problem: "is required", expected: describeSchema(propSchema), given: "nothing" };
    }
    case "additionalProperties": {
      const extra = String(params.additionalProperty);
      const parent = schemaAt(rootSchema, e.instancePath);
      const known = parent && typeof parent.properties === "object" ? Object.keys(parent.properties as object) : [];
      return {
        field: join(base, extra),
        problem: "is not a known argument",
        expected: known.length ? `one of ${known.join(", ")}` : "no extra arguments",
        given: extra,
      };
    }
    case "type":
      return {
        field: base,
        problem: "has the wrong type",
        expected: String(params.type),
        given: secret ? "(a secret value, not shown)" : `${describeType(e.data)} ${preview(e.data)}`,
      };
    case "enum":
      return {
        field: base,
        problem: "is not an allowed value",
        expected: `one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`,
        given,
      };
    case "const":
      return { field: base, problem: "must be a fixed value", expected: JSON.stringify(params.allowedValue), given };
    case "minLength":
      return {
        field: base,
        problem: "is too short",
        expected: `at least ${String(params.limit)} characters`,
        given: secret ? given : `${lengthOf(e.data)} characters`,
      };
    case "maxLength":
      return {
        field: base,
        problem: "is too long",
        expected: `at most ${String(params.limit)} characters`,
        given: secret ? given : `${lengthOf(e.data)} characters`,
      };
    case "minimum":
    case "exclusiveMinimum":
    case "maximum":
    case "exclusiveMaximum":
      return { field: base, problem: "is out of range", expected: `a number ${String(params.comparison)} ${String(params.limit)}`, given };
    case "minItems":
      return { field: base, problem: "has too few items", expected: `at least ${String(params.limit)} items`, given: `${lengthOf(e.data)} items` };
    case "maxItems":
      return { field: base, problem: "has too many items", expected: `at most ${String(params.limit)} items`, given: `${lengthOf(e.data)} items` };
    case "minProperties":
    case "maxProperties":
      return {
        field: base,
        problem: e.message ?? "has the wrong number of properties",
        expected: `${e.keyword === "minProperties" ? "at least" : "at most"} ${String(params.limit)} properties`,
        given: `${lengthOf(e.data)} properties`,
      };
    case "pattern":
      return { field: base, problem: "does not match the required format", expected: `text matching ${String(params.pattern)}`, given };
    case "format":
      return { field: base, problem: "has the wrong format", expected: `a ${String(params.format)}`, given };
    case "uniqueItems":
      return { field: base, problem: "has duplicate items", expected: "unique items", given: `items ${String(params.j)} and ${String(params.i)} are equal` };
    default:
      return { field: base, problem: e.message ?? `fails the ${e.keyword} rule`, expected: `a value satisfying ${e.keyword}`, given };
  }
}

function dedupe(problems: FieldProblem[]): FieldProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.field}|${p.problem}|${p.expected}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function decodePointer(segment: string): string {
  return segment.replace(/~1/g, "/").replace(/~0/g, "~");
}

function pointerToField(pointer: string): string {
  if (!pointer) return "(arguments)";
  let out = "";
  for (const raw of pointer.split("/").slice(1)) {
    const seg = decodePointer(raw);
    out += /^\d+$/.test(seg) ? `[${seg}]` : out ? `.${seg}` : seg;
  }
  return out;
}

function join(base: string, child: string): string {
  return base === "(arguments)" ? child : `${base}.${child}`;
}

/** The subschema that governs an instance path (properties / items only: enough for messages). */
function schemaAt(root: JsonSchema, pointer: string): JsonSchema | undefined {
  let node: unknown = root;
  for (const raw of pointer.split("/").slice(1)) {
    if (!node || typeof node !== "object") return undefined;
    const n = node as Record<string, unknown>;
    const seg = decodePointer(raw);
    if (/^\d+$/.test(seg) && n.items) node = n.items;
    else if (n.properties && typeof n.properties === "object" && seg in (n.properties as object)) node = (n.properties as Record<string, unknown>)[seg];
    else return undefined;
  }
  return node as JsonSchema;
}

function describeSchema(schema: JsonSchema | undefined): string {
  if (!schema) return "a value";
  if (Array.isArray(schema.enum)) return `one of ${schema.enum.map((v) => JSON.stringify(v)).join(", ")}`;
  const type = Array.isArray(schema.type) ? schema.type.join(" or ") : typeof schema.type === "string" ? schema.type : undefined;
  const desc = typeof schema.description === "string" ? ` (${schema.description.split(/[.\n]/)[0]})` : "";
  return `${type ? `a ${type}` : "a value"}${desc}`;
}

function describeType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function lengthOf(v: unknown): number {
  if (typeof v === "string" || Array.isArray(v)) return v.length;
  if (v && typeof v === "object") return Object.keys(v).length;
  return 0;
}

function preview(v: unknown): string {
  let s: string;
  try {
    // Objects may hold secret-named fields (a key's plaintext): blank them before echoing.
    s = JSON.stringify(redactValue(v)) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
