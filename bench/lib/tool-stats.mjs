// What a model "sees" of a tools/list answer, and what the input schemas carry.
import { getEncoding } from "js-tiktoken";

let encoder;

/** The part of each tool a client puts in the model's context (MCP hosts send these three). */
export function modelVisible(tools) {
  return tools.map((t) => ({ name: t.name, description: t.description, inputSchema: t.inputSchema }));
}

/**
 * o200k_base tokens of JSON.stringify(modelVisible(tools)). Used only when bench/tokens.mjs (the
 * shared counter) is not there, so both count the same string.
 */
export function countModelVisibleTokens(tools) {
  encoder ??= getEncoding("o200k_base");
  return encoder.encode(JSON.stringify(modelVisible(tools))).length;
}

/** o200k tokens of any string (e.g. the whole tools/list JSON, as the baseline doc measured). */
export function countTokens(text) {
  encoder ??= getEncoding("o200k_base");
  return encoder.encode(text).length;
}

const LIMIT_KEYS = [
  "minLength",
  "maxLength",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "pattern",
  "minItems",
  "maxItems",
  "minProperties",
  "maxProperties",
];

/**
 * Walks every input schema and counts the properties it declares (nested ones included), how many
 * carry a description, a limit (length, range, pattern, item count) or an enum/const. This is what
 * a model can learn about an argument before it calls the tool.
 */
export function schemaStats(tools) {
  const out = {
    tools: tools.length,
    properties: 0,
    described: 0,
    limited: 0,
    enumerated: 0,
    toolsWithTitle: 0,
    toolsWithAnnotations: 0,
    toolsWithOutputSchema: 0,
  };
  const seen = new Set();
  const walk = (schema) => {
    if (!schema || typeof schema !== "object" || seen.has(schema)) return;
    seen.add(schema);
    if (Array.isArray(schema)) {
      for (const s of schema) walk(s);
      return;
    }
    if (schema.properties && typeof schema.properties === "object") {
      for (const prop of Object.values(schema.properties)) {
        if (!prop || typeof prop !== "object") continue;
        out.properties++;
        if (typeof prop.description === "string" && prop.description.trim() !== "") out.described++;
        if (hasLimit(prop)) out.limited++;
        if (Array.isArray(prop.enum) || "const" in prop || hasInBranches(prop, (s) => Array.isArray(s.enum) || "const" in s)) out.enumerated++;
      }
    }
    for (const key of ["properties", "items", "additionalProperties", "anyOf", "oneOf", "allOf", "not", "prefixItems", "$defs", "definitions"]) {
      const v = schema[key];
      if (v && typeof v === "object") {
        if (key === "properties" || key === "$defs" || key === "definitions") for (const s of Object.values(v)) walk(s);
        else walk(v);
      }
    }
  };
  for (const t of tools) {
    if (typeof t.title === "string" && t.title !== "") out.toolsWithTitle++;
    if (t.annotations && Object.keys(t.annotations).length > 0) out.toolsWithAnnotations++;
    if (t.outputSchema) out.toolsWithOutputSchema++;
    walk(t.inputSchema);
  }
  return out;
}

function hasLimit(schema) {
  // A limit on the property itself, on its array items, or inside a union branch (nullable types
  // are often written as anyOf [{type:string,maxLength}, {type:null}]).
  if (LIMIT_KEYS.some((k) => k in schema)) return true;
  if (schema.items && typeof schema.items === "object" && LIMIT_KEYS.some((k) => k in schema.items)) return true;
  return hasInBranches(schema, (s) => LIMIT_KEYS.some((k) => k in s));
}

function hasInBranches(schema, test) {
  for (const key of ["anyOf", "oneOf", "allOf"]) {
    const branches = schema[key];
    if (Array.isArray(branches) && branches.some((b) => b && typeof b === "object" && test(b))) return true;
  }
  return false;
}
