/**
 * Request (and, for tests, response) validation against the contract. Validators are compiled
 * once per operation at startup; per request it is one compiled function call.
 */
import type { ErrorObject, ValidateFunction } from "ajv/dist/2020.js";
import type { ValidationErrorItem } from "./errors.js";
import type { JsonSchema } from "../schemas/loader.js";
import { FREE_FORM_LIMITS, isFreeFormSchema, nestingDepth } from "../schemas/json-schema.js";

// One ajv setup for both sides of the contract (src/schemas/ajv.ts).
export { createAjv } from "../schemas/ajv.js";

export type Validator = ValidateFunction;

/** `/keys/0/hash` → `body.keys[0].hash`, the location style of Unkey's error docs. */
function location(instancePath: string, extra?: string): string {
  let loc = "body";
  for (const part of instancePath.split("/").slice(1)) {
    const p = part.replace(/~1/g, "/").replace(/~0/g, "~");
    loc += /^\d+$/.test(p) ? `[${p}]` : `.${p}`;
  }
  if (extra !== undefined) loc += `.${extra}`;
  return loc;
}

function given(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === "object") return "an object";
  const s = JSON.stringify(value);
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
}

/**
 * The fields of a (dereferenced) schema for which `matches` holds, as JSON-pointer segments with
 * `*` for "any array index / map key". A matching field is not searched further.
 */
function schemaPaths(schema: JsonSchema | undefined, matches: (node: Record<string, unknown>) => boolean): string[][] {
  const out: string[][] = [];
  const walk = (s: unknown, path: string[], depth: number): void => {
    if (s === null || typeof s !== "object" || depth > 32) return;
    const node = s as Record<string, unknown>;
    if (matches(node)) {
      out.push(path);
      return;
    }
    const props = node.properties;
    if (props && typeof props === "object") {
      for (const [name, sub] of Object.entries(props as Record<string, unknown>)) walk(sub, [...path, name], depth + 1);
    }
    if (node.items) walk(node.items, [...path, "*"], depth + 1);
    if (node.additionalProperties && typeof node.additionalProperties === "object") walk(node.additionalProperties, [...path, "*"], depth + 1);
    for (const k of ["allOf", "anyOf", "oneOf"]) {
      if (Array.isArray(node[k])) for (const sub of node[k] as unknown[]) walk(sub, path, depth + 1);
    }
  };
  walk(schema, [], 0);
  return out;
}

/**
 * The fields a schema marks `x-unkey-redact` (verifyKey.key, whoami.key, createKey's returned key,
 * …). Collected once per operation at startup so an error message never echoes a secret.
 */
export function redactedPaths(schema: JsonSchema | undefined): string[][] {
  return schemaPaths(schema, (node) => node["x-unkey-redact"] === true);
}

/** The free-form objects of a request schema (`meta`: an object whose properties are not declared). */
export function freeFormPaths(schema: JsonSchema | undefined): string[][] {
  return schemaPaths(schema, isFreeFormSchema);
}

/**
 * FREE_FORM_LIMITS at validation: each free-form value in `body` deeper or larger than the limits
 * becomes an error naming the field, the limit and what was given. Runs after the schema check,
 * so the body's shape is known.
 */
export function freeFormErrors(body: unknown, paths: readonly string[][]): ValidationErrorItem[] {
  const out: ValidationErrorItem[] = [];
  for (const path of paths) {
    for (const { loc, value } of valuesAt(body, path, "body")) {
      if (value === null || typeof value !== "object") continue;
      // Measured in full (the body is at most a few MB) so the error says how deep it was.
      const depth = nestingDepth(value);
      const { maxDepth, maxBytes } = FREE_FORM_LIMITS;
      if (depth > maxDepth) {
        out.push({
          location: loc,
          message: `${loc} is nested ${depth} levels deep, the limit is ${maxDepth}`,
          fix: `Flatten ${loc} to at most ${maxDepth} levels.`,
        });
        continue;
      }
      // Within the depth limit, serialising is safe.
      const bytes = Buffer.byteLength(JSON.stringify(value));
      if (bytes > maxBytes) {
        out.push({
          location: loc,
          message: `${loc} is ${bytes} bytes as JSON, the limit is ${maxBytes}`,
          fix: `Store less in ${loc} (at most ${maxBytes} bytes).`,
        });
      }
    }
  }
  return out;
}

/** Every value at `path` (`*` = each array item or map value), with its location in Unkey's style. */
function valuesAt(root: unknown, path: readonly string[], loc: string): { loc: string; value: unknown }[] {
  if (path.length === 0) return [{ loc, value: root }];
  if (root === null || typeof root !== "object") return [];
  const [head, ...rest] = path;
  if (head === "*") {
    const entries: [string, unknown][] = Array.isArray(root) ? root.map((v, i) => [`[${i}]`, v]) : Object.entries(root).map(([k, v]) => [`.${k}`, v]);
    return entries.flatMap(([suffix, v]) => valuesAt(v, rest, loc + suffix));
  }
  if (!Object.hasOwn(root, head)) return [];
  return valuesAt((root as Record<string, unknown>)[head], rest, `${loc}.${head}`);
}

/** True when `instancePath` is a redacted field or lies inside one. */
function isRedacted(instancePath: string, redacted: readonly string[][]): boolean {
  if (redacted.length === 0) return false;
  const parts = instancePath
    .split("/")
    .slice(1)
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  return redacted.some((pattern) => pattern.length <= parts.length && pattern.every((seg, i) => seg === "*" || seg === parts[i]));
}

/**
 * ajv errors → Unkey's `errors[]`: each names the field, what was expected and what was given
 * (`[redacted]` instead of the value for the fields in `redacted`).
 */
export function toValidationErrors(errors: ErrorObject[] | null | undefined, body: unknown, redacted: readonly string[][] = []): ValidationErrorItem[] {
  const out: ValidationErrorItem[] = [];
  const seen = new Set<string>();
  for (const e of errors ?? []) {
    let item: ValidationErrorItem;
    const params = e.params as Record<string, unknown>;
    if (e.keyword === "required") {
      const loc = location(e.instancePath, String(params.missingProperty));
      item = { location: loc, message: `${loc} is required`, fix: `Provide ${String(params.missingProperty)}.` };
    } else if (e.keyword === "additionalProperties") {
      const loc = location(e.instancePath, String(params.additionalProperty));
      item = { location: loc, message: `${loc} is not allowed (unknown property)`, fix: `Remove ${String(params.additionalProperty)}.` };
    } else {
      const loc = location(e.instancePath);
      const shown = isRedacted(e.instancePath, redacted) ? "[redacted]" : given(valueAt(body, e.instancePath));
      const expected = e.keyword === "enum" ? `must be one of ${JSON.stringify(params.allowedValues)}` : (e.message ?? "is invalid");
      item = { location: loc, message: `${loc} ${expected}, got ${shown}` };
    }
    if (seen.has(item.message)) continue;
    seen.add(item.message);
    out.push(item);
  }
  return out;
}

function valueAt(root: unknown, pointer: string): unknown {
  let cur = root;
  for (const part of pointer.split("/").slice(1)) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[part.replace(/~1/g, "/").replace(/~0/g, "~")];
  }
  return cur;
}
