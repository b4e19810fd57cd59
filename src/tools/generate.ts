/**
 * The tool generator: a pure function from an OpenAPI 3.1 document to MCP tool definitions.
 *
 * Everything a generated tool is comes from the document: the operation's `x-mcp` extension
 * (name, title, toolset, safety class, profiles, rules) and its JSON schemas. There is no
 * Unkey-specific branch here, so the same code builds a catalog from another document
 * (`--spec`, e.g. a live `<api>/openapi.yaml`).
 *
 * Shapes, as the runtime relies on them:
 * - `inputSchema` (what the model sees) is the request body schema, flat, cleaned for tokens:
 *   no `$schema`, no numeric `format`s, no bounds beyond Number.MAX_SAFE_INTEGER, no
 *   `additionalProperties: false`, no `x-*` keywords, no examples, and no string-length limits a
 *   model cannot plausibly hit (`minLength: 1`, `maxLength` ≥ 128, `maxItems` and
 *   `maxProperties` ≥ 100) and no `pattern` or `minLength` on `…Id` fields (copied from results,
 *   never composed); validation still enforces
 *   all of them. Descriptions and the other limits stay. Schema marks (`x-mcp-time`, `x-mcp-default`)
 *   change what the model sees: see docs/x-mcp.md.
 * - `validationSchema` (what the executor checks arguments against) is the request body schema
 *   as the API defines it, strictness (`additionalProperties: false`) included.
 * - A non-object body (a bare array) is wrapped in the property named by `x-mcp.bodyProperty`
 *   (recorded in `http.bodyProperty`); the executor sends `args[bodyProperty]` as the body.
 * - `outputSchema` describes `structuredContent` on success: the response envelope without
 *   `meta`, i.e. `{ data, pagination? }` (`pagination` only where the 200 body declares it).
 *   It is lenient on purpose (no `additionalProperties: false`, no value limits, secret fields
 *   not required), because clients validate results against it and a stricter schema would
 *   turn a harmless API addition into a failed call. An envelope with only `meta` gives
 *   `{type: "object", properties: {}}` (structuredContent `{}`); a 200 body that is not an
 *   envelope (no `data`/`meta` property) gets no outputSchema.
 * - `secretArgs`: request fields marked `x-unkey-redact` (dotted paths; `[]` steps into array
 *   items). `secrets`: `x-mcp.secrets` plus response `data` fields marked `x-unkey-redact`,
 *   in the same path syntax relative to `data` (so a list's items give `[].plaintext`).
 *
 * Operations without `x-mcp`: with `strict` they are an error; otherwise metadata is taken
 * from `overlay` (another document's `x-mcp` for the same operationId, e.g. our contract laid
 * over the live spec) or derived conservatively (name from the operationId, toolset from the
 * first tag, GET = read, anything else = write that "may be destructive"), and each such case
 * is reported in `warnings`. An `x-mcp` that is present but malformed (name, safety, profiles…)
 * is always an error; a rule that refers to a missing field or operation (target,
 * destructiveWhen, permissionsIf, pagination) is an error in strict mode and a warning otherwise.
 */
import { dereference, listOperations, unsupportedMethods } from "../schemas/loader.js";
import type { ContractOperation, JsonSchema, OpenApiDocument } from "../schemas/loader.js";
import { SAFETY_CLASSES } from "../schemas/x-mcp.js";
import type { ArgumentCondition, SafetyClass, XMcp } from "../schemas/x-mcp.js";
import { envelopeSchema } from "./envelope.js";
import { collectArgumentRules } from "./prepare.js";
import { TIME_KINDS, TIME_PHRASES, type TimeKind } from "./times.js";
import type { ResultTime, ToolAnnotations, ToolDefinition } from "./types.js";
import { CONFIRM_ARG, isGuarded } from "./guard.js";

export const TOOL_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;

export interface GenerateOptions {
  /** Every operation must carry a valid `x-mcp`; nothing is derived. Default false. */
  strict?: boolean;
  /** A document whose `x-mcp` (matched by operationId) fills operations that have none. */
  overlay?: OpenApiDocument;
}

export interface GeneratedCatalog {
  tools: ToolDefinition[];
  /** Operations whose metadata was derived or that were skipped, one sentence each. */
  warnings: string[];
}

/** The document cannot be turned into a catalog; `problems` lists every reason found. */
export class ToolGenerationError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`cannot generate tools from the OpenAPI document:\n- ${problems.join("\n- ")}`);
    this.name = "ToolGenerationError";
    this.problems = problems;
  }
}

/** Builds one tool per operation of `doc`; throws ToolGenerationError listing every problem. */
export function generateTools(doc: OpenApiDocument, opts: GenerateOptions = {}): GeneratedCatalog {
  const problems: string[] = [];
  const warnings: string[] = [];
  const overlay = opts.overlay ? overlayIndex(opts.overlay) : new Map<string, XMcp>();
  const operations = listOperations(doc);
  const byId = new Map(operations.map((op) => [op.operationId, op]));
  const tools: ToolDefinition[] = [];

  // Generated tools send POST or GET; an operation with another method is reported, never
  // dropped in silence.
  for (const skipped of unsupportedMethods(doc)) {
    const msg = `operation ${skipped.operationId} (${skipped.method.toUpperCase()} ${skipped.path}): ${skipped.method.toUpperCase()} operations are not supported (generated tools send POST or GET)`;
    if (opts.strict) problems.push(msg);
    else warnings.push(`${msg}; skipped`);
  }

  for (const op of operations) {
    const where = `operation ${op.operationId} (${op.method.toUpperCase()} ${op.path})`;
    const unsupported = unsupportedParameters(doc, op);
    if (unsupported.length > 0) {
      const msg = `${where}: has ${unsupported.join(", ")} parameters, which generated tools cannot send`;
      if (opts.strict || op.xMcp) problems.push(msg);
      else warnings.push(`${msg}; skipped`);
      continue;
    }
    let xMcp = op.xMcp ?? overlay.get(op.operationId);
    if (!xMcp) {
      if (opts.strict) {
        problems.push(`${where}: x-mcp is missing (strict mode requires it on every operation)`);
        continue;
      }
      xMcp = deriveXMcp(doc, op);
      warnings.push(
        `${where}: no x-mcp; derived name ${xMcp.name}, toolset ${xMcp.toolset}, safety ${xMcp.safety}` +
          (xMcp.safety === "write" ? " (annotated as possibly destructive)" : ""),
      );
    }
    const checked = checkXMcp(xMcp, op, byId);
    if (checked.fatal.length > 0) {
      problems.push(...[...checked.fatal, ...checked.rules].map((p) => `${where}: ${p}`));
      continue;
    }
    // A broken rule only weakens the guard or a hint, so outside strict mode the tool still
    // ships and the problem is reported; strict mode (CI, the bundled contract) refuses it.
    (opts.strict ? problems : warnings).push(...checked.rules.map((p) => `${where}: ${p}`));
    tools.push(buildTool(op, xMcp, problems, where));
  }

  const byName = new Map<string, string[]>();
  for (const t of tools) byName.set(t.name, [...(byName.get(t.name) ?? []), t.http?.operationId ?? "?"]);
  for (const [name, ids] of byName) {
    if (ids.length > 1) problems.push(`tool name ${name} is used by several operations: ${ids.join(", ")}`);
  }
  if (problems.length > 0) throw new ToolGenerationError(problems);
  return { tools, warnings };
}

/** The MCP annotations of a safety class (see design.md, "Safety classes"). */
export function annotationsFor(safety: SafetyClass, title: string, destructiveWhen?: readonly ArgumentCondition[]): ToolAnnotations {
  // openWorldHint is false: a tool acts only on the caller's own workspace, a closed set of
  // entities, not on the open web.
  const base = { title, openWorldHint: false };
  switch (safety) {
    case "read":
      return { ...base, readOnlyHint: true, destructiveHint: false, idempotentHint: true };
    case "consume":
      return { ...base, readOnlyHint: false, destructiveHint: false, idempotentHint: false };
    case "write":
      // destructiveHint means "may be destructive": true when some arguments make it so.
      return {
        ...base,
        readOnlyHint: false,
        destructiveHint: (destructiveWhen?.length ?? 0) > 0,
        idempotentHint: false,
      };
    case "destructive":
      return { ...base, readOnlyHint: false, destructiveHint: true, idempotentHint: false };
  }
}

function buildTool(op: ContractOperation, xMcp: XMcp, problems: string[], where: string): ToolDefinition {
  const input = buildInput(op, xMcp, problems, where);
  const outputSchema = buildOutput(op.responseSchema);
  const dataSchema = asObject(asObject(op.responseSchema?.properties)?.data);
  const secrets = unique([...(xMcp.secrets ?? []), ...(dataSchema ? redactedPaths(dataSchema, "") : [])]);
  const argumentRules = input.rawSchema ? collectArgumentRules(input.rawSchema) : [];
  const resultTimes = dataSchema ? timePaths(dataSchema) : [];
  const guarded = isGuarded(xMcp);
  const description = pickDescription(op, xMcp) + (guarded ? CONFIRM_NOTE : "");
  if (guarded) {
    input.inputSchema = withConfirmArgument(input.inputSchema);
    input.validationSchema = withConfirmArgument(input.validationSchema);
  }
  const tool: ToolDefinition = {
    name: xMcp.name,
    title: xMcp.title,
    description,
    inputSchema: input.inputSchema,
    validationSchema: input.validationSchema,
    ...(outputSchema ? { outputSchema: guarded ? withConfirmationOutput(outputSchema) : outputSchema } : {}),
    annotations: annotationsFor(xMcp.safety, xMcp.title, xMcp.destructiveWhen),
    toolset: xMcp.toolset,
    profiles: [...xMcp.profiles],
    safety: xMcp.safety,
    ...(xMcp.destructiveWhen ? { destructiveWhen: xMcp.destructiveWhen } : {}),
    permissions: xMcp.permissions,
    ...(xMcp.permissionsIf ? { permissionsIf: xMcp.permissionsIf } : {}),
    ...(xMcp.pagination ? { pagination: xMcp.pagination } : {}),
    secrets,
    secretArgs: input.secretArgs,
    ...(argumentRules.length > 0 ? { argumentRules } : {}),
    ...(resultTimes.length > 0 ? { resultTimes } : {}),
    ...(xMcp.impact ? { impact: xMcp.impact } : {}),
    ...(xMcp.target ? { target: xMcp.target } : {}),
    http: {
      operationId: op.operationId,
      method: op.method,
      path: op.path,
      ...(input.bodyProperty ? { bodyProperty: input.bodyProperty } : {}),
    },
  };
  return tool;
}

/**
 * Appended to a guarded tool's description (every word here costs tokens 17 times). It alone
 * tells the model about the confirmation step: the `confirm` argument carries no description of
 * its own, because the preview result spells out the exact repeat call with the token.
 */
const CONFIRM_NOTE = " Previews first; repeat with confirm.";

/**
 * A guarded tool as a server with `--confirm off` lists it: no confirmation step is mentioned and
 * no `confirm` argument offered, because every call acts at once. Other tools come back as they are.
 */
export function withoutConfirmationStep(tool: ToolDefinition): ToolDefinition {
  if (!tool.description.endsWith(CONFIRM_NOTE)) return tool;
  const { [CONFIRM_ARG]: _confirm, ...props } = asObject(tool.inputSchema.properties) ?? {};
  return { ...tool, description: tool.description.slice(0, -CONFIRM_NOTE.length), inputSchema: { ...tool.inputSchema, properties: props } };
}

function withConfirmArgument(schema: JsonSchema): JsonSchema {
  const props = asObject(schema.properties) ?? {};
  return { ...schema, properties: { ...props, [CONFIRM_ARG]: { type: "string" } } };
}

/**
 * A guarded call's first answer carries `confirmation` (preview and token) instead of `data`, and
 * an executed one may say what `changed`: both are declared beside the envelope's fields, because
 * clients validate structuredContent against this schema.
 */
function withConfirmationOutput(schema: JsonSchema): JsonSchema {
  const props = asObject(schema.properties) ?? {};
  return {
    ...schema,
    properties: {
      ...props,
      confirmation: {
        type: "object",
        description: "Nothing was done yet: the preview and the token to confirm with.",
        properties: { token: { type: "string" }, expiresAt: { type: "string" }, preview: { type: "object" } },
        required: ["token", "expiresAt", "preview"],
      },
      changed: { type: "array", items: { type: "string" }, description: "What the call changed." },
    },
  };
}

interface BuiltInput {
  /** The request schema with its marks, wrapped like the arguments (for the argument rules). */
  rawSchema?: JsonSchema;
  inputSchema: JsonSchema;
  validationSchema: JsonSchema;
  secretArgs: string[];
  bodyProperty?: string;
}

function buildInput(op: ContractOperation, xMcp: XMcp, problems: string[], where: string): BuiltInput {
  const body = op.requestSchema;
  if (!body) {
    if (xMcp.bodyProperty) problems.push(`${where}: x-mcp.bodyProperty is set but the operation has no request body`);
    // MCP requires an object schema even for tools without arguments.
    return {
      inputSchema: { type: "object", properties: {} },
      validationSchema: { type: "object", properties: {}, additionalProperties: false },
      secretArgs: [],
    };
  }
  if (isObjectSchema(body)) {
    if (xMcp.bodyProperty) {
      problems.push(`${where}: x-mcp.bodyProperty is set but the request body is already an object`);
    }
    return {
      rawSchema: body,
      inputSchema: stripRootText(cleanSchema(body, "model")),
      validationSchema: cleanSchema(body, "validation"),
      secretArgs: redactedPaths(body, ""),
    };
  }
  // A bare array (or other non-object) body: MCP arguments must be an object, so wrap it.
  const prop = xMcp.bodyProperty ?? "body";
  if (!xMcp.bodyProperty && op.xMcp) {
    problems.push(`${where}: the request body is not an object; x-mcp.bodyProperty must name the wrapping property`);
  }
  const wrap = (schema: JsonSchema, strictObject: boolean): JsonSchema => ({
    type: "object",
    properties: { [prop]: schema },
    required: [prop],
    ...(strictObject ? { additionalProperties: false } : {}),
  });
  return {
    rawSchema: wrap(body, false),
    inputSchema: wrap(cleanSchema(body, "model"), false),
    validationSchema: wrap(cleanSchema(body, "validation"), true),
    secretArgs: redactedPaths(body, prop),
    bodyProperty: prop,
  };
}

function buildOutput(response: JsonSchema | undefined): JsonSchema | undefined {
  const props = asObject(response?.properties);
  // Only an envelope ({meta, data, …}) has a known mapping to structuredContent.
  if (!props || !(asObject(props.data) || asObject(props.meta))) return undefined;
  const data = asObject(props.data);
  const pagination = asObject(props.pagination);
  // `meta` (the request id) becomes the envelope's requestId; every other field of the API's
  // envelope but `data` and `pagination` stays out (none exists in the contract).
  return envelopeSchema(data ? cleanSchema(data, "output") : { type: "object", properties: {} }, pagination ? cleanSchema(pagination, "output") : undefined);
}

/**
 * The tool description is the operation description's first paragraph: what a model needs to
 * choose and fill the tool. Later paragraphs are reference for people reading the contract
 * (required root-key permissions, edge cases) and stay out of the token budget.
 */
function pickDescription(op: ContractOperation, xMcp: XMcp): string {
  for (const text of [op.description, op.summary]) {
    const t = text
      .trim()
      .split(/\n\s*\n/)[0]
      .trim();
    if (t && t !== "TODO") return t;
  }
  return xMcp.title;
}

// ---------------------------------------------------------------------------------------------
// Schema cleaning

type CleanMode = "model" | "validation" | "output";

/** Keywords whose value is a map of name → schema. */
const SCHEMA_MAPS = new Set(["properties", "patternProperties", "$defs", "definitions", "dependentSchemas"]);
/** Keywords whose value is a schema. */
const SCHEMA_VALUES = new Set([
  "items",
  "additionalProperties",
  "not",
  "contains",
  "propertyNames",
  "if",
  "then",
  "else",
  "unevaluatedProperties",
  "unevaluatedItems",
  "additionalItems",
]);
/** Keywords whose value is a list of schemas. */
const SCHEMA_LISTS = new Set(["allOf", "anyOf", "oneOf", "prefixItems"]);
/** OpenAPI-only or documentation-only keywords no consumer of a tool schema needs. */
const DROPPED_EVERYWHERE = new Set(["$schema", "example", "examples", "discriminator", "xml", "externalDocs"]);
/** Numeric formats restate `type: integer/number` (int64 noise) and are unknown to plain ajv. */
const NUMERIC_FORMATS = new Set(["int32", "int64", "float", "double"]);
const BOUNDS = new Set(["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"]);
/** A model never writes a name, slug or id this long by accident; the limit stays in validation only. */
const LONG_STRING = 128;
/** Nor a list (or a free-form object's key count) this long. */
const LONG_LIST = 50;
/** Value limits a result schema does not need: they help a model fill input, not read output. */
const INPUT_ONLY = new Set([
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "multipleOf",
  "minLength",
  "maxLength",
  "pattern",
  "minItems",
  "maxItems",
  "uniqueItems",
  "minProperties",
  "maxProperties",
  "default",
]);

/** Returns a cleaned copy of a JSON schema for one audience; never mutates its input. */
export function cleanSchema(schema: JsonSchema, mode: CleanMode): JsonSchema {
  const time = timeKindOf(schema);
  if (mode === "model" && time !== undefined) return modelTimeSchema(schema, time);
  const out: JsonSchema = {};
  if (mode === "model" && "x-mcp-default" in schema) out.default = structuredClone(schema["x-mcp-default"]);
  for (const [key, value] of Object.entries(schema)) {
    if (mode === "model" && key === "default" && "x-mcp-default" in schema) continue;
    if (DROPPED_EVERYWHERE.has(key) || key.startsWith("x-")) continue;
    if (key === "format" && typeof value === "string" && NUMERIC_FORMATS.has(value)) continue;
    if (mode !== "validation" && BOUNDS.has(key) && typeof value === "number" && Math.abs(value) > Number.MAX_SAFE_INTEGER) {
      continue;
    }
    if (mode === "output" && INPUT_ONLY.has(key)) continue;
    if (mode === "model" && ((key === "minLength" && value === 1) || (key === "maxLength" && typeof value === "number" && value >= LONG_STRING))) continue;
    if (mode === "model" && (key === "maxItems" || key === "maxProperties") && typeof value === "number" && value >= LONG_LIST) continue;
    // An omitted flag is off: `default: false` on a boolean tells a model nothing it would not assume.
    if (mode === "model" && key === "default" && value === false && schema.type === "boolean") continue;
    if (mode === "model" && key === "pattern" && typeof value === "string") {
      out.pattern = compactPattern(value);
      continue;
    }
    if (mode !== "validation" && key === "additionalProperties" && value === false) continue;
    if (mode === "model" && key === "required" && Array.isArray(value)) {
      // A field with an MCP default may be omitted: the executor fills it in.
      const props = asObject(schema.properties) ?? {};
      const kept = value.filter((name) => !(asObject(props[String(name)]) && "x-mcp-default" in (asObject(props[String(name)]) ?? {})));
      if (kept.length > 0) out.required = kept;
      continue;
    }
    if (mode === "output" && key === "required" && Array.isArray(value)) {
      // A secret may be withheld from the result; the schema must not demand it.
      const props = asObject(schema.properties) ?? {};
      const kept = value.filter((name) => !(asObject(props[String(name)])?.["x-unkey-redact"] === true));
      if (kept.length > 0) out.required = kept;
      continue;
    }
    out[key] = cleanValue(key, value, mode);
  }
  return out;
}

function cleanValue(key: string, value: unknown, mode: CleanMode): unknown {
  if (SCHEMA_MAPS.has(key) && asObject(value)) {
    const map: Record<string, unknown> = {};
    for (const [name, sub] of Object.entries(value as Record<string, unknown>)) {
      const s = asObject(sub);
      map[name] = s ? cleanSchema(s, mode) : sub;
      // An id (`apiId`, `keyId`) is copied from an earlier result, never composed: its pattern
      // and minimum length tell a model nothing, and validation still checks them. An external
      // id is the caller's own, composed by the model, so its pattern stays.
      if (mode === "model" && key === "properties" && /[a-z]Id$/.test(name) && !/^external/i.test(name) && asObject(map[name])) {
        delete (map[name] as JsonSchema).pattern;
        delete (map[name] as JsonSchema).minLength;
      }
      // Results carry each unix-ms field's ISO 8601 form beside it (results.ts adds them).
      const time = s && key === "properties" && mode === "output" ? timeKindOf(s) : undefined;
      if (time !== undefined && time !== "duration") Object.assign(map, timeSiblingSchemas(name, time));
    }
    return map;
  }
  if (SCHEMA_VALUES.has(key) && asObject(value)) return cleanSchema(value as JsonSchema, mode);
  if (SCHEMA_LISTS.has(key) && Array.isArray(value)) {
    return value.map((sub) => (asObject(sub) ? cleanSchema(sub as JsonSchema, mode) : sub));
  }
  // enum, const, default, required and other literal values are copied untouched.
  return structuredClone(value);
}

/** The tool's own description already says what the body is for; drop the root's repeat. */
function stripRootText(schema: JsonSchema): JsonSchema {
  const { description: _d, title: _t, ...rest } = schema;
  return rest;
}

/** The `x-mcp-time` mark of a schema, if it is a known kind. */
function timeKindOf(schema: JsonSchema): TimeKind | undefined {
  const v = schema["x-mcp-time"];
  return typeof v === "string" && (TIME_KINDS as readonly string[]).includes(v) ? (v as TimeKind) : undefined;
}

/**
 * A time field as the model sees it: a number or a string, with one phrase saying which forms
 * work. The API's unit phrase ("Unix ms.", "ms") is replaced; anything after it is kept.
 */
function modelTimeSchema(schema: JsonSchema, kind: TimeKind): JsonSchema {
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  const nullable = types.includes("null");
  const rest =
    typeof schema.description === "string" ? schema.description.replace(/^(unix ms|ms|milliseconds|window length in milliseconds)\b\.?;?\s*/i, "").trim() : "";
  return {
    type: nullable ? ["integer", "string", "null"] : ["integer", "string"],
    description: rest ? `${TIME_PHRASES[kind]} ${rest[0].toUpperCase()}${rest.slice(1)}` : TIME_PHRASES[kind],
    // What an omitted field means (an analytics window: 7 days), as for any other marked field.
    ...("x-mcp-default" in schema ? { default: structuredClone(schema["x-mcp-default"]) } : {}),
  };
}

/** Characters a regex character class must escape (or place first/last) to mean themselves. */
const CLASS_SPECIAL = new Set(["\\", "]", "[", "^", "-"]);

/**
 * The same pattern in fewer tokens, for the model's view only (validation keeps the original):
 * each character class made of literal characters and ranges is rewritten with `\w` for
 * `a-zA-Z0-9_` and without needless escapes (`[a-zA-Z0-9_:\-\.\*]` → `[\w:.*-]`). JSON Schema
 * patterns are ECMA-262, where `\w` is exactly `[A-Za-z0-9_]`. A class with anything else in it
 * (`\d`, `\s`, a negation, a nested class) is left as written.
 */
export function compactPattern(pattern: string): string {
  let out = "";
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i];
    if (c === "\\") {
      out += pattern.slice(i, i + 2);
      i += 2;
    } else if (c === "[") {
      let j = i + 1;
      while (j < pattern.length && pattern[j] !== "]") j += pattern[j] === "\\" ? 2 : 1;
      if (j >= pattern.length) return pattern;
      out += compactClass(pattern.slice(i + 1, j)) ?? pattern.slice(i, j + 1);
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

const WORD_RANGES = ["a-z", "A-Z", "0-9"];

/** A class body rewritten with `\w`, or undefined unless it is plain literals and ranges covering `\w`. */
function compactClass(body: string): string | undefined {
  if (body.startsWith("^")) return undefined;
  const chars = new Set<string>();
  const ranges: string[] = [];
  let i = 0;
  const next = (): string | undefined => {
    if (body[i] !== "\\") return body[i++];
    const c = body[i + 1];
    i += 2;
    // Only escaped punctuation is a plain literal; \d, \w, \u… and friends are not handled here.
    return c !== undefined && /[^A-Za-z0-9]/.test(c) ? c : undefined;
  };
  while (i < body.length) {
    const a = next();
    if (a === undefined || a === "[") return undefined;
    if (body[i] === "-" && i + 1 < body.length) {
      i++;
      const b = next();
      if (b === undefined || b === "[") return undefined;
      ranges.push(`${esc(a)}-${esc(b)}`);
    } else chars.add(a);
  }
  if (!WORD_RANGES.every((r) => ranges.includes(r)) || !chars.has("_")) return undefined;
  chars.delete("_");
  const dash = chars.delete("-");
  const rest = ranges.filter((r) => !WORD_RANGES.includes(r)).join("") + [...chars].map(esc).join("") + (dash ? "-" : "");
  return rest === "" ? "\\w" : `[\\w${rest}]`;
}

function esc(c: string): string {
  return CLASS_SPECIAL.has(c) ? `\\${c}` : c;
}

/** The result fields beside a unix-ms field `name`: `<name>Iso`, and `<name>Past` for future times. */
export function timeSiblingSchemas(name: string, kind: TimeKind): Record<string, JsonSchema> {
  return {
    [`${name}Iso`]: { type: "string" },
    ...(kind === "future" ? { [`${name}Past`]: { type: "boolean" } } : {}),
  };
}

/** Paths of the unix-ms fields of a result schema (timestamps only: durations need no ISO form). */
function timePaths(schema: JsonSchema): ResultTime[] {
  const found: ResultTime[] = [];
  const walk = (node: JsonSchema, path: string, depth: number): void => {
    if (depth > 32) return;
    const kind = timeKindOf(node);
    if (kind !== undefined && kind !== "duration" && path) found.push({ path, kind });
    const props = asObject(node.properties);
    if (props) for (const [name, sub] of Object.entries(props)) if (asObject(sub)) walk(sub as JsonSchema, path ? `${path}.${name}` : name, depth + 1);
    const items = asObject(node.items);
    if (items) walk(items, `${path}[]`, depth + 1);
  };
  walk(schema, "", 0);
  return found;
}

/** Paths of every subschema marked `x-unkey-redact: true`; `[]` steps into array items. */
export function redactedPaths(schema: JsonSchema, prefix: string): string[] {
  const found: string[] = [];
  const walk = (node: JsonSchema, path: string): void => {
    if (node["x-unkey-redact"] === true && path) found.push(path);
    const props = asObject(node.properties);
    if (props) {
      for (const [name, sub] of Object.entries(props)) {
        const s = asObject(sub);
        if (s) walk(s, path ? `${path}.${name}` : name);
      }
    }
    const items = asObject(node.items);
    if (items) walk(items, `${path}[]`);
    for (const key of ["allOf", "anyOf", "oneOf"]) {
      const list = node[key];
      if (Array.isArray(list)) for (const sub of list) if (asObject(sub)) walk(sub as JsonSchema, path);
    }
  };
  walk(schema, prefix);
  return unique(found);
}

function isObjectSchema(schema: JsonSchema): boolean {
  const type = schema.type;
  if (type === "object") return true;
  if (type === undefined) return asObject(schema.properties) !== undefined;
  return false;
}

// ---------------------------------------------------------------------------------------------
// x-mcp: checks, overlay, derivation

interface XMcpProblems {
  /** The tool cannot be built or listed correctly. */
  fatal: string[];
  /** A rule (target, conditions, pagination) points at a field or operation that is not there. */
  rules: string[];
}

function checkXMcp(x: XMcp, op: ContractOperation, operations: Map<string, ContractOperation>): XMcpProblems {
  const p: string[] = [];
  const r: string[] = [];
  const str = (v: unknown): v is string => typeof v === "string" && v.trim().length > 0;
  if (!str(x.name) || !TOOL_NAME_PATTERN.test(x.name)) {
    p.push(`x-mcp.name: expected a name matching ${TOOL_NAME_PATTERN.source}, given ${JSON.stringify(x.name)}`);
  }
  if (!str(x.title)) p.push(`x-mcp.title: expected a non-empty string, given ${JSON.stringify(x.title)}`);
  if (!str(x.toolset) || !TOOL_NAME_PATTERN.test(x.toolset)) {
    p.push(`x-mcp.toolset: expected a name matching ${TOOL_NAME_PATTERN.source}, given ${JSON.stringify(x.toolset)}`);
  }
  if (!SAFETY_CLASSES.includes(x.safety)) {
    p.push(`x-mcp.safety: expected one of ${SAFETY_CLASSES.join(", ")}, given ${JSON.stringify(x.safety)}`);
  }
  if (!Array.isArray(x.profiles) || x.profiles.length === 0 || !x.profiles.every(str)) {
    p.push(`x-mcp.profiles: expected a non-empty list of profile names, given ${JSON.stringify(x.profiles)}`);
  }
  const cnf = (v: unknown): boolean => Array.isArray(v) && v.every((c) => Array.isArray(c) && c.length > 0 && c.every(str));
  if (!cnf(x.permissions)) {
    p.push(`x-mcp.permissions: expected a list of lists of permission names, given ${JSON.stringify(x.permissions)}`);
  }
  const fields = new Set(Object.keys(asObject(op.requestSchema?.properties) ?? {}));
  const checkCondition = (c: ArgumentCondition, at: string): void => {
    if (c.note !== undefined) return;
    if (!str(c.field) || !fields.has(c.field)) {
      r.push(`${at}.field: expected a request field (${[...fields].join(", ") || "none"}), given ${JSON.stringify(c.field)}`);
    }
  };
  if (x.destructiveWhen !== undefined) {
    if (x.safety !== "write") p.push(`x-mcp.destructiveWhen: only a write operation can have it, this one is ${x.safety}`);
    if (!Array.isArray(x.destructiveWhen)) p.push("x-mcp.destructiveWhen: expected a list of conditions");
    else {
      for (const [i, c] of x.destructiveWhen.entries()) checkCondition(c, `x-mcp.destructiveWhen[${i}]`);
    }
  }
  if (x.permissionsIf !== undefined) {
    if (!Array.isArray(x.permissionsIf)) p.push("x-mcp.permissionsIf: expected a list");
    else {
      x.permissionsIf.forEach((c, i) => {
        checkCondition(c.when ?? {}, `x-mcp.permissionsIf[${i}].when`);
        if (!cnf(c.require)) p.push(`x-mcp.permissionsIf[${i}].require: expected a list of lists of permission names`);
      });
    }
  }
  if (x.pagination !== undefined && !fields.has(x.pagination.cursorParam)) {
    r.push(`x-mcp.pagination.cursorParam: expected a request field, given ${JSON.stringify(x.pagination.cursorParam)}`);
  }
  if (x.target !== undefined) {
    const read = operations.get(x.target.operation);
    if (!read) {
      r.push(`x-mcp.target.operation: expected an operationId of this document, given ${JSON.stringify(x.target.operation)}`);
    }
    const readFields = new Set(Object.keys(asObject(read?.requestSchema?.properties) ?? {}));
    for (const [arg, field] of Object.entries(x.target.args ?? {})) {
      if (read && !readFields.has(arg)) {
        r.push(`x-mcp.target.args: ${JSON.stringify(arg)} is not a request field of ${read.operationId} (${[...readFields].join(", ")})`);
      }
      if (!fields.has(field)) {
        r.push(`x-mcp.target.args.${arg}: expected a request field of this operation (${[...fields].join(", ")}), given ${JSON.stringify(field)}`);
      }
    }
  }
  if (x.impact !== undefined && x.impact !== "high") p.push(`x-mcp.impact: expected "high", given ${JSON.stringify(x.impact)}`);
  if (x.secrets !== undefined && (!Array.isArray(x.secrets) || !x.secrets.every(str))) {
    p.push(`x-mcp.secrets: expected a list of data field paths, given ${JSON.stringify(x.secrets)}`);
  }
  return { fatal: p, rules: r };
}

function overlayIndex(doc: OpenApiDocument): Map<string, XMcp> {
  const index = new Map<string, XMcp>();
  for (const item of Object.values(doc.paths)) {
    for (const op of Object.values(item)) {
      const o = asObject(op);
      const x = asObject(o?.["x-mcp"]);
      if (o && x && typeof o.operationId === "string") index.set(o.operationId, x as unknown as XMcp);
    }
  }
  return index;
}

/** Metadata for an operation nobody annotated: conservative, and flagged in the warnings. */
function deriveXMcp(doc: OpenApiDocument, op: ContractOperation): XMcp {
  const raw = asObject(doc.paths[op.path]?.[op.method]);
  const tags = Array.isArray(raw?.tags) ? raw.tags.filter((t): t is string => typeof t === "string") : [];
  const toolset = sanitizeName(tags[0] ?? "default");
  const title = op.summary.trim() || op.operationId;
  if (op.method === "get") {
    return { name: sanitizeName(op.operationId), title, toolset, safety: "read", permissions: [], profiles: ["full"] };
  }
  return {
    name: sanitizeName(op.operationId),
    title,
    toolset,
    safety: "write",
    permissions: [],
    profiles: ["full"],
    // Unknown effect: say "may be destructive", which is also MCP's default assumption.
    destructiveWhen: [{ note: "the operation has no x-mcp metadata; it may change or delete data" }],
  };
}

function sanitizeName(raw: string): string {
  const name = raw.replace(/[^a-zA-Z0-9_-]+/g, "_").slice(0, 64);
  return name || "operation";
}

function unsupportedParameters(doc: OpenApiDocument, op: ContractOperation): string[] {
  const item = doc.paths[op.path] ?? {};
  const raw = asObject(item[op.method]);
  const params = [...(Array.isArray(item.parameters) ? item.parameters : []), ...(Array.isArray(raw?.parameters) ? raw.parameters : [])];
  const kinds = new Set<string>();
  for (const p of params) {
    const param = asObject(dereference(p, doc));
    // Header and cookie parameters are transport concerns (auth, tracing); path and query ones
    // carry arguments, which a body-only tool cannot send.
    if (param && (param.in === "path" || param.in === "query")) kinds.add(String(param.in));
  }
  return [...kinds];
}

function asObject(v: unknown): Record<string, unknown> | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
