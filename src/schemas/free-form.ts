/**
 * Measuring a free-form JSON value against FREE_FORM_LIMITS without recursion, so a value nested
 * thousands of levels deep is measured, not a stack overflow. Shared by both sides (they meet
 * only through src/schemas).
 */
import { FREE_FORM_LIMITS } from "./limits.js";

export interface FreeFormLimits {
  readonly maxDepth: number;
  readonly maxBytes: number;
}

/** What is wrong with a value: `{ depth }` past maxDepth, or `{ bytes }` past maxBytes; undefined when within both. */
export type FreeFormViolation = { kind: "depth"; depth: number; limit: number } | { kind: "bytes"; bytes: number; limit: number };

/**
 * Nesting depth of a JSON value: a scalar is 0, `{}` and `[]` are 1, `{"a":{"b":1}}` is 2.
 * Iterative, and it stops counting once past `stopAfter` (the answer is then `stopAfter + 1`).
 */
export function jsonDepth(value: unknown, stopAfter = Number.POSITIVE_INFINITY): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    const depth = d + 1;
    if (depth > max) {
      max = depth;
      if (max > stopAfter) return max;
    }
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child !== null && typeof child === "object") stack.push([child, depth]);
    }
  }
  return max;
}

/** Checks depth first (so the size is only measured, with JSON.stringify, once it is safe to). */
export function checkFreeForm(value: unknown, limits: FreeFormLimits = FREE_FORM_LIMITS): FreeFormViolation | undefined {
  const depth = jsonDepth(value);
  if (depth > limits.maxDepth) return { kind: "depth", depth, limit: limits.maxDepth };
  const bytes = Buffer.byteLength(JSON.stringify(value) ?? "");
  if (bytes > limits.maxBytes) return { kind: "bytes", bytes, limit: limits.maxBytes };
  return undefined;
}
