/**
 * Loads the API contract (OpenAPI 3.1 + x-mcp) and answers questions about its operations.
 *
 * At run time the contract comes precompiled as JSON (`unkey.contract.json`, made by
 * `npm run generate`), so startup never parses YAML. `parseOpenApi` handles other documents
 * (`--spec FILE|URL`) and the generator script.
 */
import { readFileSync } from "node:fs";
import { codePath } from "../util/assets.js";
import type { XMcp } from "./x-mcp.js";

export type JsonSchema = Record<string, unknown>;

export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description?: string };
  servers?: { url: string }[];
  paths: Record<string, Record<string, unknown>>;
  components?: {
    schemas?: Record<string, JsonSchema>;
    responses?: Record<string, unknown>;
    securitySchemes?: Record<string, unknown>;
  };
  [key: string]: unknown;
}

export interface ContractOperation {
  operationId: string;
  method: "post" | "get";
  path: string;
  summary: string;
  description: string;
  /** The request body schema, dereferenced. */
  requestSchema?: JsonSchema;
  /** The 200 response body schema, dereferenced. */
  responseSchema?: JsonSchema;
  /** Declared error statuses with the content type each is sent with. */
  errors: { status: number; contentType: string }[];
  xMcp?: XMcp;
}

const CONTRACT_JSON = codePath("schemas/unkey.contract.json");
const CONTRACT_YAML = codePath("schemas/unkey.openapi.yaml");

let cached: OpenApiDocument | undefined;

/** The project's own contract, from the precompiled JSON next to this module. */
export function loadContract(): OpenApiDocument {
  cached ??= JSON.parse(readFileSync(CONTRACT_JSON, "utf8")) as OpenApiDocument;
  return cached;
}

/** Absolute path of the contract's YAML source (served by the local API at GET /openapi.yaml). */
export function contractYamlPath(): string {
  return CONTRACT_YAML;
}

/** Parses an OpenAPI document given as JSON or YAML text; throws with the validation problems. */
export async function parseOpenApi(text: string, source = "document"): Promise<OpenApiDocument> {
  const trimmed = text.trimStart();
  let value: unknown;
  if (trimmed.startsWith("{")) {
    value = JSON.parse(text);
  } else {
    // YAML is only needed for documents other than our precompiled contract; load it lazily.
    const { parse } = await import("yaml");
    value = parse(text, { maxAliasCount: -1 });
  }
  const problems = validateOpenApi(value);
  if (problems.length > 0) {
    throw new Error(`${source} is not a usable OpenAPI 3.1 document:\n- ${problems.join("\n- ")}`);
  }
  return value as OpenApiDocument;
}

const METHODS = ["get", "post", "put", "patch", "delete"] as const;

/**
 * Structural checks every consumer relies on: the OpenAPI 3.1 version, paths with operations that
 * have unique operationIds, resolvable local `$ref`s. (The full OpenAPI 3.1 meta-schema check of
 * our own contract runs in the test suite.)
 */
export function validateOpenApi(value: unknown): string[] {
  const problems: string[] = [];
  if (!isObject(value)) return ["the document is not an object"];
  if (typeof value.openapi !== "string" || !value.openapi.startsWith("3.1")) {
    problems.push(`openapi: expected "3.1.x", got ${JSON.stringify(value.openapi)}`);
  }
  if (!isObject(value.info) || typeof value.info.title !== "string" || typeof value.info.version !== "string") {
    problems.push("info: expected an object with title and version");
  }
  if (!isObject(value.paths)) {
    problems.push("paths: expected an object");
    return problems;
  }
  const seen = new Set<string>();
  for (const [path, item] of Object.entries(value.paths)) {
    if (!isObject(item)) {
      problems.push(`paths.${path}: expected an object`);
      continue;
    }
    for (const method of METHODS) {
      const op = item[method];
      if (op === undefined) continue;
      if (!isObject(op)) {
        problems.push(`paths.${path}.${method}: expected an object`);
        continue;
      }
      if (typeof op.operationId !== "string") {
        problems.push(`paths.${path}.${method}: missing operationId`);
      } else if (seen.has(op.operationId)) {
        problems.push(`paths.${path}.${method}: duplicate operationId ${op.operationId}`);
      } else {
        seen.add(op.operationId);
      }
    }
  }
  for (const ref of collectRefs(value)) {
    if (resolvePointer(value, ref) === undefined) problems.push(`unresolvable $ref ${ref}`);
  }
  return problems;
}

/** Inlines every local `$ref` of `value` against `doc`. Shared subtrees are shared, not copied. */
export function dereference<T>(value: T, doc: OpenApiDocument): T {
  const memo = new Map<string, unknown>();
  const walk = (node: unknown, stack: string[]): unknown => {
    if (Array.isArray(node)) return node.map((n) => walk(n, stack));
    if (!isObject(node)) return node;
    if (typeof node.$ref === "string") {
      const ref = node.$ref;
      if (stack.includes(ref)) throw new Error(`recursive $ref ${ref} is not supported`);
      if (!memo.has(ref)) {
        const target = resolvePointer(doc, ref);
        if (target === undefined) throw new Error(`unresolvable $ref ${ref}`);
        memo.set(ref, walk(target, [...stack, ref]));
      }
      const resolved = memo.get(ref) as Record<string, unknown>;
      // Sibling keywords next to $ref (OpenAPI 3.1 allows them) override the target's.
      const siblings = Object.entries(node).filter(([k]) => k !== "$ref");
      if (siblings.length === 0) return resolved;
      return { ...resolved, ...Object.fromEntries(siblings.map(([k, v]) => [k, walk(v, stack)])) };
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = walk(v, stack);
    return out;
  };
  return walk(value, []) as T;
}

/** Every operation of the document, with its schemas dereferenced. */
export function listOperations(doc: OpenApiDocument): ContractOperation[] {
  const ops: ContractOperation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of ["post", "get"] as const) {
      const raw = item[method];
      if (!isObject(raw)) continue;
      const op = dereference(raw, doc);
      const requestSchema = schemaOf(op.requestBody);
      const responses = isObject(op.responses) ? op.responses : {};
      const ok = responses["200"] ?? responses["201"];
      const errors: ContractOperation["errors"] = [];
      for (const [status, response] of Object.entries(responses)) {
        const code = Number(status);
        if (!Number.isInteger(code) || code < 400) continue;
        const content = isObject(response) && isObject(response.content) ? Object.keys(response.content) : [];
        errors.push({ status: code, contentType: content[0] ?? "application/json" });
      }
      ops.push({
        operationId: String(op.operationId),
        method,
        path,
        summary: typeof op.summary === "string" ? op.summary : "",
        description: typeof op.description === "string" ? op.description : "",
        requestSchema,
        responseSchema: schemaOf(ok),
        errors,
        xMcp: isObject(op["x-mcp"]) ? (op["x-mcp"] as unknown as XMcp) : undefined,
      });
    }
  }
  return ops;
}

/** Operations `listOperations` leaves out (PUT, PATCH, DELETE): callers report them, never drop them silently. */
export function unsupportedMethods(doc: OpenApiDocument): { operationId: string; method: string; path: string }[] {
  const out: { operationId: string; method: string; path: string }[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of ["put", "patch", "delete"] as const) {
      const raw = item[method];
      if (!isObject(raw)) continue;
      out.push({ operationId: typeof raw.operationId === "string" ? raw.operationId : `${method} ${path}`, method, path });
    }
  }
  return out;
}

function schemaOf(holder: unknown): JsonSchema | undefined {
  if (!isObject(holder) || !isObject(holder.content)) return undefined;
  const media = holder.content["application/json"] ?? Object.values(holder.content)[0];
  return isObject(media) && isObject(media.schema) ? media.schema : undefined;
}

function collectRefs(node: unknown, acc = new Set<string>()): Set<string> {
  if (Array.isArray(node)) for (const n of node) collectRefs(n, acc);
  else if (isObject(node)) {
    if (typeof node.$ref === "string") acc.add(node.$ref);
    for (const v of Object.values(node)) collectRefs(v, acc);
  }
  return acc;
}

function resolvePointer(doc: unknown, ref: string): unknown {
  if (!ref.startsWith("#/")) return undefined;
  let cur: unknown = doc;
  for (const raw of ref.slice(2).split("/")) {
    const part = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (!isObject(cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
