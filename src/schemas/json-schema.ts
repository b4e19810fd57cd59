/**
 * JSON-Schema helpers shared by the MCP side (argument validation) and the local API (request
 * validation): one ajv setup, and the limits on free-form objects both sides enforce.
 *
 * The two sides meet only over HTTP and through src/schemas, so anything both must agree on
 * lives here. The ajv setup itself is in ./ajv.ts, apart, so that importing these helpers does not
 * load ajv: a stdio server's startup needs the helpers but no validator until the first call.
 */
export type { JsonSchema } from "./loader.js";

/**
 * Limits on free-form values (`meta`, any `additionalProperties: true` object), checked before
 * anything is stored or sent. Deeply nested JSON is legal but breaks recursive serialisers
 * (a `meta` nested 4,100 levels deep once made `JSON.stringify` overflow the stack on every
 * later read); no real metadata needs more than a few levels.
 */
export const FREE_FORM_LIMITS = {
  /** Deepest nesting of objects and arrays inside one free-form value (the value itself is 1). */
  maxDepth: 16,
  /**
   * Largest serialised size of one free-form value, in bytes of UTF-8 JSON: Unkey's own 1 MB cap
   * on `meta`, so nothing Unkey accepts is refused here.
   */
  maxBytes: 1024 * 1024,
} as const;

/** Why a free-form value breaks FREE_FORM_LIMITS, or undefined when it is within them. */
export function freeFormProblem(value: unknown, limits: { maxDepth: number; maxBytes: number } = FREE_FORM_LIMITS): string | undefined {
  // Depth first and iteratively: measuring the size of a 4,000-level value by serialising it
  // would hit the very stack overflow this check exists to prevent.
  const depth = nestingDepth(value, limits.maxDepth + 1);
  if (depth === CYCLE) return "contains a reference to itself (a cycle), which JSON cannot carry";
  if (depth > limits.maxDepth) return `is nested more than ${limits.maxDepth} levels deep`;
  let size: number;
  try {
    size = Buffer.byteLength(JSON.stringify(value) ?? "");
  } catch {
    return "cannot be serialised as JSON";
  }
  if (size > limits.maxBytes) return `is ${size} bytes as JSON, more than ${limits.maxBytes}`;
  return undefined;
}

/** What nestingDepth returns for a value that contains itself. */
export const CYCLE = Number.POSITIVE_INFINITY;

/**
 * Nesting depth of objects/arrays (a scalar is 0, `{}` is 1), counting no further than `stopAt`;
 * CYCLE when an object is met twice (parsed JSON never shares objects).
 */
export function nestingDepth(value: unknown, stopAt = Number.POSITIVE_INFINITY): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  const seen = new Set<object>();
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (typeof node !== "object" || node === null) continue;
    if (seen.has(node)) return CYCLE;
    seen.add(node);
    if (depth > max) max = depth;
    if (max >= stopAt) return max;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (typeof child === "object" && child !== null) stack.push([child, depth + 1]);
    }
  }
  return max;
}

/** True for a schema of a free-form object: `type: object` whose extra properties are open. */
export function isFreeFormSchema(schema: Record<string, unknown>): boolean {
  const type = schema.type;
  const isObjectType = type === "object" || (Array.isArray(type) && type.includes("object"));
  if (!isObjectType) return false;
  const extra = schema.additionalProperties;
  const hasProps = typeof schema.properties === "object" && schema.properties !== null && Object.keys(schema.properties).length > 0;
  return extra === true || (extra === undefined && !hasProps) || (typeof extra === "object" && extra !== null && Object.keys(extra).length === 0);
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
