/**
 * OpenAI strict mode (`strict: true`) for a tool's input schema, where the schema allows it.
 *
 * Strict mode makes the model's arguments always match the schema, but accepts only a subset of
 * JSON Schema: every object must list all its properties in `required` and forbid others, and
 * only some keywords are allowed. The usual transformation turns each optional property into a
 * required, nullable one, and the adapter drops those nulls again before the executor sees them.
 * That is exact only when null cannot be a real value: so a schema is strict-compatible only if
 *  - every object names its properties and takes no others (a free-form `meta` map cannot be strict),
 *  - no optional property already accepts null (`update_key`'s `expires: null` means "never
 *    expires"; after the transformation a null would be ambiguous: absent or cleared?),
 *  - it uses only keywords strict mode supports (the length limits and defaults strict mode does
 *    not support are dropped from the model's copy; the executor still enforces them).
 * Otherwise the tool is sent with `strict: false` and its schema unchanged.
 */
import type { JsonSchema } from "../schemas/loader.js";
import { isRecord } from "./toolkit.js";

/** Keywords strict mode accepts as they are. */
const KEPT = new Set([
  "type",
  "description",
  "title",
  "enum",
  "const",
  "properties",
  "required",
  "additionalProperties",
  "items",
  "pattern",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "multipleOf",
  "minItems",
  "maxItems",
]);
/** Constraints strict mode rejects but the executor enforces anyway: left out of the model's copy. */
const DROPPED = new Set(["minLength", "maxLength", "default", "examples", "maxProperties", "minProperties", "uniqueItems"]);
const FORMATS = new Set(["date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"]);

/** The strict-mode copy of a tool's input schema, or undefined when strict mode cannot express it exactly. */
export function toStrictSchema(schema: JsonSchema): JsonSchema | undefined {
  return transform(schema);
}

function transform(node: JsonSchema): JsonSchema | undefined {
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(node)) {
    if (DROPPED.has(k)) continue;
    if (k === "format") {
      if (typeof v === "string" && FORMATS.has(v)) out.format = v;
      continue;
    }
    if (!KEPT.has(k)) return undefined;
    out[k] = v;
  }
  if (typesOf(node).includes("object")) {
    if (!isRecord(node.properties) || (node.additionalProperties !== undefined && node.additionalProperties !== false)) return undefined;
    const required = Array.isArray(node.required) ? (node.required as string[]) : [];
    const properties: Record<string, JsonSchema> = {};
    for (const [name, child] of Object.entries(node.properties)) {
      if (!isRecord(child)) return undefined;
      const strictChild = transform(child);
      if (!strictChild) return undefined;
      if (required.includes(name)) properties[name] = strictChild;
      else {
        if (acceptsNull(child)) return undefined;
        const nullable = makeNullable(strictChild);
        if (!nullable) return undefined;
        properties[name] = nullable;
      }
    }
    out.properties = properties;
    out.required = Object.keys(properties);
    out.additionalProperties = false;
  }
  if (typesOf(node).includes("array")) {
    if (!isRecord(node.items)) return undefined;
    const items = transform(node.items);
    if (!items) return undefined;
    out.items = items;
  }
  return out;
}

/**
 * Drops the nulls strict mode made the model send for optional properties it did not mean to set,
 * walking the tool's original schema. Values are copied, never changed in place.
 */
export function dropStrictNulls(value: unknown, schema: JsonSchema): unknown {
  if (Array.isArray(value)) return isRecord(schema.items) ? value.map((v) => dropStrictNulls(v, schema.items as JsonSchema)) : value;
  if (!isRecord(value) || !isRecord(schema.properties)) return value;
  const required = Array.isArray(schema.required) ? (schema.required as string[]) : [];
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const child = (schema.properties as Record<string, unknown>)[k];
    if (v === null && !required.includes(k) && isRecord(child) && !acceptsNull(child)) continue;
    out[k] = isRecord(child) ? dropStrictNulls(v, child) : v;
  }
  return out;
}

function typesOf(node: JsonSchema): string[] {
  if (typeof node.type === "string") return [node.type];
  return Array.isArray(node.type) ? (node.type as string[]) : [];
}

function acceptsNull(node: JsonSchema): boolean {
  return typesOf(node).includes("null") || (Array.isArray(node.enum) && node.enum.includes(null)) || node.const === null;
}

function makeNullable(node: JsonSchema): JsonSchema | undefined {
  const types = typesOf(node);
  if (types.length === 0) return undefined;
  const out: JsonSchema = { ...node, type: [...types, "null"] };
  if (Array.isArray(node.enum)) out.enum = [...node.enum, null];
  return out;
}
